# getaddrinfo()'s family, type and proto arguments: what each combination gives,
# and an error where the address is of the other family.
import socket

from fwtest import err, res

res(
    "inet_stream",
    socket.getaddrinfo("10.0.2.2", 80, socket.AF_INET, socket.SOCK_STREAM),
)
res(
    "inet_dgram",
    socket.getaddrinfo("10.0.2.2", 53, socket.AF_INET, socket.SOCK_DGRAM),
)
res(
    "dgram_udp",
    socket.getaddrinfo("10.0.2.2", 53, 0, socket.SOCK_DGRAM, socket.IPPROTO_UDP, 0),
)
res("v4_as_v6", err(socket.getaddrinfo, "10.0.2.2", 80, socket.AF_INET6))
res("v6_as_v4", err(socket.getaddrinfo, "fec0::2", 80, socket.AF_INET))
res("bad_family", err(socket.getaddrinfo, "10.0.2.2", 80, 99))
res(
    "name_v4",
    socket.getaddrinfo("test.example", 443, socket.AF_INET, socket.SOCK_STREAM),
)
