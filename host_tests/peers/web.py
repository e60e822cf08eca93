"""HTTP/1.1: a scriptable server, its requests and replies."""

import http
import json
import select
import time
import urllib.parse

from .base import _POLL, FIRMWARE_HOST, LOOPBACK, pattern, rst_close
from .tcp import TcpServer

# --------------------------------------------------------------------------------------
# HTTP/1.1


class Headers:
    """Ordered, case-insensitive HTTP headers that keep duplicates and the
    original spelling (so tests can assert exactly what went over the wire)."""

    def __init__(self, items=()):
        self._items = list(items)

    def __getitem__(self, name):
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def get(self, name, default=None):
        """The last value of ``name`` (case-insensitive), or ``default``."""
        lname = name.lower()
        for k, v in reversed(self._items):
            if k.lower() == lname:
                return v
        return default

    def get_all(self, name):
        """Every value of ``name``, in wire order."""
        lname = name.lower()
        return [v for k, v in self._items if k.lower() == lname]

    def __contains__(self, name):
        return self.get(name) is not None

    def items(self):
        """(name, value) pairs in wire order, duplicates included."""
        return list(self._items)

    def keys(self):
        return [k for k, _ in self._items]

    def __iter__(self):
        return iter(self.keys())

    def __len__(self):
        return len(self._items)

    def __repr__(self):
        return f"Headers({self._items!r})"


class Request:
    """One HTTP request as the server received it.

    ``raw`` is the exact bytes of this request on the wire (head and body, chunk
    framing included); ``body`` is the de-chunked body. ``connection`` numbers the TCP
    connection it came on (1, 2, ...), so keep-alive reuse is visible.
    """

    def __init__(
        self, method, target, version, headers, body, raw, connection, trailers, chunked
    ):
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.body = body
        self.raw = raw
        self.connection = connection
        self.trailers = trailers
        self.chunked = chunked
        parts = urllib.parse.urlsplit(target)
        self.path = parts.path
        self.query_string = parts.query
        # First value per key; tests wanting repeats use query_string.
        self.query = {}
        for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True):
            self.query.setdefault(k, v)
        self.params = {}

    def json(self):
        """The body parsed as JSON."""
        return json.loads(self.body)

    def __repr__(self):
        return f"<Request {self.method} {self.target} conn={self.connection} body={len(self.body)}B>"


class Response:
    """What a route handler returns (handlers may also return str, bytes, dict/list
    for JSON, or a (status, headers, body) tuple).

    - ``headers``: dict or list of pairs, sent in order. A Content-Length given here
      is sent as is and the server adds none (a lying length is then the test's choice).
    - ``chunked=True``: Transfer-Encoding: chunked; ``chunks`` (list of bytes) sets the
      chunk boundaries, else ``body`` is cut every ``chunk_size`` bytes. ``chunk_ext``
      (e.g. ``';name=value'``) is appended to every chunk-size line, ``trailers``
      (dict) follows the last chunk, ``chunk_delay`` sleeps between chunks.
    - ``until_close=True``: no length at all; the body ends when the server closes.
    - ``close=True``: Connection: close and close after the response.
    - ``delay``: seconds to wait before sending anything.
    """

    def __init__(
        self,
        status=200,
        headers=None,
        body=b"",
        *,
        chunked=False,
        chunks=None,
        chunk_size=1024,
        chunk_ext="",
        trailers=None,
        chunk_delay=0.0,
        until_close=False,
        close=False,
        delay=0.0,
        reason=None,
    ):
        self.status = status
        self.headers = (
            list(headers.items()) if isinstance(headers, dict) else list(headers or [])
        )
        self.body = body.encode() if isinstance(body, str) else bytes(body)
        self.chunked = chunked or chunks is not None
        self.chunks = chunks
        self.chunk_size = chunk_size
        self.chunk_ext = chunk_ext
        self.trailers = dict(trailers or {})
        self.chunk_delay = chunk_delay
        self.until_close = until_close
        self.close = close or until_close
        self.delay = delay
        self.reason = reason


class Raw:
    """Bytes written to the socket verbatim, for malformed responses.

    After writing: ``close=True`` closes the connection (default), ``hang=True``
    keeps it open without sending anything more until the client goes away or the
    server stops, and with both False the connection stays in keep-alive for the
    next request. ``delay`` waits before writing; ``rst=True`` ends with a RST.
    """

    def __init__(self, data, *, close=True, hang=False, delay=0.0, rst=False):
        self.data = data.encode() if isinstance(data, str) else bytes(data)
        self.close = close
        self.hang = hang
        self.delay = delay
        self.rst = rst


def redirect(location, status=302, body=b""):
    """A redirect response (301/302/303/307/308) to ``location``."""
    return Response(status, {"Location": location}, body)


class BadRequest(Exception):
    """The client sent something that is not HTTP/1.1; the server answers 400."""


class _Conn:
    """A buffered reader over one connection that records the raw bytes read."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = bytearray()
        self.raw = bytearray()

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError
        self.buf += data

    def read_until(self, sep, limit):
        while True:
            i = self.buf.find(sep)
            if i >= 0:
                return self._take(i + len(sep))
            if len(self.buf) > limit:
                raise BadRequest("line or head too long")
            self._fill()

    def read(self, n):
        while len(self.buf) < n:
            self._fill()
        return self._take(n)

    def _take(self, n):
        out = bytes(self.buf[:n])
        del self.buf[:n]
        self.raw += out
        return out


_MAX_HEAD = 64 * 1024


class HttpServer(TcpServer):
    """An HTTP/1.1 server on raw sockets with real keep-alive, pipelining, chunked
    requests and responses, and hooks for malformed replies.

    Routes: ``route(method, path, handler)`` where ``path`` may hold ``<name>``
    segments (given to the handler as ``request.params``) and method ``'ANY'``
    matches every method; a ``GET`` route also answers ``HEAD``. Later routes win,
    so a test can replace a default. ``requests`` lists every Request, ``connections``
    counts accepted TCP connections.

    Default routes:
      GET /                -> 200 "hello from loopback"
      GET /bytes/<n>       -> pattern(n) with Content-Length
      GET /stream/<n>      -> pattern(n) chunked (?chunk=size, default 1024)
      ANY /echo            -> JSON {method, path, query, query_string, headers, body, ...}
      GET /status/<code>   -> that status with a short text body
      ANY /redirect/<code> -> redirect with that code to ?to= (default /)
    """

    def __init__(self, *, ssl_context=None, host=FIRMWARE_HOST):
        self.requests = []
        self.bad_requests = []
        self.host = host
        self.scheme = "https" if ssl_context is not None else "http"
        self._routes = []
        self._install_defaults()
        super().__init__(ssl_context=ssl_context, name=self.scheme)

    # -- public API --

    def url(self, path="/", host=None):
        """The URL the firmware uses: ``http://10.0.2.2:PORT/path``. ``host``
        replaces the address, e.g. 'test.example' to go through the test DNS (and
        to check TLS hostname verification by name)."""
        return f"{self.scheme}://{host or self.host}:{self.port}/{path.lstrip('/')}"

    def local_url(self, path="/"):
        """The same resource for a CPython client on the PC (127.0.0.1)."""
        return f"{self.scheme}://{LOOPBACK}:{self.port}/{path.lstrip('/')}"

    def route(self, method, path, handler):
        """Serve ``handler(request)`` for ``method path``; returns the handler so it
        can be used as a decorator-like call."""
        self._routes.append((method.upper(), [s for s in path.split("/")], handler))
        return handler

    def wait_requests(self, n, timeout=10.0):
        """Block until ``n`` requests arrived; return the list."""
        deadline = time.monotonic() + timeout
        while len(self.requests) < n and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.requests

    # -- default routes --

    def _install_defaults(self):
        self.route(
            "GET",
            "/",
            lambda req: Response(
                200, {"Content-Type": "text/plain"}, b"hello from loopback"
            ),
        )
        self.route("GET", "/bytes/<n>", self._bytes)
        self.route("GET", "/stream/<n>", self._stream)
        self.route("ANY", "/echo", self._echo)
        self.route("GET", "/status/<code>", self._status)
        self.route(
            "ANY",
            "/redirect/<code>",
            lambda req: redirect(req.query.get("to", "/"), int(req.params["code"])),
        )

    @staticmethod
    def _bytes(req):
        n = int(req.params["n"])
        return Response(200, {"Content-Type": "application/octet-stream"}, pattern(n))

    @staticmethod
    def _stream(req):
        n = int(req.params["n"])
        size = int(req.query.get("chunk", 1024))
        return Response(
            200,
            {"Content-Type": "application/octet-stream"},
            pattern(n),
            chunked=True,
            chunk_size=size,
        )

    @staticmethod
    def _status(req):
        code = int(req.params["code"])
        return Response(code, {"Content-Type": "text/plain"}, f"status {code}")

    @staticmethod
    def _echo(req):
        doc = {
            "method": req.method,
            "path": req.path,
            "query": req.query,
            "query_string": req.query_string,
            "version": req.version,
            "headers": {k: v for k, v in req.headers.items()},
            "header_list": req.headers.items(),
            "body": req.body.decode("utf-8", "replace"),
            "body_len": len(req.body),
            "chunked": req.chunked,
            "connection": req.connection,
        }
        return Response(200, {"Content-Type": "application/json"}, json.dumps(doc))

    # -- serving --

    def _find(self, method, path):
        segs = path.split("/")
        path_matched = False
        for rmethod, rsegs, handler in reversed(self._routes):
            if len(rsegs) != len(segs):
                continue
            params = {}
            for r, s in zip(rsegs, segs):
                if r.startswith("<") and r.endswith(">"):
                    params[r[1:-1]] = urllib.parse.unquote(s)
                elif r != s:
                    break
            else:
                path_matched = True
                if rmethod in ("ANY", "*", method) or (
                    rmethod == "GET" and method == "HEAD"
                ):
                    return handler, params
        return None, path_matched

    def handle(self, sock, addr, index):
        conn = _Conn(sock)
        while not self.stopping:
            try:
                req = self._read_request(conn, index)
            except EOFError:
                if conn.raw or conn.buf:
                    self.bad_requests.append(
                        (bytes(conn.raw + conn.buf), "connection closed mid-request")
                    )
                return
            except (BadRequest, ValueError, UnicodeDecodeError) as exc:
                self.bad_requests.append((bytes(conn.raw + conn.buf), str(exc)))
                self._write(
                    sock,
                    Response(
                        400,
                        {"Content-Type": "text/plain"},
                        f"bad request: {exc}",
                        close=True,
                    ),
                    "GET",
                )
                return
            self.requests.append(req)
            reply = self._dispatch(req)
            if isinstance(reply, Raw):
                if reply.delay:
                    time.sleep(reply.delay)
                sock.sendall(reply.data)
                if reply.rst:
                    rst_close(sock)
                    return
                if reply.hang:
                    self._hang(sock)
                    return
                if reply.close:
                    return
                continue
            keep = self._keep_alive(req) and not reply.close
            if not keep and not any(
                k.lower() == "connection" for k, _ in reply.headers
            ):
                reply.headers.append(("Connection", "close"))
            self._write(sock, reply, req.method)
            if not keep:
                return

    def _hang(self, sock):
        # Holds the connection open, sending nothing, until the client closes it
        # or the server stops; whatever the client sends is read and dropped.
        while not self.stopping:
            r, _, _ = select.select([sock], [], [], _POLL)
            if r:
                try:
                    if not sock.recv(65536):
                        return
                except OSError:
                    return

    @staticmethod
    def _keep_alive(req):
        tokens = [
            t.strip().lower()
            for v in req.headers.get_all("Connection")
            for t in v.split(",")
        ]
        if "close" in tokens:
            return False
        if req.version == "HTTP/1.0":
            return "keep-alive" in tokens
        return True

    def _dispatch(self, req):
        handler, params = self._find(req.method, req.path)
        if handler is None:
            status = 405 if params else 404
            return Response(
                status, {"Content-Type": "text/plain"}, http.HTTPStatus(status).phrase
            )
        req.params = params
        try:
            reply = handler(req)
        # A broken route handler becomes a 500 and an entry in `errors` rather
        # than a dead connection thread that leaves the client hanging.
        except Exception as exc:  # noqa: BLE001
            self.errors.append(exc)
            return Response(
                500,
                {"Content-Type": "text/plain"},
                f"handler raised {exc!r}",
                close=True,
            )
        return self._coerce(reply)

    @staticmethod
    def _coerce(reply):
        if isinstance(reply, (Response, Raw)):
            return reply
        if isinstance(reply, str):
            return Response(200, {"Content-Type": "text/plain; charset=utf-8"}, reply)
        if isinstance(reply, (bytes, bytearray)):
            return Response(200, {"Content-Type": "application/octet-stream"}, reply)
        if isinstance(reply, (dict, list)):
            return Response(
                200, {"Content-Type": "application/json"}, json.dumps(reply)
            )
        if isinstance(reply, tuple):
            return Response(*reply)
        raise TypeError(f"route handler returned {type(reply).__name__}")

    def _read_request(self, conn, index):
        conn.raw = bytearray()
        # Tolerate the stray CRLFs some clients send between requests (RFC 9112 §2.2).
        while True:
            line = conn.read_until(b"\r\n", _MAX_HEAD)
            if line != b"\r\n":
                break
            conn.raw = bytearray()
        parts = line.decode("latin-1").rstrip("\r\n").split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise BadRequest(f"bad request line {line!r}")
        method, target, version = parts
        headers = self._read_headers(conn)
        body, trailers, chunked = b"", Headers(), False
        te = headers.get("Transfer-Encoding")
        if headers.get("Expect", "").lower() == "100-continue":
            conn.sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        if te is not None:
            if te.strip().lower() != "chunked":
                raise BadRequest(f"unsupported Transfer-Encoding {te!r}")
            chunked = True
            body, trailers = self._read_chunked(conn)
        elif "Content-Length" in headers:
            length = int(headers["Content-Length"])
            if length < 0:
                raise BadRequest("negative Content-Length")
            body = conn.read(length)
        return Request(
            method,
            target,
            version,
            headers,
            body,
            bytes(conn.raw),
            index,
            trailers,
            chunked,
        )

    @staticmethod
    def _read_headers(conn):
        items = []
        while True:
            line = conn.read_until(b"\r\n", _MAX_HEAD)
            if line == b"\r\n":
                return Headers(items)
            name, sep, value = line.decode("latin-1").partition(":")
            if not sep or not name or name != name.strip():
                raise BadRequest(f"bad header line {line!r}")
            items.append((name, value.strip()))
            if len(conn.raw) > _MAX_HEAD:
                raise BadRequest("head too long")

    def _read_chunked(self, conn):
        chunks = []
        while True:
            line = conn.read_until(b"\r\n", 1024)
            size_text = line.split(b";", 1)[0].strip()
            size = int(size_text, 16)
            if size == 0:
                break
            chunks.append(conn.read(size))
            if conn.read(2) != b"\r\n":
                raise BadRequest("chunk not followed by CRLF")
        return b"".join(chunks), self._read_headers(conn)

    def _write(self, sock, reply, method):
        if reply.delay:
            time.sleep(reply.delay)
        reason = reply.reason
        if reason is None:
            try:
                reason = http.HTTPStatus(reply.status).phrase
            except ValueError:
                reason = "Unknown"
        head = [f"HTTP/1.1 {reply.status} {reason}"]
        names = {k.lower() for k, _ in reply.headers}
        no_body = reply.status in (204, 304) or 100 <= reply.status < 200
        if reply.chunked and "transfer-encoding" not in names:
            head.append("Transfer-Encoding: chunked")
        elif not reply.until_close and not no_body and "content-length" not in names:
            head.append(f"Content-Length: {len(reply.body)}")
        head.extend(f"{k}: {v}" for k, v in reply.headers)
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
        if method == "HEAD" or no_body:
            return
        if not reply.chunked:
            sock.sendall(reply.body)
            return
        chunks = reply.chunks
        if chunks is None:
            step = max(1, reply.chunk_size)
            chunks = [reply.body[i : i + step] for i in range(0, len(reply.body), step)]
        for chunk in chunks:
            if not chunk:
                continue  # a zero-size chunk would end the body early
            sock.sendall(
                f"{len(chunk):x}{reply.chunk_ext}\r\n".encode() + bytes(chunk) + b"\r\n"
            )
            if reply.chunk_delay:
                time.sleep(reply.chunk_delay)
        tail = "".join(f"{k}: {v}\r\n" for k, v in reply.trailers.items())
        sock.sendall(f"0{reply.chunk_ext}\r\n{tail}\r\n".encode("latin-1"))
