# A name the DNS server never answers (the PC makes it silent): the GET's
# timeout (2 s) bounds the lookup; prints the exception and how long it took.
import json
import time

import urequests
from fwtest import param


def out(x):
    print("R " + json.dumps(x))


def catch(f):
    # [exception type, message, errno] of what f raised, or None.
    try:
        f()
    except Exception as e:  # noqa: BLE001  (any exception is a result)
        return [type(e).__name__, str(e), getattr(e, "errno", None)]
    return None


url = "http://silent.example:" + str(param("port")) + "/"
t = time.ticks_ms()
e = catch(lambda: urequests.get(url, timeout=2))
out([e[0], time.ticks_diff(time.ticks_ms(), t)])
