# A GET whose response is malformed (the PC's server sends it and closes):
# prints the exception that reading it raised.
import json

import urequests
from fwtest import PEER, param


def out(x):
    print("R " + json.dumps(x))


def catch(f):
    # [exception type, message, errno] of what f raised, or None.
    try:
        f()
    except Exception as e:  # noqa: BLE001  (any exception is a result)
        return [type(e).__name__, str(e), getattr(e, "errno", None)]
    return None


url = "http://" + PEER + ":" + str(param("port")) + "/bad"
out(catch(lambda: urequests.get(url, timeout=5).content))
