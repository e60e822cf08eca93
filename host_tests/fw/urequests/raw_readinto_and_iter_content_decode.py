# A streamed body read with raw.readinto() to its end, and a chunked UTF-8 body
# read with iter_content(7, decode_unicode=True): no character split across
# pieces, and the text (param "text") comes back whole.

import urequests
from fwtest import PEER, param
from reqtest import out

base = "http://" + PEER + ":" + str(param("port"))
r = urequests.get(base + "/bytes/5000", stream=True, timeout=10)
buf = bytearray(512)
got = 0
while True:
    k = r.raw.readinto(buf)
    if not k:
        break
    got += k
out(got)
r = urequests.get(base + "/text", stream=True, timeout=10)
pieces = list(r.iter_content(7, decode_unicode=True))
out(["".join(pieces) == param("text"), max(len(p.encode()) for p in pieces) <= 10])
