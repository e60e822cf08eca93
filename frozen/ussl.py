"""QuecPython's ``ussl``: ``ssl`` under its old name, with QuecPython's order.

    import ussl
    s = ussl.wrap_socket(sock, server_hostname="example.com")

QuecPython documents ``ussl.wrap_socket(sock, server_hostname=None, cert=None,
key=None)`` (``cert`` and ``key``: the client certificate and key, as PEM
strings, bytes or file paths), so that is the positional order here. Every
keyword of ``ssl.wrap_socket`` is accepted as well (``cert_reqs``,
``cadata``, ``server_side``, ``do_handshake``). As on QuecPython, the
server is not verified unless the caller asks: ``cert_reqs=CERT_REQUIRED``
verifies it against ``cadata`` or the default trust store (the frozen CA
bundle and ``certs/``). Everything else is ``ssl``'s.
"""

from ssl import *
from ssl import wrap_socket as _wrap_socket


def wrap_socket(sock, server_hostname=None, cert=None, key=None, **kw):
    return _wrap_socket(sock, server_hostname=server_hostname, cert=cert, key=key, **kw)
