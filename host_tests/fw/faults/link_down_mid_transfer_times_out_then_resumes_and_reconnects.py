# The link goes down (LAN.active(False)) after 32 KiB of a param("n")-byte
# download: recv gives what had arrived, then ETIMEDOUT. Back up, the same
# connection resumes byte-exact (checked piece by piece, so a board needs no
# n-byte buffer) and a new one (to param("rev")) works.
import socket
import time

import network
from faulttest import leak_check
from fwtest import PEER, param, pattern, res

src = param("src")
rev = param("rev")
n = param("n")
LAN = network.LAN()
got = 0
ok = True


def take(b):
    # Checks a piece of the download against the pattern where it belongs.
    global got, ok
    if b != pattern(len(b), 5, got):
        ok = False
    got += len(b)


def read_exact(s, k):
    got = bytearray()
    while len(got) < k:
        b = s.recv(min(4096, k - len(got)))
        if not b:
            break
        got.extend(b)
    return bytes(got)


def case():
    s = socket.socket()
    s.settimeout(5)
    s.connect((PEER, src))
    while got < 32768:
        take(s.recv(4096))
    LAN.active(False)
    s.settimeout(1)
    t = time.ticks_ms()
    while True:
        try:
            b = s.recv(4096)  # whatever arrived before the link went down
        except OSError as e:
            res("down_err", (e.args[0], time.ticks_diff(time.ticks_ms(), t) < 3000))
            break
        if not b:
            res("down_err", "eof")
            break
        take(b)
        t = time.ticks_ms()
    res("down_isconnected", LAN.isconnected())
    LAN.active(True)
    # The same connection resumes (the peer retransmits) ...
    s.settimeout(20)
    while got < n:
        b = s.recv(4096)
        if not b:
            break
        take(b)
    res("resumed", (got, ok))
    # ... and a new connection works.
    s2 = socket.socket()
    s2.settimeout(5)
    s2.connect((PEER, rev))
    msg = pattern(64, 7)
    s2.sendall(msg)
    res("new_conn", (read_exact(s2, 64) == bytes(reversed(msg)), s2.recv(1)))
    s2.close()
    s.sendall(b"bye")
    res("old_eof", s.recv(1))
    s.close()


leak_check(case)
