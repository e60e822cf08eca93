"""The tests' DNS server (normal and misbehaving modes) and DNS message helpers."""

import ipaddress
import random
import socket
import struct
import threading

from .base import _JOIN_TIMEOUT, FIRMWARE_HOST, LOOPBACK, loopback_udp_socket

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
        self._sock, self.port = loopback_udp_socket()
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
