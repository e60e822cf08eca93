# Downloads param("n") bytes of pattern(n, 1), checked piece by piece, then
# uploads pattern(n, 2) in 4 KiB pieces and reads the peer's "done" and EOF;
# nothing leaks (faulttest.leak_check). The test adds the fault (loss, delay).
import socket
import time

from faulttest import leak_check, recv_until_error
from fwtest import PEER, param, pattern, res

port = param("port")
n = param("n")


def case():
    s = socket.socket()
    # Per call: a hang guard above lwIP's retransmission waits. A lost segment is
    # sent again after the RTO, which is 3 s until lwIP's estimate comes down
    # (LWIP_TCP_RTO_TIME; measured in 500 ms ticks, it stays near that early on
    # and on a loaded machine), and each further loss doubles the wait
    # (tcp_backoff in lwIP's tcp.c). Four lost retransmissions (or their ACKs)
    # in a row: 3 + 6 + 12 + 24 + 48 = 93 s without progress (87 s when the first
    # was a fast retransmission, which lwIP counts too). Three, 39-45 s,
    # outlasted the 30 s this once was (docs/testing.md, fault matrix).
    # tools/loss_stall.py runs this script in a loop.
    s.settimeout(param("timeout", 120))
    t = time.ticks_ms()
    s.connect((PEER, port))
    res("connect_ms", time.ticks_diff(time.ticks_ms(), t))
    # Compared piece by piece against the pattern: no second big buffer.
    got = 0
    ok = True
    while got < n:
        b = s.recv(4096)
        if not b:
            break
        if b != pattern(len(b), 1, got):
            ok = False
        got += len(b)
    res("down", (got, ok))
    sent = 0
    while sent < n:
        k = min(4096, n - sent)
        try:
            s.sendall(pattern(k, 2, sent))
        except OSError as e:
            # Where it stopped, for the failure message.
            res("upload_failed", (sent, e.args[0], s.getsocketsta()))
            raise
        sent += k
    res("tail", recv_until_error(s))
    s.close()


leak_check(case)
