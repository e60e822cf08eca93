# A connect to 10.0.2.99, which the bridge's safety filter drops (the PC reads
# its counter): ETIMEDOUT after the 2 s timeout; nothing leaks once the
# unanswered ARP entry, which holds the SYN, has expired.
import socket
import time

from faulttest import leak_check
from fwtest import err, res


def case():
    s = socket.socket()
    s.settimeout(2)
    t = time.ticks_ms()
    res("connect", err(s.connect, ("10.0.2.99", 80)))
    ms = time.ticks_diff(time.ticks_ms(), t)
    res("in_bound", 1900 <= ms < 3500)
    s.close()


leak_check(case, settle_ms=15000)
