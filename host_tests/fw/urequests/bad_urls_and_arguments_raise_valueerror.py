# Malformed URLs, header names and values, methods and bodies: each call
# raises (ValueError or TypeError) before anything is sent; prints what it was.
import json

import urequests


def out(x):
    print("R " + json.dumps(x))


def catch(f):
    # [exception type, message, errno] of what f raised, or None.
    try:
        f()
    except Exception as e:  # noqa: BLE001  (any exception is a result)
        return [type(e).__name__, str(e), getattr(e, "errno", None)]
    return None


for url in (
    "ftp://x/",
    "http://",
    "no-scheme.example/",
    "http://h:99999/",
    "http://h:x/",
    "http://a b/",
    "http://[::1/",
    "http://h/\r\nX: y",
):
    out(catch(lambda u=url: urequests.get(u)))
out(catch(lambda: urequests.get("http://h.example/", headers={"X": "a\r\nB: c"})))
out(catch(lambda: urequests.get("http://h.example/", headers={"Bad Name": "v"})))
out(catch(lambda: urequests.request("GE T", "http://h.example/")))
out(catch(lambda: urequests.post("http://h.example/", data=12.5)))
