# A redirect loop: TooManyRedirects (a ValueError) after max_redirects, or the
# default 10; allow_redirects=False returns the 302 itself.

import urequests
from fwtest import PEER, param
from reqtest import catch, out

url = "http://" + PEER + ":" + str(param("port")) + "/loop"
out(catch(lambda: urequests.get(url, max_redirects=3, timeout=10)))
try:
    urequests.get(url, timeout=10)
except ValueError as e:
    out([isinstance(e, urequests.TooManyRedirects), str(e)])
r = urequests.get(url, allow_redirects=False, timeout=10)
out([r.status_code, r.headers["location"]])
