"""`make soak` (issue 9): long runs of the host firmware with its heap and lwIP's
pools sampled, to show that nothing grows with the work done.

Three phases, each one firmware process that samples at regular intervals
(--samples per phase, 10 by default), every sample taken after gc.collect() and
after the connections just closed have settled:

  tcp   --connections TCP connections (default 10,000): nine in ten connect to a
        peer on 127.0.0.1 (10.0.2.2 inside), exchange 64 bytes and close; one in
        ten come in from the PC through USOCKET_HOSTFWD and are accepted.
  http  --requests urequests.get() calls (default 1,000) against a local HTTP
        server, each body checked byte for byte; Content-Length, chunked and
        close-delimited responses in turn.
  xfer  --transfers transfers of --size bytes (default 100 x 1 MiB), half down
        and half up, with USOCKET_NET_LOSS=--loss % of the frames dropped in both
        directions (fixed --seed); byte-exact (the sender's bytes are known to
        both sides; the receiver checks them). Over asyncio, --parallel (2) in
        flight each way: under loss a transfer spends most of its time waiting
        for retransmission timeouts, so overlapping them shortens the run. Two
        downloads hold at most 2 x TCP_WND = 88 pbufs, within PBUF_POOL_SIZE
        (128), so no pool runs dry by design.

Each sample is a row: heap (gc.mem_alloc()), every lwIP pool counter of
network.LAN().stats() and memp_err/mem_err, and, for information only, the
firmware process's resident memory (rss_MB, from /proc/self/status). That one is
not checked: libslirp, the host's bridge to the PC (not usocket, and not on a
board), keeps every closed connection's socket, with two ~128 KiB buffers, for
its own TIME_WAIT (10 s). At the tcp phase's ~650 connections a second the RSS
reaches ~650 MB by the end of the phase. The 10 s window bounds it, not the
work: 7,000 connections at a third of that rate levelled off at 520 MB.

A phase fails on growth (the last sample against the first one after the
warm-up; for the heap the lowest of the last three, see HEAP_TOLERANCE and
HEAP_TAIL), on any failed pool allocation, on an exception or wrong data on
either side, on a non-zero exit or sanitizer report of the firmware, or on a
hang (a hard timeout per phase). The exit status is 1 if any phase failed.

TIME_WAIT: the side that closes first keeps its pcb for 2 MSL (lwIP: 2 minutes).
The tcp and xfer phases let the peer close first, so the firmware's pcbs end in
LAST_ACK and are freed within milliseconds. urequests closes as soon as it has
read a body, before the server's FIN arrives, so the http phase fills the pcb
pool with TIME_WAIT pcbs, which lwIP recycles (oldest first) for new
connections: its rows show up to MEMP_NUM_TCP_PCB of them. After the last
request the firmware waits for them to expire, and the last row must be back at
the baseline. --quick skips that wait (and then only bounds tcp_pcb by the pool).

Runs with deps/venv's Python (it imports the host tests' harness, which needs
pytest). The firmware: --firmware, or $USOCKET_FIRMWARE, which wins when set
(as in `make test`), or build/unix/micropython.
"""

import argparse
import os
import socket
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "host_tests"))

import docgen
import pytest
from mprunner import MpRunner
from peers import (
    FIRMWARE_HOST,
    LWIP_USAGE,
    MP_PATTERN_SRC,
    DnsServer,
    HttpServer,
    Response,
    TcpServer,
    free_port,
    pattern,
    recv_all,
)
from test_socket_api import PRELUDE, results
from test_socket_soak import (
    CYCLE,
    MEASURE,
    SNAPSHOT,
    TCP_PCB_POOL,
    reply_and_close,
)

# Heap bytes the last sample may be above the first. MicroPython's GC is
# conservative: a stale word on the C stack keeps the block it names alive. The
# samples are taken as test_socket_soak.py's MEASURE takes its exact ones (stale
# words pinned before the first sample, every measurement made twice); on the
# default build the rows then move by 0-128 B (a GC block or a few, 16 B each)
# in the runs so far. A leak grows with the work: one 64-byte socket object per
# 100 connections is 6.4 KB over 10,000; a urequests response or a 4 KiB buffer
# per 100 requests is more than this tolerance too.
HEAP_TOLERANCE = 1024
# The heap is judged on the lowest of the last HEAP_TAIL samples, not the last
# one alone: a stale word that still names a transient object (a response body
# of up to 4 KB) adds it to the sample it falls in and not to the next, while a
# leak raises every later sample. In an ASan build, whose frames leave more stale
# words, the http rows saw-toothed by ~2.5 KB that way, with no trend over 1,000
# requests (--heap-tolerance 4096 for such a build).
HEAP_TAIL = 3

# lwIP's pools (boards/unix/lwipopts.h) and the heap of MEM_SIZE. A pool holds
# the elements in use now: after the settle step every one must be back where the
# first sample had it.
POOLS = LWIP_USAGE
# Failed allocations (lwIP counts them; a failure recovered by recycling a
# TIME_WAIT pcb is uncounted again): these must not grow at all.
ERRORS = ("memp_err", "mem_err")

# The firmware's port for the accept side of the tcp phase (USOCKET_HOSTFWD maps
# a free port on 127.0.0.1 to it).
GUEST_PORT = 8300
# One in this many connections of the tcp phase is accepted by the firmware.
ACCEPT_EVERY = 10
# The pattern period (peers.pattern): the xfer phase's data is built from one
# period per transfer, each 64 KiB piece stamped with its index.
PIECE = 65536

# Column name, width, key in the snapshot dict.
COLUMNS = (
    ("heap", 8, "heap"),
    ("tcp_pcb", 7, "tcp_pcb"),
    ("listen", 6, "tcp_pcb_listen"),
    ("udp", 3, "udp_pcb"),
    ("raw", 3, "raw_pcb"),
    ("tcp_seg", 7, "tcp_seg"),
    ("pbuf", 4, "pbuf"),
    ("pbuf_pool", 9, "pbuf_pool"),
    ("mem_used", 8, "mem_used"),
    ("memp_err", 8, "memp_err"),
    ("mem_err", 7, "mem_err"),
)

# --------------------------------------------------------------------------------------
# Firmware side. Every script is PRELUDE (res(), LAN) + SNAPSHOT (KEYS) + MEASURE
# (pin_stale_words(), measured(), measure()) + SAMPLER + its parameters + its
# body; it prints one `@ sample = ...` line per sample, which the host prints as
# a table row while the phase runs. No global is set after the first sample (a
# new one would grow the globals dict).
#
# The work between two samples runs in a function of its own, and each body's
# loop inside main(), not at module level: a live frame's value stack keeps stale
# pointers to the results of its earlier expressions, which MicroPython's GC
# scans. `asyncio.run(run(...))` in the frame that then took a sample kept every
# task of that run, with its 64 KiB buffers, alive (266 KB in that sample); a
# function's frame is gone when it returns.

SAMPLER = """
T0 = time.ticks_ms()
CUR = measured("memp_err", "mem_err")  # every sample is measured into this dict

def wait_pcbs(limit_ms, target=0):
    # Until no more than `target` pcbs are in use (the last FINs' ACKs are in),
    # or limit_ms; returns how long it waited.
    t = time.ticks_ms()
    while LAN.stats()["tcp_pcb"] > target and time.ticks_diff(time.ticks_ms(), t) < limit_ms:
        time.sleep_ms(20)
    return time.ticks_diff(time.ticks_ms(), t)

def rss_kb():
    # The process's resident memory (Linux), read after the snapshot: the file
    # and its lines are garbage by the next one.
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1

def sample(done, note):
    measure(CUR)
    measure(CUR)
    res("sample", (done, time.ticks_diff(time.ticks_ms(), T0), CUR, note, rss_kb()))

def first_sample(note):
    # The baseline, after the warm-up.
    pin_stale_words()
    sample(0, note)
"""

TCP_BODY = """
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("", GUEST_PORT))
srv.listen(4)
srv.settimeout(30)

def serve_one():
    # The PC's client sends 16 bytes, gets them upper-cased and closes first, so
    # our pcb ends in LAST_ACK and is freed.
    conn, addr = srv.accept()
    conn.settimeout(10)
    req = conn.read(16)
    conn.sendall(req.upper())
    if conn.recv(1) != b"":
        raise ValueError("accepted connection: no EOF after %r" % req)
    conn.close()

def block(first, count):
    n_in = count // ACCEPT_EVERY
    n_out = count - n_in
    peak = 0
    for i in range(first, first + n_out):
        cycle(i)
        peak = max(peak, LAN.stats()["tcp_pcb"])
    if n_in:
        res("accept", n_in)  # the host connects n_in times now
        for _ in range(n_in):
            serve_one()
            peak = max(peak, LAN.stats()["tcp_pcb"])
    return "out %d, in %d, peak tcp_pcb %d" % (n_out, n_in, peak)

def main():
    block(0, WARMUP)
    settle()
    first_sample("after warm-up")
    done = 0
    while done < N:
        count = min(EVERY, N - done)
        note = block(WARMUP + done, count)
        done += count
        settle()
        sample(done, note)
    res("done", done)

main()
"""

HTTP_BODY = """
import urequests
PATHS = ("/bytes/%d", "/stream/%d?chunk=512", "/close/%d")
EXPECT = bytes(pattern(4000))

def request(i):
    # Content-Length, chunked and close-delimited in turn; 1,000-3,999 bytes.
    n = 1000 + (i * 37) % 3000
    r = urequests.get(BASE + PATHS[i % 3] % n, timeout=30)
    try:
        if r.status_code != 200:
            raise ValueError("request %d: status %d" % (i, r.status_code))
        body = r.content
        if body != EXPECT[:n]:
            raise ValueError("request %d: %d bytes, not the %d expected" % (i, len(body), n))
    finally:
        r.close()

def main():
    for i in range(WARMUP):
        request(i)
    time.sleep_ms(100)
    first_sample("after warm-up, TIME_WAIT pcbs included")
    done = 0
    while done < N:
        count = min(EVERY, N - done)
        for i in range(WARMUP + done, WARMUP + done + count):
            request(i)
        done += count
        # Only the close-delimited requests' LAST_ACK pcbs can settle now; the
        # rest are in TIME_WAIT.
        time.sleep_ms(100)
        sample(done, "TIME_WAIT pcbs included")
    if DRAIN_MS:
        waited = wait_pcbs(DRAIN_MS)
        sample(done, "after TIME_WAIT expired (%d s)" % (waited // 1000))
    res("done", done)

main()
"""

XFER_BODY = """
import asyncio, hashlib
BUFS = [bytearray(4096) for _ in range(2 * PARALLEL)]

def stamp(blk, j, size):
    # The j-th 64 KiB piece of a transfer: the pattern's period with j in front.
    blk[0:4] = j.to_bytes(4, "big")
    return min(PIECE, size - j * PIECE)

async def transfer(i, size, buf):
    up = i % 2 == 1
    seed = i & 255
    blk = pattern(PIECE, seed)
    pieces = (size + PIECE - 1) // PIECE
    r, w = await asyncio.open_connection(HOST, PORT)
    try:
        w.write((b"U" if up else b"D") + b" %d %d\\n" % (seed, size))
        await w.drain()
        if up:
            for j in range(pieces):
                n = stamp(blk, j, size)
                w.write(blk if n == PIECE else bytes(blk[:n]))
                await w.drain()
        else:
            want = hashlib.sha256()
            for j in range(pieces):
                want.update(memoryview(blk)[: stamp(blk, j, size)])
            h = hashlib.sha256()
            mv = memoryview(buf)
            got = 0
            while got < size:
                k = await r.readinto(mv[: min(len(buf), size - got)])
                if k is None:
                    continue
                if not k:
                    raise ValueError("transfer %d: EOF after %d bytes" % (i, got))
                h.update(mv[:k])
                got += k
            ok = h.digest() == want.digest()
            w.write(b"ok" if ok else b"no")
            await w.drain()
            if not ok:
                raise ValueError("transfer %d (down): wrong bytes" % i)
        verdict = await r.readexactly(2)
        if verdict != b"ok":
            raise ValueError("transfer %d: the peer says %r" % (i, verdict))
        # The peer closes first: our pcb ends in LAST_ACK, not TIME_WAIT.
        if await r.read(1) != b"":
            raise ValueError("transfer %d: no EOF" % i)
    finally:
        await w.wait_closed()

async def run(first, count, size):
    # Even transfers go down, odd ones up; PARALLEL workers for each direction.
    todo = [[i for i in range(first, first + count) if i % 2 == up] for up in (0, 1)]
    async def worker(k):
        mine = todo[k % 2]
        while mine:
            await asyncio.wait_for(transfer(mine.pop(0), size, BUFS[k]), XFER_TIMEOUT)
    await asyncio.gather(*[worker(k) for k in range(2 * PARALLEL)])

def xfers(first, count, size):
    # A function of its own: see "value stack" in tools/soak.py.
    asyncio.run(run(first, count, size))

def loss_note(before):
    return "%d frames dropped" % (LAN.stats()["dropped_loss"] - before)

def main():
    xfers(0, WARMUP, min(SIZE, PIECE))  # every worker once, smaller
    wait_pcbs(SETTLE_MS)
    first_sample("after warm-up")
    done = 0
    while done < N:
        count = min(EVERY, N - done)
        dropped = LAN.stats()["dropped_loss"]
        xfers(WARMUP + done, count, SIZE)
        done += count
        wait_pcbs(SETTLE_MS)
        sample(done, loss_note(dropped))
    res("done", done)

main()
"""


def firmware_script(params, body, *extra):
    """PRELUDE + SNAPSHOT + MEASURE + SAMPLER + `NAME = value` lines + extra +
    body."""
    lines = "".join(f"{k} = {v!r}\n" for k, v in params.items())
    head = PRELUDE + SNAPSHOT + MEASURE + SAMPLER
    return head + "\n" + lines + "".join(extra) + body


# --------------------------------------------------------------------------------------
# Host side


def xfer_data(size, seed):
    """The bytes of one transfer: pattern(size, seed), each 64 KiB piece with its
    index (4 bytes, big-endian) in front, so no piece equals another."""
    period = pattern(PIECE, seed)
    out = bytearray()
    for j, start in enumerate(range(0, size, PIECE)):
        piece = bytearray(period)
        piece[0:4] = j.to_bytes(4, "big")
        out += piece[: min(PIECE, size - start)]
    return bytes(out)


class XferPeer:
    """A TcpServer handler: reads `D|U seed size\\n`. D: sends the transfer's
    bytes, reads the firmware's verdict (ok/no) and sends it back. U: reads the
    bytes and sends its verdict. Then it closes first. Records every verdict."""

    def __init__(self):
        self.verdicts = []

    def __call__(self, conn, addr):
        conn.settimeout(300)
        head = b""
        while not head.endswith(b"\n") and len(head) < 64:
            b = conn.recv(1)
            if not b:
                raise ValueError(f"closed inside the header {head!r}")
            head += b
        kind, seed, size = head.split()
        data = xfer_data(int(size), int(seed))  # a few ms a MiB
        if kind == b"D":
            conn.sendall(data)
            verdict = recv_all(conn, 2)  # the firmware's: ok or no
        else:
            verdict = b"ok" if recv_all(conn, len(data)) == data else b"no"
        conn.sendall(verdict)
        self.verdicts.append((kind.decode(), verdict))


def accept_client(port, count, first):
    """The PC side of the tcp phase's accepted connections."""
    for i in range(first, first + count):
        with socket.create_connection(("127.0.0.1", port), timeout=30) as c:
            msg = b"request %08d" % i
            c.sendall(msg)
            got = recv_all(c, 16)
            if got != msg.upper():
                raise ValueError(f"accepted connection {i}: got {got!r}")


def header():
    cols = "".join(f" {name:>{w}}" for name, w, _ in COLUMNS)
    return f"  {'done':>6} {'time_s':>7}{cols} {'rss_MB':>6}  note"


def row(sample):
    done, ms, snap, note, rss_kb = sample
    cols = "".join(f" {snap[key]:>{w}}" for _, w, key in COLUMNS)
    return f"  {done:>6} {ms / 1000:>7.1f}{cols} {rss_kb / 1024:>6.0f}  {note}"


def heap_growth(samples):
    """The heap's growth: the lowest of the last HEAP_TAIL samples minus the first."""
    tail = samples[1:][-HEAP_TAIL:] or samples
    return min(s[2]["heap"] for s in tail) - samples[0][2]["heap"]


def growth(samples, pcb_bound=None, heap_tolerance=HEAP_TOLERANCE):
    """What grew from the first sample to the last (a list of strings; empty if
    nothing did). With ``pcb_bound``, tcp_pcb is only bounded by it (TIME_WAIT
    pcbs not waited out)."""
    first, last = samples[0][2], samples[-1][2]
    problems = []
    heap = heap_growth(samples)
    if heap > heap_tolerance:
        problems.append(
            f"heap grew by {heap} B (the lowest of the last {HEAP_TAIL} samples; "
            f"tolerance {heap_tolerance} B)"
        )
    for key in POOLS:
        if key == "tcp_pcb" and pcb_bound is not None:
            if last[key] > pcb_bound:
                problems.append(f"tcp_pcb {last[key]} > the pool's {pcb_bound}")
        elif last[key] > first[key]:
            problems.append(f"{key} grew from {first[key]} to {last[key]}")
    for key in ERRORS:
        if last[key] != first[key]:
            problems.append(f"{key} went from {first[key]} to {last[key]}")
    return problems


class Phase:
    """One firmware run: its script, the peers it needs, and its outcome."""

    def __init__(self, name, title, script, *, timeout, env=None, hostfwd=None):
        self.name = name
        self.title = title
        self.script = script
        self.timeout = timeout
        self.env = env
        self.hostfwd = hostfwd
        self.samples = []
        self.results = {}
        self.problems = []
        self.wall = 0.0
        self.on_accept = None  # f(count): serve an `@ accept = count` line
        self.check = None  # f(): the host side's checks, appending to problems
        self.pcb_bound = None
        self.heap_tolerance = HEAP_TOLERANCE

    def _line(self, line):
        r = results(line)
        if "sample" in r:
            self.samples.append(r["sample"])
            print(row(r["sample"]), flush=True)
        elif "accept" in r:
            self.on_accept(r["accept"])
        else:
            self.results.update(r)

    def run(self, runner):
        print(f"\n== {self.name}: {self.title}", flush=True)
        print(header(), flush=True)
        start = time.monotonic()
        try:
            self._run(runner)
            self.check()
        # The runner reports a timeout or a sanitizer report through pytest.fail.
        except pytest.fail.Exception as exc:
            self.problems.append(str(exc))
        except Exception as exc:  # noqa: BLE001  (a failed phase, reported)
            self.problems.append(f"host side: {exc!r}")
        self.wall = time.monotonic() - start
        if self.samples and "done" in self.results:
            first, last = self.samples[0][2], self.samples[-1][2]
            print(
                f"  last - first: heap {last['heap'] - first['heap']:+d} B "
                f"(lowest of the last {HEAP_TAIL}: {heap_growth(self.samples):+d} B), "
                + ", ".join(f"{k} {last[k] - first[k]:+d}" for k in POOLS + ERRORS)
            )
            self.problems[:0] = growth(
                self.samples, self.pcb_bound, self.heap_tolerance
            )
        elif not self.problems:
            self.problems.append("the firmware did not finish the phase")
        verdict = "ok" if not self.problems else "FAILED"
        print(f"  {self.name}: {verdict}, wall time {self.wall:.1f} s", flush=True)
        for p in self.problems:
            print(f"  {self.name}: {p}", flush=True)

    def _run(self, runner):
        proc = runner.spawn(self.script, env=self.env, hostfwd=self.hostfwd)
        deadline = time.monotonic() + self.timeout
        seen = 0
        while True:
            exited = proc.poll() is not None
            lines = [ln for ln in proc.out.splitlines(keepends=True) if ln[-1] == "\n"]
            for line in lines[seen:]:
                self._line(line)
            seen = len(lines)
            if exited:
                break
            if time.monotonic() > deadline:
                result = proc.kill()
                self.problems.append(
                    f"still running after {self.timeout:.0f} s (hang?), killed\n"
                    + result.describe()
                )
                return
            time.sleep(0.05)
        result = proc.wait(10)
        if result.rc != 0:
            self.problems.append(f"firmware exit code {result.rc}\n{result.describe()}")


def tcp_phase(args, every):
    peer = TcpServer(reply_and_close, name="soak-tcp")
    host_port = free_port()
    warmup = 2 * ACCEPT_EVERY
    params = {
        "N": args.connections,
        "EVERY": every,
        "WARMUP": warmup,
        "ACCEPT_EVERY": ACCEPT_EVERY,
        "GUEST_PORT": GUEST_PORT,
    }
    script = firmware_script(params, TCP_BODY, CYCLE.format(port=peer.port))
    phase = Phase(
        "tcp",
        f"{args.connections:,} TCP connections (1 in {ACCEPT_EVERY} accepted "
        f"from the PC), a sample every {every:,}",
        script,
        timeout=120 + args.connections * 0.02,
        hostfwd=[f"tcp:{host_port}:{GUEST_PORT}"],
    )
    accepted = [0]

    def on_accept(count):
        accept_client(host_port, count, accepted[0])
        accepted[0] += count

    phase.on_accept = on_accept

    def check():
        total = args.connections + warmup
        n_in = accepted[0]
        if phase.results.get("done") == args.connections:
            want_in = (warmup // ACCEPT_EVERY) + sum(
                min(every, args.connections - d) // ACCEPT_EVERY
                for d in range(0, args.connections, every)
            )
            if n_in != want_in or peer.connections != total - want_in:
                phase.problems.append(
                    f"{peer.connections} connections out and {n_in} in, "
                    f"expected {total - want_in} and {want_in}"
                )
        if peer.errors:
            phase.problems.append(f"peer errors: {peer.errors[:3]!r}")

    phase.check = check
    return phase, peer


def http_phase(args, every):
    server = HttpServer()
    server.route(
        "GET",
        "/close/<n>",
        lambda req: Response(
            200,
            {"Content-Type": "application/octet-stream"},
            pattern(int(req.params["n"])),
            until_close=True,
        ),
    )
    warmup = 3 * 4
    drain_ms = 0 if args.quick else 2 * 60_000 + 10_000  # 2 MSL and some
    params = {
        "N": args.requests,
        "EVERY": every,
        "WARMUP": warmup,
        "BASE": f"http://{FIRMWARE_HOST}:{server.port}",
        "DRAIN_MS": drain_ms,
        "TCP_PCB_POOL": TCP_PCB_POOL,
    }
    script = firmware_script(params, HTTP_BODY, MP_PATTERN_SRC)
    drain = "then TIME_WAIT waited out" if drain_ms else "TIME_WAIT not waited out"
    phase = Phase(
        "http",
        f"{args.requests:,} urequests GETs, a sample every {every:,}, {drain}",
        script,
        timeout=120 + drain_ms / 1000 + args.requests * 0.1,
    )
    if not drain_ms:
        phase.pcb_bound = TCP_PCB_POOL

    def check():
        seen = len(server.requests)
        if (
            phase.results.get("done") == args.requests
            and seen != args.requests + warmup
        ):
            phase.problems.append(
                f"the server saw {seen} requests, expected {args.requests + warmup}"
            )
        if drain_ms and phase.samples and phase.samples[-1][2]["tcp_pcb"]:
            phase.problems.append(
                f"{phase.samples[-1][2]['tcp_pcb']} tcp_pcb still in use after "
                f"TIME_WAIT expired"
            )
        if server.errors or server.bad_requests:
            phase.problems.append(
                f"server errors: {server.errors[:3]!r} {server.bad_requests[:3]!r}"
            )

    phase.check = check
    return phase, server


def xfer_phase(args, every):
    handler = XferPeer()
    peer = TcpServer(handler, name="soak-xfer")
    warmup = 2 * args.parallel
    params = {
        "N": args.transfers,
        "EVERY": every,
        "WARMUP": warmup,
        "SIZE": args.size,
        "PIECE": PIECE,
        "PARALLEL": args.parallel,
        "HOST": FIRMWARE_HOST,
        "PORT": peer.port,
        "XFER_TIMEOUT": 600,
        "SETTLE_MS": 30_000,
    }
    script = firmware_script(params, XFER_BODY, MP_PATTERN_SRC)
    loss = args.loss / 100
    # About 20 s per MiB at 5 % loss on this host, mostly retransmission timeouts.
    per = 10 + 60 * args.size / 2**20 * (1 + 10 * loss)
    phase = Phase(
        "xfer",
        f"{args.transfers:,} transfers of {args.size:,} B, half down and half up, "
        f"{args.parallel} each way at a time, {args.loss:g} % frame loss "
        f"(seed {args.seed}), a sample every {every:,}",
        script,
        timeout=120 + per * (args.transfers + warmup) / (2 * args.parallel),
        env={"USOCKET_NET_LOSS": f"{loss:g}", "USOCKET_NET_SEED": args.seed},
    )

    def check():
        if phase.results.get("done") == args.transfers:
            got = len(handler.verdicts)
            bad = [v for v in handler.verdicts if v[1] != b"ok"]
            if got != args.transfers + warmup or bad:
                phase.problems.append(
                    f"{got} transfers seen by the peer (expected "
                    f"{args.transfers + warmup}), wrong: {bad[:5]!r}"
                )
        if peer.errors:
            phase.problems.append(f"peer errors: {peer.errors[:3]!r}")

    phase.check = check
    return phase, peer


PHASES = {"tcp": tcp_phase, "http": http_phase, "xfer": xfer_phase}


# The numbers, and what --quick uses instead (for options not given).
DEFAULTS = {
    "connections": 10_000,
    "requests": 1_000,
    "transfers": 100,
    "size": 2**20,
    "samples": 10,
}
QUICK = {
    "connections": 1_000,
    "requests": 200,
    "transfers": 8,
    "size": 64 * 1024,
    "samples": 4,
}


def write_doc(args, phases, total):
    """The run's summary, one row a phase, as a generated block of docs/testing.md."""
    rows = []
    for p in phases:
        heap = pools = "n/a"
        if p.samples:
            first, last = p.samples[0][2], p.samples[-1][2]
            heap = f"{first['heap']:,} → {last['heap']:,} B (lowest of the last {HEAP_TAIL}: {heap_growth(p.samples):+,} B)"
            moved = [
                f"{k} {first[k]} → {last[k]}"
                for k in POOLS + ERRORS
                if first[k] or last[k]
            ]
            pools = ", ".join(moved) or "all 0 → 0"
        verdict = "ok" if not p.problems else "FAILED: " + p.problems[0].splitlines()[0]
        rows.append((f"{p.name}: {p.title}", f"{p.wall:,.1f} s", heap, pools, verdict))
    firmware = os.path.relpath(args.firmware, REPO)
    docgen.replace_block(
        "testing.md",
        "soak",
        docgen.stamp("make soak")
        + f" Firmware `{firmware}`, {total:,.0f} s in all.\n\n"
        + docgen.md_table(
            (
                "phase",
                "wall time",
                "heap, first → last",
                "pools and error counters, first → last",
                "verdict",
            ),
            rows,
            right=(1,),
        ),
    )


def parse_args():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--firmware", help="the firmware binary ($USOCKET_FIRMWARE wins)")
    ap.add_argument("--connections", type=int, help="default 10,000")
    ap.add_argument("--requests", type=int, help="default 1,000")
    ap.add_argument("--transfers", type=int, help="default 100")
    ap.add_argument("--size", type=int, help="bytes per transfer, default 1 MiB")
    ap.add_argument("--loss", type=float, default=5.0, help="frame loss, percent")
    ap.add_argument("--seed", type=int, default=9, help="the loss pattern's seed")
    ap.add_argument(
        "--parallel",
        type=int,
        default=2,
        help="transfers in flight in each direction (default 2: 2 down, 2 up)",
    )
    ap.add_argument("--samples", type=int, help="samples per phase, default 10")
    ap.add_argument(
        "--heap-tolerance",
        type=int,
        default=HEAP_TOLERANCE,
        help=f"heap bytes a phase may grow by (default {HEAP_TOLERANCE}; an "
        "ASan build's http rows saw-tooth by ~2.5 KB: use 4096 there)",
    )
    ap.add_argument(
        "--phases",
        default="tcp,http,xfer",
        help="comma-separated, from: " + ",".join(PHASES),
    )
    ap.add_argument(
        "--doc",
        action="store_true",
        help="write the run's summary into docs/testing.md (a full run only)",
    )
    ap.add_argument(
        "--quick",
        action="store_true",
        help="a ~40 s smoke: 1,000 connections, 200 requests (TIME_WAIT not "
        "waited out), 8 transfers of 64 KiB, 4 samples each",
    )
    args = ap.parse_args()
    for key, value in (QUICK if args.quick else DEFAULTS).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    for name in args.phases.split(","):
        if name not in PHASES:
            ap.error(f"unknown phase {name!r}")
    if not 0 <= args.loss <= 100 or args.size < 4 or args.parallel < 1:
        ap.error("--loss is 0-100, --size at least 4, --parallel at least 1")
    if min(args.connections, args.requests, args.transfers, args.samples) < 1:
        ap.error("counts must be at least 1")
    env = os.environ.get("USOCKET_FIRMWARE")
    args.firmware = Path(env or args.firmware or REPO / "build/unix/micropython")
    args.firmware = args.firmware.resolve()
    if not (args.firmware.is_file() and os.access(args.firmware, os.X_OK)):
        ap.error(f"{args.firmware} is not an executable file (make unix)")
    return args


def main():
    args = parse_args()
    counts = {"tcp": args.connections, "http": args.requests, "xfer": args.transfers}
    print(f"soak: firmware {args.firmware}", flush=True)
    dns = DnsServer()
    phases = []
    start = time.monotonic()
    try:
        with tempfile.TemporaryDirectory(prefix="usocket-soak-") as work:
            runner = MpRunner(str(args.firmware), dns.port, work)
            for name in args.phases.split(","):
                every = -(-counts[name] // args.samples)
                phase, peer = PHASES[name](args, every)
                phase.heap_tolerance = args.heap_tolerance
                try:
                    phase.run(runner)
                finally:
                    runner.cleanup()
                    peer.close()
                phases.append(phase)
    finally:
        dns.close()
    total = time.monotonic() - start
    if args.doc:
        write_doc(args, phases, total)
    print(f"\nsoak: {total:.0f} s in all")
    failed = [p for p in phases if p.problems]
    for p in phases:
        print(f"  {p.name:<5} {'FAILED' if p.problems else 'ok':<6} {p.wall:7.1f} s")
    for p in failed:
        for problem in p.problems:
            print(f"  {p.name}: {problem.splitlines()[0]}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
