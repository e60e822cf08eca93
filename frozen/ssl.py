"""CPython-style ``ssl`` on top of the firmware's ``tls`` module.

MicroPython's C module is ``tls``; the ``ssl`` that asyncio and libraries
import normally comes from micropython-lib, which this firmware does not
bundle, so this small layer provides it:

- ``SSLContext(protocol)`` with ``verify_mode``, ``load_verify_locations
  (cafile=None, cadata=None)``, ``load_cert_chain(certfile, keyfile=None)``
  (paths or data; PEM is converted to DER because the firmware's mbedTLS has no
  PEM parser) and ``wrap_socket(sock, server_side=False,
  do_handshake_on_connect=True, server_hostname=None)``.
- ``wrap_socket(sock, ..., cert_reqs=CERT_REQUIRED, cadata=None, ...)``, the
  older MicroPython call. Unlike MicroPython's own default (CERT_NONE), a
  client here verifies unless the caller passes ``cert_reqs=CERT_NONE``:
  turning verification off is always an explicit choice.
"""

import tls
from tls import (  # noqa: F401  (re-exported constants)
    CERT_NONE,
    CERT_OPTIONAL,
    CERT_REQUIRED,
    PROTOCOL_TLS_CLIENT,
    PROTOCOL_TLS_SERVER,
)


def _data(x):
    if isinstance(x, str):
        with open(x, "rb") as f:
            return f.read()
    return x


def _der(data):
    # Shared with urequests so PEM handling lives in one place.
    from urequests import _pem_blocks

    return _pem_blocks(data)


class SSLContext:
    def __init__(self, protocol=PROTOCOL_TLS_CLIENT):
        self._ctx = tls.SSLContext(protocol)

    @property
    def verify_mode(self):
        return self._ctx.verify_mode

    @verify_mode.setter
    def verify_mode(self, mode):
        self._ctx.verify_mode = mode

    def load_verify_locations(self, cafile=None, cadata=None):
        if cafile is None and cadata is None:
            raise ValueError("cafile or cadata is required")
        for src in (cafile, cadata):
            if src is not None:
                for der in _der(_data(src)):
                    self._ctx.load_verify_locations(der)

    def load_cert_chain(self, certfile, keyfile=None):
        cert = _der(_data(certfile))[0]
        key = _der(_data(keyfile))[0] if keyfile is not None else None
        self._ctx.load_cert_chain(cert, key)

    def set_ciphers(self, ciphers):
        self._ctx.set_ciphers(ciphers)

    def get_ciphers(self):
        return self._ctx.get_ciphers()

    def wrap_socket(
        self,
        sock,
        server_side=False,
        do_handshake_on_connect=True,
        server_hostname=None,
    ):
        return self._ctx.wrap_socket(
            sock,
            server_side=server_side,
            do_handshake_on_connect=do_handshake_on_connect,
            server_hostname=server_hostname,
        )


def wrap_socket(
    sock,
    server_side=False,
    key=None,
    cert=None,
    cert_reqs=CERT_REQUIRED,
    cadata=None,
    server_hostname=None,
    do_handshake=True,
):
    ctx = SSLContext(PROTOCOL_TLS_SERVER if server_side else PROTOCOL_TLS_CLIENT)
    if cert is not None or key is not None:
        ctx.load_cert_chain(cert, key)
    if cadata is not None:
        ctx.load_verify_locations(cadata=cadata)
    if not server_side:
        ctx.verify_mode = cert_reqs
    return ctx.wrap_socket(
        sock,
        server_side=server_side,
        do_handshake_on_connect=do_handshake,
        server_hostname=server_hostname,
    )
