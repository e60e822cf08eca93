"""usocket against MicroPython's modlwip, in one firmware (`make bench`).

Runs each workload of bench/fw_bench.py on the benchmark firmware (boards/unix-bench:
both modules on the same lwIP, lwIP options and libslirp bridge) against CPython
peers on 127.0.0.1, once per module per round, the modules' order alternating
between rounds. Prints the medians and the ratio ours/modlwip as a table and writes
everything, every sample included, to build/bench.json. Code size and static RAM
come from tools/size.py (`make size`): both modules compiled for Cortex-M0+.
"""

import argparse
import datetime
import json
import os
import platform
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(TOP, "host_tests"))
sys.path.insert(0, os.path.join(TOP, "tools"))

import docgen  # tools/docgen.py: the generated block in docs/benchmarks.md
import loop_peers  # bench/loop_peers.py: one-thread echo and HTTP peers
import peers  # host_tests/peers/: the tests' loopback servers
import qemu_icount  # bench/qemu_icount.py: the Cortex-M3 instruction counts

MODULES = (("usocket", "usocket"), ("modlwip", "lwip"))  # (label, import name)
MIB = 1024 * 1024

# Workload sizes. The defaults keep a full run (9 rounds) near a minute on two
# cores; --quick shrinks them for a smoke test. All but the asyncio burst run in
# pairs (see run_rounds): "pairs" runs per module and round, of "bulk" bytes (one
# transfer), "cps" connections, "rtt" and "udp" round trips, "http_body_n" streamed
# GETs and "http_n" GETs each way.
SIZES = {
    "pairs": 4,
    "bulk": 16 * MIB,
    "bulk_n": 5,
    "cps": 200,
    "rtt": 2000,
    "rtt_size": 64,
    "udp": 2000,
    "udp_size": 64,
    "mem_n": 16,
    "http_body": MIB,
    "http_body_n": 3,
    "http_n": 200,
    "burst_clients": 50,
    "burst_per_client": 4,
}
QUICK = {
    "pairs": 1,
    "bulk": 2 * MIB,
    "bulk_n": 1,
    "http_body_n": 1,
    "cps": 50,
    "rtt": 300,
    "udp": 300,
    "http_n": 10,
    "burst_per_client": 1,
}

# One row of the table: (key, label, unit, higher is better, goal).
# The goal is what the issue asks of ours: a ratio bound, or an absolute bound.
ROWS = (
    ("tcp_rx", "TCP bulk receive, {bulk_mib} MiB", "MB/s", True, ">= 1.0x"),
    ("tcp_tx", "TCP bulk send, {bulk_mib} MiB", "MB/s", True, ">= 1.0x"),
    ("tcp_cps", "TCP connect, 100 B echo, close", "conn/s", True, ">= 1.0x"),
    ("tcp_rtt", "TCP round trips ({rtt_size} B)", "rt/s", True, ">= 1.0x"),
    ("udp_pps", "UDP round trips ({udp_size} B)", "pkt/s", True, ">= 1.0x"),
    ("heap_tcp_new", "heap per TCP socket (new)", "B", False, "<= 1.0x"),
    ("heap_tcp_connected", "heap per TCP socket (connected)", "B", False, "<= 1.0x"),
    ("heap_udp", "heap per UDP socket", "B", False, "<= 1.0x"),
    ("lwip_mem_used", "lwIP MEM heap per connection", "B", False, ""),
    ("lwip_tcp_pcb", "lwIP tcp_pcb per connection", "pcb", False, ""),
    ("lwip_pbuf_all", "lwIP pbufs held per connection", "pbuf", False, ""),
    (
        "http_stream_MBps",
        "urequests {http_mib} MiB GET, streamed",
        "MB/s",
        True,
        ">= 1.0x",
    ),
    (
        "http_stream_peak",
        "urequests {http_mib} MiB GET, heap growth",
        "B",
        False,
        "<= 8192 B",
    ),
    ("http_session", "urequests GET, keep-alive Session", "req/s", True, ">= 1.0x"),
    ("http_close", "urequests GET, connection per request", "req/s", True, ">= 1.0x"),
    (
        "burst_rps",
        "asyncio HTTP server, {burst_clients} clients at once",
        "req/s",
        True,
        ">= 1.0x",
    ),
    (
        "burst_worst_ms",
        "asyncio HTTP server, {burst_clients} clients: worst latency",
        "ms",
        False,
        "<= 2000 ms",
    ),
    (
        "burst_failed",
        "asyncio HTTP server, {burst_clients} clients: requests failed",
        "req",
        False,
        "<= 0 req",
    ),
    ("code_text", "code size, Cortex-M0+ (text)", "B", False, "<= 1.2x"),
    ("code_data_bss", "static RAM, Cortex-M0+ (data+bss)", "B", False, "<= 64 B"),
)
# The Cortex-M3 instruction counts: one exact value per module, no rounds.
ROWS += qemu_icount.ROWS


# --------------------------------------------------------------------------------------
# Peers


def tx_sink_handler(conn, addr):
    """Reads an 8-byte length and that many bytes, answers one byte, waits for EOF."""
    head = b""
    while len(head) < 8:
        chunk = conn.recv(8 - len(head))
        if not chunk:
            return
        head += chunk
    left = int.from_bytes(head, "big")
    buf = bytearray(1 << 20)
    while left:
        n = conn.recv_into(buf, min(left, len(buf)))
        if not n:
            raise OSError(f"EOF with {left} bytes to go")
        left -= n
    conn.sendall(b"k")
    peers.recv_all(conn)


class Peers:
    """Every server the workloads talk to, for the whole run: the tests' peers
    for the bulk transfers and UDP, event-loop ones where a connection's set-up
    would otherwise include a thread start on the peer's side."""

    def __init__(self, sizes):
        self.source = peers.TcpServer(peers.source(sizes["bulk"]), name="source")
        self.sink = peers.TcpServer(tx_sink_handler, name="sink")
        self.echo = loop_peers.EchoServer()
        self.udp = peers.UdpEchoServer()
        self.http = loop_peers.HttpServer()

    def close(self):
        for p in (self.source, self.sink, self.echo, self.udp, self.http):
            p.close()


# --------------------------------------------------------------------------------------
# Running the firmware


def firmware_env():
    # Nothing from the caller's environment may slow one module down: no injected
    # loss or delay, no forwards.
    return {k: v for k, v in os.environ.items() if not k.startswith("USOCKET_")}


def run_workload(firmware, module, workload, port, *args, timeout=120):
    cmd = [firmware, os.path.join(HERE, "fw_bench.py"), module, workload, str(port)]
    cmd += [str(a) for a in args]
    r = subprocess.run(
        cmd,
        check=False,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=firmware_env(),
    )
    for line in r.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(
        f"{module} {workload} failed (exit {r.returncode}):\n{r.stdout}{r.stderr}"
    )


def _http_get(port, path, timeout):
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as c:
        c.sendall(b"GET " + path + b" HTTP/1.0\r\nHost: fw\r\n\r\n")
        return peers.recv_all(c)


def run_http_burst(firmware, module, clients, per_client, timeout=120):
    """The http_burst workload: the firmware serves on a forwarded port while
    `clients` CPython threads, released at once, each make `per_client` GETs (a
    connection each). Returns requests/s (answered requests over the burst's
    wall time), the worst latency (connect to last byte) in ms, and how many
    requests failed (reset, or closed without an answer)."""
    port = peers.free_port()
    env = firmware_env()
    env["USOCKET_HOSTFWD"] = f"tcp:{port}:8080"
    cmd = [firmware, os.path.join(HERE, "fw_bench.py"), module, "http_burst", "8080"]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
    )
    try:
        if proc.stdout.readline().strip() != "listening":
            raise RuntimeError(f"{module} http_burst: the server did not start")
        latencies = []
        failed = []
        barrier = threading.Barrier(clients)

        def client():
            barrier.wait()
            for _ in range(per_client):
                t0 = time.monotonic()
                try:
                    reply = _http_get(port, b"/", timeout=90)
                except OSError as e:
                    failed.append(repr(e))
                    continue
                if not reply.endswith(b"hello"):
                    failed.append(reply[:80])
                    continue
                latencies.append(time.monotonic() - t0)

        threads = [threading.Thread(target=client) for _ in range(clients)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - t0
        _http_get(port, b"/stop", timeout=10)
        served = None
        for line in proc.stdout:
            if line.startswith("RESULT "):
                served = json.loads(line[7:])["served"]
                break
    finally:
        proc.kill()
        proc.wait()
    if served != len(latencies):
        raise RuntimeError(
            f"{module} http_burst: served {served}, {len(latencies)} answered"
        )
    return {
        "per_s": len(latencies) / elapsed,
        "worst_ms": max(latencies, default=0) * 1000,
        "failed": len(failed),
    }


# Workloads run by fw_bench.py's "pair" mode: both modules in one process.
PAIRED = (
    "tcp_rx",
    "tcp_tx",
    "tcp_cps",
    "tcp_rtt",
    "udp_pps",
    "http_stream",
    "http_session",
)


def workloads(p, s):
    """(name, port, args, {result key: metric}) for every firmware workload."""
    pairs = (s["pairs"],)
    return (
        ("tcp_rx", p.source.port, (1, s["bulk"], *pairs), {"MBps": "tcp_rx"}),
        ("tcp_tx", p.sink.port, (1, s["bulk"], *pairs), {"MBps": "tcp_tx"}),
        ("tcp_cps", p.echo.port, (s["cps"], 0, *pairs), {"per_s": "tcp_cps"}),
        (
            "tcp_rtt",
            p.echo.port,
            (s["rtt"], s["rtt_size"], *pairs),
            {"per_s": "tcp_rtt"},
        ),
        (
            "udp_pps",
            p.udp.port,
            (s["udp"], s["udp_size"], *pairs),
            {"per_s": "udp_pps"},
        ),
        (
            "memory",
            p.echo.port,
            (s["mem_n"],),
            {
                "heap_tcp_new": "heap_tcp_new",
                "heap_tcp_connected": "heap_tcp_connected",
                "heap_udp": "heap_udp",
                "lwip_mem_used": "lwip_mem_used",
                "lwip_tcp_pcb": "lwip_tcp_pcb",
                "lwip_pbuf_all": "lwip_pbuf_all",
            },
        ),
        (
            "http_stream",
            p.http.port,
            (s["http_body_n"], s["http_body"], *pairs),
            {"MBps": "http_stream_MBps", "peak_heap": "http_stream_peak"},
        ),
        (
            "http_session",
            p.http.port,
            (s["http_n"], 0, *pairs),
            {"session_per_s": "http_session", "close_per_s": "http_close"},
        ),
        (
            "http_burst",
            None,
            (s["burst_clients"], s["burst_per_client"]),
            {
                "per_s": "burst_rps",
                "worst_ms": "burst_worst_ms",
                "failed": "burst_failed",
            },
        ),
    )


def _add(samples, label, res, keys):
    for rkey, metric in keys.items():
        v = res[rkey]
        samples[metric][label].extend(v if isinstance(v, list) else [v])


def run_rounds(firmware, rounds, sizes, log):
    """Every workload, every round. Most run both modules in one firmware
    process, alternately, a run of one module right next to a run of the other
    (fw_bench.py's "pair" mode): the samples pair up moments apart. The asyncio
    burst (a server the PC's clients reach) runs once per module and round, in
    separate processes, which module goes first alternating between rounds."""
    samples = {key: {label: [] for label, _ in MODULES} for key, *_ in ROWS}
    p = Peers(sizes)
    try:
        for rnd in range(rounds):
            # Alternate which module goes first, so a drift in machine load over
            # the run does not favour either.
            order = MODULES if rnd % 2 == 0 else MODULES[::-1]
            log(f"round {rnd + 1}/{rounds}")
            for name, port, args, keys in workloads(p, sizes):
                if name in PAIRED:
                    # The process's first run meets a cold stack (ARP, slirp's
                    # first sockets): each module has it in every other round.
                    first = "pair" if rnd % 2 == 0 else "pair-lwip"
                    res = run_workload(firmware, first, name, port, *args)
                    for label, _ in MODULES:
                        for one in res[label]:
                            _add(samples, label, one, keys)
                    continue
                for label, module in order:
                    if name == "http_burst":
                        res = run_http_burst(firmware, module, *args)
                    else:
                        res = run_workload(firmware, module, name, port, *args)
                    if name == "memory":
                        res["lwip_pbuf_all"] = res["lwip_pbuf"] + res["lwip_pbuf_pool"]
                    _add(samples, label, res, keys)
    finally:
        p.close()
    return samples


# --------------------------------------------------------------------------------------
# Code size


def code_size(rp2_build, bench_build, module_dir, modlwip_c, out_dir):
    """({'usocket': (text, data+bss), 'modlwip': ...}, how) or (None, reason).

    Both modules compiled for Cortex-M0+ from the current sources by tools/size.py
    (`make size`): with the RP2 build's command line when there is one, else
    against the benchmark firmware's headers. Like for like, and never stale even
    when build/rp2 is."""
    import size  # tools/size.py

    result, why = size.measure(rp2_build, bench_build, module_dir, modlwip_c, out_dir)
    if result is None:
        return None, why
    if result["modlwip"] is None:
        return None, f"compiling {modlwip_c} failed: {result['modlwip_error']}"
    t, d, b = size.total(result["objects"].values())
    lt, ld, lb = result["modlwip"]
    return {"usocket": (t, d + b), "modlwip": (lt, ld + lb)}, result["how"]


# --------------------------------------------------------------------------------------
# Report


def fmt(v):
    if v is None:
        return "n/a"
    if abs(v) >= 100 or v == int(v):
        return f"{v:,.0f}"
    return f"{v:.2f}"


def middle_half(values):
    """(first, third) quartile, or None with fewer than two values."""
    if len(values) < 2:
        return None
    q = statistics.quantiles(values, n=4, method="inclusive")
    return q[0], q[2]


def goal_met(goal, ours, ratio, spread):
    """'yes' or 'NO'. A ratio goal is met when the median ratio and the whole
    middle half of the paired per-round ratios meet it: a difference inside the
    noise is not a result. (Rows measured once, like code size, have no spread.)"""
    if not goal or ours is None:
        return ""
    if goal.endswith("x"):
        bound = float(goal.split()[1][:-1])
        if ratio is None:
            return "?"
        if goal.startswith(">="):
            ok = ratio >= bound and (not spread or spread[0] >= bound)
        else:
            ok = ratio <= bound and (not spread or spread[1] <= bound)
        return "yes" if ok else "NO"
    return "yes" if ours <= float(goal.split()[1]) else "NO"


def summarise(samples, sizes_result, sizes):
    names = dict(sizes)
    names["bulk_mib"] = f"{sizes['bulk'] / MIB:g}"
    names["http_mib"] = f"{sizes['http_body'] / MIB:g}"
    names["burst_clients"] = sizes["burst_clients"]
    results = {}
    for key, label, unit, higher, goal in ROWS:
        row = {
            "label": label.format(**names),
            "unit": unit,
            "higher_is_better": higher,
            "goal": goal,
        }
        meds = {}
        for mlabel, _ in MODULES:
            vals = samples.get(key, {}).get(mlabel, [])
            row[mlabel] = {"median": statistics.median(vals) if vals else None}
            row[mlabel]["samples"] = vals
            meds[mlabel] = row[mlabel]["median"]
        if key.startswith("code_"):
            for mlabel, _ in MODULES:
                v = None
                if sizes_result:
                    v = sizes_result[mlabel][0 if key == "code_text" else 1]
                row[mlabel] = {"median": v, "samples": [v] if v is not None else []}
                meds[mlabel] = v
        ours, theirs = meds["usocket"], meds["modlwip"]
        # The samples of the two modules taken together, paired: the median of
        # their ratios is the ratio, and their spread says how much of a small
        # difference is noise. (A row measured once is the ratio of the values.)
        pairs = zip(row["usocket"]["samples"], row["modlwip"]["samples"])
        row["sample_ratios"] = [a / b for a, b in pairs if b]
        if len(row["sample_ratios"]) > 1:
            row["ratio"] = statistics.median(row["sample_ratios"])
        else:
            row["ratio"] = ours / theirs if ours is not None and theirs else None
        row["ratio_middle_half"] = middle_half(row["sample_ratios"])
        row["goal_met"] = goal_met(goal, ours, row["ratio"], row["ratio_middle_half"])
        results[key] = row
    return results


def table(results):
    head = (
        "workload",
        "unit",
        "usocket",
        "modlwip",
        "ours/modlwip",
        "middle half",
        "goal",
        "met",
    )
    rows = [head]
    for r in results.values():
        ratio = r["ratio"]
        spread = r["ratio_middle_half"]
        rows.append(
            (
                r["label"],
                r["unit"],
                fmt(r["usocket"]["median"]),
                fmt(r["modlwip"]["median"]),
                "n/a" if ratio is None else f"{ratio:.2f}x",
                f"{spread[0]:.2f}-{spread[1]:.2f}" if spread else "",
                r["goal"],
                r["goal_met"],
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = []
    for i, row in enumerate(rows):
        cells = [
            c.ljust(w) if j < 2 or j >= 6 else c.rjust(w)
            for j, (c, w) in enumerate(zip(row, widths))
        ]
        lines.append("| " + " | ".join(cells) + " |")
        if i == 0:
            lines.append(
                "|"
                + "|".join(
                    "-" * (w + 1) + (":" if 2 <= j < 6 else "-")
                    for j, w in enumerate(widths)
                )
                + "|"
            )
    return "\n".join(lines)


def git_commit():
    """HEAD, with '+dirty' when modusocket/ differs from it (the run measured the
    working tree)."""
    try:
        head = subprocess.run(
            ["git", "-C", TOP, "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", TOP, "status", "--porcelain", "--", "modusocket"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return head + ("+dirty" if dirty else "")


def timed_log():
    """A log function: each message on stderr with the seconds since it was made."""
    started = time.monotonic()

    def log(msg):
        print(
            f"[{time.monotonic() - started:6.1f}s] {msg}", file=sys.stderr, flush=True
        )

    return log


def with_peers(rows, measure):
    """{row: measure(peers, row)} for every row, with the bench's peers running."""
    peers = Peers(SIZES)
    try:
        return {row: measure(peers, row) for row in rows}
    finally:
        peers.close()


def hold_cpus_awake():
    """Keeps the CPUs out of idle states that are slow to leave while the bench runs.

    Every blocking wait of a workload (a round trip, a connection) sleeps in poll()
    until the peer answers. On an idle machine the CPU then enters an idle state,
    and in a virtual machine leaving it is a round through the hypervisor, which
    can take longer than the operation itself: the same for both modules, it
    squeezes their ratio towards 1 and adds its own noise. Linux's PM QoS request
    (/dev/cpu_dma_latency, 0: no exit latency allowed) holds the CPUs in their
    polling idle state for as long as the file is open, as latency benchmarks do.
    A board has no hypervisor: its wait (WFE) ends within cycles. Needs root;
    without it the bench runs anyway and says so. Returns (fd or None, a note)."""
    path = "/dev/cpu_dma_latency"
    try:
        fd = os.open(path, os.O_WRONLY)
        os.write(fd, struct.pack("i", 0))
    except OSError as e:
        return None, f"CPU idle exit latency not held ({path}: {e.strerror})"
    return fd, f"CPU idle exit latency held at 0 ({path})"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--firmware", default=os.path.join(TOP, "build/unix-bench/micropython")
    )
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--quick", action="store_true", help="small sizes, smoke test")
    ap.add_argument("--rp2-build", default=os.path.join(TOP, "build/rp2"))
    ap.add_argument(
        "--modlwip",
        default=os.path.join(TOP, "deps/micropython/extmod/modlwip.c"),
        help="the modlwip.c to compile for the code-size comparison",
    )
    ap.add_argument("--json", default=os.path.join(TOP, "build/bench.json"))
    ap.add_argument(
        "--let-cpus-idle",
        action="store_true",
        help="do not hold the CPUs out of slow idle states (see hold_cpus_awake)",
    )
    args = ap.parse_args()
    if args.let_cpus_idle:
        awake, awake_note = None, "CPU idle exit latency not held (--let-cpus-idle)"
    else:
        awake, awake_note = hold_cpus_awake()

    sizes = dict(SIZES)
    if args.quick:
        sizes.update(QUICK)
    started = time.monotonic()
    load_start = os.getloadavg()
    log = timed_log()

    log(f"{args.firmware}: {args.rounds} rounds, load average {load_start[0]:.2f}")
    log(awake_note)
    samples = run_rounds(args.firmware, args.rounds, sizes, log)
    if awake is not None:
        os.close(awake)

    log("code size: compiling both modules for Cortex-M0+")
    out_dir = os.path.join(os.path.dirname(args.json), "bench-size")
    os.makedirs(out_dir, exist_ok=True)
    sizes_result, size_how = code_size(
        args.rp2_build,
        os.path.dirname(os.path.abspath(args.firmware)),
        os.path.join(TOP, "modusocket"),
        args.modlwip,
        out_dir,
    )
    icount_samples, icount_raw, icount_note = qemu_icount.measure(
        MODULES, os.path.join(TOP, "build/qemu-bench/firmware.elf"), log=log
    )
    samples.update(icount_samples)
    results = summarise(samples, sizes_result, sizes)
    load_end = os.getloadavg()
    elapsed = time.monotonic() - started

    print(table(results))
    print()
    print(
        f"medians of {args.rounds} rounds; ratio = usocket / modlwip, the median of "
        "the paired samples' ratios (higher is better for rates, lower for bytes); "
        "both modules in one firmware (boards/unix-bench), same lwIP and slirp "
        "bridge; peers: CPython on 127.0.0.1"
    )
    print(
        "middle half: 25th to 75th percentile of the paired samples' ratios; a "
        "ratio goal is met only when the whole middle half meets it"
    )
    print(awake_note)
    print(f"code size: {size_how if sizes_result else 'n/a: ' + size_how}")
    print(f"Cortex-M3 instructions: {icount_note}")
    print(
        f"load average {load_start[0]:.2f} at start, {load_end[0]:.2f} at end "
        f"({os.cpu_count()} CPUs); {elapsed:.0f} s"
    )

    commit = git_commit()
    print(f"usocket at {commit}" if commit else "usocket: not a git checkout")
    doc = {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "commit": commit,
        "host": {"machine": platform.machine(), "cpus": os.cpu_count()},
        "load_average": {"start": load_start, "end": load_end},
        "rounds": args.rounds,
        "cpu_idle": awake_note,
        "sizes": sizes,
        "code_size_method": size_how,
        "cortex_m3_icount": {"method": icount_note, "raw": icount_raw},
        "seconds": round(elapsed, 1),
        "results": results,
    }
    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    log(f"wrote {args.json}")
    if not args.quick:
        when = doc["date"].replace("T", " ").replace("+00:00", " UTC")
        summary = (
            docgen.stamp("make bench", when, commit)
            + f" {args.rounds} rounds, {os.cpu_count()} CPUs, load average "
            f"{load_start[0]:.2f} at the start and {load_end[0]:.2f} at the end, "
            f"{elapsed:.0f} s. {awake_note}. Code size: {size_how}. "
            "Cortex-M3 instructions: "
            f"{icount_note}.\n\n" + table(results)
        )
        log(f"updated {docgen.replace_block('benchmarks.md', 'bench', summary)}")
        if icount_raw:
            log(
                f"updated {qemu_icount.write_doc(icount_samples, icount_note, 'make bench', commit)}"
            )


if __name__ == "__main__":
    main()
