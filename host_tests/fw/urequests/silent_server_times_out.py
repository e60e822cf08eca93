# A server that never answers, and one that stops inside the body: each GET
# (timeout 1.5 s) raises OSError; prints its errno and how long it took.
import json
import time

import urequests
from fwtest import PEER, param


def out(x):
    print("R " + json.dumps(x))


def catch(f):
    # [exception type, message, errno] of what f raised, or None.
    try:
        f()
    except Exception as e:  # noqa: BLE001  (any exception is a result)
        return [type(e).__name__, str(e), getattr(e, "errno", None)]
    return None


base = "http://" + PEER + ":" + str(param("port"))
for path in ("/never", "/hang"):
    t = time.ticks_ms()
    e = catch(lambda p=path: urequests.get(base + p, timeout=1.5).content)
    out([e[0], e[2], time.ticks_diff(time.ticks_ms(), t)])
