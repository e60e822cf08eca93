"""A blocking send() that lwIP has no memory for waits and tries again, as lwIP's
socket layer does, rather than raising ENOMEM at once.

lwIP's `lwip_netconn_do_writemore` (src/api/api_msg.c) treats ERR_MEM from
`tcp_write` as temporary for a blocking write: it returns nothing to the caller and
tries again from the pcb's sent and poll callbacks until the send timeout. Linux's
blocking send waits for memory too (`sk_stream_wait_memory`). The failure is made
by the out-of-memory firmware (`boards/unix-oom`, `make test-oom`): `_oom.arm(k)`
fails the kth allocation from then on, once, which here is one of the send's own
while nothing of the socket's is queued. The first test runs out of memory for
real instead: other connections' unsent data fill lwIP's segments and heap."""

import os
import subprocess
import threading

from conftest import REPO
from mprunner import MpRunner
from peers import TcpServer
from test_socket_api import PRELUDE, results

OOM_FIRMWARE = REPO / "build" / "unix-oom" / "micropython"
EAGAIN, ENOMEM, ETIMEDOUT = 11, 12, 110

# Opens a connection that will have nothing queued, then fills lwIP's memory with
# the unsent data of connections to peers that don't read (each takes some MB
# first: the peer's and slirp's buffers).
FILL = """
block = bytes(65536)
fresh = socket.socket()
fresh.connect(("10.0.2.2", {port}))
stalled = []
while True:
    try:
        s = socket.socket()
        stalled.append(s)
        s.connect(("10.0.2.2", {port}))
    except OSError as e:
        # No memory left for a pcb or the SYN: as full as it gets.
        if e.args[0] != ENOMEM:
            raise
        break
    # Until the peer's window and slirp's buffers are full and the send
    # queue stays full for a moment (a timeout ends the send).
    s.settimeout(0.3)
    total = 0
    while True:
        try:
            total += s.send(block)
        except OSError as e:
            if e.args[0] != ETIMEDOUT:
                raise
            break
    if total == 0:
        break
res("full", len(stalled))
"""


def test_blocking_send_waits_for_memory_instead_of_raising_enomem(mp):
    """lwIP out of segments and heap with nothing of this socket's queued: a
    non-blocking send is EAGAIN, a blocking one waits until its timeout
    (ETIMEDOUT, as every usocket timeout), and once the peers read and lwIP's
    memory frees, a blocking send completes."""
    drain = threading.Event()

    def stall_then_drain(conn, addr):
        drain.wait(60)
        conn.settimeout(30)
        while conn.recv(65536):
            pass

    server = TcpServer(stall_then_drain)
    try:
        fw = mp.spawn(
            PRELUDE
            + f"EAGAIN, ENOMEM, ETIMEDOUT = {EAGAIN}, {ENOMEM}, {ETIMEDOUT}\n"
            + FILL.format(port=server.port)
            + """
fresh.setblocking(False)
res("nonblocking", err(fresh.send, block))
fresh.settimeout(2)
res("timeout", err(fresh.send, block))
fresh.settimeout(30)
print("waiting for memory")
res("blocking", fresh.sendall(block))
for s in stalled + [fresh]:
    s.close()
""",
            opts=["-X", "heapsize=8M"],
        )
        fw.wait_for("waiting for memory", timeout=60)
        drain.set()
        r = results(fw.wait(60).check().out)
    finally:
        drain.set()
        server.close()
    count = r.pop("full")
    assert count >= 2
    assert r == {"nonblocking": EAGAIN, "timeout": ETIMEDOUT, "blocking": None}


def test_blocking_send_retries_when_lwip_has_no_memory(
    dns_server, tmp_path, echo_server
):
    # The plain oom firmware, whatever the suite runs under (`make test
    # SANITIZE=...` passes its variables down in MAKEFLAGS).
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "SANITIZE", "POOLS", "VARIANT")
    }
    subprocess.run(
        ["make", "-s", "-C", str(REPO), "unix", "VARIANT=oom"],
        env=env,
        check=True,
        capture_output=True,
        timeout=600,
    )
    mp = MpRunner(str(OOM_FIRMWARE), dns_server.port, tmp_path)
    try:
        out = (
            mp(
                PRELUDE
                + f"""
import _oom
s = socket.socket()
s.settimeout(10)
s.connect(("10.0.2.2", {echo_server.port}))
msg = b"%0100d" % 7
for k in range(1, 6):
    _oom.arm(k)
    try:
        n = s.send(msg)
    except OSError as e:
        n = ("error", e.args[0])
    count, site = _oom.disarm()
    got = b""
    while len(got) < len(msg):
        got += s.recv(len(msg) - len(got))
    res(str(k), (site, n, got == msg))
s.close()
""",
                timeout=120,
            )
            .check()
            .out
        )
    finally:
        mp.cleanup()
    r = results(out)
    failed_in_lwip = [v for v in r.values() if v[0] and not v[0].startswith("heap")]
    # The send's own allocations (its segment, its pbuf) were failed at least once.
    assert failed_in_lwip, r
    for site, n, echoed in r.values():
        if site is None or not site.startswith("heap"):
            assert (n, echoed) == (100, True), (site, n)
