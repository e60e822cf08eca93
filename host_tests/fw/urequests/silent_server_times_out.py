# A server that never answers, and one that stops inside the body: each GET
# (timeout 1.5 s) raises OSError; prints its errno and how long it took.
import time

import urequests
from fwtest import PEER, param
from reqtest import catch, out

base = "http://" + PEER + ":" + str(param("port"))
for path in ("/never", "/hang"):
    t = time.ticks_ms()
    e = catch(lambda p=path: urequests.get(base + p, timeout=1.5).content)
    out([e[0], e[2], time.ticks_diff(time.ticks_ms(), t)])
