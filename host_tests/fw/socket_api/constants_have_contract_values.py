# The module's constants: each one's value, or None where it is missing.
import socket

from fwtest import res

NAMES = (
    "AF_INET",
    "AF_INET6",
    "SOCK_STREAM",
    "SOCK_DGRAM",
    "SOCK_RAW",
    "IPPROTO_IP",
    "IPPROTO_TCP",
    "IPPROTO_UDP",
    "IPPROTO_TCP_SER",
    "TCP_CUSTOMIZE_PORT",
    "SOL_SOCKET",
    "SO_REUSEADDR",
    "SO_KEEPALIVE",
    "SO_BROADCAST",
    "TCP_NODELAY",
    "TCP_KEEPALIVE",
    "SHUT_RD",
    "SHUT_WR",
    "SHUT_RDWR",
)

for n in NAMES:
    res(n, getattr(socket, n, None))
