# One request with the body given as param("case") (bytes, str, form dict or
# pairs, json, generator, file); prints the body length the server echoed. The
# PC checks the exact bytes it received.
import io

import urequests
from fwtest import PEER, param
from reqtest import out


def body(case):
    # The keyword arguments that give the body of each case.
    if case == "bytes":
        return {"data": b"\x00\x01raw"}
    if case == "str counted in bytes":
        return {"data": "héllo €"}
    if case == "form dict":
        return {"data": {"k": "a b&c"}}
    if case == "form pairs":
        return {"data": [("a", 1), ("a", 2), ("b", "é")]}
    if case == "json":
        return {"json": {"a": [1, "x"]}}
    if case == "generator":
        return {"data": (p for p in (b"abc", "déf", b"", b"g" * 300))}
    if case == "file":
        return {"data": io.BytesIO(b"file body")}
    raise ValueError("unknown case '" + case + "'")


url = "http://" + PEER + ":" + str(param("port")) + "/echo"
r = urequests.request(param("method"), url, timeout=10, **body(param("case")))
out(r.json()["body_len"])
