# request (QuecPython's HTTP API): a URL without a scheme is http://; content
# and text are generators of sizeof-sized pieces (text never splits a character)
# that give nothing a second time; a dict body is sent as JSON; json() parses the
# reply. The peer's /text route answers param "text", chunked.
import request
from fwtest import PEER, param

text = param("text")

base = PEER + ":" + str(param("port"))  # no scheme: http:// is assumed
r = request.get(base + "/bytes/1000", sizeof=100, decode=False, timeout=10)
pieces = list(r.content)
print(
    "bytes",
    r.status_code,
    r.headers["content-length"],
    [len(p) for p in pieces],
    sum(sum(p) for p in pieces),
)
print("again", list(r.content))
r = request.get("http://" + base + "/text", timeout=10)
pieces = list(r.text)
print(
    "text",
    "".join(pieces) == text,
    max(len(p.encode()) for p in pieces) <= 258,
    all(isinstance(p, str) for p in pieces),
)
r = request.post("http://" + base + "/echo", data={"a": 1}, headers={"X-Q": "1"})
j = r.json()
print("json", j["body"], j["headers"]["Content-Type"], j["headers"]["X-Q"])
r = request.put("http://" + base + "/echo", data="raw text")
print("put", r.json()["body"])
