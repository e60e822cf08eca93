# A PUT redirected by 303 arrives as GET, by 301 still as PUT.

import urequests
from fwtest import PEER, param
from reqtest import out

base = "http://" + PEER + ":" + str(param("port"))
r = urequests.put(base + "/redirect/303?to=/echo", data=b"x", timeout=10)
out(r.json()["method"])
r = urequests.put(base + "/redirect/301?to=/echo", data=b"x", timeout=10)
out(r.json()["method"])
