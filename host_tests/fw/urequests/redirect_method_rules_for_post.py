# A POST redirected with param("code"): prints the final status, the method
# and body the echo saw, and the final URL.

import urequests
from fwtest import PEER, param
from reqtest import out

base = "http://" + PEER + ":" + str(param("port"))
r = urequests.post(
    base + "/redirect/" + str(param("code")) + "?to=/echo",
    data=b"payload",
    headers={"Content-Type": "text/plain"},
    timeout=10,
)
j = r.json()
out([r.status_code, j["method"], j["body"], r.url])
