# A chunked response with chunk extensions and trailers is read whole, and the
# trailer is consumed: the session's next request goes over the same connection.

import urequests
from fwtest import PEER, param
from reqtest import out

base = "http://" + PEER + ":" + str(param("port"))
s = urequests.Session()
r = s.get(base + "/chunks", timeout=10)
out([len(r.content), r.content[:6].decode(), r.content[-5:].decode()])
out(s.get(base + "/echo", timeout=10).json()["connection"])
s.close()
