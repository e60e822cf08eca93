# A PUT redirected by 303 arrives as GET, by 301 still as PUT.
import json

import urequests
from fwtest import PEER, param


def out(x):
    print("R " + json.dumps(x))


base = "http://" + PEER + ":" + str(param("port"))
r = urequests.put(base + "/redirect/303?to=/echo", data=b"x", timeout=10)
out(r.json()["method"])
r = urequests.put(base + "/redirect/301?to=/echo", data=b"x", timeout=10)
out(r.json()["method"])
