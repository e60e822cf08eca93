"""MicroPython's own network test suites, run unmodified against the firmware.

tools/peer_tests.py (also `make peer-tests`) runs every test of the MicroPython
tree's tests/multi_net/ (usocket|cpython, cpython|usocket, usocket|usocket) and
tests/net_hosted/ once for the module; each item here reports one of its results:
a pass, a failure with the reason and the run's log, or a skip with the reason
(needs the internet, a feature a test checks for, or an instance CPython cannot
play).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TESTS = Path(os.environ.get("MICROPY_DIR") or REPO / "deps" / "micropython") / "tests"
sys.path.insert(0, str(REPO / "tools"))

import peer_tests

# The whole run takes minutes; pytest-timeout's per-test default is far shorter.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(3600)]


def _cases():
    cases = []
    for test in sorted((TESTS / "multi_net").glob("*.py")):
        for order in peer_tests.ORDERS:
            cases.append(("multi_net", test.name, "|".join(order)))
    for test in sorted((TESTS / "net_hosted").glob("*.py")):
        cases.append(("net_hosted", test.name, "usocket"))
    return cases


@pytest.fixture(scope="module")
def peer_results(firmware):
    """Run tools/peer_tests.py once (its summary goes to build/peer-tests.txt, as
    with `make peer-tests`); {(suite, test, order): row}."""
    summary = REPO / "build" / "peer-tests.txt"
    summary.with_suffix(".json").unlink(missing_ok=True)
    proc = subprocess.run(
        [sys.executable, REPO / "tools" / "peer_tests.py", "--firmware", firmware]
        + ["--tests-dir", TESTS, "--summary", summary],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        check=False,
    )
    json_path = summary.with_suffix(".json")
    if not json_path.exists():
        pytest.fail(
            f"tools/peer_tests.py wrote no results (exit {proc.returncode}):\n"
            + proc.stdout.decode(errors="replace")[-5000:],
            pytrace=False,
        )
    rows = json.loads(json_path.read_text())
    return {(r["suite"], r["test"], r["order"]): r for r in rows}


@pytest.mark.skipif(not TESTS.is_dir(), reason=f"no MicroPython tests at {TESTS}")
@pytest.mark.parametrize(
    "suite,test,order", _cases(), ids=[f"{s}/{t}[{o}]" for s, t, o in _cases()]
)
def test_micropython_suite(peer_results, suite, test, order):
    row = peer_results.get((suite, test, order))
    if row is None:
        pytest.fail(f"tools/peer_tests.py reported nothing for {suite}/{test} {order}")
    if row["result"] in ("skip", "n/a"):
        pytest.skip(f"{row['result']}: {row['reason']}")
    if row["result"] == "deviation":
        pytest.xfail(f"documented deviation: {row['reason']}")
    if row["result"] != "pass":
        pytest.fail(f"{row['reason']}\nlog: {row['log']}", pytrace=False)
