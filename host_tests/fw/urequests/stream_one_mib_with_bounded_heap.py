# Streams 1 MiB (param "path") in 1 KiB pieces; prints the byte count, the
# biggest piece, a checksum and the peak live-heap growth (gc.collect() after each
# piece, so only what the client keeps alive counts, not garbage).
import gc

import urequests
from fwtest import PEER, param
from reqtest import out

gc.collect()
url = "http://" + PEER + ":" + str(param("port")) + param("path")
r = urequests.get(url, stream=True, timeout=20)
gc.collect()
base = gc.mem_alloc()
peak = 0
n = 0
total = 0
biggest = 0
for chunk in r.iter_content(1024):
    n += len(chunk)
    biggest = max(biggest, len(chunk))
    total = (total + sum(chunk)) & 0xFFFFFFFF
    del chunk
    gc.collect()
    peak = max(peak, gc.mem_alloc() - base)
r.close()
out([n, biggest, total, peak])
