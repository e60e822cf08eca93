# certs/ holds a CA with the same name as the server's but another key (the test
# puts it there), so the signature check itself fails, with a message that names
# the host and says how to trust its CA. verify=False and CERT_NONE are the
# explicit ways out; ssl.wrap_socket and ussl.wrap_socket keep their upstream
# default of verifying nothing.
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

name = param("name")


def catch(f):
    try:
        f()
    except Exception as e:  # noqa: BLE001  (the exception is the result)
        return [type(e).__name__, str(e)]
    return None


req = ssl.CERT_REQUIRED
res("urequests", catch(lambda: urequests.get(url("/echo", name), timeout=10)))
res("request", catch(lambda: request.get(url("/"), timeout=10)))
res(
    "ssl",
    catch(lambda: ssl.wrap_socket(connect(), server_hostname=name, cert_reqs=req)),
)
res("urequests_unverified", urequests.get(url("/echo"), verify=False).status_code)
r = request.get(url("/"), ssl_params={"verify": False})
res("request_unverified", r.status_code)
r.close()
none = ssl.CERT_NONE
res("ssl_unverified", get_over(ssl.wrap_socket(connect(), cert_reqs=none)))
res("ssl_no_name", catch(lambda: ssl.wrap_socket(connect(), cert_reqs=req)))
res("ssl_default", get_over(ssl.wrap_socket(connect(), server_hostname=name)))
res("ssl_default_no_name", get_over(ssl.wrap_socket(connect())))
res("ussl_default", get_over(ussl.wrap_socket(connect(), name)))
