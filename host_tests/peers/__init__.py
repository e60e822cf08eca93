"""Loopback peers for the host tests: the real servers the firmware talks to.

Everything here is plain CPython on the standard library. Every server binds
127.0.0.1 only (the firmware may reach nothing but this machine's
loopback), picks a free port itself, serves from daemon threads, and stops all of
its threads in ``close()`` so a test leaves nothing running behind it.

Inside the firmware, 127.0.0.1:PORT on the PC is reached as 10.0.2.2:PORT (the
slirp host alias); ``FIRMWARE_HOST`` names it so tests don't spell it out.

One module per protocol: ``base`` (addresses, ports, byte patterns), ``tcp``,
``udp``, ``dns``, ``web`` (HTTP/1.1) and ``tls`` (certificates, HTTPS). Tests import
every name from the package itself.
"""

from .base import (
    FIRMWARE_HOST,
    FIRMWARE_HOST6,
    LOOPBACK,
    LWIP_USAGE,
    MP_PATTERN_SRC,
    free_port,
    free_udp_port,
    pattern,
    recv_all,
    rst_close,
    send_bytes,
)
from .dns import DNS_MODES, QTYPES, DnsServer, build_dns_query, parse_dns_response
from .tcp import EchoServer, Sink, TcpServer, sink, source
from .tls import Certs, HttpsServer
from .udp import UdpEchoServer
from .web import BadRequest, Headers, HttpServer, Raw, Request, Response, redirect

__all__ = [
    "DNS_MODES",
    "FIRMWARE_HOST",
    "FIRMWARE_HOST6",
    "LOOPBACK",
    "LWIP_USAGE",
    "MP_PATTERN_SRC",
    "QTYPES",
    "BadRequest",
    "Certs",
    "DnsServer",
    "EchoServer",
    "Headers",
    "HttpServer",
    "HttpsServer",
    "Raw",
    "Request",
    "Response",
    "Sink",
    "TcpServer",
    "UdpEchoServer",
    "build_dns_query",
    "free_port",
    "free_udp_port",
    "parse_dns_response",
    "pattern",
    "recv_all",
    "redirect",
    "rst_close",
    "send_bytes",
    "sink",
    "source",
]
