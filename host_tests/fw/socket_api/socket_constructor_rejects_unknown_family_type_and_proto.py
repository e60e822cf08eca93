# socket() with an unknown family or type, or a proto that does not go with the
# type: the error each raises.
import socket

from fwtest import err, res

res("family", err(socket.socket, 99))
res("type", err(socket.socket, socket.AF_INET, 99))
res(
    "tcp_as_udp",
    err(socket.socket, socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_TCP),
)
res(
    "udp_as_tcp",
    err(socket.socket, socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_UDP),
)
