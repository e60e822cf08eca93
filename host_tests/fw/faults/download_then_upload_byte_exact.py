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
    # Per call: at 5 % loss a segment can need several retransmissions, each
    # after a longer wait (lwIP doubles its timeout); 30 s once ran out in a full
    # suite run on a loaded machine.
    s.settimeout(60)
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
