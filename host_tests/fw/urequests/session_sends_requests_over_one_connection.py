# A Session keeps one connection for GET, POST, HEAD, a chunked body, a streamed
# body read to its end and a redirect; prints the server's connection number of
# each request that echoes it.

import urequests
from fwtest import PEER, param
from reqtest import out

base = "http://" + PEER + ":" + str(param("port"))
with urequests.Session() as s:
    s.headers["X-Session"] = "1"
    conns = []
    for i in range(5):
        r = s.get(base + "/echo", params={"i": i}, timeout=10)
        conns.append(r.json()["connection"])
    conns.append(s.post(base + "/echo", json={"n": 1}, timeout=10).json()["connection"])
    s.head(base + "/bytes/10", timeout=10)
    len(s.get(base + "/stream/5000", timeout=10).content)
    r = s.get(base + "/bytes/3000", stream=True, timeout=10)
    for chunk in r.iter_content(1000):
        pass
    r = s.get(base + "/redirect/302?to=/echo", timeout=10)
    conns.append(r.json()["connection"])
    out(conns)
