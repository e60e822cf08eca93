# A form field and a file sent as multipart/form-data (the PC checks the body
# and its Content-Length).
import io

import urequests
from fwtest import PEER, param

base = "http://" + PEER + ":" + str(param("port"))
urequests.post(
    base + "/echo",
    data={"field": "v"},
    files={"up": ("a.txt", io.BytesIO(b"file-bytes"), "text/plain")},
    timeout=10,
)
