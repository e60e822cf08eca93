"""TCP peers: a threaded acceptor shared by every TCP server, echo, sink and source."""

import socket
import threading
import time

from .base import _JOIN_TIMEOUT, _POLL, LOOPBACK, recv_all, rst_close, send_bytes

# --------------------------------------------------------------------------------------
# A threaded TCP acceptor shared by every TCP peer


class TcpServer:
    """Accepts TCP connections on 127.0.0.1 and runs ``handler(conn, addr)`` in a
    thread per connection, closing ``conn`` when the handler returns.

    The base of every TCP peer, and what the ``tcp_server`` fixture returns so tests
    can write misbehaving peers (reset, never read, send garbage...). Exceptions a
    handler raises are kept in ``errors`` rather than raised: a peer that the
    firmware resets mid-handler is usually what the test wanted.
    """

    def __init__(self, handler=None, *, ssl_context=None, name="tcp"):
        self._handler = handler
        self._ssl_context = ssl_context
        self.name = name
        self.connections = 0
        self.errors = []
        self._lock = threading.Lock()
        self._conn_cond = threading.Condition(self._lock)
        self._live = set()
        self._threads = []
        self._stop = threading.Event()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((LOOPBACK, 0))
        self._listener.listen(128)
        self._listener.settimeout(_POLL)
        self.port = self._listener.getsockname()[1]
        self.address = (LOOPBACK, self.port)
        self._accept_thread = threading.Thread(
            target=self._accept_loop, name=f"{name}-accept-{self.port}", daemon=True
        )
        self._accept_thread.start()

    @property
    def stopping(self):
        """True once close() has begun; long-running handlers should check it."""
        return self._stop.is_set()

    def wait_connections(self, n, timeout=10.0):
        """Block until at least ``n`` connections were accepted; return the count."""
        with self._conn_cond:
            self._conn_cond.wait_for(lambda: self.connections >= n, timeout)
            return self.connections

    def wait_idle(self, timeout=10.0):
        """Block until no connection handler is running (e.g. the firmware closed
        everything); return True if that happened within ``timeout``."""
        with self._conn_cond:
            return self._conn_cond.wait_for(lambda: not self._live, timeout)

    def _accept_loop(self):
        while not self._stop.is_set():
            try:
                conn, addr = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                break
            with self._conn_cond:
                self.connections += 1
                index = self.connections
                self._live.add(conn)
                self._conn_cond.notify_all()
            t = threading.Thread(
                target=self._run,
                args=(conn, addr, index),
                name=f"{self.name}-conn-{index}",
                daemon=True,
            )
            self._threads.append(t)
            t.start()

    def _run(self, conn, addr, index):
        sock = conn
        try:
            if self._ssl_context is not None:
                # The handshake runs here, not in the accept loop, so a client that
                # stalls or rejects the certificate never blocks other connections.
                # wrap_socket takes the descriptor over from conn, so the TLS
                # socket replaces it in _live before the handshake can block.
                with self._lock:
                    sock = self._ssl_context.wrap_socket(
                        conn, server_side=True, do_handshake_on_connect=False
                    )
                    self._live.discard(conn)
                    self._live.add(sock)
                sock.settimeout(30)
                sock.do_handshake()
                sock.settimeout(None)
            self.handle(sock, addr, index)
        # Any failure is kept, never raised: a peer the firmware resets mid-handler
        # is usually what the test wanted, and the test can inspect `errors`.
        except Exception as exc:  # noqa: BLE001
            self.errors.append(exc)
        finally:
            try:
                sock.close()
            except OSError:
                pass
            with self._conn_cond:
                self._live.discard(conn)
                self._live.discard(sock)
                self._conn_cond.notify_all()

    def handle(self, conn, addr, index):
        """Serve one connection; subclasses override, the default calls handler."""
        self._handler(conn, addr)

    def close(self):
        """Stop accepting, unblock every handler by shutting its socket down, and
        join all threads (bounded by _JOIN_TIMEOUT)."""
        if self._stop.is_set():
            return
        self._stop.set()
        self._accept_thread.join(_JOIN_TIMEOUT)
        self._listener.close()
        with self._lock:
            live = list(self._live)
        for conn in live:
            try:
                # socket.socket.shutdown on purpose: SSLSocket.shutdown would drop the
                # TLS object under a thread that may be using it.
                socket.socket.shutdown(conn, socket.SHUT_RDWR)
            except OSError:
                pass
        deadline = time.monotonic() + _JOIN_TIMEOUT
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class EchoServer(TcpServer):
    """TCP echo: sends back everything it receives until the client closes, then
    closes. ``received`` counts bytes over all connections."""

    def __init__(self, *, ssl_context=None):
        self.received = 0
        super().__init__(ssl_context=ssl_context, name="echo")

    def handle(self, conn, addr, index):
        while True:
            data = conn.recv(65536)
            if not data:
                break
            with self._lock:
                self.received += len(data)
            conn.sendall(data)
        try:
            conn.shutdown(socket.SHUT_WR)
        except OSError:
            pass


class Sink:
    """A tcp_server handler that reads until EOF and keeps what came.

    ``data`` holds the bytes of the last finished connection, ``received`` the
    byte total, and ``done`` is set when a connection reached EOF. With
    ``delay_first`` it waits that long before reading, so the firmware's send
    window fills up (backpressure tests).
    """

    def __init__(self, delay_first=0.0):
        self.delay_first = delay_first
        self.data = b""
        self.received = 0
        self.done = threading.Event()

    def __call__(self, conn, addr):
        if self.delay_first:
            time.sleep(self.delay_first)
        chunks = []
        while True:
            data = conn.recv(65536)
            if not data:
                break
            chunks.append(data)
            self.received += len(data)
        self.data = b"".join(chunks)
        self.done.set()


def sink(delay_first=0.0):
    """Return a Sink handler (see Sink)."""
    return Sink(delay_first)


def source(n, seed=0, *, chunk=65536, close="fin"):
    """Return a tcp_server handler that sends ``send_bytes(n, seed)`` and then ends
    the connection: ``close='fin'`` (orderly), ``'rst'`` (abort right after the
    data) or ``'keep'`` (waits for the client to close first)."""
    if close not in ("fin", "rst", "keep"):
        raise ValueError(f"close must be 'fin', 'rst' or 'keep', not {close!r}")
    data = send_bytes(n, seed)

    def handler(conn, addr):
        view = memoryview(data)
        for i in range(0, len(view), chunk):
            conn.sendall(view[i : i + chunk])
        if close == "rst":
            rst_close(conn)
        elif close == "keep":
            recv_all(conn)

    return handler
