# read() without a size and readall() return everything the server at port sends
# (bytes(range(256)) * 300) up to its end: the length, and whether it is that.
import socket

from fwtest import PEER, param, res

port = param("port")

for name in ("read", "readall"):
    s = socket.socket()
    s.connect((PEER, port))
    data = getattr(s, name)()
    res(name, (len(data), data == bytes(range(256)) * 300))
    s.close()
