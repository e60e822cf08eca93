"""`make test-oom` (issue 15): every allocation an operation makes fails once.

The model is SQLite's out-of-memory testing. The firmware is boards/unix-oom: the
host firmware with `_oom` (boards/unix-oom/oom_inject.c), which counts every
allocation from lwIP's pools (memp_malloc), lwIP's heap (mem_malloc; pbuf_alloc
takes its pbufs from one of the two) and MicroPython's heap (gc_alloc and a growing
gc_realloc), and makes the Nth one fail, once.

For each case (one socket operation or urequests call, below) one firmware process:
  1. runs the operation twice without injection (imports, first-time allocations)
     and takes the baseline: every lwIP usage counter of network.LAN().stats()
     (pcbs in TIME_WAIT counted apart: the side that closes first keeps one for two
     minutes, by design) and the heap (gc.mem_alloc() after gc.collect());
  2. for N = 1, 2, 3...: arms allocation N, runs the operation, disarms, closes
     whatever the operation had opened, waits for lwIP to settle, and checks the
     baseline; then runs the operation once more without injection (the stack and
     a new socket still work). The sweep ends at the first N that the operation
     does not reach: every allocation it makes has then failed once.

A run passes when the operation returned, raised MemoryError, or raised OSError
(which errno is reported: ENOMEM where a call needed memory; a timeout where the
allocation that failed was a received frame's, which lwIP drops as a board's driver
does when it has no buffer), and when close() did not raise, lwIP's counters came
back exactly, the heap came back within HEAP_TOLERANCE, and the operation then
worked again. A crash, a hang (no progress for --hang-timeout seconds), an lwIP
assertion, a sanitizer report or any other exception fails it; the sweep then goes
on from N + 1 in a new process.

Prints, per case, the injection points covered (by allocator) and the distinct
outcomes, and writes them to build/oom.json; --doc FILE writes the tables as
Markdown (docs/generated/oom.md). Exit status 1 if any run failed.
"""

import argparse
import collections
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "host_tests"))

from peers import (
    LWIP_USAGE,
    DnsServer,
    HttpServer,
    TcpServer,
    UdpEchoServer,
    free_port,
    pattern,
    recv_all,
)

# Heap bytes a run may leave behind (the conservative GC: a stale word on the C
# stack can keep one small block alive for a while; a leak grows run after run and
# shows in the last row too).
HEAP_TOLERANCE = 1024
# On the firmware's stderr: lwIP's assertion (boards/unix/arch/cc.h) and what ASan,
# LeakSanitizer and UBSan print (`make test-oom SANITIZE=...`).
FAILURE_MARKS = (
    "lwIP assertion",
    "ERROR: AddressSanitizer",
    "ERROR: LeakSanitizer",
    "runtime error:",
)
# How long lwIP may take to free what a closed socket leaves (ms): a connection
# closed with unacknowledged data is kept for the close linger
# (USOCKET_CLOSE_LINGER_MS, 10 s) at most. The check returns as soon as every
# counter is back, so this only costs time when something is held.
SETTLE_MS = 15000
# The firmware's port for the server case (USOCKET_HOSTFWD maps a PC port to it).
GUEST_PORT = 8080
MSG_LEN = 100

PRELUDE = """
import gc, sys, time, network, _oom
import usocket as socket
LAN = network.LAN()
KEYS = {keys!r}
TCP = KEYS.index("tcp_pcb")
START = int(sys.argv[1])
LIMIT = int(sys.argv[2])
PERSISTENT = sys.argv[3] == "1"
SETTLE_MS = int(sys.argv[4])
# What an operation opened, closed by cleanup(). Preallocated: storing into it
# allocates nothing, so no injected failure can come between opening and storing.
S = [None, None, None, None]

def usage():
    st = LAN.stats()
    u = [st[k] for k in KEYS]
    u[TCP] -= _oom.tcp_timewait()
    return u

def settle(base):
    t = time.ticks_ms()
    while True:
        u = usage()
        if u == base or time.ticks_diff(time.ticks_ms(), t) > SETTLE_MS:
            return u
        time.sleep_ms(5)

def heap():
    gc.collect()
    gc.collect()
    return gc.mem_alloc()

def cleanup():
    for i in range(len(S)):
        s = S[i]
        S[i] = None
        if s is not None:
            s.close()
    gc.collect()

def recv_n(s, n):
    got = b""
    while len(got) < n:
        d = s.recv(n - len(got))
        if not d:
            break
        got += d
    return got
"""

MAIN = """
for k in (-2, -1):
    prepare(k)
    op()
    cleanup()
base = settle(usage())
time.sleep_ms(100)
base = settle(usage())
print("@base|%r" % (base,))
# N = 0 is the reference run: allocations counted, none failed. Its heap, measured
# where every later run's is (the same variables alive), is the heap baseline.
def attempt():
    # Nothing between arm() and disarm() allocates but op() itself: the exception
    # is a local, the result goes to an existing global. In persistent mode every
    # allocation after N fails, so the outcome is classified after disarm().
    _oom.arm(n, PERSISTENT)
    try:
        op()
        return None
    except Exception as e:
        return e

h0 = None
exc = None
n = 0
while n <= LIMIT:
    prepare(n)
    exc = attempt()
    count, site = _oom.disarm()
    if exc is None:
        outcome = "ok"
    elif isinstance(exc, MemoryError):
        outcome = "MemoryError"
    elif isinstance(exc, OSError):
        outcome = "OSError(%d)" % exc.args[0]
    else:
        outcome = "unexpected %s(%s)" % (type(exc).__name__, exc)
    exc = None
    closed = "ok"
    try:
        cleanup()
    except Exception as e:
        closed = "close raised %s(%s)" % (type(e).__name__, e)
    left = settle(base)
    leak = ",".join("%s%+d" % (KEYS[i], left[i] - base[i]) for i in range(len(KEYS)) if left[i] != base[i])
    if h0 is None:
        h0 = heap()
    dh = heap() - h0
    again = "ok"
    if site is not None:
        try:
            prepare(-3 - n)
            op()
            cleanup()
        except Exception as e:
            again = "%s(%s)" % (type(e).__name__, e)
            cleanup()
        settle(base)
    print("@run|%d|%d|%s|%s|%s|%s|%d|%s" % (n, count, site, outcome, closed, leak, dh, again))
    if n > 0 and site is None:
        break
    n = START if n == 0 else n + 1
print("@done|%d" % n)
"""

# The cases: firmware code defining prepare(k) (run before arming; k < 0 for the
# warm-up and the re-runs) and op(). {name} fields are filled from the peers.
CASES = {
    "tcp_client": """
MSG = b"%0100d" % 7
EXPECT = bytes(reversed(MSG))
def prepare(k):
    pass
def op():
    s = socket.socket()
    S[0] = s
    s.settimeout(5)
    s.connect(("10.0.2.2", {tcp_port}))
    s.sendall(MSG)
    if recv_n(s, 100) != EXPECT:
        raise ValueError("wrong reply")
    if s.recv(1) != b"":
        raise ValueError("no EOF")
    s.close()
""",
    "tcp_server": """
MSG = b"%0100d" % 7
EXPECT = bytes(reversed(MSG))
def prepare(k):
    pass
def op():
    l = socket.socket()
    S[0] = l
    l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind(("0.0.0.0", {guest_port}))
    l.listen(1)
    l.settimeout(5)
    print("@listening")
    c, a = l.accept()
    S[1] = c
    c.settimeout(5)
    got = recv_n(c, 100)
    c.sendall(bytes(reversed(got)))
    if got != MSG:
        raise ValueError("wrong request")
    if c.recv(1) != b"":
        raise ValueError("no EOF")
    c.close()
    l.close()
""",
    "udp": """
MSG = b"%064d" % 9
def prepare(k):
    pass
def op():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    S[0] = s
    s.settimeout(2)
    s.sendto(MSG, ("10.0.2.2", {udp_port}))
    d, a = s.recvfrom(256)
    if d != MSG:
        raise ValueError("wrong datagram")
    s.close()
""",
    "udp_server": """
MSG = b"%064d" % 5
def prepare(k):
    pass
def op():
    # The server's side of UDP: bind, recvfrom, sendto the sender. The client is a
    # second socket of the firmware, over lwIP's loopback interface.
    srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    S[0] = srv
    srv.bind(("127.0.0.1", {guest_port}))
    srv.settimeout(2)
    cli = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    S[1] = cli
    cli.settimeout(2)
    cli.sendto(MSG, ("127.0.0.1", {guest_port}))
    d, a = srv.recvfrom(256)
    srv.sendto(bytes(reversed(d)), a)
    if cli.recv(256) != bytes(reversed(MSG)):
        raise ValueError("wrong reply")
    cli.close()
    srv.close()
""",
    "getaddrinfo": """
NAME = [None]
def prepare(k):
    # A new name each time: lwIP caches answers.
    NAME[0] = "n%d.test" % (k + 1000)
def op():
    r = socket.getaddrinfo(NAME[0], 80)
    if r[0][-1][0] != "10.0.2.2":
        raise ValueError(r)
""",
    "http_get": """
import urequests
EXPECT = {get_body!r}
def prepare(k):
    pass
def op():
    r = urequests.get("{http}/bytes/2000", timeout=5)
    S[0] = r
    if r.status_code != 200 or r.content != EXPECT:
        raise ValueError("wrong response")
    r.close()
""",
    "http_get_chunked": """
import urequests
EXPECT = {chunked_body!r}
def prepare(k):
    pass
def op():
    r = urequests.get("{http}/stream/3000?chunk=1000", timeout=5)
    S[0] = r
    if r.status_code != 200 or r.content != EXPECT:
        raise ValueError("wrong response")
    r.close()
""",
    "http_post": """
import urequests
BODY = b"p" * 1000
def prepare(k):
    pass
def op():
    r = urequests.post("{http}/echo", data=BODY, timeout=5)
    S[0] = r
    if r.status_code != 200 or b'"body_len": 1000' not in r.content:
        raise ValueError("wrong response")
    r.close()
""",
    "http_post_chunked": """
import urequests
PARTS = (b"a" * 500, b"b" * 500)
def prepare(k):
    pass
def op():
    r = urequests.post("{http}/echo", data=(p for p in PARTS), timeout=5)
    S[0] = r
    if r.status_code != 200 or b'"chunked": true' not in r.content:
        raise ValueError("wrong response")
    r.close()
""",
}


# The self-test's cases (--self-test, which `make test-oom` runs first): each plants
# one kind of bug, and the sweep must report it, so a clean sweep means something.
PLANTED = {
    "planted_leak": """
KEEP = []
def prepare(k):
    pass
def op():
    # A socket that nothing closes: lwIP's udp_pcb count grows.
    KEEP.append(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
""",
    "planted_hang": """
def prepare(k):
    pass
def op():
    try:
        b = bytearray(64)
    except MemoryError:
        while True:
            time.sleep_ms(50)
""",
    "planted_unexpected": """
def prepare(k):
    pass
def op():
    try:
        b = bytearray(64)
    except MemoryError:
        raise ValueError("a MemoryError turned into something else")
""",
}
# What the self-test expects the sweep to report for each planted case.
PLANTED_REPORTS = {
    "planted_leak": "lwIP not back at baseline: udp_pcb+",
    "planted_hang": "hang",
    "planted_unexpected": "unexpected ValueError",
}


def reply_and_close(conn, addr):
    """The tcp_client case's peer: reads 100 bytes, answers them reversed, closes
    first (so the firmware's pcb ends in LAST_ACK, not TIME_WAIT)."""
    data = recv_all(conn, MSG_LEN)
    conn.sendall(data[::-1])


def serve_one_client(host_port, stop):
    """The tcp_server case's peer, run once per `@listening` line: connects through
    USOCKET_HOSTFWD, sends 100 bytes, reads the reply, closes first."""
    msg = b"%0100d" % 7
    deadline = time.monotonic() + 10
    while not stop.is_set() and time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", host_port), timeout=10) as c:
                c.sendall(msg)
                recv_all(c, MSG_LEN)
            return
        except OSError:
            time.sleep(0.05)


class Peers:
    """Every peer the cases talk to, on 127.0.0.1."""

    def __init__(self):
        self.tcp = TcpServer(reply_and_close)
        self.udp = UdpEchoServer()
        self.dns = DnsServer()
        self.http = HttpServer()
        self.host_port = free_port()

    def fields(self):
        return {
            "tcp_port": self.tcp.port,
            "udp_port": self.udp.port,
            "guest_port": GUEST_PORT,
            "http": self.http.url("").rstrip("/"),
            "get_body": pattern(2000),
            "chunked_body": pattern(3000),
        }

    def close(self):
        for p in (self.tcp, self.udp, self.dns, self.http):
            p.close()


class Sweep:
    """One case's sweep over N, across as many firmware processes as it takes."""

    def __init__(self, name):
        self.name = name
        self.runs = []  # dicts, one per N
        self.failures = []  # (n, what)
        self.base = None
        self.seconds = 0.0
        # Allocations the operation makes when none fails (the reference run).
        self.allocations = None

    def record(self, n, count, site, outcome, closed, leak, dh, again):
        row = {
            "n": n,
            "count": count,
            "site": None if site == "None" else site,
            "outcome": outcome,
            "closed": closed,
            "leak": leak,
            "heap": dh,
            "again": again,
        }
        self.runs.append(row)
        bad = []
        if outcome.startswith("unexpected"):
            bad.append(outcome)
        if row["site"] is None and outcome != "ok":
            bad.append(f"failed without an injected failure: {outcome}")
        if closed != "ok":
            bad.append(closed)
        if leak:
            bad.append(f"lwIP not back at baseline: {leak}")
        if dh > HEAP_TOLERANCE:
            bad.append(f"heap +{dh} B")
        if again != "ok":
            bad.append(f"the operation failed again without injection: {again}")
        if bad:
            self.failures.append((n, "; ".join(bad)))

    @property
    def points(self):
        return [r for r in self.runs if r["site"] is not None]


def _read_lines(proc, lines, last, host_port, stop):
    """Collects the firmware's stdout lines (and when the last one came); starts a
    client for the tcp_server case at each `@listening`."""
    for raw in proc.stdout:
        line = raw.decode("utf-8", "replace").rstrip("\n")
        lines.append(line)
        last[0] = time.monotonic()
        if line == "@listening":
            threading.Thread(
                target=serve_one_client, args=(host_port, stop), daemon=True
            ).start()


def run_sweep(
    firmware,
    name,
    script,
    env,
    limit,
    hang_timeout,
    host_port,
    log,
    persistent,
    settle_ms,
):
    sweep = Sweep(name)
    started = time.monotonic()
    n = 1
    while n <= limit:
        proc = subprocess.Popen(
            [
                firmware,
                str(script),
                str(n),
                str(limit),
                "1" if persistent else "0",
                str(settle_ms),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            start_new_session=True,
        )
        stop = threading.Event()
        lines = []
        last = [time.monotonic()]

        t = threading.Thread(
            target=_read_lines, args=(proc, lines, last, host_port, stop), daemon=True
        )
        t.start()
        hung = False
        while proc.poll() is None:
            if time.monotonic() - last[0] > hang_timeout:
                hung = True
                os.killpg(proc.pid, 9)
                break
            time.sleep(0.05)
        proc.wait()
        t.join(5)
        stop.set()
        err = proc.stderr.read().decode("utf-8", "replace")
        done = False
        for line in lines:
            parts = line.split("|")
            if parts[0] == "@base":
                sweep.base = parts[1]
            elif parts[0] == "@run" and parts[1] == "0":
                sweep.allocations = int(parts[2])
            elif parts[0] == "@run":
                sweep.record(
                    int(parts[1]), int(parts[2]), *parts[3:7], int(parts[7]), parts[8]
                )
                n = int(parts[1]) + 1
                log(f"{name} N={parts[1]}: {parts[3]} -> {parts[4]}")
            elif parts[0] == "@done":
                done = True
        # An assertion or a sanitizer report at exit (LeakSanitizer) after the last
        # run fails the sweep too.
        marks = [m for m in FAILURE_MARKS if m in err]
        if done and (marks or proc.returncode != 0):
            sweep.failures.append(
                (n, f"exit status {proc.returncode} {marks}: {err.strip()[-2000:]}")
            )
        if done:
            break
        if sweep.base is None:
            sweep.failures.append((n, f"no baseline: rc {proc.returncode}\n{err}"))
            break
        what = "hang" if hung else f"crash (rc {proc.returncode})"
        detail = err.strip().splitlines()[-12:]
        sweep.failures.append((n, what + ": " + " / ".join(detail)))
        sweep.runs.append(
            {
                "n": n,
                "count": None,
                "site": "?",
                "outcome": what,
                "closed": "",
                "leak": "",
                "heap": 0,
                "again": "",
            }
        )
        log(f"{name} N={n}: {what}")
        n += 1
    sweep.seconds = time.monotonic() - started
    return sweep


def kind(site):
    """The allocator of an injection point: 'heap', 'mem_malloc' or the pool."""
    base = site.split(" in ")[0]
    if base.startswith("heap"):
        return "MicroPython heap"
    if base.startswith("memp:"):
        return "lwIP pool " + base[5:]
    return "lwIP heap (mem_malloc)"


def tables(sweeps, total_seconds):
    """The report as Markdown tables (printed and, with --doc, written)."""
    out = []
    kinds = sorted(
        {kind(r["site"]) for s in sweeps for r in s.points if r["site"] != "?"}
    )
    out.append(
        "| case | allocations | points | " + " | ".join(kinds) + " | failures | time |"
    )
    out.append("|---|--:|--:|" + "--:|" * len(kinds) + "--:|--:|")
    for s in sweeps:
        per = collections.Counter(kind(r["site"]) for r in s.points if r["site"] != "?")
        out.append(
            f"| {s.name} | {s.allocations} | {len(s.points)} | "
            + " | ".join(str(per.get(k, 0)) for k in kinds)
            + f" | {len(s.failures)} | {s.seconds:.0f} s |"
        )
    total = sum(len(s.points) for s in sweeps)
    out.append(
        f"| **all** | {sum(s.allocations or 0 for s in sweeps)} | **{total}** | "
        + " | ".join(
            str(
                sum(
                    1
                    for s in sweeps
                    for r in s.points
                    if r["site"] != "?" and kind(r["site"]) == k
                )
            )
            for k in kinds
        )
        + f" | {sum(len(s.failures) for s in sweeps)} | {total_seconds:.0f} s |"
    )
    out.append("")
    outcomes = collections.Counter(
        (s.name, r["outcome"]) for s in sweeps for r in s.points
    )
    distinct = sorted({o for _, o in outcomes})
    out.append(f"Distinct outcomes: {len(distinct)}.")
    out.append("")
    out.append("| case | " + " | ".join(distinct) + " |")
    out.append("|---|" + "--:|" * len(distinct))
    for s in sweeps:
        out.append(
            f"| {s.name} | "
            + " | ".join(str(outcomes.get((s.name, o), 0)) for o in distinct)
            + " |"
        )
    out.append("")
    # Which allocations ended in which outcome (site -> outcomes), for reading.
    out.append("| case | failed allocation | runs | outcomes |")
    out.append("|---|---|--:|---|")
    for s in sweeps:
        by_site = collections.defaultdict(collections.Counter)
        for r in s.points:
            by_site[r["site"]][r["outcome"]] += 1
        for site in sorted(by_site):
            c = by_site[site]
            out.append(
                f"| {s.name} | {site} | {sum(c.values())} | "
                + ", ".join(f"{o} × {k}" for o, k in sorted(c.items()))
                + " |"
            )
    return "\n".join(out)


def sweep_all(
    firmware, cases, limit, hang_timeout, log, summary, persistent=False, settle_ms=None
):
    if settle_ms is None:
        settle_ms = SETTLE_MS
    """Runs each case's sweep against a fresh set of peers; returns the Sweeps."""
    peers = Peers()
    fields = peers.fields()
    env = {k: v for k, v in os.environ.items() if not k.startswith("USOCKET_")}
    env["USOCKET_DNS_PORT"] = str(peers.dns.port)
    env["USOCKET_HOSTFWD"] = f"tcp:{peers.host_port}:{GUEST_PORT}"
    sweeps = []
    try:
        with tempfile.TemporaryDirectory(prefix="usocket-oom-") as tmp:
            for name, source in cases.items():
                script = Path(tmp) / f"oom_{name}.py"
                script.write_text(
                    PRELUDE.format(keys=LWIP_USAGE) + source.format(**fields) + MAIN
                )
                sweep = run_sweep(
                    firmware,
                    name,
                    script,
                    env,
                    limit,
                    hang_timeout,
                    peers.host_port,
                    log,
                    persistent,
                    settle_ms,
                )
                sweeps.append(sweep)
                summary(
                    f"{name}: {len(sweep.points)} injection points, "
                    f"{len(sweep.failures)} failures, {sweep.seconds:.1f} s"
                )
    finally:
        peers.close()
    return sweeps


def self_test(firmware, log):
    """The sweep must report each planted bug; returns the problems (none = ok)."""
    problems = []
    for sweep in sweep_all(firmware, PLANTED, 20, 10.0, log, log, settle_ms=3000):
        want = PLANTED_REPORTS[sweep.name]
        if not any(what.startswith(want) or want in what for _, what in sweep.failures):
            problems.append(
                f"{sweep.name}: the sweep did not report {want!r}: {sweep.failures}"
            )
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--firmware", default=str(REPO / "build/unix-oom/micropython"))
    ap.add_argument("--cases", default=",".join(CASES), help="comma-separated")
    ap.add_argument("--limit", type=int, default=100000, help="largest N per case")
    ap.add_argument("--hang-timeout", type=float, default=60.0)
    ap.add_argument("--json", default=str(REPO / "build/oom.json"))
    ap.add_argument("--doc", help="write the tables as Markdown here")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument(
        "--self-test", action="store_true", help="first check the sweep on planted bugs"
    )
    ap.add_argument(
        "--persistent",
        action="store_true",
        help="allocation N and every later one fail (until the operation ends)",
    )
    args = ap.parse_args()
    names = [c for c in args.cases.split(",") if c]
    for c in names:
        if c not in CASES:
            ap.error(f"unknown case {c!r}; cases: {', '.join(CASES)}")

    log = print if args.verbose else (lambda *a: None)
    if args.self_test:
        problems = self_test(args.firmware, log)
        for p in problems:
            print(f"FAIL self-test {p}")
        if problems:
            return 1
        print("self-test: the sweep reports a planted leak, hang and unexpected error")
    started = time.monotonic()
    sweeps = sweep_all(
        args.firmware,
        {n: CASES[n] for n in names},
        args.limit,
        args.hang_timeout,
        log,
        lambda line: print(line, flush=True),
        args.persistent,
    )
    total = time.monotonic() - started
    report = tables(sweeps, total)
    print()
    print(report)
    failures = [(s.name, n, what) for s in sweeps for n, what in s.failures]
    for name, n, what in failures:
        print(f"FAIL {name} N={n}: {what}")
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(
        json.dumps(
            {
                s.name: {"runs": s.runs, "failures": s.failures, "seconds": s.seconds}
                for s in sweeps
            },
            indent=1,
        )
    )
    if args.doc:
        Path(args.doc).parent.mkdir(parents=True, exist_ok=True)
        Path(args.doc).write_text(
            "<!-- Generated by tools/oom.py (make test-oom); do not edit. -->\n\n"
            + report
            + "\n"
        )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
