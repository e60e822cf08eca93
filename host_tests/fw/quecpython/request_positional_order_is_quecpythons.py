# request.request(method, url, data, json, files, stream, decode, sizeof, timeout,
# headers) and request.post(url, data, ...) with every argument positional, in
# QuecPython's order; recv_size() reads the body sizeof bytes at a time.
import request
from fwtest import PEER, param

base = "http://" + PEER + ":" + str(param("port"))
url = base + "/echo"
r = request.request(
    "POST", url, None, {"a": 1}, None, None, False, 100, 10, {"X-Q": "pos"}
)
pieces = list(r.content)
body = b"".join(pieces)
print(
    "request",
    r.status_code,
    all(isinstance(p, bytes) for p in pieces),
    max(len(p) for p in pieces) <= 100,
    b'"X-Q": "pos"' in body,
    b'"body": "{\\"a\\": 1}"' in body,
)
r = request.post(url, "raw", None, None, None, True, 64, 10, {"X-Q": "post"})
j = r.json()
print("post", j["method"], j["body"], j["headers"]["X-Q"])
r = request.get(base + "/bytes/300", sizeof=128)
sizes = []
while True:
    b = r.recv_size()
    if not b:
        break
    sizes.append(len(b))
r.close()
print("recv_size", sizes)
