# GET /start, which redirects to another origin and back, once in a Session
# (param "session": its keyword arguments) and once alone; param "call" is
# the call's keyword arguments. The PC checks where the credentials went.

import urequests
from fwtest import PEER, param
from reqtest import out

url = "http://" + PEER + ":" + str(param("port")) + "/start"
with urequests.Session(**param("session")) as s:
    r = s.get(url, timeout=10, **param("call"))
    out([r.status_code, r.url])
r = urequests.get(url, timeout=10, **param("call"))
out(r.status_code)
