# DELETE without a body, HEAD (headers, no body) and POST without data
# (Content-Length: 0).

import urequests
from fwtest import PEER, param
from reqtest import out

base = "http://" + PEER + ":" + str(param("port"))
r = urequests.delete(base + "/echo", timeout=10)
out([r.json()["method"]])
r = urequests.head(base + "/bytes/500", timeout=10)
out([r.status_code, r.headers["Content-Length"], r.content])
r = urequests.post(base + "/echo", timeout=10)
out([r.json()["body_len"]])
