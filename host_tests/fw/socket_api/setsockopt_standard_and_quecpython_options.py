# setsockopt() with the standard options and QuecPython's TCP_KEEPALIVE (minutes,
# 1 to 120) on TCP and UDP sockets: what err() made of each.
import socket
import struct

from fwtest import err, res

s = socket.socket()
res("reuseaddr", err(s.setsockopt, socket.SOL_SOCKET, socket.SO_REUSEADDR, 1))
res(
    "reuseaddr_bytes",
    err(s.setsockopt, socket.SOL_SOCKET, socket.SO_REUSEADDR, struct.pack("i", 1)),
)
res("keepalive", err(s.setsockopt, socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1))
res("nodelay", err(s.setsockopt, socket.IPPROTO_TCP, socket.TCP_NODELAY, 1))
res("nodelay_off", err(s.setsockopt, socket.IPPROTO_TCP, socket.TCP_NODELAY, False))
for v in (1, 60, 120, 0, 121, -1):
    res(
        "keepalive_min_" + str(v),
        err(s.setsockopt, socket.SOL_SOCKET, socket.TCP_KEEPALIVE, v),
    )
res("unknown_opt", err(s.setsockopt, socket.SOL_SOCKET, 0x7777, 1))
res("unknown_level", err(s.setsockopt, 1234, socket.SO_REUSEADDR, 1))
res("bad_bytes", err(s.setsockopt, socket.SOL_SOCKET, socket.SO_REUSEADDR, b"xy"))
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
res("udp_reuse", err(u.setsockopt, socket.SOL_SOCKET, socket.SO_REUSEADDR, 1))
res("udp_broadcast", err(u.setsockopt, socket.SOL_SOCKET, socket.SO_BROADCAST, 1))
res("udp_nodelay", err(u.setsockopt, socket.IPPROTO_TCP, socket.TCP_NODELAY, 1))
res("udp_keepalive", err(u.setsockopt, socket.SOL_SOCKET, socket.TCP_KEEPALIVE, 1))
