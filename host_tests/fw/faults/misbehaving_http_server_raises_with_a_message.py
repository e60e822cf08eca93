# A GET (timeout 2 s) against an HTTP peer that misbehaves (the PC picks how):
# prints the exception's type and arguments, and how long it took; nothing
# leaks but the TIME_WAIT pcb of urequests' close.
import time

import urequests
from faulttest import leak_check
from fwtest import PEER, param, res

url = "http://" + PEER + ":" + str(param("port")) + "/x"


def case():
    t = time.ticks_ms()
    try:
        r = urequests.get(url, timeout=2)
        try:
            len(r.content)  # reads the body
        finally:
            r.close()
        res("outcome", "ok")
    except (ValueError, OSError) as e:
        res("outcome", (type(e).__name__, [str(a) for a in e.args]))
    res("ms", time.ticks_diff(time.ticks_ms(), t))


leak_check(case, allow_pcb=1)
