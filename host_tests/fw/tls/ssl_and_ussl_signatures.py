# MicroPython's ssl.wrap_socket and QuecPython's ussl.wrap_socket take every keyword
# both sides use (the socket is None, not a stream: OSError, raised only after the
# arguments were taken), and ussl takes QuecPython's positional order.
try:
    import tls  # noqa: F401
except ImportError:
    print("SKIP")
    raise SystemExit

import ssl

import ussl
from fwtest import res
from tlstest import error_name

res("constants", [ssl.CERT_NONE, ssl.CERT_OPTIONAL, ssl.CERT_REQUIRED])
res(
    "ussl_is_ssl",
    [ussl.CERT_REQUIRED == ssl.CERT_REQUIRED, ussl.SSLContext is ssl.SSLContext],
)
kw = {
    "server_side": False,
    "key": None,
    "cert": None,
    "cert_reqs": ssl.CERT_NONE,
    "cadata": None,
    "server_hostname": "h",
    "do_handshake": True,
}
res("ssl_keywords", error_name(lambda: ssl.wrap_socket(None, **kw)))
res("ussl_keywords", error_name(lambda: ussl.wrap_socket(None, **kw)))
none = ssl.CERT_NONE
res(
    "ussl_positional",
    error_name(lambda: ussl.wrap_socket(None, "h", None, None, cert_reqs=none)),
)
