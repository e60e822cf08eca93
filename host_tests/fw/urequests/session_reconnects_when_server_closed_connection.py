# A Session whose server closed the connection (silently after /bye, or saying
# Connection: close) sends the next request over a new one.
import time

import urequests
from fwtest import PEER, param
from reqtest import out

base = "http://" + PEER + ":" + str(param("port"))
s = urequests.Session()
seen = []
for path in ("/bye", "/echo", "/close", "/echo", "/bye"):
    r = s.get(base + path, timeout=10)
    seen.append(r.status_code)
    len(r.content)  # reads the body
    time.sleep_ms(200)  # let the server's FIN arrive
seen.append(s.get(base + "/echo", timeout=10).json()["connection"])
s.close()
out(seen)
