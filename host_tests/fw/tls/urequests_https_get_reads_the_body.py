# A verified urequests GET over TLS whose body spans several TLS records: read
# whole with .content, then again as a stream with .raw, and compared with the
# pattern the server sent.
try:
    import tls  # noqa: F401
except ImportError:
    print("SKIP")
    raise SystemExit

import gc

import urequests
from fwtest import PEER, param, pattern, res

port = param("port")
n = param("n")
url = "https://" + PEER + ":" + str(port) + "/body"


r = urequests.get(url, timeout=10)
body = r.content
res("status", r.status_code)
res("length", len(body))
res("same", body == pattern(n))
del body, r
gc.collect()

r = urequests.get(url, timeout=10, stream=True)
got = 0
same = True
while True:
    chunk = r.raw.read(1024)
    if not chunk:
        break
    same = same and chunk == pattern(len(chunk), offset=got)
    got += len(chunk)
r.close()
res("streamed", [got, same])
