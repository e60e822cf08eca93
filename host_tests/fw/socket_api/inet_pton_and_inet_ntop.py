# inet_pton() and inet_ntop() for IPv4 and IPv6, and what bad text, an unknown
# family or a packed address of the wrong length raise.
import socket

from fwtest import err, res

res("pton4", socket.inet_pton(socket.AF_INET, "1.2.3.4"))
res("ntop4", socket.inet_ntop(socket.AF_INET, b"\x7f\0\0\1"))
res("pton6", socket.inet_pton(socket.AF_INET6, "fec0::2"))
res(
    "ntop6",
    socket.inet_ntop(socket.AF_INET6, socket.inet_pton(socket.AF_INET6, "2001:db8::1")),
)
res("bad_text", err(socket.inet_pton, socket.AF_INET, "1.2.3.256"))
res("bad_af", err(socket.inet_pton, 99, "1.2.3.4"))
res("bad_len", err(socket.inet_ntop, socket.AF_INET, b"123"))
