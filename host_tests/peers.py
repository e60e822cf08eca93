"""Loopback peers for the host tests: the real servers the firmware talks to.

Everything here is plain CPython on the standard library. Every server binds
127.0.0.1 only (the firmware may reach nothing but this machine's
loopback), picks a free port itself, serves from daemon threads, and stops all of
its threads in ``close()`` so a test leaves nothing running behind it.

Inside the firmware, 127.0.0.1:PORT on the PC is reached as 10.0.2.2:PORT (the
slirp host alias); ``FIRMWARE_HOST`` names it so tests don't spell it out.
"""

import http
import ipaddress
import json
import os
import random
import select
import socket
import ssl
import struct
import subprocess
import threading
import time
import urllib.parse

LOOPBACK = "127.0.0.1"
# The PC as seen from inside the firmware.
FIRMWARE_HOST = "10.0.2.2"
FIRMWARE_HOST6 = "fec0::2"
# lwIP's usage counters that must come back to their baseline when every socket is
# gone: the pools (elements in use) and MEM_SIZE's heap (bytes in use). Keys of the
# firmware's network.LAN().stats() and the QEMU target's qemu.lwip_stats().
LWIP_USAGE = (
    "tcp_pcb",
    "tcp_pcb_listen",
    "udp_pcb",
    "raw_pcb",
    "tcp_seg",
    "pbuf",
    "pbuf_pool",
    "mem_used",
)

# How long close() waits for a server's threads before giving up on them. They are
# daemon threads, so a stuck one cannot keep the interpreter alive; this only bounds
# teardown time.
_JOIN_TIMEOUT = 5.0
# Poll interval of the accept/recv loops: how quickly close() is noticed.
_POLL = 0.05


# --------------------------------------------------------------------------------------
# Ports and byte patterns


def free_port():
    """Return a TCP port on 127.0.0.1 that was free a moment ago.

    For ``hostfwd`` host ports and for tests that need a port nobody listens on.
    The kernel picks it, so parallel sessions don't collide (short of a race with
    another process grabbing it before use, which is rare enough for tests).
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def free_udp_port():
    """Return a UDP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


# Byte i of pattern(n, seed) is (i*7 + (i >> 8)*11 + 3 + seed) & 255. The (i >> 8)
# term stretches the period to 64 KiB, so a lost, repeated or reordered block of any
# size up to 64 KiB (a whole MSS, a 256-byte buffer) shows up as a mismatch, which a
# plain i*7+3 pattern (period 256) would hide for multiples of 256.
_PERIOD = 65536
_pattern_cache = {}


def _pattern_period(seed):
    """One 64 KiB period of the pattern for ``seed``, built with bytes.translate
    (C speed) rather than a per-byte Python loop, and cached."""
    seed &= 255
    block = _pattern_cache.get(seed)
    if block is None:
        row = bytes((k * 7 + 3) & 255 for k in range(256))
        rows = []
        for j in range(256):
            shift = (j * 11 + seed) & 255
            table = bytes((x + shift) & 255 for x in range(256))
            rows.append(row.translate(table))
        block = b"".join(rows)
        _pattern_cache[seed] = block
    return block


def pattern(n, seed=0, offset=0):
    """Return ``n`` deterministic bytes starting at stream ``offset``.

    Cheap for megabytes (a 1 MiB pattern costs about a millisecond), so tests can
    compare whole transfers byte-exactly instead of trusting lengths or hashes.
    ``MP_PATTERN_SRC`` is the same function for MicroPython scripts.
    """
    if n <= 0:
        return b""
    block = _pattern_period(seed)
    start = offset % _PERIOD
    reps = (start + n + _PERIOD - 1) // _PERIOD
    return (block * reps)[start : start + n]


def send_bytes(n, seed=0):
    """The bytes a ``source`` peer sends: ``pattern(n, seed)``. A separate name so
    a test reads as "what was sent" vs "what was expected"."""
    return pattern(n, seed)


# The same pattern for MicroPython scripts: paste it into a script with
# f"{MP_PATTERN_SRC}\n..." (or via textwrap) and call pattern(n, seed, offset).
MP_PATTERN_SRC = """
def pattern(n, seed=0, offset=0):
    b = bytearray(n)
    for i in range(n):
        j = i + offset
        b[i] = (j * 7 + (j >> 8) * 11 + 3 + seed) & 255
    return b
"""


def rst_close(conn):
    """Close ``conn`` with a TCP RST instead of a FIN (SO_LINGER on, timeout 0):
    how a tcp_server handler plays a peer that aborts the connection."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


def recv_all(conn, limit=None):
    """Read from ``conn`` until EOF (or ``limit`` bytes); return what came."""
    chunks = []
    got = 0
    while limit is None or got < limit:
        data = conn.recv(65536 if limit is None else min(65536, limit - got))
        if not data:
            break
        chunks.append(data)
        got += len(data)
    return b"".join(chunks)


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


# --------------------------------------------------------------------------------------
# UDP echo


class UdpEchoServer:
    """UDP echo on 127.0.0.1: each datagram goes back to its sender unchanged.
    ``datagrams`` lists (payload, addr) as received; ``received`` counts bytes."""

    def __init__(self):
        self.datagrams = []
        self.received = 0
        self._stop = threading.Event()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind((LOOPBACK, 0))
        self._sock.settimeout(_POLL)
        self.port = self._sock.getsockname()[1]
        self.address = (LOOPBACK, self.port)
        self._thread = threading.Thread(
            target=self._loop, name=f"udp-echo-{self.port}", daemon=True
        )
        self._thread.start()

    def _loop(self):
        while not self._stop.is_set():
            try:
                data, addr = self._sock.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                break
            self.datagrams.append((data, addr))
            self.received += len(data)
            try:
                self._sock.sendto(data, addr)
            except OSError:
                pass

    def close(self):
        """Stop the loop and close the socket."""
        self._stop.set()
        self._thread.join(_JOIN_TIMEOUT)
        self._sock.close()


# --------------------------------------------------------------------------------------
# DNS


QTYPES = {
    1: "A",
    28: "AAAA",
    5: "CNAME",
    12: "PTR",
    15: "MX",
    16: "TXT",
    33: "SRV",
    255: "ANY",
}
_QTYPE_A = 1
_QTYPE_AAAA = 28
_RCODE_NOERROR = 0
_RCODE_SERVFAIL = 2
_RCODE_NXDOMAIN = 3
_RCODE_FORMERR = 1

DNS_MODES = ("normal", "silent", "garbage", "nxdomain", "servfail", "truncated")


class _ModeOverride:
    """Context manager returned by DnsServer.override()."""

    def __init__(self, server, mode, delay):
        self._server = server
        self._mode = mode
        self._delay = delay

    def __enter__(self):
        if self._mode is not None:
            self._server.mode = self._mode
        if self._delay is not None:
            self._server.delay = self._delay
        return self._server

    def __exit__(self, *exc):
        self._server.mode = "normal"
        self._server.delay = 0.0


def _parse_name(msg, pos):
    """Decode a (possibly compressed) DNS name at ``pos``; return (name, next_pos).
    Raises ValueError on anything malformed, which the server answers FORMERR."""
    labels = []
    end = None
    hops = 0
    while True:
        if pos >= len(msg):
            raise ValueError("name runs past the message")
        length = msg[pos]
        if length & 0xC0 == 0xC0:
            if pos + 1 >= len(msg) or hops > 16:
                raise ValueError("bad compression pointer")
            if end is None:
                end = pos + 2
            pos = ((length & 0x3F) << 8) | msg[pos + 1]
            hops += 1
            continue
        if length & 0xC0:
            raise ValueError("bad label type")
        pos += 1
        if length == 0:
            break
        if pos + length > len(msg):
            raise ValueError("label runs past the message")
        labels.append(msg[pos : pos + length].decode("ascii", "replace"))
        pos += length
    return ".".join(labels), (end if end is not None else pos)


class DnsServer:
    """A small authoritative-style DNS server on UDP 127.0.0.1, written on
    ``socket`` + ``struct`` so tests control every byte the resolver sees.

    Answers: records added with ``add()`` first; otherwise any name ending in
    ``.example`` or ``.test`` has an A record 10.0.2.2 (the PC as the firmware sees
    it). Unknown names get NXDOMAIN; a known name asked for a type it lacks (AAAA for
    an A-only name) gets NOERROR with no answers, as real servers do.

    ``mode`` makes it misbehave for every query: 'silent' (never answers), 'garbage'
    (random bytes), 'nxdomain', 'servfail', 'truncated' (TC bit set, ANCOUNT=1, and
    the packet cut off inside the answer record). ``delay`` (seconds) holds answers
    back. ``queries`` lists (name, qtype) with qtype 'A'/'AAAA'/... per query seen.
    """

    def __init__(self):
        self._mode = "normal"
        self.delay = 0.0
        self.queries = []
        self._records = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._rng = random.Random(0x05C0)
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind((LOOPBACK, 0))
        self._sock.settimeout(_POLL)
        self.port = self._sock.getsockname()[1]
        self.address = (LOOPBACK, self.port)
        self._thread = threading.Thread(
            target=self._loop, name=f"dns-{self.port}", daemon=True
        )
        self._thread.start()

    @property
    def mode(self):
        """Current behaviour; one of DNS_MODES."""
        return self._mode

    @mode.setter
    def mode(self, value):
        if value not in DNS_MODES:
            raise ValueError(f"DNS mode must be one of {DNS_MODES}, not {value!r}")
        self._mode = value

    def override(self, mode=None, delay=None):
        """``with dns_server.override(mode='silent'):`` — restores 'normal' (and no
        delay) on exit, even if the test fails inside the block."""
        if mode is not None and mode not in DNS_MODES:
            raise ValueError(f"DNS mode must be one of {DNS_MODES}, not {mode!r}")
        return _ModeOverride(self, mode, delay)

    def add(self, name, ip):
        """Add a record: A for an IPv4 string, AAAA for an IPv6 string. Calling it
        again for the same name adds another record (several answers). A name with
        explicit records no longer gets the default .example/.test answer."""
        addr = ipaddress.ip_address(ip)
        qtype = _QTYPE_A if addr.version == 4 else _QTYPE_AAAA
        with self._lock:
            self._records.setdefault(self._key(name), []).append((qtype, addr.packed))

    def remove(self, name):
        """Forget the explicit records of ``name``."""
        with self._lock:
            self._records.pop(self._key(name), None)

    def reset(self):
        """Back to a fresh server: normal mode, no delay, no explicit records, no
        logged queries. The conftest calls it around every test."""
        with self._lock:
            self._records.clear()
            self.queries.clear()
        self._mode = "normal"
        self.delay = 0.0

    @staticmethod
    def _key(name):
        return name.rstrip(".").lower()

    def lookup(self, name, qtype):
        """Return (rcode, [(qtype, rdata)]) for a question, per the rules above."""
        key = self._key(name)
        with self._lock:
            records = self._records.get(key)
        if records is None and key.endswith((".example", ".test")):
            records = [(_QTYPE_A, socket.inet_aton(FIRMWARE_HOST))]
        if records is None:
            return _RCODE_NXDOMAIN, []
        return _RCODE_NOERROR, [r for r in records if r[0] == qtype or qtype == 255]

    def _loop(self):
        while not self._stop.is_set():
            try:
                msg, addr = self._sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                break
            try:
                reply = self._answer(msg)
            except (ValueError, IndexError, struct.error):  # unparseable: drop it
                reply = None
            if reply is None:
                continue
            if self.delay > 0:
                timer = threading.Timer(self.delay, self._send, (reply, addr))
                timer.daemon = True
                timer.start()
            else:
                self._send(reply, addr)

    def _send(self, reply, addr):
        if self._stop.is_set():
            return
        try:
            self._sock.sendto(reply, addr)
        except OSError:
            pass

    def _answer(self, msg):
        if len(msg) < 12:
            return None
        qid, flags, qdcount = struct.unpack("!HHH", msg[:6])
        if flags & 0x8000:
            return None  # a response, not a query
        try:
            if qdcount != 1:
                raise ValueError("expected one question")
            name, pos = _parse_name(msg, 12)
            if pos + 4 > len(msg):
                raise ValueError("question truncated")
            qtype, _qclass = struct.unpack("!HH", msg[pos : pos + 4])
        except ValueError:
            return self._header(qid, flags, _RCODE_FORMERR, 0, 0)
        question = msg[12 : pos + 4]
        self.queries.append((name, QTYPES.get(qtype, f"TYPE{qtype}")))

        mode = self._mode
        if mode == "silent":
            return None
        if mode == "garbage":
            return bytes(
                self._rng.getrandbits(8) for _ in range(self._rng.randint(1, 80))
            )
        if mode == "nxdomain":
            return self._header(qid, flags, _RCODE_NXDOMAIN, 1, 0) + question
        if mode == "servfail":
            return self._header(qid, flags, _RCODE_SERVFAIL, 1, 0) + question
        rcode, answers = self.lookup(name, qtype)
        if mode == "truncated":
            # What a careless resolver would read past: TC set, an answer promised,
            # and the record cut off after its name and type.
            return (
                self._header(qid, flags, _RCODE_NOERROR, 1, 1, tc=True)
                + question
                + b"\xc0\x0c\x00\x01"
            )
        out = [self._header(qid, flags, rcode, 1, len(answers)), question]
        for atype, rdata in answers:
            # Name as a pointer to the question (offset 12), class IN, TTL 60 s.
            out.append(struct.pack("!HHHIH", 0xC00C, atype, 1, 60, len(rdata)) + rdata)
        return b"".join(out)

    @staticmethod
    def _header(qid, qflags, rcode, qdcount, ancount, tc=False):
        # QR=1, opcode and RD copied from the query, AA=1, RA=1.
        flags = (
            0x8000 | (qflags & 0x7900) | 0x0400 | 0x0080 | (0x0200 if tc else 0) | rcode
        )
        return struct.pack("!HHHHHH", qid, flags, qdcount, ancount, 0, 0)

    def close(self):
        """Stop the loop and close the socket."""
        self._stop.set()
        self._thread.join(_JOIN_TIMEOUT)
        self._sock.close()


def build_dns_query(name, qtype="A", qid=0x1234):
    """A standard recursive query for ``name``, for CPython-side tests."""
    qtype_num = (
        {v: k for k, v in QTYPES.items()}[qtype] if isinstance(qtype, str) else qtype
    )
    qname = (
        b"".join(
            bytes([len(p)]) + p.encode("ascii") for p in name.rstrip(".").split(".")
        )
        + b"\0"
    )
    return (
        struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
        + qname
        + struct.pack("!HH", qtype_num, 1)
    )


def parse_dns_response(msg):
    """Decode a response into a dict (id, flags, rcode, tc, answers=[(type, value)])
    with IP addresses as strings; for CPython-side tests."""
    qid, flags, qd, an, _ns, _ar = struct.unpack("!HHHHHH", msg[:12])
    pos = 12
    for _ in range(qd):
        _, pos = _parse_name(msg, pos)
        pos += 4
    answers = []
    for _ in range(an):
        _, pos = _parse_name(msg, pos)
        atype, _cls, _ttl, rdlen = struct.unpack("!HHIH", msg[pos : pos + 10])
        pos += 10
        rdata = msg[pos : pos + rdlen]
        pos += rdlen
        if atype == _QTYPE_A:
            value = socket.inet_ntop(socket.AF_INET, rdata)
        elif atype == _QTYPE_AAAA:
            value = socket.inet_ntop(socket.AF_INET6, rdata)
        else:
            value = rdata
        answers.append((QTYPES.get(atype, atype), value))
    return {
        "id": qid,
        "flags": flags,
        "rcode": flags & 0xF,
        "tc": bool(flags & 0x0200),
        "answers": answers,
    }


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


# --------------------------------------------------------------------------------------
# TLS material


class Certs:
    """A throw-away PKI made with the ``openssl`` CLI (no Python crypto package is
    needed): a CA, a server certificate signed by it for IP 10.0.2.2 and DNS
    test.example, and a second, unrelated CA with the same subject name, so a
    client trusting the wrong CA fails on the signature, not just a name lookup.

    RSA-2048 and SHA-256 because MicroPython's mbedTLS config (TLS 1.2,
    ECDHE-RSA + AES-GCM) and CPython's default server ciphers both accept them.
    """

    CA_SUBJECT = "/CN=usocket test CA"

    def __init__(self, directory):
        self.dir = os.fspath(directory)
        os.makedirs(self.dir, exist_ok=True)
        self.ca_pem_path = self._path("ca.pem")
        self.ca_key_path = self._path("ca.key")
        self.wrong_ca_pem_path = self._path("wrong_ca.pem")
        self.cert_pem_path = self._path("server.pem")
        self.key_pem_path = self._path("server.key")
        self._make_ca(self.ca_pem_path, self.ca_key_path)
        self._make_ca(self.wrong_ca_pem_path, self._path("wrong_ca.key"))
        self._make_server()
        self.ca_pem = self._read(self.ca_pem_path)
        self.ca_der = ssl.PEM_cert_to_DER_cert(self.ca_pem.decode())
        self.wrong_ca_pem = self._read(self.wrong_ca_pem_path)
        self.wrong_ca_der = ssl.PEM_cert_to_DER_cert(self.wrong_ca_pem.decode())
        self.cert_pem = self._read(self.cert_pem_path)
        self.cert_der = ssl.PEM_cert_to_DER_cert(self.cert_pem.decode())
        self.key_pem = self._read(self.key_pem_path)
        # The key in DER too: mbedTLS-based ssl.wrap_socket(key=...) accepts both.
        self.key_der = self._openssl(
            "pkey", "-in", self.key_pem_path, "-outform", "DER"
        )

    def _path(self, name):
        return os.path.join(self.dir, name)

    @staticmethod
    def _read(path):
        with open(path, "rb") as f:
            return f.read()

    @staticmethod
    def _openssl(*args):
        proc = subprocess.run(
            ["openssl", *args], check=False, capture_output=True, timeout=60
        )
        if proc.returncode != 0:
            raise RuntimeError(
                f"openssl {' '.join(args)} failed: {proc.stderr.decode(errors='replace')}"
            )
        return proc.stdout

    def _make_ca(self, pem, key):
        self._openssl(
            "req", "-x509", "-newkey", "rsa:2048", "-sha256", "-nodes", "-days", "3650",
            "-keyout", key, "-out", pem, "-subj", self.CA_SUBJECT,
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        )  # fmt: skip

    def _make_server(self):
        csr = self._path("server.csr")
        ext = self._path("server.ext")
        with open(ext, "w") as f:
            f.write(
                "basicConstraints=critical,CA:FALSE\n"
                "keyUsage=critical,digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=serverAuth\n"
                f"subjectAltName=DNS:test.example,IP:{FIRMWARE_HOST}\n"
            )
        self._openssl(
            "req", "-new", "-newkey", "rsa:2048", "-sha256", "-nodes",
            "-keyout", self.key_pem_path, "-out", csr, "-subj", "/CN=test.example",
        )  # fmt: skip
        self._openssl(
            "x509", "-req", "-in", csr, "-CA", self.ca_pem_path, "-CAkey", self.ca_key_path,
            "-set_serial", str(random.SystemRandom().getrandbits(63)), "-days", "825",
            "-sha256", "-extfile", ext, "-out", self.cert_pem_path,
        )  # fmt: skip

    def server_context(self):
        """An ssl.SSLContext serving the server certificate."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.cert_pem_path, self.key_pem_path)
        return ctx

    def client_context(self):
        """A CPython client context that trusts only the test CA."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(cafile=self.ca_pem_path)
        return ctx


class HttpsServer(HttpServer):
    """HttpServer behind TLS with the Certs PKI. ``url()`` gives
    ``https://10.0.2.2:PORT/...``; the CA is exposed as ``ca_pem_path``, ``ca_pem``,
    ``ca_der``, and an unrelated CA as ``wrong_ca_der``. ``errors`` also collects
    failed handshakes (e.g. the firmware rejecting the certificate)."""

    def __init__(self, certs, *, host=FIRMWARE_HOST):
        self.certs = certs
        self.ca_pem_path = certs.ca_pem_path
        self.ca_pem = certs.ca_pem
        self.ca_der = certs.ca_der
        self.wrong_ca_der = certs.wrong_ca_der
        self.wrong_ca_pem = certs.wrong_ca_pem
        super().__init__(ssl_context=certs.server_context(), host=host)
