"""CPython-style ``ssl`` on top of the firmware's ``tls`` module.

MicroPython's C module is ``tls``; the ``ssl`` that asyncio and libraries
import normally comes from micropython-lib, which this firmware does not
bundle, so this layer provides it, with MicroPython's signatures:

- ``SSLContext(protocol)`` with ``verify_mode``, ``load_verify_locations
  (cafile=None, cadata=None)``, ``load_cert_chain(certfile, keyfile=None)``,
  ``load_default_certs()`` and ``wrap_socket(sock, server_side=False,
  do_handshake_on_connect=True, server_hostname=None)``. PEM is converted to
  DER here because the firmware's mbedTLS has no PEM parser. A client
  context that was given no CA verifies against the default trust store.
- ``create_default_context()``: a client context that verifies against the
  default trust store.
- ``wrap_socket(sock, server_side=False, key=None, cert=None,
  cert_reqs=CERT_REQUIRED, cadata=None, server_hostname=None,
  do_handshake=True)``, MicroPython's function. The one default that differs
  from MicroPython's (CERT_NONE) is ``cert_reqs``: a client verifies the
  server against ``cadata`` or, without it, the default trust store, unless
  the caller passes ``cert_reqs=CERT_NONE``.

The default trust store is the CA bundle frozen into the firmware (module
``_cabundle``, built from Debian's ca-certificates) plus every PEM file in
the ``certs/`` directory of the filesystem. A context does not parse the
whole bundle: it starts with the bundle's first CA (plus ``certs/``), and
when a server's chain ends at another CA of the bundle it loads just that
one and connects again. The CAs learned that way stay loaded (see
docs/tls.md for what that costs).
"""

import binascii
import os
import socket

import tls
from tls import (  # noqa: F401  (re-exported constants)
    CERT_NONE,
    CERT_OPTIONAL,
    CERT_REQUIRED,
    PROTOCOL_TLS_CLIENT,
    PROTOCOL_TLS_SERVER,
)

try:
    from _cabundle import BUNDLE as _BUNDLE
except ImportError:
    _BUNDLE = b""

# Where the device keeps its own CA certificates (PEM), relative to the
# current directory (on a board that is the filesystem's root).
CERTS_DIR = "certs"


class CertificateError(ValueError):
    """The peer's certificate failed verification."""


SSLCertVerificationError = CertificateError  # CPython's name for it


# --- PEM and DER -------------------------------------------------------------


def _der_blocks(data):
    """DER bytes of every PEM block in ``data`` (DER input passes through)."""
    if isinstance(data, str):
        data = data.encode()
    if b"-----BEGIN" not in data:
        return [bytes(data)]
    out = []
    pos = 0
    while True:
        start = data.find(b"-----BEGIN", pos)
        if start < 0:
            break
        body = data.find(b"\n", start) + 1
        end = data.find(b"-----END", body)
        if body <= 0 or end < 0:
            raise ValueError("truncated PEM block")
        out.append(
            binascii.a2b_base64(data[body:end].replace(b"\r", b"").replace(b"\n", b""))
        )
        pos = end + 8
    return out


def PEM_cert_to_DER_cert(pem):
    return _der_blocks(pem)[0]


def _tlv(b, i):
    # One DER element at b[i]: (start of its content, end of the element).
    n = b[i + 1]
    i += 2
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(b[i : i + k], "big")
        i += k
    return i, i + n


def _issuer(der):
    """The issuer Name of a certificate, as its DER bytes."""
    i, _ = _tlv(der, 0)  # Certificate
    i, _ = _tlv(der, i)  # tbsCertificate
    if der[i] == 0xA0:  # [0] version
        i = _tlv(der, i)[1]
    i = _tlv(der, i)[1]  # serialNumber
    i = _tlv(der, i)[1]  # signature algorithm
    return der[i : _tlv(der, i)[1]]


def _data(x):
    # bytes are data; a str is PEM text when it holds a PEM block (QuecPython
    # passes certificates as strings), else a file path.
    if isinstance(x, str):
        if "-----BEGIN" in x:
            return x.encode()
        with open(x, "rb") as f:
            return f.read()
    return x


# --- the default trust store ---------------------------------------------------


def _bundle_records():
    # BUNDLE: a 2-byte count, then per CA: DER length, offset and length of the
    # subject Name inside the DER (2 bytes each, big-endian), then the DER.
    b = _BUNDLE
    i = 2
    for _ in range(int.from_bytes(b[0:2], "big") if b else 0):
        n = int.from_bytes(b[i : i + 2], "big")
        so = int.from_bytes(b[i + 2 : i + 4], "big")
        sn = int.from_bytes(b[i + 4 : i + 6], "big")
        yield i + 6, n, i + 6 + so, sn
        i += 6 + n


def _bundle_find(name):
    """The bundle's CA whose subject is ``name`` (DER bytes), or None."""
    for start, n, so, sn in _bundle_records():
        if sn == len(name) and _BUNDLE[so : so + sn] == name:
            return _BUNDLE[start : start + n]
    return None


def _certs_dir():
    """(file name, DER) of every certificate in the PEM files in CERTS_DIR."""
    try:
        names = sorted(os.listdir(CERTS_DIR))
    except OSError:
        return []
    out = []
    for name in names:
        if name[-4:] in (".pem", ".crt"):
            with open(CERTS_DIR + "/" + name, "rb") as f:
                data = f.read()
            if b"-----BEGIN" in data:  # PEM only: a stray binary file is skipped
                for der in _der_blocks(data):
                    out.append((name, der))
    return out


# Bundle CAs some context needed (issuer names); new store contexts start with
# them, so a device that talks to a few services learns their CAs once.
_learned = []


def _untrusted(host, why):
    why = why.strip().replace("\n", "; ")
    return CertificateError(
        f"TLS: the certificate of {host} failed verification ({why}). If its CA"
        f" is not in the firmware's bundle, put the CA certificate as a PEM file in"
        f" {CERTS_DIR}/ or pass it explicitly (urequests verify=, ssl cadata=)"
    )


def _reconnect(sock, timeout):
    # A fresh TCP connection to the peer of ``sock`` for the second handshake.
    addr = sock.getpeername()
    family = socket.AF_INET6 if ":" in addr[0] else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    try:
        s.settimeout(timeout)
        s.connect(addr)
    except BaseException:
        s.close()
        raise
    return s


class SSLContext:
    def __init__(self, protocol=PROTOCOL_TLS_CLIENT):
        self._ctx = tls.SSLContext(protocol)
        self._store = False  # verify against the default trust store
        self._names = []  # subjects of the store CAs loaded, as DER
        self._files = []  # certs/ certificates loaded (file name, length, tail)
        self._top = None  # issuer at the top of the last chain verified
        self._loaded = False

    @property
    def verify_mode(self):
        return self._ctx.verify_mode

    @verify_mode.setter
    def verify_mode(self, mode):
        self._ctx.verify_mode = mode

    def _add(self, der):
        self._ctx.load_verify_locations(der)
        self._loaded = True

    def load_verify_locations(self, cafile=None, cadata=None):
        if cafile is None and cadata is None:
            raise ValueError("cafile or cadata is required")
        for src in (cafile, cadata):
            if src is not None:
                for der in _der_blocks(_data(src)):
                    self._add(der)

    def load_cert_chain(self, certfile, keyfile=None):
        cert = _der_blocks(_data(certfile))[0]
        key = _der_blocks(_data(keyfile))[0] if keyfile is not None else None
        self._ctx.load_cert_chain(cert, key)

    def load_default_certs(self, purpose=None):
        """Verify against the default trust store: the frozen CA bundle and the
        PEM files in ``certs/``."""
        self._store = True
        self._load_dir()
        for name in _learned:
            self._load_bundle(name)

    def _load_dir(self):
        new = False
        for name, der in _certs_dir():
            key = (name, len(der), der[-8:])  # not the DER: it is parsed already
            if key not in self._files:
                self._files.append(key)
                self._add(der)
                new = True
        return new

    def _load_bundle(self, name):
        if name in self._names:
            return False
        der = _bundle_find(name)
        if der is None:
            return False
        self._add(der)
        self._names.append(name)
        if name not in _learned:
            _learned.append(name)
        return True

    def _seen(self, cert, depth):
        # mbedTLS calls this for every certificate of the chain it built, the
        # top one first; its issuer is the CA the chain needs. It must not raise.
        if self._top is None:
            try:
                self._top = bytes(_issuer(cert))
            except (IndexError, ValueError, TypeError):
                self._top = b""  # not DER we understand: no bundle lookup
        return 0

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
        wrapped = self._wrap(
            sock, server_side, do_handshake_on_connect, server_hostname
        )
        return wrapped[1]

    def _wrap(self, sock, server_side, handshake, host, reconnect=None):
        """Wrap ``sock``; returns (raw socket, TLS socket).

        With the default trust store, a chain that ends at a bundle CA not yet
        loaded (or at a CA just added to certs/) loads it and handshakes again
        on a new connection from ``reconnect()`` (default: the same peer), so
        the raw socket may be a new one.
        """
        ctx = self._ctx
        if not (server_side or self._store or self._loaded):
            # A client context given no CA of its own (asyncio's ssl=True,
            # umqtt's SSLContext) verifies against the trust store; CPython
            # would fail the handshake instead.
            self.load_default_certs()
        if server_side or not self._store or ctx.verify_mode != CERT_REQUIRED:
            return sock, ctx.wrap_socket(
                sock,
                server_side=server_side,
                do_handshake_on_connect=handshake,
                server_hostname=host,
            )
        if host is None:
            # mbedTLS's own words first, so code that matches them still does.
            raise ValueError(
                "CERT_REQUIRED requires server_hostname: pass server_hostname="
                " (or cert_reqs=CERT_NONE to connect without verification)"
            )
        if not self._loaded:
            for _, _, so, sn in _bundle_records():
                self._load_bundle(_BUNDLE[so : so + sn])  # the most used CA
                break
            else:
                raise _untrusted(host, "no CA certificate is installed")
        if not handshake:
            # A deferred handshake (asyncio) cannot be repeated here: it checks
            # against the CAs loaded so far.
            return sock, ctx.wrap_socket(
                sock, do_handshake_on_connect=False, server_hostname=host
            )
        for attempt in (1, 2):
            self._top = None
            ctx.verify_callback = self._seen
            try:
                return sock, ctx.wrap_socket(sock, server_hostname=host)
            except ValueError as e:
                # A certificate that failed verification (mbedTLS's reasons).
                why = str(e)
                top = self._top
                if attempt == 2 or not (
                    (top is not None and self._load_bundle(top)) or self._load_dir()
                ):
                    sock.close()
                    raise _untrusted(host, why)
            except OSError as e:
                sock.close()
                if e.errno != -0x2700:  # MBEDTLS_ERR_X509_CERT_VERIFY_FAILED
                    raise
                raise _untrusted(host, "verification failed")
            except BaseException:
                sock.close()
                raise
            finally:
                ctx.verify_callback = None
            # The CA is loaded now: handshake again on a new connection.
            old = sock
            sock = reconnect() if reconnect else _reconnect(old, None)
            old.close()


_default = None


def create_default_context(purpose=None, cafile=None, capath=None, cadata=None):
    """A client context that verifies against the default trust store (and
    ``cafile``/``cadata`` if given)."""
    ctx = SSLContext(PROTOCOL_TLS_CLIENT)
    ctx.load_default_certs()
    if cafile is not None or cadata is not None:
        ctx.load_verify_locations(cafile, cadata)
    return ctx


def _default_context():
    # One store context shared by urequests' verified calls: the CAs it learns
    # are parsed once, not at every request.
    global _default
    if _default is None:
        _default = create_default_context()
    return _default


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
    if not server_side:
        ctx.verify_mode = cert_reqs
        if cadata is not None:
            ctx.load_verify_locations(cadata=cadata)
        elif cert_reqs == CERT_REQUIRED:
            ctx.load_default_certs()
    elif cadata is not None:
        ctx.load_verify_locations(cadata=cadata)
    return ctx.wrap_socket(
        sock,
        server_side=server_side,
        do_handshake_on_connect=do_handshake,
        server_hostname=server_hostname,
    )
