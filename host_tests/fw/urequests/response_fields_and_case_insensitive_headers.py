# The fields of a response and its headers, looked up in any case; repeated
# headers are joined with a comma.

import urequests
from fwtest import PEER, param
from reqtest import out

base = "http://" + PEER + ":" + str(param("port"))
with urequests.get(base + "/doc", timeout=10) as r:
    h = r.headers
    out(
        [
            r.status_code,
            r.reason,
            r.ok,
            r.encoding,
            h["CONTENT-TYPE"],
            h.get("content-type"),
            "Content-type" in h,
            h.get("missing", "dflt"),
            h["x-multi"],
            r.text,
            r.json(),
            len(r.content),
        ]
    )
