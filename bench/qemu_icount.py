"""Cortex-M3 instruction counts for `make bench`: usocket against modlwip on the QEMU
target, counted exactly.

`make qemu-bench` builds boards/qemu-bench: MicroPython's qemu port for the
MPS2-AN385 (Cortex-M3) with usocket and modlwip on the same lwIP, its loopback
interface and peers written in C on lwIP's raw API. Each workload, for each module,
gets its own boot of that firmware under ``-icount shift=0,sleep=off`` (the virtual
clock is the instruction count), which runs bench/qemu_icount_guest.py from
power-on, reading no input, and exits. A boot of its own keeps a workload's count
independent of what the others leave in the heap. The same firmware and arguments
execute the same instructions, so one run per module and workload is the
measurement; no rounds, no medians.

Run as a script, prints both modules' raw results as JSON and the rows as a table;
with --doc, also writes that table into docs/benchmarks.md (block bench-cortex-m3).
With --profile WORKLOAD N, runs one workload under QEMU's execution log instead and
prints, for both modules, how many of its instructions each function executed.
"""

import argparse
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
FIRMWARE = os.path.join(TOP, "build/qemu-bench/firmware.elf")
QEMU = "qemu-system-arm"
GUEST = "qemu_icount_guest.py"  # frozen into the firmware

# How many times each workload runs; for the bulk transfers, the bytes they move.
SIZES = {
    "tcp_tx": 256 * 1024,
    "tcp_rx": 256 * 1024,
    "tcp_conn": 100,
    "tcp_rtt": 1000,
    "tcp_readline": 100,
    "udp_rtt": 1000,
    "http_get": 50,
}
BULK = ("tcp_tx", "tcp_rx")  # counted per KiB

# Rows of the bench table: (key, label, unit, higher is better, goal), the same
# shape as bench/run.py's ROWS; the key is "m3_" and the workload's name.
ROWS = (
    ("m3_tcp_tx", "Cortex-M3: TCP bulk send, per KiB", "instr", False, ""),
    ("m3_tcp_rx", "Cortex-M3: TCP bulk receive, per KiB", "instr", False, ""),
    ("m3_tcp_conn", "Cortex-M3: TCP connect, 100 B echo, close", "instr", False, ""),
    ("m3_tcp_rtt", "Cortex-M3: TCP round trip (64 B)", "instr", False, ""),
    ("m3_tcp_readline", "Cortex-M3: TCP readline of a 100 B echo", "instr", False, ""),
    ("m3_udp_rtt", "Cortex-M3: UDP round trip (64 B)", "instr", False, ""),
    (
        "m3_http_get",
        "Cortex-M3: urequests GET, connection per request",
        "instr",
        False,
        "",
    ),
)


def qemu_command(firmware, module, workload, n):
    """The QEMU command line of one run: the guest's arguments are the semihosting
    command line."""
    args = (GUEST, module, workload, str(n))
    return [
        QEMU,
        "-machine",
        "mps2-an385",
        "-nographic",
        "-monitor",
        "null",
        # No network backend: nothing outside the guest may enter the run (the
        # LAN9118 stays unplugged; the workloads use lwIP's loopback interface).
        "-nic",
        "none",
        "-icount",
        "shift=0,sleep=off",
        "-semihosting-config",
        "enable=on,target=native," + ",".join("arg=" + a for a in args),
        "-kernel",
        firmware,
    ]


def run_guest(module, workload, n, firmware=FIRMWARE, timeout=120):
    """One boot of the firmware running one workload on `module` (an import name:
    usocket, or lwip for modlwip): the guest's result dict. The console goes to a
    file, so the guest's output never waits on a reader."""
    with tempfile.TemporaryDirectory() as tmp:
        console = os.path.join(tmp, "console.txt")
        cmd = qemu_command(firmware, module, workload, n)
        cmd += ["-serial", "file:" + console]
        r = subprocess.run(
            cmd,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        out = ""
        if os.path.exists(console):
            with open(console) as f:
                out = f.read()
    for line in out.splitlines():
        if line.startswith("RESULT ") and r.returncode == 0:
            return json.loads(line[7:])
    raise RuntimeError(
        f"{module} {workload} on {os.path.basename(firmware)} failed "
        f"(exit {r.returncode}):\n{r.stdout}{r.stderr}{out}"
    )


def run_all(module, sizes=None, firmware=FIRMWARE):
    """Every workload of SIZES on `module`, a boot each: {workload: result}."""
    sizes = dict(SIZES, **(sizes or {}))
    return {w: run_guest(module, w, n, firmware) for w, n in sizes.items()}


def per_unit(result):
    """Instructions per operation, or per KiB for the bulk transfers."""
    n = result["n"] / 1024 if result["workload"] in BULK else result["n"]
    return result["instructions"] / n


def unavailable(firmware):
    """Why the counts can't be taken, or None."""
    if not shutil.which(QEMU):
        return f"{QEMU} is not installed (make deps-qemu)"
    if not os.path.exists(firmware):
        return (
            f"{os.path.relpath(firmware, TOP)} was not built "
            "(make qemu-bench; log: build/qemu-bench.log)"
        )
    return None


def measure(modules, firmware=FIRMWARE, sizes=None, log=print):
    """Every row's value for every module, as bench/run.py's samples
    ({key: {label: [value]}}, one value: the count), the raw results by label, and
    a note for the report (or the reason the rows are n/a)."""
    samples = {key: {label: [] for label, _ in modules} for key, *_ in ROWS}
    why = unavailable(firmware)
    if why:
        return samples, {}, "n/a: " + why
    raw = {}
    for label, module in modules:
        log(f"Cortex-M3 instruction counts: {label}")
        try:
            raw[label] = run_all(module, sizes, firmware)
        except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
            # The first line says what ran, the last one how it ended (the guest's
            # exception); no row keeps half its values.
            lines = [ln for ln in str(e).splitlines() if ln.strip()]
            why = lines[0] + (f" ... {lines[-1]}" if len(lines) > 1 else "")
            empty = {key: {label: [] for label, _ in modules} for key, *_ in ROWS}
            return empty, {}, f"n/a: {why}"
        for key, *_ in ROWS:
            samples[key][label].append(per_unit(raw[label][key[3:]]))
    s = dict(SIZES, **(sizes or {}))
    note = (
        f"{QEMU} -icount shift=0 on boards/qemu-bench (MPS2-AN385), one boot per "
        f"module and workload: bulk {s['tcp_tx'] // 1024} KiB each way, "
        f"{s['tcp_conn']} connections, {s['tcp_rtt']} TCP and {s['udp_rtt']} UDP "
        f"round trips, {s['tcp_readline']} lines, {s['http_get']} GETs; the counts "
        "include lwIP and the in-firmware C peers (the same code for both); fewer "
        "is better"
    )
    return samples, raw, note


def table(samples):
    """The rows as a markdown table with the exact difference per operation, which
    (unlike the ratio) the shared lwIP and peer work doesn't dilute."""
    lines = [
        "| workload | usocket | modlwip | usocket - modlwip | usocket / modlwip |",
        "|---|--:|--:|--:|--:|",
    ]
    for key, label, *_ in ROWS:
        ours, theirs = samples[key]["usocket"], samples[key]["modlwip"]
        if not ours or not theirs:
            lines.append(f"| {label} | n/a | n/a | | |")
            continue
        a, b = ours[0], theirs[0]
        lines.append(
            f"| {label} | {a:,.0f} | {b:,.0f} | {a - b:+,.0f} | {a / b:.3f}x |"
        )
    return "\n".join(lines)


def write_doc(samples, note, tool="bench/qemu_icount.py --doc", commit=None):
    """The counts' own block in docs/benchmarks.md (they need no quiet machine, so
    they are kept apart from `make bench`'s timed table)."""
    sys.path.insert(0, os.path.join(TOP, "tools"))
    import docgen  # tools/docgen.py

    text = f"{docgen.stamp(tool, at=commit)} {note}.\n\n"
    return docgen.replace_block(
        "benchmarks.md", "bench-cortex-m3", text + table(samples)
    )


# --------------------------------------------------------------------------------------
# Where the instructions go: QEMU's execution log, attributed to functions

TRACE = re.compile(r"Trace \d+: (0x[0-9a-f]+) \[[0-9a-f]+/([0-9a-f]+)/[^\]]*\] ?(\S*)")
INSN = re.compile(r"0x([0-9a-f]+):\s")
REWOUND = "cpu_io_recompile: rewound execution of TB to "


def attribute(lines):
    """Instructions per function inside the counted regions, from a log of
    ``-d exec,nochain,in_asm``: each translated block's instructions (``IN:``), each
    execution of a block with its function (``Trace``). A counted region runs from one
    call of icount.count() to the next, as in counted() in the guest. Under -icount,
    a block that reaches a device register before its end is abandoned there and
    re-run up to it by a one-off block (QEMU says "rewound"): only the instructions
    before that register count for the abandoned run."""
    blocks = {}  # host address of a block -> its instructions' addresses
    translated = None  # the instructions of the block just translated
    pending = {}
    funcs = collections.Counter()
    last = None  # (function, instructions) of the latest run, not yet counted
    inside = False
    prev_func = None
    for line in lines:
        if line.startswith("IN:"):
            translated = []
        elif translated is not None and (m := INSN.match(line)):
            translated.append(int(m.group(1), 16))
        elif line.startswith(REWOUND) and last:
            stop = int(line[len(REWOUND) :].split()[0], 16)
            last = (last[0], [a for a in last[1] if a < stop])
        elif m := TRACE.match(line):
            if translated:
                pending[translated[0]] = translated
            translated = None
            host, pc, func = m.group(1), int(m.group(2), 16), m.group(3)
            if pc in pending:
                blocks[host] = pending.pop(pc)
            if last and inside:
                funcs[last[0]] += len(last[1])
            if func == "icount_count" and prev_func != "icount_count":
                inside = not inside
            prev_func = func
            last = (func, blocks.get(host, []))
    return funcs


def profile(module, workload, n, firmware=FIRMWARE, timeout=600):
    """Instructions per function of one workload's counted regions, and the
    counter's own figure for them (the two agree to within a count() call)."""
    with tempfile.TemporaryDirectory() as tmp:
        console, log = os.path.join(tmp, "console.txt"), os.path.join(tmp, "exec.log")
        cmd = qemu_command(firmware, module, workload, n)
        cmd += ["-serial", "file:" + console]
        cmd += ["-d", "exec,nochain,in_asm", "-D", log]
        subprocess.run(
            cmd,
            check=False,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
        )
        with open(console) as f:
            res = [json.loads(x[7:]) for x in f if x.startswith("RESULT ")]
        if not res:
            raise RuntimeError(f"{module} {workload}: no result")
        with open(log, errors="replace") as f:
            return attribute(f), res[0]["instructions"]


def print_profile(workload, n, modules, top=30, by_difference=False):
    counts = {}
    for label, module in modules:
        counts[label], measured = profile(module, workload, n)
        total = sum(counts[label].values())
        print(f"{label}: {total:,} instructions attributed, {measured:,} counted")
    (a, ca), (b, cb) = counts.items()
    if by_difference:
        order = lambda f: -abs(ca[f] - cb[f])
    else:
        order = lambda f: -(ca[f] + cb[f])
    names = sorted(set(ca) | set(cb), key=order)[:top]
    print(f"\n| function | {a} | {b} | {a} - {b} |\n|---|--:|--:|--:|")
    for f in names:
        print(f"| `{f}` | {ca[f]:,} | {cb[f]:,} | {ca[f] - cb[f]:+,} |")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--doc", action="store_true", help="rewrite the docs block")
    ap.add_argument(
        "--profile",
        nargs=2,
        metavar=("WORKLOAD", "N"),
        help="instructions per function of one workload, for both modules",
    )
    ap.add_argument(
        "--by-difference",
        action="store_true",
        help="with --profile: the functions that differ most first",
    )
    args = ap.parse_args()
    mods = (("usocket", "usocket"), ("modlwip", "lwip"))
    if args.profile:
        print_profile(
            args.profile[0],
            int(args.profile[1]),
            mods,
            by_difference=args.by_difference,
        )
        sys.exit(0)
    counts, results, how = measure(mods, log=lambda m: print(m, file=sys.stderr))
    print(json.dumps({"note": how, "results": results}, indent=1))
    print(table(counts))
    if args.doc:
        print(f"updated {write_doc(counts, how)}", file=sys.stderr)
