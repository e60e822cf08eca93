"""`make coverage` (issue 15): what the host test suite runs of our code.

The firmware is boards/unix-coverage (`make unix VARIANT=coverage`): usocket's C
core and the slirp bridge compiled with gcov at -O0, counters flushed every 250 ms
while it runs, and sys.settrace. This tool
  1. clears the gcov counters of the build, writes a firmware wrapper that runs
     each test script under tools/pycov_boot.py (a settrace collector for the
     frozen modules), and runs pytest on it (USOCKET_FIRMWARE=the wrapper);
  2. C: gcovr (pinned in versions.mk) reads the counters of modusocket/*.c and
     boards/unix/hostnet.c: line and branch coverage per file, and every line of
     modusocket/ that never ran;
  3. Python: line coverage of frozen/*.py. The lines that ran are what the
     firmware's settrace reported (frozen bytecode keeps its line numbers); the
     statements to cover are those coverage.py's parser finds in the source, and a
     statement counts as run when any of its lines ran.

Honest limits, printed with the figures: a firmware started without a script file
(code on stdin, `-c`, MicroPython's own test runners) runs untraced, and settrace
only sees the thread that set it (the coverage firmware has no threads). Test
results are reported but do not stop the report: settrace allocates, so the few
tests that check the heap to the byte can fail here only.

--doc FILE writes the tables and the uncovered lines as Markdown.
"""

import argparse
import collections
import json
import os
import re
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
C_FILES = sorted(
    [*(REPO / "modusocket").glob("*.c"), REPO / "boards/unix/hostnet.c"],
    key=lambda p: str(p),
)
FROZEN = sorted(p for p in (REPO / "frozen").glob("*.py") if p.name != "manifest.py")

WRAPPER = """#!{python}
# Written by tools/coverage_report.py: the coverage firmware with each script file run under
# tools/pycov_boot.py; anything else (stdin, -c, -m) goes to the firmware as is.
import os, sys
FW = {firmware!r}
args = sys.argv[1:]
i = 0
while i < len(args):
    a = args[i]
    if a == "-X" and i + 1 < len(args):
        i += 2
    elif a.startswith("-X") or a.startswith("-O") or a in ("-v", "-i"):
        i += 1
    else:
        break
if i < len(args) and not args[i].startswith("-") and os.path.isfile(args[i]):
    args = args[:i] + [{boot!r}] + args[i:]
    os.environ["USOCKET_PYCOV_FILE"] = os.path.join({out!r}, "%d.lines" % os.getpid())
    os.environ["USOCKET_PYCOV_MODULES"] = {modules!r}
os.execv(FW, [FW] + args)
"""


def run_tests(firmware, out_dir, pytest_args):
    """Runs pytest on the wrapped firmware; returns (exit code, summary line, secs)."""
    wrapper = out_dir / "micropython-traced"
    wrapper.write_text(
        WRAPPER.format(
            python=sys.executable,
            firmware=str(Path(firmware).resolve()),
            boot=str(REPO / "tools/pycov_boot.py"),
            out=str(out_dir / "lines"),
            modules=",".join(p.name for p in FROZEN),
        )
    )
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    (out_dir / "lines").mkdir(exist_ok=True)
    env = dict(os.environ, USOCKET_FIRMWARE=str(wrapper))
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "-c",
        str(REPO / "host_tests/pytest.ini"),
        "-p",
        "no:cacheprovider",
        "-q",
        *pytest_args,
    ]
    started = time.monotonic()
    log = out_dir / "pytest.log"
    with open(log, "wb") as f:
        rc = subprocess.call(cmd, env=env, stdout=f, stderr=subprocess.STDOUT)
    lines = log.read_text(errors="replace").splitlines()
    summary = next(
        (ln for ln in reversed(lines) if re.search(r"\d+ (passed|failed)", ln)), ""
    )
    failed = [ln for ln in lines if ln.startswith(("FAILED ", "ERROR "))]
    return rc, summary.strip("= "), failed, time.monotonic() - started


def c_coverage(build):
    """gcovr's per-line data for C_FILES: {path: [(line, count, [branch taken])]}."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "gcovr.json"
        cmd = [
            str(Path(sys.executable).parent / "gcovr"),
            "--root",
            str(REPO),
            "--exclude-unreachable-branches",
            # MicroPython's headers are named relative to the port's directory;
            # only our files are reported.
            "--gcov-ignore-errors=source_not_found",
            "--json",
            str(out),
        ]
        for p in C_FILES:
            cmd += ["--filter", re.escape(str(p))]
        cmd.append(str(build))
        subprocess.run(cmd, check=True, cwd=REPO)
        data = json.loads(out.read_text())
    files = {}
    for f in data["files"]:
        rows = []
        for ln in f["lines"]:
            if ln.get("gcovr/noncode"):
                continue
            taken = [b["count"] for b in ln.get("branches", [])]
            rows.append((ln["line_number"], ln["count"], taken))
        # gcovr lists a line once per function instance; merge them.
        merged = {}
        for n, count, taken in rows:
            if n in merged:
                old = merged[n]
                merged[n] = (n, old[1] + count, old[2] + taken)
            else:
                merged[n] = (n, count, taken)
        files[f["file"]] = [merged[k] for k in sorted(merged)]
    return files


def ranges(numbers):
    """[1, 2, 3, 7] -> '1-3, 7'."""
    out = []
    start = prev = None
    for n in sorted(numbers):
        if start is None:
            start = prev = n
        elif n == prev + 1:
            prev = n
        else:
            out.append(f"{start}-{prev}" if prev != start else f"{start}")
            start = prev = n
    if start is not None:
        out.append(f"{start}-{prev}" if prev != start else f"{start}")
    return ", ".join(out)


def py_coverage(lines_dir):
    """{frozen file: (statements, covered statements)} from the traced lines."""
    from coverage.parser import PythonParser

    hits = collections.defaultdict(set)
    for f in Path(lines_dir).glob("*.lines"):
        for ln in f.read_text(errors="replace").splitlines():
            name, _, num = ln.rpartition(":")
            if num.isdigit():
                hits[name].add(int(num))
    result = {}
    for path in FROZEN:
        parser = PythonParser(filename=str(path))
        parser.parse_source()
        statements = set(parser.statements) - set(parser.excluded)
        ran = {parser.first_line(n) for n in hits.get(path.name, ())}
        result[path] = (statements, statements & ran)
    return result


def pct(a, b):
    return f"{100.0 * a / b:.1f} %" if b else "n/a"


def report(c, py, runs):
    out = ["Test runs whose counters this report adds up:", ""]
    for rc, summary, failed, secs in runs:
        out.append(f"- {summary}, {secs:.0f} s (pytest exit status {rc}).")
        if failed:
            out.append("  Tests that failed on the coverage firmware:")
            out.extend(f"  - `{ln}`" for ln in failed)
    out.append("")
    out.append("| C file | lines | covered | line % | branches | taken | branch % |")
    out.append("|---|--:|--:|--:|--:|--:|--:|")
    tot = [0, 0, 0, 0]
    mod = [0, 0, 0, 0]
    for name in sorted(c):
        rows = c[name]
        lines = len(rows)
        covered = sum(1 for _, n, _ in rows if n > 0)
        branches = sum(len(t) for _, _, t in rows)
        taken = sum(1 for _, _, t in rows for b in t if b > 0)
        vals = (lines, covered, branches, taken)
        tot = [a + b for a, b in zip(tot, vals)]
        if name.startswith("modusocket/"):
            mod = [a + b for a, b in zip(mod, vals)]
        out.append(
            f"| {name} | {lines} | {covered} | {pct(covered, lines)} | {branches} "
            f"| {taken} | {pct(taken, branches)} |"
        )
    for label, v in (("modusocket/ total", mod), ("all", tot)):
        out.append(
            f"| **{label}** | {v[0]} | {v[1]} | **{pct(v[1], v[0])}** | {v[2]} "
            f"| {v[3]} | **{pct(v[3], v[2])}** |"
        )
    out.append("")
    out.append("| frozen module | statements | run | line % | not run (lines) |")
    out.append("|---|--:|--:|--:|---|")
    ps = pr = 0
    for path in sorted(py):
        statements, ran = py[path]
        ps += len(statements)
        pr += len(ran)
        out.append(
            f"| frozen/{path.name} | {len(statements)} | {len(ran)} | "
            f"{pct(len(ran), len(statements))} | {ranges(statements - ran)} |"
        )
    out.append(f"| **all** | {ps} | {pr} | **{pct(pr, ps)}** | |")
    out.append("")
    out.append("Lines of modusocket/ that never ran:")
    out.append("")
    for name in sorted(c):
        if not name.startswith("modusocket/"):
            continue
        src = (REPO / name).read_text().splitlines()
        missing = [n for n, count, _ in c[name] if count == 0]
        out.append(f"- `{name}` ({len(missing)}): {ranges(missing) or 'none'}")
        if missing:
            out.append("")
            out.append("  ```c")
            out.extend(f"  {n:5} {src[n - 1]}" for n in missing)
            out.append("  ```")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--firmware", default=str(REPO / "build/unix-coverage/micropython"))
    ap.add_argument("--build", default=str(REPO / "build/unix-coverage"))
    ap.add_argument("--doc", help="write the report as Markdown here")
    ap.add_argument(
        "--report-only",
        action="store_true",
        help="report the counters of the last run (build/coverage) without testing",
    )
    ap.add_argument(
        "--add",
        action="store_true",
        help="add this run's counters to the last run's instead of starting afresh",
    )
    ap.add_argument("pytest_args", nargs="*", help="after --: tests and options")
    args = ap.parse_args()
    build = Path(args.build).resolve()
    out_dir = REPO / "build/coverage"
    runs_file = out_dir / "tests.json"
    runs = []
    if args.add or args.report_only:
        runs = json.loads(runs_file.read_text())
    if not args.report_only:
        if not args.add:
            for f in build.rglob("*.gcda"):
                f.unlink()
            if out_dir.exists():
                for f in (out_dir / "lines").glob("*.lines"):
                    f.unlink()
        out_dir.mkdir(parents=True, exist_ok=True)
        pytest_args = args.pytest_args or [str(REPO / "host_tests")]
        rc, summary, failed, secs = run_tests(args.firmware, out_dir, pytest_args)
        tests = " ".join(a.replace(str(REPO) + "/", "") for a in pytest_args)
        runs.append([rc, f"{tests}: {summary}", failed, secs])
        runs_file.write_text(json.dumps(runs))
    c = c_coverage(build)
    py = py_coverage(out_dir / "lines")
    text = report(c, py, runs)
    print(text)
    if args.doc:
        Path(args.doc).parent.mkdir(parents=True, exist_ok=True)
        Path(args.doc).write_text(
            "<!-- Generated by tools/coverage_report.py (make coverage); do not edit. -->\n\n"
            + text
            + "\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
