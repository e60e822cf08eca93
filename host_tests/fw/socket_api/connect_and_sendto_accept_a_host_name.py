# connect() and sendto() take a host name (echo.test, from the test's DNS server)
# as well as an address; a name nobody knows is a (negative) lookup error.
import socket

from fwtest import err, param, res

port = param("port")
udp_port = param("udp_port")

s = socket.socket()
s.settimeout(5)
s.connect(("echo.test", port))
res("peer", s.getpeername())
s.sendall(b"by name")
res("echo", s.recv(10))
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(5)
u.sendto(b"udp by name", ("echo.test", udp_port))
res("udp", u.recv(20))
res("unknown", err(socket.socket().connect, ("nowhere.invalid", 80)))
