# Every documented function of the module and method of a socket exists and is
# callable: the lists of those that are not (empty when all are there).
import socket

from fwtest import res

FUNCTIONS = ("socket", "getaddrinfo", "inet_pton", "inet_ntop")
METHODS = (
    "close",
    "bind",
    "listen",
    "accept",
    "connect",
    "send",
    "sendall",
    "recv",
    "sendto",
    "recvfrom",
    "setsockopt",
    "settimeout",
    "setblocking",
    "makefile",
    "read",
    "readall",
    "readinto",
    "readline",
    "write",
    "getsocketsta",
    "shutdown",
    "getsockname",
    "getpeername",
    "__enter__",
    "__exit__",
)

s = socket.socket()
res("functions", [n for n in FUNCTIONS if not callable(getattr(socket, n, None))])
res("methods", [n for n in METHODS if not callable(getattr(s, n, None))])
