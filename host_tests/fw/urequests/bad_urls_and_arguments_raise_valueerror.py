# Malformed URLs, header names and values, methods and bodies: each call
# raises (ValueError or TypeError) before anything is sent; prints what it was.

import urequests
from reqtest import catch, out

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
