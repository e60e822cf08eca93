# readline() with a limit far bigger than the heap reads the server's long line
# and then its short one.
import socket

from fwtest import PEER, param, res

port = param("port")

s = socket.socket()
s.connect((PEER, port))
res("long", s.readline(1 << 28))
res("short", s.readline(1 << 28))
s.close()
