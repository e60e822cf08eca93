# Three listeners on ports 8110-8112; every TCP option set on the last one leaves
# the others' names and states as they were, and each still accepts a client and
# answers it ("from listener <i>: " + what it sent).
import socket

from fwtest import res

ls = []
for i in range(3):
    s = socket.socket()
    s.bind(("", 8110 + i))
    s.listen(2)
    ls.append(s)
before = [(s.getsockname(), s.getsocketsta()) for s in ls]
# lwIP hands out pool elements from the top down: the last listener lies below
# the others, and a write past its end lands in them.
s = ls[-1]
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
s.setsockopt(socket.SOL_SOCKET, socket.TCP_KEEPALIVE, 120)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 2147483)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 2147483)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 255)
res("unchanged", [(s.getsockname(), s.getsocketsta()) for s in ls] == before)
print("listening")
for i, s in enumerate(ls):
    s.settimeout(10)
    c, _ = s.accept()
    c.settimeout(10)
    c.sendall(b"from listener %d: " % i + c.recv(100))
    c.close()
    s.close()
