# A socket closed twice stays closed: every method after it raises EBADF and
# getsocketsta() is -1, for TCP and UDP.
import socket

from fwtest import PEER, err, res

s = socket.socket()
s.close()
s.close()
b = bytearray(4)
for name, f in (
    ("bind", lambda: s.bind(("", 0))),
    ("listen", lambda: s.listen(1)),
    ("accept", lambda: s.accept()),
    ("connect", lambda: s.connect((PEER, 1))),
    ("send", lambda: s.send(b"x")),
    ("sendall", lambda: s.sendall(b"x")),
    ("recv", lambda: s.recv(1)),
    ("sendto", lambda: s.sendto(b"x", (PEER, 1))),
    ("recvfrom", lambda: s.recvfrom(1)),
    ("setsockopt", lambda: s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)),
    ("settimeout", lambda: s.settimeout(1)),
    ("setblocking", lambda: s.setblocking(0)),
    ("read", lambda: s.read(1)),
    ("readinto", lambda: s.readinto(b)),
    ("readline", lambda: s.readline()),
    ("write", lambda: s.write(b"x")),
    ("shutdown", lambda: s.shutdown(socket.SHUT_WR)),
    ("getsockname", lambda: s.getsockname()),
):
    res(name, err(f))
res("getsocketsta", s.getsocketsta())
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.close()
res("udp_sendto", err(u.sendto, b"x", (PEER, 9)))
res("udp_getsocketsta", u.getsocketsta())
