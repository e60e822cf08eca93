# The boot's first connect (to the closed port, nobody listens) is refused as it
# should be, and the next three ephemeral TCP ports are taken in turn.
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
