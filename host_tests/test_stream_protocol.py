"""The socket's stream methods take MicroPython's argument forms (issue 16 item 1):
read([size]), readinto(buf[, nbytes]), readline([limit]) and write(buf[, max_len])
/ write(buf, off, max_len), as py/stream.c defines them. umqtt.simple's
`write(premsg, i + 2)` (a length, not an offset) is one of them.

Checked against MicroPython's own lwIP socket module: the benchmark firmware
(boards/unix-bench) has extmod/modlwip.c as `socket` next to usocket as `usocket`,
on the same lwIP and slirp bridge. One script runs the same calls on a connection
of each module to a CPython peer; the results and the bytes the peer received
must be the same."""

import os
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
from mprunner import MpRunner
from test_socket_api import PRELUDE, results

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "build" / "unix-bench" / "micropython"

# Building the benchmark firmware from scratch takes minutes.
pytestmark = pytest.mark.timeout(1800)

PAYLOAD = b"first line\nsecond\n" + bytes(range(256)) * 3 + b"no newline at the end"


@pytest.fixture(scope="module")
def bench_firmware():
    """build/unix-bench/micropython, made up to date (`make unix VARIANT=bench`)."""
    if os.environ.get("USOCKET_FIRMWARE"):
        pytest.skip(
            "USOCKET_FIRMWARE names one firmware; this test needs the bench one"
        )
    log = REPO / "build" / "host_tests-make-bench.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as f:
        proc = subprocess.run(
            ["make", "-C", str(REPO), "unix", "VARIANT=bench"],
            stdout=f,
            stderr=subprocess.STDOUT,
            check=False,
            timeout=1700,
        )
    if proc.returncode != 0 or not BENCH.is_file():
        pytest.fail(f"`make unix VARIANT=bench` failed; see {log}", pytrace=False)
    return str(BENCH)


@pytest.fixture
def bench(bench_firmware, dns_server, tmp_path):
    runner = MpRunner(bench_firmware, dns_server.port, tmp_path)
    yield runner
    runner.cleanup()


class Peer:
    """Per connection: records what the client writes, up to its "|end" marker,
    then sends PAYLOAD and closes (modlwip has no shutdown())."""

    def __init__(self, tcp_server):
        self.received = []
        self.lock = threading.Lock()
        self.server = tcp_server(self.handle)

    def handle(self, conn, addr):
        data = b""
        while not data.endswith(b"|end"):
            more = conn.recv(100)
            if not more:
                break
            data += more
        with self.lock:
            self.received.append(data)
        conn.sendall(PAYLOAD)


WRITES = [
    "write(b'abcdef')",
    "write(b'abcdef', 3)",  # max_len (umqtt.simple: write(premsg, i + 2))
    "write(b'abcdef', 2, 3)",  # off, max_len
    "write(b'abcdef', 10)",
    "write(b'abcdef', 7, 2)",  # off past the end
    "write(b'abcdef', 0)",
    "write(memoryview(b'abcdef')[1:], 2)",
    "write(bytearray(b'xyz'), 1, 5)",
]

READS = [
    "read(5)",
    "read(0)",
    "readinto(buf)",
    "readinto(buf, 3)",
    "readinto(buf, 0)",
    "readinto(buf, 100)",
    "readline()",
    "readline(4)",
    "readline(0)",
    "readline(-1)",
    "read(300)",
    "readinto(buf, -1)",
    "read(-1)",
]

SCRIPT = """
import usocket
buf = bytearray(7)

def call(s, expr):
    try:
        v = eval("s." + expr)
    except Exception as e:
        return type(e).__name__
    return (v, bytes(buf)) if expr.startswith("readinto") else v

for name, mod in (("modlwip", socket), ("usocket", usocket)):
    s = mod.socket()
    s.connect(("10.0.2.2", {port}))
    for i, w in enumerate({writes}):
        res(name + " w%d" % i, call(s, w))
    # The peer sends its data once it has this marker.
    s.write(b"|end")
    for i, r in enumerate({reads}):
        res(name + " r%d" % i, call(s, r))
    s.close()
"""


def test_stream_methods_take_modlwips_argument_forms(bench, tcp_server):
    peer = Peer(tcp_server)
    r = results(
        bench(
            PRELUDE + SCRIPT.format(port=peer.server.port, writes=WRITES, reads=READS),
            timeout=60,
        )
        .check()
        .out
    )
    ours = {k.split(" ", 1)[1]: v for k, v in r.items() if k.startswith("usocket ")}
    theirs = {k.split(" ", 1)[1]: v for k, v in r.items() if k.startswith("modlwip ")}
    assert len(ours) == len(WRITES) + len(READS)
    assert ours == theirs
    # Both connections delivered the same bytes: the forms mean the same.
    assert len(peer.received) == 2
    assert peer.received[0] == peer.received[1] == b"abcdefabccdeabcdefbcyz|end"
    # And the reads took PAYLOAD in order, whole.
    read = b"".join(
        (v[1][: v[0]] if isinstance(v, tuple) else v)
        for k, v in sorted(ours.items(), key=lambda kv: int(kv[0][1:]))
        if k.startswith("r")
    )
    assert read == PAYLOAD


# Lines the peer sends in pieces, each its own TCP segment (and pbuf), so a line
# ends in a later segment than it starts, or several lines share one.
PIECES = [b"HTTP/1.1 2", b"00 OK\r", b"\nA: 1\r\nB: 2", b"2\r\n", b"\r\nbody", b" end"]
# The last one meets the end (b''); reads after it differ by design (ENOTCONN, as
# lwIP's socket layer: docs/socket-semantics.md).
LINE_READS = ["readline()"] * 4 + ["readline(3)", "readline(10)", "readline()"]

LINE_SCRIPT = """
import usocket
for name, mod in (("modlwip", socket), ("usocket", usocket)):
    s = mod.socket()
    s.connect(("10.0.2.2", {port}))
    for i, r in enumerate({reads}):
        res(name + " r%d" % i, eval("s." + r))
    s.close()
"""


def test_readline_across_segments_as_modlwip(bench, tcp_server):
    """usocket's readline takes a line a run of bytes at a time (not a byte per
    read, as py/stream.c's does); the lines must come out as modlwip's."""

    def handle(conn, addr):
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for piece in PIECES:
            conn.sendall(piece)
            time.sleep(0.05)
        conn.close()

    server = tcp_server(handle)
    r = results(
        bench(
            PRELUDE + LINE_SCRIPT.format(port=server.port, reads=LINE_READS),
            timeout=60,
        )
        .check()
        .out
    )
    ours = [r[f"usocket r{i}"] for i in range(len(LINE_READS))]
    theirs = [r[f"modlwip r{i}"] for i in range(len(LINE_READS))]
    assert ours == theirs
    assert ours[-1] == b""
    assert b"".join(ours) == b"".join(PIECES)
