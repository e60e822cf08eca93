"""HTTP/1.1 client for MicroPython, shaped like CPython's ``requests``.

    import urequests
    r = urequests.get("http://example.test/api", params={"q": 1}, timeout=5)
    print(r.status_code, r.headers["content-type"], r.json())

    with urequests.Session() as s:            # keep-alive: one connection per
        for i in range(10):                    # (scheme, host, port)
            s.post("http://example.test/log", json={"i": i}).close()

    with urequests.get(url, stream=True) as r:  # memory bounded by chunk size
        for chunk in r.iter_content(1024):
            sink.write(chunk)

Design choices (see also the project README):

- TLS verification is on by default and never silently off. ``verify`` is
  ``True`` (the default trust store: the CA bundle frozen into the firmware
  plus the PEM files in ``certs/``, or only the CA set with
  ``set_default_ca()``), CA data (PEM or DER bytes), a CA file path (str), a
  ready ``SSLContext``, or ``False`` to skip verification explicitly. A failed
  verification raises ``CertificateError`` (a ``ValueError``) naming the host,
  with mbedTLS's reason and how to add the CA. See docs/tls.md.
- A redirect to another scheme, host or port drops ``Authorization``,
  ``Proxy-Authorization`` and ``Cookie`` (from the call, the Session or
  ``auth=``), as requests does; an https -> http redirect is never followed
  (``InsecureRedirect``, a ``ValueError``).
- ``timeout`` (seconds, or a ``(connect, read)`` pair) bounds DNS, connect,
  the TLS handshake and every read and write. DNS: when a timeout is given the
  host name is handed to ``socket.connect()``, which resolves it with the
  socket's timeout; ports whose ``connect()`` only takes addresses fall back to
  ``getaddrinfo()`` (which then has the port's own resolver timeout).
- Errors: ``OSError`` for transport failures (including a server closing the
  connection too early), ``ValueError`` for a malformed URL, argument or
  response (status line, headers, chunk framing, limits below).
  ``TooManyRedirects``, ``InsecureRedirect`` and ``CertificateError`` subclass
  ``ValueError``.
- Garbage from a server cannot exhaust RAM: a response line is at most
  ``MAX_LINE`` bytes, at most ``MAX_HEADERS`` header lines and
  ``MAX_HEADER_BYTES`` bytes of headers are accepted.
- Arguments are never mutated; the request head is assembled in a small
  bounded buffer so it leaves as one TCP segment / one TLS record; bodies are
  written straight from the caller's objects (generators and files are sent
  with chunked transfer encoding unless the caller gives a Content-Length).
- ``Response.raw`` is a stream over the *body* (transfer decoding applied and
  bounded to this response, so a kept-alive connection stays in step); the
  socket itself is ``Response.raw.sock``.
- Module-level calls use one connection per request and send
  ``Connection: close``; a ``Session`` keeps idle connections and reconnects
  transparently when the server has closed one.
"""

import binascii
import json as _json
import socket

try:
    import ssl as _ssl  # our frozen ssl (over tls): the trust store lives there
except ImportError:  # a firmware without TLS
    _ssl = None

try:
    import select as _select
except ImportError:
    _select = None

__version__ = "0.1.0"

# Limits on what a server may send before we give up (bytes / counts).
MAX_LINE = 4096
MAX_HEADERS = 64
MAX_HEADER_BYTES = 16384
MAX_REDIRECTS = 10
# Redirect bodies up to this size are read and dropped so the connection can
# be reused; bigger ones close the connection instead.
_DRAIN_LIMIT = 4096
# Idle connections a Session keeps (each TLS one holds tens of KiB).
MAX_IDLE = 4

_ECONNRESET = 104
_EAGAIN = 11
_ETIMEDOUT = 110
_X509_VERIFY_FAILED = -0x2700  # MBEDTLS_ERR_X509_CERT_VERIFY_FAILED

_default_ca = None


class TooManyRedirects(ValueError):
    pass


if _ssl is not None:
    CertificateError = _ssl.CertificateError
else:

    class CertificateError(ValueError):
        pass


class HTTPError(OSError):
    pass


def set_default_ca(ca):
    """Set the CA (PEM/DER bytes or a file path) used when ``verify=True``,
    instead of the default trust store. ``None`` goes back to the store.
    """
    global _default_ca
    _default_ca = ca


# --- small helpers -------------------------------------------------------


def _closed(what):
    return OSError(_ECONNRESET, "connection closed " + what)


def _write(sock, data):
    # Blocking streams do not short-write, but a TLS layer or a port may still
    # return less; loop only in that rare case.
    n = sock.write(data)
    if n is not None and n < len(data):
        mv = memoryview(data)
        while n < len(mv):
            k = sock.write(mv[n:])
            if not k:
                raise _closed("while sending")
            n += k


def _readline(sock):
    line = sock.readline(MAX_LINE + 1)
    if len(line) > MAX_LINE:
        raise ValueError(f"response line longer than {MAX_LINE} bytes")
    return line


def _is_hex(s):
    if not s or len(s) > 8:
        return False
    for c in s:
        if not (48 <= c <= 57 or 65 <= c <= 70 or 97 <= c <= 102):
            return False
    return True


def _as_bytes(x):
    if isinstance(x, (bytes, bytearray, memoryview)):
        return x
    return str(x).encode()


def _quote(x):
    # application/x-www-form-urlencoded: unreserved bytes as-is, space as '+'.
    out = bytearray()
    for c in _as_bytes(x):
        if 48 <= c <= 57 or 65 <= c <= 90 or 97 <= c <= 122 or c in (45, 46, 95, 126):
            out.append(c)
        elif c == 32:
            out.append(43)
        else:
            out += b"%%%02X" % c
    return out


def _unquote(s):
    if "%" not in s:
        return s
    b = s.encode()
    out = bytearray()
    i = 0
    while i < len(b):
        if b[i] == 37 and _is_hex(b[i + 1 : i + 3]) and i + 2 < len(b):
            out.append(int(b[i + 1 : i + 3], 16))
            i += 3
        else:
            out.append(b[i])
            i += 1
    return out.decode()


def _form(pairs):
    """Form-encode a dict or a sequence of (name, value) pairs.

    A value that is a list or tuple repeats the name; ``None`` values are
    left out, as requests does.
    """
    items = pairs.items() if isinstance(pairs, dict) else pairs
    out = bytearray()
    for item in items:
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            raise ValueError("form data must be a dict or (name, value) pairs")
        k, v = item
        if v is None:
            continue
        for x in v if isinstance(v, (list, tuple)) else (v,):
            if out:
                out.append(38)
            out += _quote(k)
            out.append(61)
            out += _quote(x)
    return bytes(out)


def _clean_target(t):
    # Fast path: nothing to escape (the usual case).
    for c in t:
        if not 32 < ord(c) < 127:
            break
    else:
        return t
    out = bytearray()
    for c in t.encode():
        if c < 32 or c == 127:
            raise ValueError("control character in URL")
        if c == 32 or c > 127:
            out += b"%%%02X" % c
        else:
            out.append(c)
    return out.decode()


def _check_field(x, what, name=False):
    # CR/LF in a header would let a value inject further headers or a body.
    bad = "\r\n: \t" if name else "\r\n"
    if isinstance(x, (bytes, bytearray)):
        x = bytes(x).decode()
    for c in bad:
        if c in x:
            raise ValueError(f"bad character in header {what} {x[:40]!r}")


class _URL:
    """A parsed absolute http(s) URL."""

    def __init__(self, url):
        if isinstance(url, (bytes, bytearray)):
            url = bytes(url).decode()
        if not isinstance(url, str):
            raise TypeError("URL must be a str")
        i = url.find("://")
        if i <= 0:
            raise ValueError(f"URL needs http:// or https://: {url[:80]!r}")
        scheme = url[:i].lower()
        if scheme == "http":
            port = 80
        elif scheme == "https":
            port = 443
        else:
            raise ValueError(f"unsupported URL scheme {scheme!r}")
        rest = url[i + 3 :]
        end = len(rest)
        for ch in "/?#":
            k = rest.find(ch)
            if 0 <= k < end:
                end = k
        netloc = rest[:end]
        target = rest[end:].partition("#")[0]
        if not target.startswith("/"):
            target = "/" + target
        self.auth = None
        k = netloc.rfind("@")
        if k >= 0:
            user, _, pw = netloc[:k].partition(":")
            self.auth = (_unquote(user), _unquote(pw))
            netloc = netloc[k + 1 :]
        if netloc.startswith("["):
            k = netloc.find("]")
            if k < 0:
                raise ValueError("bad IPv6 literal in URL")
            host = netloc[1:k]
            tail = netloc[k + 1 :]
            if tail and not tail.startswith(":"):
                raise ValueError("bad host in URL")
            portstr = tail[1:]
        else:
            host, _, portstr = netloc.partition(":")
            if ":" in portstr:
                raise ValueError("bad host in URL")
        if portstr:
            if not portstr.isdigit() or not 0 < int(portstr) < 65536:
                raise ValueError(f"bad port in URL: {portstr!r}")
            port = int(portstr)
        if not host:
            raise ValueError(f"URL has no host: {url[:80]!r}")
        for c in host:
            if not 32 < ord(c) < 127:
                raise ValueError("bad character in URL host")
        self.scheme = scheme
        self.host = host
        self.port = port
        # Host header: the default port is left out, as browsers do.
        h = f"[{host}]" if ":" in host else host
        self.hostport = (
            h if port == (80 if scheme == "http" else 443) else f"{h}:{port}"
        )
        self.target = _clean_target(target)
        self.key = (scheme, host, port)


def _join(base, loc):
    """Resolve a Location header against the URL it came from (RFC 3986 5.2)."""
    i = loc.find("://")
    if i > 0 and loc[:i].isalpha():
        return loc
    scheme, _, rest = base.partition("://")
    if loc.startswith("//"):
        return scheme + ":" + loc
    end = len(rest)
    for ch in "/?#":
        k = rest.find(ch)
        if 0 <= k < end:
            end = k
    origin = scheme + "://" + rest[:end]
    path = rest[end:].partition("#")[0].partition("?")[0] or "/"
    if not loc:
        return base
    if loc.startswith("/"):
        return origin + _dots(loc)
    if loc.startswith("?"):
        return origin + path + loc
    if loc.startswith("#"):
        return base.partition("#")[0] + loc
    return origin + _dots(path[: path.rfind("/") + 1] + loc)


def _dots(ref):
    path, q, query = ref.partition("?")
    out = []
    segs = path.split("/")
    for seg in segs[1:]:
        if seg == "..":
            if out:
                out.pop()
        elif seg != ".":
            out.append(seg)
    if segs[-1] in (".", ".."):
        out.append("")
    return "/" + "/".join(out) + q + query


def _basic_auth(user, pw):
    cred = bytearray(_as_bytes(user))
    cred.append(58)
    cred += _as_bytes(pw)
    return "Basic " + binascii.b2a_base64(cred).decode().strip()


def _utf8_cut(b):
    """Length of the longest prefix of ``b`` that does not end inside a
    multi-byte UTF-8 sequence (so streamed text can be decoded piecewise)."""
    n = len(b)
    i = n - 1
    while i >= 0 and i >= n - 4:
        c = b[i]
        if c < 0x80:
            return n
        if c >= 0xC0:
            need = 2 if c < 0xE0 else 3 if c < 0xF0 else 4
            return n if n - i >= need else i
        i -= 1
    return n


# --- request bodies --------------------------------------------------------


def _file_size(f):
    try:
        pos = f.tell()
        end = f.seek(0, 2)
        f.seek(pos)
        return end - pos
    except (OSError, AttributeError, TypeError, ValueError):
        return None


def _iter_file(f):
    # One reused buffer: the writer sends each block before the next read.
    if hasattr(f, "readinto"):
        buf = bytearray(1024)
        mv = memoryview(buf)
        while True:
            n = f.readinto(buf)
            if not n:
                return
            yield mv[:n]
    else:
        while True:
            b = f.read(1024)
            if not b:
                return
            yield b


def _iter_parts(parts):
    for p in parts:
        if hasattr(p, "read"):
            yield from _iter_file(p)
        else:
            yield p


def _multipart(fields, files):
    try:
        import os

        rnd = os.urandom(8)
    except (ImportError, AttributeError):
        import time

        rnd = str(time.ticks_us()).encode()
    boundary = "----urequests" + binascii.hexlify(rnd).decode()
    parts = []
    length = 0
    head = '--%s\r\nContent-Disposition: form-data; name="%s"'

    def items(x):
        return x.items() if isinstance(x, dict) else x

    for name, value in items(fields or ()):
        if value is None:
            continue
        parts.append(
            (head % (boundary, str(name).replace('"', "%22")) + "\r\n\r\n").encode()
        )
        parts.append(_as_bytes(value))
        parts.append(b"\r\n")
    for name, spec in items(files):
        ctype = "application/octet-stream"
        if isinstance(spec, (tuple, list)):
            fname, content = spec[0], spec[1]
            if len(spec) > 2:
                ctype = spec[2]
        else:
            fname, content = name, spec
        for x in (name, fname, ctype):
            _check_field(str(x), "(files)")
        h = head % (boundary, str(name).replace('"', "%22"))
        h += '; filename="{}"\r\nContent-Type: {}\r\n\r\n'.format(
            str(fname).replace('"', "%22"),
            ctype,
        )
        parts.append(h.encode())
        parts.append(content if hasattr(content, "read") else _as_bytes(content))
        parts.append(b"\r\n")
    parts.append((f"--{boundary}--\r\n").encode())
    streamed = False
    for p in parts:
        if hasattr(p, "read"):
            streamed = True
            n = _file_size(p)
            if n is None:
                length = None
                break
            length += n
        else:
            length += len(p)
    ctype = "multipart/form-data; boundary=" + boundary
    if not streamed:
        return b"".join(parts), ctype, length
    return _iter_parts(parts), ctype, length


def _prepare_body(data, json, files):
    """Return (body, content_type, length).

    body is None, a bytes-like object (can be resent on a redirect or a
    reconnect) or an iterator of bytes/str pieces (sent once); length None
    with an iterator means chunked transfer encoding.
    """
    if files:
        return _multipart(data, files)
    if data is None:
        if json is None:
            return None, None, None
        b = _json.dumps(json).encode()
        return b, "application/json", len(b)
    if isinstance(data, (bytes, bytearray, memoryview)):
        return data, None, len(data)
    if isinstance(data, str):
        b = data.encode()
        return b, None, len(b)
    if isinstance(data, (dict, list, tuple)):
        b = _form(data)
        return b, "application/x-www-form-urlencoded", len(b)
    if hasattr(data, "read"):
        return _iter_file(data), None, _file_size(data)
    try:
        return iter(data), None, None
    except TypeError:
        raise ValueError(f"unsupported data type: {type(data).__name__}")


def _send_body(sock, body, length, chunked):
    sent = 0
    for piece in body:
        if isinstance(piece, str):
            piece = piece.encode()
        n = len(piece)
        if not n:
            continue  # an empty chunk would end a chunked body early
        if chunked:
            _write(sock, b"%x\r\n" % n)
            _write(sock, piece)
            _write(sock, b"\r\n")
        else:
            _write(sock, piece)
        sent += n
    if chunked:
        _write(sock, b"0\r\n\r\n")
    elif sent != length:
        raise ValueError(f"body gave {sent} bytes but Content-Length is {length}")


# --- connections -------------------------------------------------------------


def _split_timeout(timeout):
    if isinstance(timeout, (tuple, list)):
        return timeout[0], timeout[1]
    return timeout, timeout


def _is_numeric_host(host):
    if ":" in host:
        return True
    for part in host.split("."):
        if not part.isdigit():
            return False
    return True


def _read_file(path):
    with open(path, "rb") as f:
        return f.read()


def _tls_context(verify, cert):
    if hasattr(verify, "wrap_socket"):
        return verify
    if _ssl is None:
        raise ValueError("https needs TLS support, which this firmware lacks")
    ca = _default_ca if verify is True or verify is None else verify
    if verify is not False and ca is None and not cert:
        return _ssl._default_context()  # shared: the CAs it learns stay parsed
    ctx = _ssl.SSLContext(_ssl.PROTOCOL_TLS_CLIENT)
    if verify is False:
        ctx.verify_mode = _ssl.CERT_NONE
    elif ca is None:
        ctx.load_default_certs()
    elif isinstance(ca, str):
        ctx.load_verify_locations(cafile=ca)
    else:
        ctx.load_verify_locations(cadata=ca)
    if cert:
        c, k = cert if isinstance(cert, (tuple, list)) else (cert, None)
        ctx.load_cert_chain(c, k)
    return ctx


def _connect(u, ct):
    """A TCP connection to the URL's host and port (``ct``: connect timeout)."""
    if ct is not None and not _is_numeric_host(u.host):
        # Let connect() resolve the name so the timeout covers DNS too.
        raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        raw.settimeout(ct)
        try:
            raw.connect((u.host, u.port))
            return raw
        except TypeError:
            raw.close()  # this port's connect() only takes addresses
        except BaseException:
            raw.close()
            raise
    ai = socket.getaddrinfo(u.host, u.port, 0, socket.SOCK_STREAM)
    if not ai:
        raise OSError(f"no address for host {u.host!r}")
    raw = socket.socket(ai[0][0], socket.SOCK_STREAM)
    try:
        raw.settimeout(ct)
        raw.connect(ai[0][-1])
    except BaseException:
        raw.close()
        raise
    return raw


class _Conn:
    """One TCP (or TLS) connection; ``pool`` is the Session it returns to."""

    def __init__(self, u, timeout, ctx, pool):
        ct, rt = _split_timeout(timeout)
        raw = _connect(u, ct)
        sock = raw
        if u.scheme == "https":
            try:
                if hasattr(ctx, "_wrap"):
                    # Our ssl may reconnect to load the CA the server needs.
                    raw, sock = ctx._wrap(
                        raw, False, True, u.host, lambda: _connect(u, ct)
                    )
                else:
                    sock = ctx.wrap_socket(raw, server_hostname=u.host)
            except CertificateError:
                raw.close()
                raise
            except (ValueError, OSError) as e:
                raw.close()
                # A failed verification is a ValueError carrying mbedTLS's reason,
                # or (builds without X.509 info strings) OSError(-0x2700).
                if isinstance(e, OSError) and e.errno != _X509_VERIFY_FAILED:
                    raise
                raise _ssl._untrusted(f"{u.host}:{u.port}", str(e))
            except BaseException:
                raw.close()
                raise
        raw.settimeout(rt)
        self.raw = raw
        self.sock = sock
        self.key = u.key
        self.pool = pool

    def stale(self):
        # An idle keep-alive connection that is readable has been closed by
        # the server (or sent junk): either way it cannot carry a request.
        # Not for TLS, where a readable socket may be a harmless record (a
        # session ticket); a dead TLS connection is caught by the retry in
        # _exchange instead.
        if _select is None or self.raw is not self.sock:
            return False
        try:
            p = _select.poll()
            p.register(self.raw, _select.POLLIN)
            return bool(p.poll(0))
        except (OSError, TypeError, ValueError):
            return True

    def release(self, reusable):
        if reusable and self.pool is not None and self.sock is not None:
            self.pool._put(self)
        else:
            self.close()

    def close(self):
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
            if self.raw is not self.sock:
                try:
                    self.raw.close()
                except OSError:
                    pass
            self.sock = self.raw = None


# --- responses ---------------------------------------------------------------


class Headers:
    """Response headers: a read-only mapping with case-insensitive lookups.

    Repeated headers are joined with ", " as RFC 9110 allows.
    """

    def __init__(self):
        self._d = {}  # lower-case name -> (name as received, value)

    def _add(self, name, value):
        k = name.lower()
        old = self._d.get(k)
        self._d[k] = (name, value if old is None else old[1] + ", " + value)

    def __getitem__(self, name):
        return self._d[name.lower()][1]

    def get(self, name, default=None):
        item = self._d.get(name.lower())
        return default if item is None else item[1]

    def __contains__(self, name):
        return name.lower() in self._d

    def __len__(self):
        return len(self._d)

    def __iter__(self):
        return iter(self.keys())

    def keys(self):
        return [v[0] for v in self._d.values()]

    def values(self):
        return [v[1] for v in self._d.values()]

    def items(self):
        return list(self._d.values())

    def __repr__(self):
        return repr(dict(self._d.values()))


_NONE = 0  # no body
_LENGTH = 1  # Content-Length
_CHUNKED = 2  # Transfer-Encoding: chunked
_CLOSE = 3  # until the server closes


class _Body:
    """Stream over one response body: read([n]), readinto(buf[, n]), close().

    It stops exactly at the end of the body and then hands the connection
    back (to its Session, or closes it).
    """

    def __init__(self, conn, mode, length, reusable):
        self._conn = conn
        self.sock = conn.sock
        self._mode = mode
        self._left = length  # body bytes left, or left in the current chunk
        self._reusable = reusable
        self.eof = False
        if mode == _NONE or (mode == _LENGTH and length == 0):
            self._finish()

    def _finish(self):
        self.eof = True
        if self._conn is not None:
            self._conn.release(self._reusable)
            self._conn = None

    def _abort(self):
        # Any error inside a body leaves the connection out of step: close it.
        self.eof = True
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _next_chunk(self):
        # Called at the start of a chunk: returns False at the last chunk.
        line = _readline(self.sock)
        if not line.endswith(b"\n"):
            raise _closed("inside a chunk header")
        size = line.partition(b";")[0].strip()  # drop chunk extensions
        if not _is_hex(size):
            raise ValueError(f"bad chunk size line {line[:40]!r}")
        self._left = int(size, 16)
        if self._left:
            return True
        n = 0
        while True:  # trailers are read and dropped, within the header limits
            line = _readline(self.sock)
            if not line.endswith(b"\n"):
                raise _closed("inside the chunked trailer")
            if line in (b"\r\n", b"\n"):
                break
            n += 1
            if n > MAX_HEADERS:
                raise ValueError("too many trailer lines")
        self._finish()
        return False

    def _avail(self, n):
        # How many bytes the next socket read may take (0 at the end).
        if self.eof:
            return 0
        if self._mode == _CHUNKED and self._left == 0 and not self._next_chunk():
            return 0
        if self._mode == _CLOSE or n < self._left:
            return n
        return self._left

    def _got(self, k):
        if self._mode == _CLOSE:
            if k == 0:
                self._finish()
            return
        if k == 0:
            raise _closed("before the end of the body")
        self._left -= k
        if self._left == 0:
            if self._mode == _LENGTH:
                self._finish()
            elif self.sock.readline(3) not in (b"\r\n", b"\n"):
                raise ValueError("chunk not followed by CRLF")

    def read(self, n=-1):
        if n is None or n < 0:
            parts = []
            while not self.eof:
                b = self.read(16384 if self._mode != _LENGTH else self._left)
                if b:
                    parts.append(b)
            return b"".join(parts)
        try:
            k = self._avail(n)
            if k == 0:
                return b""
            b = self.sock.read(k)
            self._got(len(b) if b else 0)
        except BaseException:
            self._abort()
            raise
        return b

    def readinto(self, buf, n=None):
        n = len(buf) if n is None else min(n, len(buf))
        try:
            k = self._avail(n)
            if k == 0:
                return 0
            got = self.sock.readinto(buf if k == len(buf) else memoryview(buf)[:k])
            self._got(got or 0)
        except BaseException:
            self._abort()
            raise
        return got

    def drain(self, limit):
        """Read and drop up to ``limit`` bytes; True if the body ended."""
        if self._mode == _LENGTH and self._left > limit:
            return False
        while not self.eof and limit > 0:
            limit -= len(self.read(min(limit, 1024)))
        return self.eof

    def close(self):
        if not self.eof:
            # Unread body: the connection is out of step, so it cannot be reused.
            self._reusable = False
            self._finish()


class Response:
    def __init__(self, status, reason, headers, body, url):
        self.status_code = status
        self.reason = reason
        self.headers = headers
        self.raw = body
        self.url = url
        self.encoding = "utf-8"
        ctype = headers.get("content-type")
        if ctype and "charset=" in ctype:
            self.encoding = (
                ctype.split("charset=", 1)[1]
                .split(";", 1)[0]
                .strip()
                .strip('"')
                .lower()
            )
        self._content = None

    def __repr__(self):
        return f"<Response [{self.status_code}]>"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self.raw is not None:
            self.raw.close()

    @property
    def ok(self):
        return self.status_code < 400

    def raise_for_status(self):
        if self.status_code >= 400:
            raise HTTPError(f"{self.status_code} {self.reason} for {self.url}")

    @property
    def content(self):
        if self._content is None:
            self._content = self.raw.read()
        return self._content

    @property
    def text(self):
        return self.content.decode(self.encoding or "utf-8")

    def json(self):
        return _json.loads(self.content)

    def iter_content(self, chunk_size=512, decode_unicode=False):
        """Yield the body in pieces of at most ``chunk_size`` bytes.

        Only one piece is alive at a time, so with ``stream=True`` memory is
        bounded by ``chunk_size`` whatever the body size. The default is 512,
        not requests' 1: byte-at-a-time reads are a trap on a microcontroller.
        ``Response.raw.readinto(buf)`` reads without allocating at all.
        """
        if chunk_size is None or chunk_size < 1:
            chunk_size = 512
        if self._content is not None:
            src = self._content
            for i in range(0, len(src), chunk_size):
                piece = src[i : i + chunk_size]
                yield piece.decode() if decode_unicode else piece
            return
        carry = b""
        while True:
            b = self.raw.read(chunk_size)
            if not b:
                break
            if decode_unicode:
                if carry:
                    b = carry + b
                cut = _utf8_cut(b)
                carry = b[cut:]
                yield b[:cut].decode()
            else:
                yield b
        if carry:
            yield carry.decode()


def _read_head(conn, method):
    """Read the status line and headers; 1xx interim responses are skipped."""
    sock = conn.sock
    while True:
        line = _readline(sock)
        if not line:
            raise _closed("before the status line")
        if not line.endswith(b"\n"):
            raise _closed("inside the status line")
        parts = line.split(None, 2)
        if (
            len(parts) < 2
            or parts[0] not in (b"HTTP/1.1", b"HTTP/1.0")
            or len(parts[1]) != 3
            or not parts[1].isdigit()
        ):
            raise ValueError(f"malformed status line {line[:80]!r}")
        status = int(parts[1])
        reason = parts[2].strip().decode() if len(parts) > 2 else ""
        headers = Headers()
        count = 0
        total = 0
        last = None
        while True:
            line = _readline(sock)
            if line in (b"\r\n", b"\n"):
                break
            if not line.endswith(b"\n"):
                raise _closed("inside the response headers")
            count += 1
            total += len(line)
            if count > MAX_HEADERS or total > MAX_HEADER_BYTES:
                raise ValueError(
                    f"response headers exceed {MAX_HEADERS} lines"
                    f" or {MAX_HEADER_BYTES} bytes"
                )
            if line[0] in (32, 9):
                # Obsolete line folding: continue the previous header's value.
                if last is None:
                    raise ValueError(f"malformed header line {line[:80]!r}")
                headers._add(last, line.strip().decode())
                continue
            name, sep, value = line.partition(b":")
            if not sep or not name or name != name.strip():
                raise ValueError(f"malformed header line {line[:80]!r}")
            last = name.decode()
            headers._add(last, value.strip().decode())
        if status >= 200 or status == 101:
            return parts[0], status, reason, headers


def _body_for(conn, version, status, headers, method, sent_close):
    conn_tokens = (headers.get("connection") or "").lower()
    if version == b"HTTP/1.1":
        reusable = "close" not in conn_tokens
    else:
        reusable = "keep-alive" in conn_tokens
    reusable = reusable and not sent_close
    if method == "HEAD" or status in (204, 304) or status < 200:
        return _Body(conn, _NONE, 0, reusable)
    te = headers.get("transfer-encoding")
    if te is not None:
        if te.lower().rstrip().endswith("chunked"):
            return _Body(conn, _CHUNKED, 0, reusable)
        return _Body(conn, _CLOSE, 0, False)
    cl = headers.get("content-length")
    if cl is not None:
        # Repeated identical values ("5, 5") are tolerated, differing ones are not.
        vals = [v.strip() for v in cl.split(",")]
        for v in vals:
            # More than 15 digits is beyond any body a device can take, and beyond
            # a machine word on 32-bit ports (OverflowError further down).
            if not v.isdigit() or v != vals[0] or len(v) > 15:
                raise ValueError(f"bad Content-Length {cl[:40]!r}")
        return _Body(conn, _LENGTH, int(vals[0]), reusable)
    return _Body(conn, _CLOSE, 0, False)


# --- the request itself ------------------------------------------------------


# Credentials that must not follow a redirect to another origin, whatever their
# source (call headers, Session headers, ``auth=``), as requests' rebuild_auth.
_CREDENTIALS = ("authorization", "proxy-authorization", "cookie")


def _merge_headers(sess_headers, headers, drop):
    """Session and call headers merged case-insensitively into a new dict
    (lower-case name -> (name, value)); the call wins and a None value removes
    a header; names in ``drop`` are left out. Checked here, before any
    connection is made."""
    merged = {}
    for src in (sess_headers, headers):
        if src:
            for k, v in src.items():
                _check_field(k, "name", True)
                lk = k.lower()
                if v is None or lk in drop:
                    merged.pop(lk, None)
                else:
                    v = v if isinstance(v, (str, bytes, bytearray)) else str(v)
                    _check_field(v, "value", False)
                    merged[lk] = (k, v)
    return merged


def _strips_credentials(old, new):
    """True when a redirect from ``old`` to ``new`` (_URL) leaves the origin.

    As requests' should_strip_auth: another host, port or scheme, except the
    upgrade from http on port 80 to https on port 443 of the same host, which
    only makes the credentials safer.
    """
    if old.host.lower() != new.host.lower():
        return True
    if (old.scheme, old.port, new.scheme, new.port) == ("http", 80, "https", 443):
        return False
    return old.port != new.port or old.scheme != new.scheme


def _write_head(sock, u, method, merged, auth, ctype, length, chunked, close):
    """Write the request line and headers.

    The head is gathered in a buffer that is flushed whenever it passes 1 KiB,
    so it normally leaves as one TCP segment / TLS record; the unflushed tail
    is returned so the caller can append a small body to it.
    """
    head = bytearray()
    # bytearray += str copies the UTF-8 bytes without a temporary bytes object.
    head += method
    head += " "
    head += u.target
    head += " HTTP/1.1\r\n"
    if "host" not in merged:
        head += "Host: "
        head += u.hostport
        head += "\r\n"
    for lk, (k, v) in merged.items():
        if lk in ("content-length", "transfer-encoding"):
            # Framing is ours: Content-Length counted in bytes, or chunked. A
            # caller's Content-Length was already taken for a streamed body.
            continue
        head += k
        head += ": "
        head += v
        head += "\r\n"
        if len(head) > 1024:
            _write(sock, head)
            head = bytearray()
    if auth is not None and "authorization" not in merged:
        head += "Authorization: "
        head += _basic_auth(auth[0], auth[1])
        head += "\r\n"
    if ctype is not None and "content-type" not in merged:
        head += "Content-Type: "
        head += ctype
        head += "\r\n"
    if chunked:
        head += "Transfer-Encoding: chunked\r\n"
    elif length is not None:
        head += f"Content-Length: {length}\r\n"
    elif method in ("POST", "PUT", "PATCH"):
        head += "Content-Length: 0\r\n"
    if close and "connection" not in merged:
        head += "Connection: close\r\n"
    head += "\r\n"
    return head


def _user_says_close(headers):
    if headers:
        for k, v in headers.items():
            if (
                k.lower() == "connection"
                and v is not None
                and "close" in str(v).lower()
            ):
                return True
    return False


def _user_length(headers):
    if headers:
        for k, v in headers.items():
            if k.lower() == "content-length" and v is not None:
                v = str(v).strip()
                if not v.isdigit():
                    raise ValueError(f"bad Content-Length header {v!r}")
                return int(v)
    return None


class InsecureRedirect(ValueError):
    """A redirect from https to plain http, which is never followed."""


class Session:
    """Keeps one idle connection per (scheme, host, port) for reuse.

    ``headers``, ``auth``, ``verify`` and ``cert`` apply to every request made
    through the session (per-call values win). The module-level functions run
    through the same code with a session that keeps nothing (``_OneShot``).
    """

    _keep = True  # pool connections; False sends Connection: close

    def __init__(self, headers=None, auth=None, verify=True, cert=None):
        self.headers = dict(headers) if headers else {}
        self.auth = auth
        self.verify = verify
        self.cert = cert
        self._pool = {}
        self._ctx = None  # (verify, cert, SSLContext): contexts are costly to build

    def _take(self, key):
        conn = self._pool.pop(key, None)
        if conn is not None and conn.stale():
            conn.close()
            conn = None
        return conn

    def _put(self, conn):
        old = self._pool.pop(conn.key, None)
        if old is not None:
            old.close()
        while len(self._pool) >= MAX_IDLE:
            self._pool.popitem()[1].close()
        self._pool[conn.key] = conn

    def _context(self, verify, cert):
        c = self._ctx
        if c is None or c[0] is not verify or c[1] is not cert:
            c = self._ctx = (verify, cert, _tls_context(verify, cert))
        return c[2]

    def close(self):
        while self._pool:
            self._pool.popitem()[1].close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def request(
        self,
        method,
        url,
        data=None,
        json=None,
        headers=None,
        params=None,
        auth=None,
        timeout=None,
        stream=False,
        allow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        files=None,
        verify=None,
        cert=None,
    ):
        method = method.upper()
        for c in method:
            if not 32 < ord(c) < 127:
                raise ValueError(f"bad HTTP method {method!r}")
        if params:
            q = _form(params).decode()
            base = url.partition("#")[0]
            url = base + ("&" if "?" in base else "?") + q
        body, ctype, length = _prepare_body(data, json, files)
        if auth is None:
            auth = self.auth
        if verify is None:
            verify = self.verify
        if cert is None:
            cert = self.cert
        drop = ()  # header names left out once a redirect has left the origin
        redirects = 0
        u = _URL(url)
        while True:
            a = None if drop else auth if auth is not None else u.auth
            r = self._exchange(
                method, u, url, headers, drop, body, ctype, length, a, timeout,
                verify, cert,
            )  # fmt: skip
            loc = r.headers.get("location")
            if (
                not allow_redirects
                or r.status_code not in (301, 302, 303, 307, 308)
                or not loc
            ):
                break
            if redirects >= max_redirects:
                r.close()
                raise TooManyRedirects(
                    f"more than {max_redirects} redirects (last to {loc[:200]})"
                )
            redirects += 1
            r.raw.drain(_DRAIN_LIMIT)
            r.close()
            url = _join(url, loc)
            nu = _URL(url)
            if u.scheme == "https" and nu.scheme == "http":
                raise InsecureRedirect(
                    f"refusing to follow a redirect from https to plain http ({url[:200]});"
                    " request the http URL yourself if that is really meant"
                )
            if _strips_credentials(u, nu):
                # Once dropped they stay dropped, even if a later hop comes back.
                drop = _CREDENTIALS
            u = nu
            code = r.status_code
            if (code == 303 and method != "HEAD") or (
                code in (301, 302) and method == "POST"
            ):
                method = "GET"
                body = ctype = length = None
                if headers:
                    headers = {
                        k: v
                        for k, v in headers.items()
                        if k.lower() not in ("content-type", "content-length")
                    }
            elif body is not None and not isinstance(
                body, (bytes, bytearray, memoryview)
            ):
                raise ValueError(
                    f"cannot resend a streamed body after a {code} redirect"
                )
        if not stream:
            r._content = r.raw.read()
        return r

    def _exchange(
        self, method, u, url, headers, drop, body, ctype, length, auth, timeout,
        verify, cert,
    ):  # fmt: skip
        sess_headers = self.headers
        close = (
            not self._keep
            or _user_says_close(sess_headers)
            or _user_says_close(headers)
        )
        replayable = body is None or isinstance(body, (bytes, bytearray, memoryview))
        chunked = False
        if body is not None and length is None:
            length = _user_length(headers) or _user_length(sess_headers)
            chunked = length is None
        merged = _merge_headers(sess_headers, headers, drop)
        ctx = self._context(verify, cert) if u.scheme == "https" else None
        attempt = 0
        while True:
            attempt += 1
            conn = self._take(u.key)
            reused = conn is not None
            if conn is None:
                conn = _Conn(u, timeout, ctx, self if self._keep else None)
            else:
                conn.raw.settimeout(_split_timeout(timeout)[1])
            try:
                sock = conn.sock
                head = _write_head(
                    sock, u, method, merged, auth, ctype, length, chunked, close
                )
                if body is not None and replayable and len(head) + len(body) <= 1024:
                    head += body  # a small body shares the head's segment / TLS record
                    _write(sock, head)
                else:
                    _write(sock, head)
                    if body is not None:
                        if replayable:
                            _write(sock, body)
                        else:
                            _send_body(sock, body, length, chunked)
                version, status, reason, rheaders = _read_head(conn, method)
                rbody = _body_for(conn, version, status, rheaders, method, close)
            except OSError as e:
                conn.close()
                # A kept-alive connection the server dropped: retry once on a new
                # one, unless the body was a one-shot stream or we merely timed out.
                if (
                    reused
                    and replayable
                    and attempt == 1
                    and e.errno not in (_EAGAIN, _ETIMEDOUT)
                ):
                    continue
                raise
            except BaseException:
                conn.close()
                raise
            return Response(status, reason, rheaders, rbody, url)

    def head(self, url, **kw):
        kw.setdefault("allow_redirects", False)
        return self.request("HEAD", url, **kw)

    def get(self, url, **kw):
        return self.request("GET", url, **kw)

    def post(self, url, data=None, json=None, **kw):
        return self.request("POST", url, data=data, json=json, **kw)

    def put(self, url, data=None, **kw):
        return self.request("PUT", url, data=data, **kw)

    def patch(self, url, data=None, **kw):
        return self.request("PATCH", url, data=data, **kw)

    def delete(self, url, **kw):
        return self.request("DELETE", url, **kw)


class _OneShot(Session):
    """The module-level calls: one connection per request, Connection: close,
    nothing kept between calls (a TLS context is built per call too, so
    ``set_default_ca()`` takes effect at once)."""

    _keep = False

    def _take(self, key):
        return None

    def _context(self, verify, cert):
        return _tls_context(verify, cert)


_ONE_SHOT = _OneShot()


def request(method, url, *args, **kw):
    """``Session.request`` without a session: same arguments, same code."""
    return _ONE_SHOT.request(method, url, *args, **kw)


def head(url, **kw):
    kw.setdefault("allow_redirects", False)
    return request("HEAD", url, **kw)


def get(url, params=None, **kw):
    return request("GET", url, params=params, **kw)


def post(url, data=None, json=None, **kw):
    return request("POST", url, data=data, json=json, **kw)


def put(url, data=None, **kw):
    return request("PUT", url, data=data, **kw)


def patch(url, data=None, **kw):
    return request("PATCH", url, data=data, **kw)


def delete(url, **kw):
    return request("DELETE", url, **kw)
