# The boot's first connect, to a port on the PC nobody listens on (closed): its
# error; then the ephemeral ports three sockets bound to port 0 got.
import socket

from fwtest import PEER, err, param, res

closed = param("closed")

res("connect", err(socket.socket().connect, (PEER, closed)))
ports = []
for i in range(3):
    s = socket.socket()
    s.bind(("", 0))
    ports.append(s.getsockname()[1])
    s.close()
res("ports", ports)
