"""Event-loop peers for the benchmarks: TCP echo and a small HTTP/1.1 server.

host_tests/peers/ starts a thread per connection, which is right for tests but
puts a thread start (and the GIL hand-over) into every connection a benchmark
makes: on two cores that dominated, and blurred, the connection-rate figures.
These serve every connection from one thread with a selector instead. They bind
127.0.0.1 only; the firmware reaches them as 10.0.2.2.
"""

import selectors
import socket
import threading

LOOPBACK = "127.0.0.1"
_HEAD_MAX = 16384


class _Conn:
    __slots__ = ("close_after", "inbuf", "outbuf", "sock")

    def __init__(self, sock):
        self.sock = sock
        self.inbuf = bytearray()
        self.outbuf = bytearray()
        self.close_after = False


class LoopServer:
    """Accepts on 127.0.0.1 and serves every connection from one thread.

    A subclass implements ``received(conn)``, which consumes ``conn.inbuf`` and
    appends to ``conn.outbuf``; setting ``conn.close_after`` closes the
    connection once ``outbuf`` is sent. A connection is closed when the client
    closes its side.
    """

    def __init__(self, name):
        self._sel = selectors.DefaultSelector()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((LOOPBACK, 0))
        self._listener.listen(128)
        self._listener.setblocking(False)
        self.port = self._listener.getsockname()[1]
        self._sel.register(self._listener, selectors.EVENT_READ, None)
        # A socketpair wakes the loop for close().
        self._wake_r, self._wake_w = socket.socketpair()
        self._sel.register(self._wake_r, selectors.EVENT_READ, "wake")
        self._stop = False
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def received(self, conn):
        raise NotImplementedError

    def _accept(self):
        while True:
            try:
                sock, _ = self._listener.accept()
            except BlockingIOError:
                return
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._sel.register(sock, selectors.EVENT_READ, _Conn(sock))

    def _drop(self, conn):
        self._sel.unregister(conn.sock)
        conn.sock.close()

    def _flush(self, conn):
        while conn.outbuf:
            try:
                n = conn.sock.send(conn.outbuf)
            except BlockingIOError:
                break
            except OSError:
                self._drop(conn)
                return
            del conn.outbuf[:n]
        if conn.outbuf:
            self._sel.modify(
                conn.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, conn
            )
        elif conn.close_after:
            self._drop(conn)
        else:
            self._sel.modify(conn.sock, selectors.EVENT_READ, conn)

    def _serve(self, conn, events):
        if events & selectors.EVENT_READ:
            try:
                data = conn.sock.recv(262144)
            except BlockingIOError:
                data = None
            except OSError:
                data = b""
            if data == b"":
                self._drop(conn)
                return
            if data:
                conn.inbuf += data
                self.received(conn)
        self._flush(conn)

    def _loop(self):
        while not self._stop:
            for key, events in self._sel.select():
                if key.data is None:
                    self._accept()
                elif key.data == "wake":
                    self._wake_r.recv(16)
                else:
                    self._serve(key.data, events)
        for key in list(self._sel.get_map().values()):
            key.fileobj.close()
        self._sel.close()

    def close(self):
        self._stop = True
        self._wake_w.send(b"x")
        self._thread.join(5)
        self._wake_w.close()


class EchoServer(LoopServer):
    """Sends back everything it receives."""

    def __init__(self):
        super().__init__("loop-echo")

    def received(self, conn):
        conn.outbuf += conn.inbuf
        conn.inbuf.clear()


class HttpServer(LoopServer):
    """GET / (a 19-byte body) and GET /bytes/N (N zero bytes), HTTP/1.1 with
    keep-alive; ``Connection: close`` in a request closes after the response.
    Enough for urequests, not a general server."""

    def __init__(self):
        self._bodies = {}
        super().__init__("loop-http")

    def _body(self, path):
        if path == "/":
            return b"hello from loopback"
        if path.startswith("/bytes/") and path[7:].isdigit():
            n = int(path[7:])
            body = self._bodies.get(n)
            if body is None:
                body = self._bodies[n] = bytes(n)
            return body
        return None

    def received(self, conn):
        while True:
            end = conn.inbuf.find(b"\r\n\r\n")
            if end < 0:
                if len(conn.inbuf) > _HEAD_MAX:
                    conn.close_after = True
                    conn.inbuf.clear()
                return
            head = bytes(conn.inbuf[:end]).decode("latin-1").split("\r\n")
            del conn.inbuf[: end + 4]
            parts = head[0].split()
            close = any(
                h.lower().startswith("connection:") and "close" in h.lower()
                for h in head[1:]
            )
            body = self._body(parts[1]) if len(parts) == 3 else None
            if parts[:1] != ["GET"] or body is None:
                status, body, close = "404 Not Found", b"not found", True
            else:
                status = "200 OK"
            conn.outbuf += (
                f"HTTP/1.1 {status}\r\nContent-Type: application/octet-stream\r\n"
                f"Content-Length: {len(body)}\r\n"
                + ("Connection: close\r\n" if close else "")
                + "\r\n"
            ).encode("latin-1")
            conn.outbuf += body
            if close:
                conn.close_after = True
                conn.inbuf.clear()
                return
