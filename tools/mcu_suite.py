"""The MCU suite's table: every test marked ``qemu`` with its outcome on the host
firmware, the threaded host firmware and the QEMU target, written into
docs/qemu.md's generated block ``mcu-suite`` (tools/docgen.py).

    python tools/mcu_suite.py        # `make mcu-suite`

Runs pytest twice with --junitxml: ``-m qemu`` (the [host] and [qemu] instances,
and the QEMU-only tests), then ``-m qemu -k host`` with VARIANT=threaded. A skip is
shown with its reason, as pytest reports it.
"""

import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

TOP = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TOP / "tools"))
import docgen  # tools/ is not a package: found through sys.path above

sys.path.insert(0, str(TOP / "host_tests"))
from mprunner import GC_THRESHOLD  # what the [qemu] runs use

PYTHON = TOP / "deps" / "venv" / "bin" / "python"


# What each [qemu] run records on its test (host_tests/mprunner.QemuRunner): lwIP's
# heap high-water mark, and the GC heap's largest live set after a collection.
PEAKS = ("lwip_mem_max", "gc_live_max")


def run(junit, *args, env=None):
    cmd = [str(PYTHON), "-m", "pytest", "-c", str(TOP / "host_tests" / "pytest.ini")]
    cmd += [str(TOP / "host_tests"), "-q", "-m", "qemu", f"--junitxml={junit}"]
    # xunit1 keeps the tests' recorded properties (the QEMU runs' lwIP heap peak).
    cmd += ["-o", "junit_family=xunit1", *args]
    subprocess.run(cmd, cwd=TOP, env={**os.environ, **(env or {})}, check=False)
    return ET.parse(junit).getroot()


def outcomes(root):
    """{(file, test id without the target), target or None: outcome text}."""
    found = {}
    for case in root.iter("testcase"):
        name = case.get("name")
        module = case.get("classname").rsplit(".", 1)[-1]
        target = None
        m = re.match(r"(.*)\[(host|qemu)(?:-(.*))?\]$", name)
        if m:
            name = m.group(1) + (f"[{m.group(3)}]" if m.group(3) else "")
            target = m.group(2)
        skipped = case.find("skipped")
        if case.find("failure") is not None or case.find("error") is not None:
            text = "**fail**"
        elif skipped is not None and skipped.get("type") == "pytest.xfail":
            text = "known failure: " + skipped.get("message", "")
        elif skipped is not None:
            text = "skip: " + skipped.get("message", "").split(": ", 1)[-1]
        else:
            text = "pass"
        found[(f"{module}.py::{name}", target)] = text
        for prop in PEAKS:
            peaks = [
                int(p.get("value"))
                for p in case.iter("property")
                if p.get("name") == prop
            ]
            if peaks:
                found[(f"{module}.py::{name}", prop)] = max(peaks)
    return found


def main():
    with tempfile.TemporaryDirectory() as tmp:
        first = outcomes(run(Path(tmp) / "a.xml"))
        threaded = outcomes(
            run(Path(tmp) / "b.xml", "-k", "host", env={"VARIANT": "threaded"})
        )
    tests = sorted({key for key, _ in first})
    rows = []
    for test in tests:
        peaks = [first.get((test, prop)) for prop in PEAKS]
        peaks = [f"{p:,}" if p is not None else "" for p in peaks]
        if (test, None) in first:  # runs on the QEMU target only
            rows.append([f"`{test}`", "n/a", "n/a", first[(test, None)], *peaks])
            continue
        rows.append(
            [
                f"`{test}`",
                first.get((test, "host"), "n/a"),
                threaded.get((test, "host"), "n/a"),
                first.get((test, "qemu"), "n/a"),
                *peaks,
            ]
        )
    counts = {
        t: sum(1 for r in rows if r[i] == "pass")
        for i, t in ((1, "host"), (2, "threaded"), (3, "QEMU"))
    }
    md = docgen.stamp("python tools/mcu_suite.py") + "\n\n"
    md += (
        f"{len(rows)} tests; passing: host {counts['host']}, threaded "
        f"{counts['threaded']}, QEMU {counts['QEMU']}.\n\n"
    )
    md += (
        "Heap columns, in bytes on the QEMU target, the largest of the test's runs "
        "(each run boots its own machine). lwIP heap: the high-water mark of lwIP's "
        "heap (MEM_SIZE). GC heap: the most MicroPython heap in use right after a "
        f"collection, with the GC collecting every {GC_THRESHOLD:,} bytes allocated "
        "(`qemu.gc_peak()`): the live set, close to what the test needs; a heap "
        "also needs room for what is allocated between two collections.\n\n"
    )
    md += docgen.md_table(
        ["test", "host", "threaded", "QEMU", "lwIP heap (QEMU)", "GC heap (QEMU)"],
        rows,
    )
    print(f"updated {docgen.replace_block('qemu.md', 'mcu-suite', md)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
