# A GET of param("path"), which the server redirects (how is up to the test):
# prints the URL the redirects ended at.
import json

import urequests
from fwtest import PEER, param


def out(x):
    print("R " + json.dumps(x))


base = "http://" + PEER + ":" + str(param("port"))
r = urequests.get(base + param("path"), timeout=10)
out(r.url)
