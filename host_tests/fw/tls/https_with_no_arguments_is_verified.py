# With the test CA as a PEM file in certs/ (the test puts it there), every API
# verifies the server with no TLS argument: urequests and request, by address and
# by name; ssl.wrap_socket and ussl.wrap_socket when asked to verify (upstream's
# default is not to); a default context.
try:
    import tls  # noqa: F401
except ImportError:
    print("SKIP")
    raise SystemExit

import ssl

import request
import urequests
import ussl
from fwtest import param, res
from tlstest import connect, get_over, url

name = param("name")  # the server's name in the test DNS (its certificate has it)


r = urequests.get(url("/echo"))
res("urequests", [r.status_code, r.json()["path"]])
r = urequests.get(url("/echo", name))
res("urequests_by_name", r.json()["headers"]["Host"])
r = request.get(url("/"))
res("request", [r.status_code, "".join(r.text)])
req = ssl.CERT_REQUIRED
res("ssl", get_over(ssl.wrap_socket(connect(), server_hostname=name, cert_reqs=req)))
res("ussl", get_over(ussl.wrap_socket(connect(), server_hostname=name, cert_reqs=req)))
# QuecPython's positional order: sock, server_hostname.
res("ussl_positional", get_over(ussl.wrap_socket(connect(), name, cert_reqs=req)))
ctx = ssl.create_default_context()
res("context", get_over(ctx.wrap_socket(connect(), server_hostname=name)))
