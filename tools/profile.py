"""Instruction profiles of the benchmark rows, usocket against modlwip (`make profile`).

    python tools/profile.py [ROW ...] [--firmware F] [--out DIR] [--doc]

Runs a bench/fw_bench.py workload on the benchmark firmware (boards/unix-bench,
built with symbols) under valgrind's callgrind, once per module at two sizes, and
subtracts: the difference divided by the operations between the two sizes is the
cost of one operation (one connection, one round trip, one GET, one MiB sent),
with the interpreter's start-up, the imports and the warm-up cancelled out. Counted
are instructions (Ir) and calls, which are the same from run to run and unaffected
by what else the machine is doing, unlike the timed bench.

Every run's callgrind file is kept in DIR (build/profile); DIR/profile.json holds
the per-operation figures. --doc writes the summary into docs/benchmarks.md's
generated block "profile". Peers are the bench's own (CPython on 127.0.0.1).
"""

import argparse
import collections
import json
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(TOP, "bench"))
sys.path.insert(0, os.path.join(TOP, "host_tests"))
sys.path.insert(0, HERE)

import docgen  # tools/docgen.py
import run as bench  # bench/run.py: its peers and firmware environment

MODULES = (("usocket", "usocket"), ("modlwip", "lwip"))
MIB = 1024 * 1024

# row: (fw_bench workload, peer, args at the small size, args at the large size,
# operations between the two, what one operation is)
ROWS = {
    "tcp_cps": ("tcp_cps", "echo", (20,), (320,), 300, "connection"),
    "tcp_rtt": ("tcp_rtt", "echo", (200, 64), (3200, 64), 3000, "round trip"),
    "udp_pps": ("udp_pps", "udp", (200, 64), (3200, 64), 3000, "round trip"),
    "tcp_tx": ("tcp_tx", "sink", (1, MIB), (1, 9 * MIB), 8, "MiB sent"),
    "http_session": ("http_session", "http", (20, 1), (320, 1), 300, "GET"),
    "http_close": ("http_session", "http", (20, 2), (320, 2), 300, "GET"),
}
LABELS = {
    "tcp_cps": "TCP connect, 100 B echo, close",
    "tcp_rtt": "TCP round trip (64 B)",
    "udp_pps": "UDP round trip (64 B)",
    "tcp_tx": "TCP bulk send",
    "http_session": "urequests GET, keep-alive Session",
    "http_close": "urequests GET, connection per request",
}

# Where an instruction is spent, by the source file (or library) of its function.
GROUPS = (
    ("socket module", ("/modusocket/", "/extmod/modlwip.c")),
    ("lwIP", ("/lwip/src/",)),
    ("bridge (hostnet.c)", ("/boards/unix/", "/boards/common/")),
    ("slirp", ("libslirp",)),
    ("MicroPython", ("/py/", "/extmod/", "/ports/unix/", "/shared/", "frozen")),
)
OTHER = "libc, glib, kernel entry"
# libslirp sizes each connection's socket buffers (128 KiB) with g_realloc. Whether
# glibc moves such a block, copying it, depends on the heap's layout at the time,
# so this cost comes and goes between runs, for either module: it is shown apart
# (everything under g_realloc, taken out of the groups above).
REALLOC = "g_realloc"
REALLOC_GROUP = "libslirp buffer reallocation"

# Functions whose call counts explain a row: the system calls the bridge makes, a
# service round of the bridge, frames handed to slirp, and allocations.
CALLS = (
    "poll",
    "send",
    "recv",
    "usocket_hostnet_poll",
    "slirp_input",
    "clock_gettime",
    "gc_alloc",
    "malloc",
)
# Symbol names that stand for one of CALLS (glibc's versioned names).
ALIASES = {"clock_gettime@@GLIBC_2.17": "clock_gettime"}


# --------------------------------------------------------------------------------------
# Reading callgrind's output


def parse_callgrind(path):
    """{function: {'ir': exclusive Ir, 'calls': times called, 'incl': Ir of
    those calls, callees included, 'where': file or object}} from one callgrind
    output file (compressed names, Ir only)."""
    ids = {"fn": {}, "fl": {}, "ob": {}}
    funcs = collections.defaultdict(
        lambda: {"ir": 0, "calls": 0, "incl": 0, "where": ""}
    )
    fn = None
    fl = ob = ""
    cfn = None
    calls = None

    def name(kind, rest):
        m = re.match(r"\((\d+)\)(?: (.*))?$", rest)
        if not m:
            return rest
        if m.group(2) is not None:
            ids[kind][m.group(1)] = m.group(2)
        return ids[kind].get(m.group(1), "?")

    with open(path) as f:
        for line in f:
            c = line[:1]
            if c.isdigit() or c in "+-*":
                parts = line.split()
                ir = int(parts[1]) if len(parts) > 1 else 0
                if calls is not None:
                    # The cost line after calls= is the callee's inclusive cost.
                    funcs[cfn]["calls"] += calls
                    funcs[cfn]["incl"] += ir
                    calls = None
                else:
                    funcs[fn]["ir"] += ir
                continue
            key, _, rest = line.rstrip("\n").partition("=")
            if key == "fn":
                fn = name("fn", rest)
                entry = funcs[fn]
                if not entry["where"]:
                    entry["where"] = fl if fl not in ("", "???") else ob
            elif key == "cfn":
                cfn = name("fn", rest)
            elif key == "fl":
                fl = name("fl", rest)
            elif key in ("fi", "fe", "cfi", "cfl"):
                name("fl", rest)
            elif key == "ob":
                ob = name("ob", rest)
            elif key == "cob":
                name("ob", rest)
            elif key == "calls":
                calls = int(rest.split()[0])
    return dict(funcs)


def group_of(where):
    for group, needles in GROUPS:
        if any(n in where for n in needles):
            return group
    return OTHER


def per_op(lo, hi, ops):
    """Per-operation figures from the two runs' parsed profiles."""
    names = set(lo) | set(hi)
    ir = {}
    calls = {}
    groups = collections.Counter()
    empty = {"ir": 0, "calls": 0, "incl": 0, "where": ""}
    for fn in names:
        a = lo.get(fn, empty)
        b = hi.get(fn, empty)
        d = (b["ir"] - a["ir"]) / ops
        ir[fn] = d
        calls[ALIASES.get(fn, fn)] = (b["calls"] - a["calls"]) / ops
        groups[group_of(b["where"] or a["where"])] += d
    # What g_realloc ran is libc's (malloc, memcpy): move it to its own line.
    realloc = (hi.get(REALLOC, empty)["incl"] - lo.get(REALLOC, empty)["incl"]) / ops
    groups[OTHER] -= realloc
    return {
        "ir": sum(ir.values()) - realloc,
        "groups": {g: groups.get(g, 0.0) for g, _ in GROUPS}
        | {OTHER: groups[OTHER], REALLOC_GROUP: realloc},
        "calls": {fn: calls.get(fn, 0.0) for fn in CALLS},
        "functions": {fn: v for fn, v in ir.items() if abs(v) >= 1},
        "where": {fn: (hi.get(fn) or lo.get(fn))["where"] for fn in ir},
    }


# --------------------------------------------------------------------------------------
# Running


def callgrind_run(firmware, module, workload, port, args, out_file):
    cmd = [
        "valgrind",
        "--tool=callgrind",
        f"--callgrind-out-file={out_file}",
        firmware,
        os.path.join(TOP, "bench/fw_bench.py"),
        module,
        workload,
        str(port),
        *(str(a) for a in args),
    ]
    r = subprocess.run(
        cmd,
        check=False,
        capture_output=True,
        text=True,
        timeout=600,
        env=bench.firmware_env(),
    )
    if r.returncode != 0 or "RESULT " not in r.stdout:
        raise RuntimeError(
            f"{module} {workload} {args} under callgrind failed "
            f"(exit {r.returncode}):\n{r.stdout}{r.stderr[-2000:]}"
        )


def profile_row(firmware, peers, row, out_dir, log):
    workload, peer, lo_args, hi_args, ops, _ = ROWS[row]
    port = getattr(peers, peer).port
    result = {}
    for label, module in MODULES:
        parsed = []
        for size, args in (("lo", lo_args), ("hi", hi_args)):
            path = os.path.join(out_dir, f"{row}-{label}-{size}.callgrind")
            log(f"{row}: {label} {args}")
            callgrind_run(firmware, module, workload, port, args, path)
            parsed.append(parse_callgrind(path))
        result[label] = per_op(parsed[0], parsed[1], ops)
    return result


# --------------------------------------------------------------------------------------
# Report


def k(v):
    """Instructions in thousands, one decimal."""
    return f"{v / 1000:,.1f}k"


def calls_fmt(v):
    return f"{v:.2f}".rstrip("0").rstrip(".") if v else "0"


def short(fn):
    return fn.split("'")[0]


def summary(results, before=None, top=6):
    """The generated block: per row, the totals and groups, the calls, and the
    functions that differ most between the two modules; with ``before`` (an
    earlier profile.json), usocket's figures then too."""
    out = []
    head = ("per operation", "usocket", "modlwip", "ours - modlwip")
    if before:
        head = (head[0], f"usocket at {before['commit']}", *head[1:])
    for row, res in results.items():
        ours, theirs = res["usocket"], res["modlwip"]
        old = before["rows"].get(row, {}).get("usocket") if before else None
        _, _, _, _, _, unit = ROWS[row]
        out.append(f"**{LABELS[row]}**, instructions per {unit}:\n")
        lines = [("all but the last line", ours["ir"], theirs["ir"], old and old["ir"])]
        lines += [
            (g, ours["groups"][g], theirs["groups"][g], old and old["groups"].get(g))
            for g in ours["groups"]
        ]
        body = [
            (name, k(a), k(b), ("+" if a - b >= 0 else "") + k(a - b), o)
            for name, a, b, o in lines
        ]
        body += [
            (
                f"calls to `{fn}`",
                calls_fmt(ours["calls"][fn]),
                calls_fmt(theirs["calls"][fn]),
                calls_fmt(round(ours["calls"][fn] - theirs["calls"][fn], 2)),
                old and old["calls"].get(fn),
            )
            for fn in CALLS
        ]
        if before:
            fmt_old = [k, calls_fmt]
            body = [
                (
                    name,
                    "n/a" if o is None else fmt_old[i >= len(lines)](o),
                    a,
                    b,
                    d,
                )
                for i, (name, a, b, d, o) in enumerate(body)
            ]
        else:
            body = [line[:4] for line in body]
        out.append(docgen.md_table(head, body, right=tuple(range(1, len(head)))))
        # libc's functions are left out: their share of libslirp's reallocations
        # (memcpy) cannot be told apart from the rest.
        where = ours["where"] | theirs["where"]
        fns = {
            fn
            for fn in set(ours["functions"]) | set(theirs["functions"])
            if group_of(where.get(fn, "")) != OTHER
        }
        diffs = sorted(
            (
                (ours["functions"].get(fn, 0) - theirs["functions"].get(fn, 0), fn)
                for fn in fns
            ),
            key=lambda t: -abs(t[0]),
        )[:top]
        items = ", ".join(
            f"`{short(fn)}` ({os.path.basename(where.get(fn, '')) or '?'}) "
            f"{'+' if d >= 0 else ''}{d:,.0f}"
            for d, fn in diffs
        )
        out.append(
            f"\nLargest differences outside libc (exclusive Ir, ours - modlwip): "
            f"{items}.\n"
        )
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "rows", nargs="*", help=f"rows to profile (default: all of {list(ROWS)})"
    )
    ap.add_argument(
        "--firmware", default=os.path.join(TOP, "build/unix-bench/micropython")
    )
    ap.add_argument("--out", default=os.path.join(TOP, "build/profile"))
    ap.add_argument(
        "--doc", action="store_true", help="write the summary into docs/benchmarks.md"
    )
    ap.add_argument(
        "--label",
        help="what the firmware was built from (default: this checkout's commit)",
    )
    ap.add_argument(
        "--before",
        help="an earlier run's profile.json: show usocket's figures then beside now's",
    )
    args = ap.parse_args()
    rows = args.rows or list(ROWS)
    unknown = [r for r in rows if r not in ROWS]
    if unknown:
        ap.error(f"unknown rows {unknown}; known: {list(ROWS)}")
    if not shutil.which("valgrind"):
        sys.exit("profile: valgrind is not installed (make profile installs it)")
    os.makedirs(args.out, exist_ok=True)
    log = bench.timed_log()
    results = bench.with_peers(
        rows, lambda peers, row: profile_row(args.firmware, peers, row, args.out, log)
    )
    before = None
    if args.before:
        with open(args.before) as f:
            before = json.load(f)
    text = summary(results, before)
    print(text)
    commit = args.label or docgen.commit()
    with open(os.path.join(args.out, "profile.json"), "w") as f:
        json.dump({"commit": commit, "rows": results}, f, indent=1)
        f.write("\n")
    if args.doc:
        block = (
            docgen.stamp("make profile", at=commit)
            + " Instructions counted by callgrind, per operation: the difference between"
            " two runs of each workload, one with more operations than the other.\n\n"
            + text
        )
        log(f"updated {docgen.replace_block('benchmarks.md', 'profile', block)}")


if __name__ == "__main__":
    main()
