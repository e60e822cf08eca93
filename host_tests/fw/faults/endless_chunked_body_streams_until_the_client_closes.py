# An endless chunked body read with stream=True: byte-exact for the first
# param("n") bytes, then close() mid-body returns at once; nothing leaks but
# the TIME_WAIT pcb of urequests' close.
import time

import urequests
from faulttest import leak_check
from fwtest import PEER, param, pattern, res

url = "http://" + PEER + ":" + str(param("port")) + "/x"
n = param("n")


def case():
    r = urequests.get(url, timeout=2, stream=True)
    got = 0
    ok = True
    for b in r.iter_content(4096):
        if b != pattern(len(b), 6, got):
            ok = False
        got += len(b)
        if got >= n:
            break
    t = time.ticks_ms()
    r.close()
    res("read", (got >= n, ok))
    res("close_ms", time.ticks_diff(time.ticks_ms(), t))


leak_check(case, allow_pcb=1)
