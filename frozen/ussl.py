"""QuecPython's ``ussl``: ``ssl`` under its old name, with QuecPython's order.

    import ussl
    s = ussl.wrap_socket(sock, server_hostname="example.com")

QuecPython documents ``ussl.wrap_socket(sock, server_hostname=None, cert=None,
key=None)`` (``cert`` and ``key``: the client certificate and key, as PEM
strings, bytes or file paths), so that is the positional order here. Every
keyword of ``ssl.wrap_socket`` is accepted as well (``cert_reqs``,
``cadata``, ``server_side``, ``do_handshake``). Like ``ssl``, a client
verifies the server against the default trust store unless it passes
``cert_reqs=CERT_NONE``; QuecPython's ``ussl`` does not verify at all.
Everything else is ``ssl``'s.
"""

from ssl import *
from ssl import wrap_socket as _wrap_socket


def wrap_socket(sock, server_hostname=None, cert=None, key=None, **kw):
    return _wrap_socket(sock, server_hostname=server_hostname, cert=cert, key=key, **kw)
