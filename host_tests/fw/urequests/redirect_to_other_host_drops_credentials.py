# A redirect to another host (param "to"): prints the final status and URL;
# the PC checks which headers each server got.

import urequests
from fwtest import PEER, param
from reqtest import out

base = "http://" + PEER + ":" + str(param("port"))
r = urequests.get(
    base + "/redirect/302?to=" + param("to"),
    auth=("u", "p"),
    headers={"Authorization": "Bearer t", "X-Keep": "1"},
    timeout=10,
)
out([r.status_code, r.url])
