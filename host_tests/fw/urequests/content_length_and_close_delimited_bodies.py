# Bodies framed by Content-Length, by the server's close and by chunks, each read
# whole: their lengths, and sums to compare with the pattern on the PC.

import urequests
from fwtest import PEER, param
from reqtest import out

base = "http://" + PEER + ":" + str(param("port"))
a = urequests.get(base + "/bytes/100000", timeout=10).content
b = urequests.get(base + "/until-close", timeout=10).content
c = urequests.get(base + "/stream/100000?chunk=777", timeout=10).content
out([len(a), len(b), len(c), a == c, sum(a) & 0xFFFFFFFF, sum(b) & 0xFFFFFFFF])
