# A Session's Authorization and Cookie survive a redirect within the origin:
# prints the headers the echo saw.

import urequests
from fwtest import PEER, param
from reqtest import out

base = "http://" + PEER + ":" + str(param("port"))
headers = {"Authorization": "Bearer S", "Cookie": "a=1"}
with urequests.Session(headers=headers) as s:
    out(s.get(base + "/redirect/302?to=/echo", timeout=10).json()["headers"])
