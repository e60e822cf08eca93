"""usocket: BSD sockets on lwIP (modusocket/modusocket.c, usocket_socket.c).

Also importable as ``socket`` in the firmware.
"""

from collections.abc import Callable
from types import TracebackType
from typing import Final, Self, TypeAlias, overload

__version__: Final[str]

# What send/write/sendto take: anything with the buffer protocol; MicroPython's
# str has it too (QuecPython's examples send str).
_Buffer: TypeAlias = bytes | bytearray | memoryview | str
_WritableBuffer: TypeAlias = bytearray | memoryview
# (ip_or_host, port) for IPv4, (addr, port, flowinfo, scopeid) for IPv6; the
# QuecPython docs allow a list too.
_Address: TypeAlias = tuple[str, int] | tuple[str, int, int, int] | list[str | int]
_AddrInfo: TypeAlias = tuple[int, int, int, str, tuple[str, int]]

AF_INET: Final[int]
AF_INET6: Final[int]
SOCK_STREAM: Final[int]
SOCK_DGRAM: Final[int]
SOCK_RAW: Final[int]
IPPROTO_IP: Final[int]
IPPROTO_TCP: Final[int]
IPPROTO_UDP: Final[int]
IPPROTO_TCP_SER: Final[int]
TCP_CUSTOMIZE_PORT: Final[int]
SOL_SOCKET: Final[int]
SO_REUSEADDR: Final[int]
SO_KEEPALIVE: Final[int]
SO_BROADCAST: Final[int]
# IPPROTO_IP options; the membership value is struct ip_mreq (group, interface).
IP_ADD_MEMBERSHIP: Final[int]
IP_DROP_MEMBERSHIP: Final[int]
IP_MULTICAST_LOOP: Final[int]
TCP_NODELAY: Final[int]
MSG_PEEK: Final[int]
MSG_DONTWAIT: Final[int]
TCP_KEEPALIVE: Final[int]
TCP_KEEPIDLE: Final[int]
TCP_KEEPINTVL: Final[int]
TCP_KEEPCNT: Final[int]
SHUT_RD: Final[int]
SHUT_WR: Final[int]
SHUT_RDWR: Final[int]

def getaddrinfo(
    host: str | None,
    port: int | str | None,
    af: int = 0,
    type: int = 0,
    proto: int = 0,
    flags: int = 0,
    /,
) -> list[_AddrInfo]: ...
def inet_pton(af: int, addr: str, /) -> bytes: ...
def inet_ntop(af: int, packed: bytes | bytearray, /) -> str: ...

class socket:
    def __init__(self, af: int = ..., type: int = ..., proto: int = ..., /) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
        /,
    ) -> None: ...
    def __del__(self) -> None: ...
    def close(self) -> None: ...
    def bind(self, address: _Address, /) -> None: ...
    def listen(self, backlog: int = ..., /) -> None: ...
    # (conn, (ip, port)); a socket made with proto=IPPROTO_TCP_SER returns
    # (conn, ip, port) as QuecPython does.
    def accept(self) -> tuple[socket, tuple[str, int]] | tuple[socket, str, int]: ...
    def connect(self, address: _Address, /) -> None: ...
    def send(self, data: _Buffer, /) -> int: ...
    def sendall(self, data: _Buffer, /) -> None: ...
    def recv(self, bufsize: int, flags: int = 0, /) -> bytes: ...
    def sendto(self, data: _Buffer, address: _Address, /) -> int: ...
    def recvfrom(
        self, bufsize: int, flags: int = 0, /
    ) -> tuple[bytes, tuple[str, int]]: ...
    # Option 20 (SOL_SOCKET) takes a callback(sock), scheduled when the socket has
    # something to read or accept; None removes it.
    def setsockopt(
        self,
        level: int,
        optname: int,
        value: int | _Buffer | Callable[[socket], object] | None,
        /,
    ) -> None: ...
    def settimeout(self, timeout: float | None, /) -> None: ...
    def setblocking(self, flag: bool, /) -> None: ...
    def makefile(self, mode: str = "rb", buffering: int = 0, /) -> socket: ...
    # The lwIP TCP state (0 CLOSED .. 4 ESTABLISHED .. 10 TIME_WAIT); -1 once closed.
    def getsocketsta(self) -> int: ...
    def getsockname(self) -> tuple[str, int]: ...
    def getpeername(self) -> tuple[str, int]: ...
    def shutdown(self, how: int, /) -> None: ...
    # Stream methods: None when a non-blocking socket has nothing yet.
    # py/stream.c's forms: read([size]), readline([limit]), -1 for no limit.
    def read(self, size: int = -1, /) -> bytes | None: ...
    def readall(self) -> bytes | None: ...
    def readinto(self, buf: _WritableBuffer, nbytes: int = ..., /) -> int | None: ...
    def readline(self, limit: int = -1, /) -> bytes | None: ...
    # write(buf[, max_len]) or write(buf, off, max_len).
    @overload
    def write(self, buf: _Buffer, max_len: int = ..., /) -> int | None: ...
    @overload
    def write(self, buf: _Buffer, off: int, max_len: int, /) -> int | None: ...
