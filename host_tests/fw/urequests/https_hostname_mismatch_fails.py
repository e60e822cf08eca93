# The https server's certificate does not name the host in the URL (param
# "url"): CertificateError, even with its CA (param "ca", DER) trusted.
try:
    import tls  # noqa: F401
except ImportError:
    print("NO-TLS")
    raise SystemExit

import urequests
from fwtest import param
from reqtest import catch, out

out(catch(lambda: urequests.get(param("url"), verify=param("ca"), timeout=10)))
