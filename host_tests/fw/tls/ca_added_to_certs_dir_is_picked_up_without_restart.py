# A CA written to certs/ while the program runs is picked up at the next
# verification that fails: no restart, no TLS argument.
import os

try:
    import tls  # noqa: F401
except ImportError:
    print("SKIP")
    raise SystemExit

import urequests
from fwtest import PEER, param, res
from tlstest import error_name

url = "https://" + PEER + ":" + str(param("port")) + "/"


res("before", error_name(lambda: urequests.get(url, timeout=10)))
try:
    os.mkdir("certs")
except OSError:
    pass
with open("certs/added.pem", "w") as f:
    f.write(param("pem"))
res("after", urequests.get(url, timeout=10).status_code)
res("written", "added.pem" in os.listdir("certs"))
