# A GET to a closed port and one to a name that does not exist: prints what
# each raised.
import json

import urequests
from fwtest import PEER


def out(x):
    print("R " + json.dumps(x))


def catch(f):
    # [exception type, message, errno] of what f raised, or None.
    try:
        f()
    except Exception as e:  # noqa: BLE001  (any exception is a result)
        return [type(e).__name__, str(e), getattr(e, "errno", None)]
    return None


out(catch(lambda: urequests.get("http://" + PEER + ":1/", timeout=5)))
out(catch(lambda: urequests.get("http://nxdomain.invalid/", timeout=5)))
