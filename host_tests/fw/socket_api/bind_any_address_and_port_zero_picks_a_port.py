# bind() to any address and port 0 picks a port, for TCP and UDP; binding twice,
# a port out of range or an address that is not a pair is refused.
import socket

from fwtest import err, res

s = socket.socket()
s.bind(("", 0))
s.listen()
name = s.getsockname()
res("any", name[0])
res("port_picked", name[1] > 0)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(["0.0.0.0", 0])
res("udp_port_picked", u.getsockname()[1] > 0)
res("bind_twice", err(u.bind, ("", 0)))
res("bad_port", err(socket.socket().bind, ("", 70000)))
res("bad_addr", err(socket.socket().bind, "10.0.2.15"))
