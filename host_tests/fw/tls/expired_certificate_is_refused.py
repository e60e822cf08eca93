# The server's certificate comes from the test CA (in certs/) but its validity
# ended in 2021: the firmware's clock must say so (on the QEMU target, the date it
# read from the PC at power-on), and the message names the reason.
try:
    import tls  # noqa: F401
except ImportError:
    print("SKIP")
    raise SystemExit

import urequests
from fwtest import PEER, param, res

url = "https://" + PEER + ":" + str(param("port")) + "/"
try:
    res("error", urequests.get(url, timeout=10).status_code)
except Exception as e:  # noqa: BLE001  (the exception is the result)
    res("error", [type(e).__name__, str(e)])
