# The peer aborts (RST) while we block in recv: ECONNRESET at once, once more
# (as lwIP's socket layer reports it), then ENOTCONN; nothing leaks.
import socket
import time

from faulttest import leak_check
from fwtest import PEER, err, param, res

port = param("port")


def case():
    s = socket.socket()
    s.settimeout(5)
    s.connect((PEER, port))
    t = time.ticks_ms()
    res("recv", err(s.recv, 10))
    res("fast", time.ticks_diff(time.ticks_ms(), t) < 3000)
    # As on lwIP's socket layer (docs/socket-semantics.md): the mailbox's
    # marker, then the pending error, then ENOTCONN.
    res("again", err(s.recv, 10))
    res("then", err(s.recv, 10))
    s.close()


leak_check(case)
