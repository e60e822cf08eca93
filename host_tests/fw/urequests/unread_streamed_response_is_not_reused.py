# A streamed response closed with its body unread leaves its connection out of
# step: the session's next request must open a new one (connection 2).

import urequests
from fwtest import PEER, param
from reqtest import out

base = "http://" + PEER + ":" + str(param("port"))
s = urequests.Session()
r = s.get(base + "/bytes/100000", stream=True, timeout=10)
r.raw.read(10)
r.close()
out(s.get(base + "/echo", timeout=10).json()["connection"])
