# A redirect from https to plain http is never followed: InsecureRedirect, whose
# message carries the target URL, and the http server gets no request. The server
# is verified against the store (the test CA in certs/).
try:
    import tls  # noqa: F401
except ImportError:
    print("SKIP")
    raise SystemExit

import urequests
from fwtest import PEER, param, res

port = param("port")

try:
    urequests.get("https://" + PEER + ":" + str(port) + "/down", timeout=10)
    res("error", None)
except Exception as e:  # noqa: BLE001  (the exception is the result)
    res("error", [type(e).__name__, str(e)])
