# A generator body with the caller's own Content-Length is sent as is, not
# chunked (the PC checks the wire).

import urequests
from fwtest import PEER, param

base = "http://" + PEER + ":" + str(param("port"))
gen = (b"x" * 10 for i in range(3))
urequests.post(base + "/echo", data=gen, headers={"Content-Length": "30"}, timeout=10)
