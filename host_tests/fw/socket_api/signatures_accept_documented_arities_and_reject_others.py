# Each documented signature is accepted and one argument more or fewer is a
# TypeError: for each call (named by its text), what err() made of it.
import socket

from fwtest import err, res

# t: a TCP socket to bind/listen on; c: an unconnected TCP socket; u: a
# non-blocking UDP socket; n: a non-blocking TCP socket still connecting, so its
# reads and writes would block.
t = socket.socket()
t.setblocking(False)
c = socket.socket()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.setblocking(False)
n = socket.socket()
n.setblocking(False)
try:
    n.connect(("10.0.2.99", 80))
except OSError:
    pass

# In order: t is bound before it listens, and c is closed last.
CALLS = (
    ("socket.socket()", lambda: socket.socket()),
    ("socket.socket(socket.AF_INET)", lambda: socket.socket(socket.AF_INET)),
    (
        "socket.socket(socket.AF_INET, socket.SOCK_STREAM)",
        lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM),
    ),
    (
        "socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)",
        lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP),
    ),
    ("socket.socket(2, 1, 6, 0)", lambda: socket.socket(2, 1, 6, 0)),
    ("socket.getaddrinfo('10.0.2.2', 80)", lambda: socket.getaddrinfo("10.0.2.2", 80)),
    (
        "socket.getaddrinfo('10.0.2.2', 80, 0, 0, 0, 0)",
        lambda: socket.getaddrinfo("10.0.2.2", 80, 0, 0, 0, 0),
    ),
    ("socket.getaddrinfo('10.0.2.2')", lambda: socket.getaddrinfo("10.0.2.2")),
    (
        "socket.getaddrinfo('10.0.2.2', 80, 0, 0, 0, 0, 0)",
        lambda: socket.getaddrinfo("10.0.2.2", 80, 0, 0, 0, 0, 0),
    ),
    (
        "socket.inet_pton(socket.AF_INET, '1.2.3.4')",
        lambda: socket.inet_pton(socket.AF_INET, "1.2.3.4"),
    ),
    ("socket.inet_pton(socket.AF_INET)", lambda: socket.inet_pton(socket.AF_INET)),
    (
        "socket.inet_ntop(socket.AF_INET, b'1234')",
        lambda: socket.inet_ntop(socket.AF_INET, b"1234"),
    ),
    (
        "socket.inet_ntop(socket.AF_INET, b'1234', 0)",
        lambda: socket.inet_ntop(socket.AF_INET, b"1234", 0),
    ),
    ("t.bind(('', 0))", lambda: t.bind(("", 0))),
    ("t.bind()", lambda: t.bind()),
    ("t.bind(('', 0), 1)", lambda: t.bind(("", 0), 1)),
    ("t.listen()", lambda: t.listen()),
    ("t.listen(1)", lambda: t.listen(1)),
    ("t.listen(1, 2)", lambda: t.listen(1, 2)),
    ("t.accept()", lambda: t.accept()),
    ("t.accept(1)", lambda: t.accept(1)),
    ("c.connect()", lambda: c.connect()),
    ("c.connect(('10.0.2.2', 1), 1)", lambda: c.connect(("10.0.2.2", 1), 1)),
    ("c.send()", lambda: c.send()),
    ("c.send(b'x', 0)", lambda: c.send(b"x", 0)),
    ("c.sendall()", lambda: c.sendall()),
    ("c.sendall(b'x', 0)", lambda: c.sendall(b"x", 0)),
    ("c.recv()", lambda: c.recv()),
    ("c.recv(1, 0)", lambda: c.recv(1, 0)),
    ("c.recv(1, 0, 0)", lambda: c.recv(1, 0, 0)),
    ("u.sendto(b'x', ('10.0.2.2', 9))", lambda: u.sendto(b"x", ("10.0.2.2", 9))),
    ("u.sendto(b'x')", lambda: u.sendto(b"x")),
    ("u.sendto(b'x', ('10.0.2.2', 9), 0)", lambda: u.sendto(b"x", ("10.0.2.2", 9), 0)),
    ("u.recvfrom(1)", lambda: u.recvfrom(1)),
    ("u.recvfrom()", lambda: u.recvfrom()),
    ("u.recvfrom(1, 0)", lambda: u.recvfrom(1, 0)),
    ("u.recvfrom(1, 0, 0)", lambda: u.recvfrom(1, 0, 0)),
    (
        "c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
        lambda: c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1),
    ),
    (
        "c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR)",
        lambda: c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR),
    ),
    (
        "c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1, 0)",
        lambda: c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1, 0),
    ),
    ("c.settimeout(None)", lambda: c.settimeout(None)),
    ("c.settimeout(0.5)", lambda: c.settimeout(0.5)),
    ("c.settimeout()", lambda: c.settimeout()),
    ("c.setblocking(True)", lambda: c.setblocking(True)),
    ("c.setblocking()", lambda: c.setblocking()),
    ("c.makefile()", lambda: c.makefile()),
    ("c.makefile('rb')", lambda: c.makefile("rb")),
    ("c.makefile('rwb', 0)", lambda: c.makefile("rwb", 0)),
    ("c.makefile('rb', 0, 0)", lambda: c.makefile("rb", 0, 0)),
    ("n.read()", lambda: n.read()),
    ("n.read(1)", lambda: n.read(1)),
    ("n.read(1, 2)", lambda: n.read(1, 2)),
    ("n.readall()", lambda: n.readall()),
    ("n.readinto(bytearray(4))", lambda: n.readinto(bytearray(4))),
    ("n.readinto(bytearray(4), 2)", lambda: n.readinto(bytearray(4), 2)),
    ("n.readinto(bytearray(4), 2, 1)", lambda: n.readinto(bytearray(4), 2, 1)),
    ("n.readline()", lambda: n.readline()),
    ("n.write(b'x')", lambda: n.write(b"x")),
    ("n.write()", lambda: n.write()),
    ("c.getsocketsta()", lambda: c.getsocketsta()),
    ("c.getsocketsta(1)", lambda: c.getsocketsta(1)),
    ("c.close(1)", lambda: c.close(1)),
    ("c.close()", lambda: c.close()),
)

for text, call in CALLS:
    res(text, err(call))
