# A GET of param("path"), which the server redirects (how is up to the test):
# prints the URL the redirects ended at.

import urequests
from fwtest import PEER, param
from reqtest import out

base = "http://" + PEER + ":" + str(param("port"))
r = urequests.get(base + param("path"), timeout=10)
out(r.url)
