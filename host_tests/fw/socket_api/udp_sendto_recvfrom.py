# UDP sendto() and recvfrom() with the echo server at port: what each returns, and
# that a datagram bigger than the buffer comes back cut to it.
import socket

from fwtest import PEER, param, res

port = param("port")

u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(5)
res("sent", u.sendto(b"datagram one", (PEER, port)))
data, addr = u.recvfrom(100)
res("got", (data, addr))
res("sent_list", u.sendto(b"x" * 1000, [PEER, port]))
data, addr = u.recvfrom(10)
res("truncated", data)
res("sta", u.getsocketsta())
