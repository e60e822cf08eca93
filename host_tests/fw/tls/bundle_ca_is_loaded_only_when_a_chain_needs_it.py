# The bundle is testbundle.py (the test builds it with tools/cabundle.py): a real
# root first, so a context starts with it, then the test CA. part=urequests: the
# first handshake fails against the real root; the chain's issuer is found in the
# bundle, loaded, and a new connection succeeds; a second request reuses the
# learned CA. part=wrap_socket: the same on the caller's socket, whose
# replacement connection wrap_socket returns.
import socket

try:
    import tls  # noqa: F401
except ImportError:
    print("SKIP")
    raise SystemExit

import ssl

import urequests
from fwtest import PEER, param, res
from testbundle import BUNDLE

ssl._BUNDLE = BUNDLE
port = param("port")

if param("part") == "urequests":
    url = "https://" + PEER + ":" + str(port) + "/echo"
    r = urequests.get(url, timeout=10)
    res("first", [r.status_code, r.json()["connection"]])
    r = urequests.get(url, timeout=10)
    res("second", [r.status_code, r.json()["connection"]])
    res("learned", len(ssl._learned))
else:
    s = socket.socket()
    s.settimeout(10)
    s.connect(socket.getaddrinfo(PEER, port)[0][-1])
    req = ssl.CERT_REQUIRED
    t = ssl.wrap_socket(s, server_hostname=param("name"), cert_reqs=req)
    t.write(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    res("wrap_socket", t.read().split(b"\r\n")[0].decode())
    t.close()
