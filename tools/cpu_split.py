"""Where the time of a short benchmark row goes, usocket against modlwip.

    python tools/cpu_split.py [ROW ...] [--runs R] [--doc]

`make bench` times operations (round trips, connections, GETs) whose wall time is
mostly not the firmware's own work: the kernel's network stack, the switch to the
CPython peer and back, and waiting. callgrind (`make profile`) counts the
firmware's instructions but sees none of that. This runs a row's workload of
bench/fw_bench.py on the benchmark firmware, one module per process, at two sizes,
and takes from the kernel what each process used (os.wait4's resource usage): CPU
time in the firmware's own code (user) and in the kernel on its behalf (system),
and how often it went to sleep (voluntary context switches). The difference
between the two sizes, divided by the operations between them, is the cost of one
operation, with start-up cancelled out. Each size and module runs R times, the
modules alternating; the medians are reported. The CPUs are held out of slow idle
states as in `make bench` (bench/run.py, hold_cpus_awake).

--doc writes the table into docs/benchmarks.md's generated block "cpu-split".
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(TOP, "bench"))
sys.path.insert(0, os.path.join(TOP, "host_tests"))
sys.path.insert(0, HERE)

import profile  # tools/profile.py: the rows, their workloads and labels

import docgen  # tools/docgen.py
import run as bench  # bench/run.py: peers, firmware environment, the CPU hold

# row: (operations at the small size, at the large size); workload and peer as in
# tools/profile.py. Sizes large enough for the process's start-up to be small
# beside the difference.
SIZES = {
    "tcp_cps": (100, 1100),
    "tcp_rtt": (1000, 11000),
    "udp_pps": (1000, 11000),
    "http_session": (100, 1100),
    "http_close": (100, 1100),
}
FIELDS = (
    ("wall", "wall time, µs"),
    ("user", "CPU in the firmware (user), µs"),
    ("sys", "CPU in the kernel for it (system), µs"),
    ("sleeps", "sleeps (voluntary context switches)"),
)


def one_run(firmware, module, workload, port, args):
    """(wall s, user s, system s, voluntary switches) of one firmware process."""
    cmd = [firmware, os.path.join(TOP, "bench/fw_bench.py"), module, workload]
    cmd += [str(port)] + [str(a) for a in args]
    t0 = time.monotonic()
    p = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=bench.firmware_env()
    )
    out, err = p.communicate(timeout=300)
    # Popen already reaped the child: its usage is in the children's total.
    wall = time.monotonic() - t0
    if p.returncode != 0 or b"RESULT " not in out:
        raise RuntimeError(
            f"{module} {workload} {args} failed (exit {p.returncode}):\n"
            f"{out.decode()}{err.decode()[-2000:]}"
        )
    return wall


def children_usage():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime, r.ru_stime, r.ru_nvcsw


def measure_row(firmware, peers, row, runs, log):
    workload, peer, lo_args, _, _, _ = profile.ROWS[row]
    port = getattr(peers, peer).port
    lo, hi = SIZES[row]
    samples = {label: {"lo": [], "hi": []} for label, _ in profile.MODULES}
    for i in range(runs):
        order = profile.MODULES if i % 2 == 0 else profile.MODULES[::-1]
        for label, module in order:
            for size, n in (("lo", lo), ("hi", hi)):
                args = (n, *lo_args[1:])
                before = children_usage()
                wall = one_run(firmware, module, workload, port, args)
                after = children_usage()
                samples[label][size].append(
                    (wall, *(a - b for a, b in zip(after, before, strict=True)))
                )
        log(f"{row}: run {i + 1} of {runs}")
    per_op = {}
    for label, by_size in samples.items():
        med = {
            size: [statistics.median(col) for col in zip(*vals, strict=True)]
            for size, vals in by_size.items()
        }
        diff = [
            (h - lo_) / (hi - lo) for h, lo_ in zip(med["hi"], med["lo"], strict=True)
        ]
        per_op[label] = {
            "wall": diff[0] * 1e6,
            "user": diff[1] * 1e6,
            "sys": diff[2] * 1e6,
            "sleeps": diff[3],
        }
    return per_op


def table(results):
    head = ("row, per operation", "usocket", "modlwip", "ours - modlwip")
    body = []
    for row, res in results.items():
        ours, theirs = res["usocket"], res["modlwip"]
        for key, name in FIELDS:
            fmt = "{:.2f}" if key == "sleeps" else "{:.1f}"
            d = ours[key] - theirs[key]
            body.append(
                (
                    f"{profile.LABELS[row]}: {name}",
                    fmt.format(ours[key]),
                    fmt.format(theirs[key]),
                    ("+" if d >= 0 else "") + fmt.format(d),
                )
            )
    return docgen.md_table(head, body, right=(1, 2, 3))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("rows", nargs="*", help=f"rows (default: all of {list(SIZES)})")
    ap.add_argument(
        "--firmware", default=os.path.join(TOP, "build/unix-bench/micropython")
    )
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument(
        "--doc", action="store_true", help="write the table into docs/benchmarks.md"
    )
    args = ap.parse_args()
    rows = args.rows or list(SIZES)
    unknown = [r for r in rows if r not in SIZES]
    if unknown:
        ap.error(f"unknown rows {unknown}; known: {list(SIZES)}")
    log = bench.timed_log()
    awake, awake_note = bench.hold_cpus_awake()
    log(awake_note)
    load_start = os.getloadavg()[0]
    try:
        results = bench.with_peers(
            rows,
            lambda peers, row: measure_row(args.firmware, peers, row, args.runs, log),
        )
    finally:
        if awake is not None:
            os.close(awake)
    load_end = os.getloadavg()[0]
    text = table(results)
    print(text)
    if args.doc:
        block = (
            docgen.stamp("tools/cpu_split.py")
            + f" {args.runs} runs per size and module, one module per process;"
            f" {awake_note}; load average {load_start:.2f} at the start and"
            f" {load_end:.2f} at the end, {os.cpu_count()} CPUs. Per operation: the"
            " difference between two sizes of each workload, medians of the runs.\n\n"
            + text
        )
        print(f"updated {docgen.replace_block('benchmarks.md', 'cpu-split', block)}")


if __name__ == "__main__":
    main()
