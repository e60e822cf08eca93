# Every option in every state of a TCP socket (new, bound, listening, closed,
# connecting and connected to the server at port, ended by its RST): the set of
# what err() made of them in each.
import socket
import time

from fwtest import PEER, err, param, res

port = param("port")

OPTS = (
    (socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),
    (socket.SOL_SOCKET, socket.SO_REUSEADDR, 1),
    (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1),
    (socket.SOL_SOCKET, socket.TCP_KEEPALIVE, 1),
    (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 5),
    (socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 5),
    (socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 5),
)


def check(name, s):
    res(name, sorted({err(s.setsockopt, *o) for o in OPTS}))


s = socket.socket()
check("new", s)
s.bind(("", 0))
check("bound", s)
s.listen(1)
check("listening", s)
s.close()
check("closed", s)
s = socket.socket()
s.setblocking(False)
err(s.connect, (PEER, port))
check("connecting", s)
s.setblocking(True)
s.settimeout(10)
# Wait for the connection.
t = time.ticks_ms()
while s.getsocketsta() != 4 and time.ticks_diff(time.ticks_ms(), t) < 5000:
    time.sleep_ms(10)
check("connected", s)
s.send(b"rst")
res("reset", err(s.recv, 10))
check("ended", s)
s.close()
