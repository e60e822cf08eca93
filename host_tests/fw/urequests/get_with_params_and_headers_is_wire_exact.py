# A GET with params= and headers=: the request line and headers are checked on
# the wire by the PC; the caller's headers dict comes back unchanged.

import urequests
from fwtest import PEER, param
from reqtest import out

h = {"X-Token": "abc"}
r = urequests.get(
    "http://" + PEER + ":" + str(param("port")) + "/echo?x=0",
    params=[("a", "1"), ("b", "x y"), ("c", "é&=")],
    headers=h,
    timeout=10,
)
out([r.status_code, r.reason, h])
