"""Addresses, ports and byte patterns shared by every peer."""

import socket
import struct

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


def recv_all(conn, limit=None, before_read=None):
    """Read from ``conn`` until EOF (or ``limit`` bytes); return what came.
    ``before_read``, if given, is called before each read (a peer that pauses)."""
    chunks = []
    got = 0
    while limit is None or got < limit:
        if before_read is not None:
            before_read()
        data = conn.recv(65536 if limit is None else min(65536, limit - got))
        if not data:
            break
        chunks.append(data)
        got += len(data)
    return b"".join(chunks)


def loopback_udp_socket():
    """A UDP socket bound to a free port on 127.0.0.1 whose recv wakes every _POLL
    seconds, so a peer's loop notices close(); returns (socket, port)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((LOOPBACK, 0))
    sock.settimeout(_POLL)
    return sock, sock.getsockname()[1]
