# UDP recvfrom, recv and read in one mode (param "mode"): with nothing to read
# they time out (timeout) or raise EAGAIN / return None (nonblocking); a datagram
# the echo peer sends back is returned with the peer's address.
import select
import socket

from fwtest import PEER, param, res, set_mode, timed

port = param("port")
mode = param("mode")

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("", 0))
set_mode(s, mode)
if mode != "blocking":
    res("empty", timed(s.recvfrom, 100))
    res("empty_recv", timed(s.recv, 100)[0])
    res("empty_read", timed(s.read, 100)[0])
s.sendto(b"echo me", (PEER, port))
if mode == "nonblocking":
    p = select.poll()
    p.register(s, select.POLLIN)
    p.poll(5000)
res("got", s.recvfrom(100))
