# Host names that the test's DNS server fails to resolve (the PC sets its
# mode): connect() with a 1 s timeout and getaddrinfo() raise a negative
# OSError within their bounds; nothing leaks.
import socket
import time

from faulttest import leak_check
from fwtest import err, res


def case():
    # connect() first: its lookup, abandoned after 1 s, runs out in lwIP while
    # getaddrinfo waits, so the settle after the case is short.
    s = socket.socket()
    s.settimeout(1)
    t = time.ticks_ms()
    res("conn", err(s.connect, ("fault2.example", 80)))
    res("conn_ms", time.ticks_diff(time.ticks_ms(), t))
    s.close()
    t = time.ticks_ms()
    res("gai", err(socket.getaddrinfo, "fault.example", 80))
    res("gai_ms", time.ticks_diff(time.ticks_ms(), t))


leak_check(case)
