"""Run MicroPython's own network test suites against the usocket host firmware.

`make peer-tests` runs this. The test files in the MicroPython tree are run as they
are; only the harness around them is ours:

- tests/multi_net/ with MicroPython's tests/run-multitests.py (through
  host_tests/peer/run_multitests.py), one test per run, in three instance orders:
  usocket|cpython and cpython|usocket (the firmware against CPython, as server and
  as client) and usocket|usocket (what MicroPython's CI runs; the only order for
  tests that CPython cannot run). The firmware and CPython instances are
  host_tests/peer/usocket_fw.py and cpython3.py, which map addresses across the
  slirp bridge and forward the server's ports (see host_tests/peer/instance.py).
- tests/net_hosted/ with MicroPython's tests/run-tests.py and
  MICROPY_MICROPYTHON=<firmware>.

A test that names a host outside this machine (micropython.org, 1.1.1.1, ...) is
not run: it is listed as skipped with that reason. The firmware resolves
names through a DnsServer on 127.0.0.1 that knows no outside names.

Many tests with a .exp file use MicroPython-only APIs (ssl.wrap_socket(key=...,
cert=...), DER certificate files, StreamReader.readinto, time.ticks_ms, mbedTLS
error strings). Such a test is first run on CPython against itself (cached: the
answer depends only on the test and CPython). An order is "n/a" instead of run
when its CPython instance dies there of its own exception (not a connection
error, which may only be a reaction to its peer), and "n/a" instead of "fail"
when its CPython instance dies of the same exception as it does against itself;
usocket|usocket covers those instances.

A failed run is run once more (--retries): some upstream tests race (e.g. a TLS
alert against the client's first write); a pass on the retry is reported as a
pass with the first failure in the reason, so flakiness stays visible.

The tests use fixed ports (8000...) on this machine's loopback, so runs are
serialised machine-wide by a lock file in the temp directory; a second run waits.
The firmware is copied into the log directory first, so a `make unix` running
meanwhile (another session's) cannot change it under a run.

The summary (a table of test, order, result, reason) is printed at the end and
written to build/peer-tests.txt, with build/peer-tests.json for the pytest wrapper
(host_tests/test_peer_suites.py); logs of every run are in build/peer-tests/.
Exit status 1 if any test failed.
"""

import argparse
import ast
import contextlib
import dataclasses
import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PEER_DIR = REPO / "host_tests" / "peer"
sys.path.insert(0, str(REPO / "host_tests"))

from peers import DnsServer

LAUNCHER = PEER_DIR / "run_multitests.py"
ENTRY = {"usocket": PEER_DIR / "usocket_fw.py", "cpython": PEER_DIR / "cpython3.py"}
# The kinds instance.py knows, by label.
KIND = {"usocket": "firmware", "cpython": "cpython"}
ORDERS = (("usocket", "cpython"), ("cpython", "usocket"), ("usocket", "usocket"))

# Hosts a test may name: this machine. Anything else needs the internet.
LOCAL_HOSTS = {"127.0.0.1", "0.0.0.0", "localhost", ""}
# Literal first arguments of these calls are the hosts a test connects to.
_HOST_CALL = re.compile(
    r"\b(?:getaddrinfo|open_connection|create_connection|connect)\(\s*[\"']([^\"']*)[\"']"
)

# Backstop per run-multitests/run-tests run; run-multitests itself gives up on an
# instance that is silent for 10 s.
RUN_TIMEOUT = 180


@dataclasses.dataclass
class Row:
    suite: str
    test: str
    order: str
    result: str  # pass, fail, skip, n/a
    reason: str = ""
    seconds: float = 0.0
    log: str = ""


@dataclasses.dataclass
class Outcome:
    """One run-multitests run: its result, why, and each instance's difference."""

    result: str
    reason: str
    seconds: float
    log: str
    # {instance: (line index, description)} where the output differs
    diffs: dict = dataclasses.field(default_factory=dict)


# The two asyncio TLS error tests print "drain" between write() and drain() and
# expect the handshake's error from drain().
_TLS_WRITE_TIMING = (
    "timing, not behaviour: its .exp assumes the server's TLS reply cannot arrive "
    "within the client's first non-blocking write(). Between two host firmwares on an "
    "idle machine it can (about 2 ms), so that write() runs the handshake to its error "
    "and raises it before the test prints 'drain'; drain() raises it otherwise. The "
    "test catches both in one try"
)

# Tests whose expected output encodes behaviour usocket deliberately does not have.
# Each is listed in the README ("Deviations from MicroPython's tests") with the
# reason; a failure of one of these is reported as "deviation", not "fail".
DEVIATIONS = {
    "asyncio_tcp_client_rst.py": (
        "its .exp expects the data received before the peer's RST to be discarded "
        "(modlwip's behaviour, MicroPython issue #18547); usocket keeps it readable "
        "and raises ECONNRESET after it, as Linux/CPython do and as tcp_client_rst.py "
        "expects"
    ),
    "tcp_client_rst.py": (
        "reads after the peer's RST follow lwIP's socket layer (docs/socket-semantics.md), "
        "which QuecPython and the ESP32 port run on, not Linux: poll() keeps POLLERR "
        "(lwIP's errevent is never cleared) and the next recv() raises ECONNRESET a "
        "second time (the netconn's pending error) where Linux returns b''"
    ),
    "asyncio_tcp_readall.py": (
        "its .exp expects read() to return b'' again after the end was reported "
        "(modlwip's behaviour); usocket follows lwIP's socket layer "
        "(docs/socket-semantics.md), which QuecPython and the ESP32 port run on: the "
        "FIN is reported once as b'', later reads raise ENOTCONN"
    ),
    # Only the exact difference in DEVIATION_ONLY is accepted; any other fails.
    "asyncio_tls_server_client_verify_error.py": _TLS_WRITE_TIMING,
    "asyncio_tls_server_client_cert_required_error.py": _TLS_WRITE_TIMING,
}
# For a deviation that is about one line, the failure it must be (else it fails).
DEVIATION_ONLY = {
    "tcp_client_rst.py": (
        "instance0 line 7: expected '[17]', got '[25]' (OSError: [Errno 104] ECONNRESET)"
    ),
    "asyncio_tcp_readall.py": (
        "instance1 line 2: expected \"b''\", got 'Traceback (most recent call last):' "
        "(OSError: [Errno 107] ENOTCONN)"
    ),
    "asyncio_tls_server_client_verify_error.py": (
        "instance1 line 2: expected 'drain', got ''"
    ),
    "asyncio_tls_server_client_cert_required_error.py": (
        "instance1 line 2: expected 'drain', got "
        "\"(-30592, 'MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE')\""
    ),
}


def outside_hosts(source):
    """The hosts outside this machine that a test's source names, in order."""
    hosts = []
    for host in _HOST_CALL.findall(source):
        if host not in LOCAL_HOSTS and host not in hosts:
            hosts.append(host)
    return hosts


def _short(text, limit=160):
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --------------------------------------------------------------------------------------
# Why a test skipped or failed, from its source and run-multitests' output


def _is_skip(node):
    """True for a `multitest.skip()` or `print("SKIP")` call."""
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr == "skip":
        return True
    return (
        isinstance(func, ast.Name)
        and func.id == "print"
        and any(isinstance(a, ast.Constant) and a.value == "SKIP" for a in node.args)
    )


def _skip_condition(source, index):
    """What a skip of instance ``index`` means, read from the test's source: the `if`
    around its multitest.skip(), or the module-level check that prints SKIP."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return "printed SKIP"
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == f"instance{index}":
            for sub in ast.walk(node):
                if isinstance(sub, ast.If) and any(
                    _is_skip(call) for stmt in sub.body for call in ast.walk(stmt)
                ):
                    return f"`if {ast.unparse(sub.test)}:` skip"
    checks = []
    for node in tree.body:
        if isinstance(node, ast.Try) and "SKIP" in ast.unparse(node.handlers):
            checks.append(_short("; ".join(ast.unparse(s) for s in node.body), 80))
    if checks:
        return "a module-level check failed: " + " | ".join(f"`{c}`" for c in checks)
    return "printed SKIP"


# run-multitests with -s prints, per test: "### TEST ###", "--- instanceN ---" and
# that instance's lines for each instance, "### TRUTH ###" and the same for the
# expected output, then the result line, a blank line and its report.
_RESULT_LINE = re.compile(r"^(?:pass|FAIL|skip)\n\n\d+ tests performed", re.MULTILINE)


def _outputs(log, header):
    """The TEST or TRUTH block of a -s log as {instance index: [lines]}."""
    end = _RESULT_LINE.search(log)
    region = log[: end.start()] if end else log
    _, found, rest = region.partition(f"### {header} ###\n")
    if not found:
        return {}
    rest = rest.partition("### TRUTH ###\n")[0]
    outputs = {}
    current = None
    for line in rest.splitlines():
        match = re.fullmatch(r"--- instance(\d+) ---", line)
        if match:
            current = outputs.setdefault(int(match.group(1)), [])
        elif current is not None:
            current.append(line)
    for lines in outputs.values():
        while lines and not lines[-1]:
            lines.pop()
    return outputs


def _first_difference(got, expected):
    """(line index, description) of the first line where an instance's output
    differs from the expected, with the exception if it died of a traceback; None
    if they are the same."""
    for i in range(max(len(got), len(expected))):
        g = got[i] if i < len(got) else "<end>"
        e = expected[i] if i < len(expected) else "<end>"
        if g != e:
            break
    else:
        return None
    text = f"line {i + 1}: expected {e!r}, got {g!r}"
    if "Traceback (most recent call last):" in got:
        tail = got[got.index("Traceback (most recent call last):") + 1 :]
        raised = [line for line in tail if not line.startswith(" ")][:1]
        if raised:
            text += f" ({raised[0]})"
    return i, text


def _differences(log):
    """{instance: (line index, description)} for each instance whose TEST output
    differs from its TRUTH."""
    test, truth = _outputs(log, "TEST"), _outputs(log, "TRUTH")
    diffs = {}
    for index in sorted(set(test) | set(truth)):
        diff = _first_difference(test.get(index, []), truth.get(index, []))
        if diff:
            diffs[index] = diff
    return diffs


def _died(difference):
    """True if an instance's difference is its own traceback (not a TIMEOUT or
    missing lines, which may only be a reaction to its peer)."""
    return "got 'Traceback (most recent call last):' (" in difference


# Exceptions with which an instance reacts to its peer going away; any other
# exception (TypeError, ValueError, AttributeError, ssl.SSLError loading a
# certificate, ...) is the instance's own doing.
_REACTIONS = re.compile(
    r"\((?:ConnectionResetError|ConnectionRefusedError|ConnectionAbortedError|"
    r"BrokenPipeError|TimeoutError|socket\.timeout|ssl\.SSLEOFError|"
    r"ssl\.SSLZeroReturnError|OSError: \[Errno (?:104|111|32|110)\])"
)


def _died_of_itself(difference):
    """True if an instance died of an exception that is not a reaction to its peer."""
    return _died(difference) and not _REACTIONS.search(difference)


# --------------------------------------------------------------------------------------
# Running


class Runner:
    def __init__(self, args, dns):
        self.args = args
        self.tests = args.tests_dir
        self.out = args.log_dir
        self.python = sys.executable
        self.env = dict(os.environ)
        # The instance entry points start with `#!/usr/bin/env python3`: make that
        # this interpreter (the venv's), which is also the CPython peer.
        self.env["PATH"] = os.pathsep.join(
            [str(Path(self.python).parent), self.env["PATH"]]
        )
        self.env.update(
            {
                "MICROPY_MICROPYTHON": str(args.firmware),
                "MICROPY_CPYTHON3": self.python,
                "USOCKET_PEER_FIRMWARE": str(args.firmware),
                "USOCKET_PEER_CPYTHON": self.python,
                "USOCKET_DNS_PORT": str(dns.port),
            }
        )
        self.env.pop("USOCKET_HOSTFWD", None)

    def _run(self, cmd, env, log_path, cwd=None):
        """Run cmd in its own process group (so a timeout kills its instances too);
        return (returncode or None on timeout, output, seconds)."""
        start = time.monotonic()
        with subprocess.Popen(
            cmd,
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        ) as proc:
            try:
                out, _ = proc.communicate(timeout=RUN_TIMEOUT)
                code = proc.returncode
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                out, _ = proc.communicate()
                code = None
        text = out.decode("utf-8", "backslashreplace")
        log_path.parent.mkdir(parents=True, exist_ok=True)
        log_path.write_text(f"$ {' '.join(map(str, cmd))}\n{text}")
        return code, text, time.monotonic() - start

    def multitest(self, test, order, attempt=0):
        """Run one multi_net test in one instance order."""
        name = f"{test.stem}.{'-'.join(order)}" + (
            f".retry{attempt}" if attempt else ""
        )
        result_dir = self.out / "multi_net" / name
        instances = []
        for kind in order:
            if order == ("cpython", "cpython"):
                instances += ["-i", "cpython"]  # upstream's own CPython instance
            else:
                instances += ["-i", f"exec:{ENTRY[kind]}"]
        env = dict(self.env, USOCKET_PEER_INSTANCES=",".join(KIND[k] for k in order))
        cmd = [
            self.python,
            LAUNCHER,
            self.tests,
            "-s",
            "-t",
            "-r",
            result_dir,
            *instances,
            test,
        ]
        log_path = self.out / "multi_net" / f"{name}.log"
        code, log, seconds = self._run(cmd, env, log_path)
        outcome = Outcome("fail", "", seconds, str(log_path))
        if code is None:
            outcome.reason = f"no result after {RUN_TIMEOUT} s"
            return outcome
        try:
            results = json.loads((result_dir / "_results.json").read_text())["results"]
            outcome.result = results[0][1]
        except (OSError, ValueError, IndexError, KeyError):
            last = log.strip().splitlines()[-1:] or ["no output"]
            outcome.reason = _short(f"run-multitests crashed: {last[0]}")
            return outcome
        if outcome.result == "skip":
            match = re.search(r"^\s*\d+ i(\d) : SKIP$", log, re.MULTILINE)
            index = int(match.group(1)) if match else 0
            why = _skip_condition(test.read_text(), index)
            outcome.reason = f"{order[index]} instance{index}: {why}"
        elif outcome.result == "fail":
            outcome.diffs = _differences(log)
            reason = "; ".join(
                f"instance{i} {d}" for i, (_, d) in outcome.diffs.items()
            )
            outcome.reason = _short(reason or "output differs", 400)
        return outcome

    def cpython_alone(self, test):
        """How CPython does on ``test`` against itself: {instance: why} for every
        instance whose output differs from the .exp. Empty for tests without a
        .exp: their expected output comes from CPython.

        The answer depends only on the test, its .exp and CPython, not on the
        firmware, so it is cached in the log directory."""
        exp = test.with_suffix(".py.exp")
        if not exp.exists():
            return {}
        digest = hashlib.sha256()
        for part in (test.read_bytes(), exp.read_bytes(), sys.version.encode()):
            digest.update(part)
        key = f"{test.name}:{digest.hexdigest()[:16]}"
        cache_path = self.out / "cpython-alone.json"
        try:
            cache = json.loads(cache_path.read_text())
        except (OSError, ValueError):
            cache = {}
        if not isinstance(cache.get(key), dict):
            cache.pop(key, None)
        if key not in cache:
            outcome = self.multitest(test, ("cpython", "cpython"))
            diffs = {str(i): d for i, (_, d) in outcome.diffs.items()}
            if outcome.result == "fail" and not diffs:
                diffs = {"0": outcome.reason, "1": outcome.reason}
            cache[key] = diffs
            cache_path.parent.mkdir(parents=True, exist_ok=True)
            cache_path.write_text(json.dumps(cache, indent=1, sort_keys=True) + "\n")
        return {int(i): d for i, d in cache[key].items()}

    def multi_net(self, tests, report):
        for test in tests:
            hosts = outside_hosts(test.read_text())
            alone = {} if hosts else self.cpython_alone(test)
            for order in ORDERS:
                label = "|".join(order)
                if hosts:
                    report(
                        Row(
                            "multi_net",
                            test.name,
                            label,
                            "skip",
                            _needs_internet(hosts),
                        )
                    )
                    continue
                cpython = [i for i, kind in enumerate(order) if kind == "cpython"]
                cannot = [i for i in cpython if _died_of_itself(alone.get(i, ""))]
                if cannot:
                    # CPython dies of its own exception here even against itself:
                    # no need to run it (and wait for its peer's timeout).
                    i = cannot[0]
                    reason = (
                        f"CPython cannot play instance{i} (against itself: "
                        f"{alone[i]}); usocket|usocket covers it"
                    )
                    report(
                        Row("multi_net", test.name, label, "n/a", _short(reason, 300))
                    )
                    continue
                outcome = self.run_with_retries(test, order, alone)
                if (
                    outcome.result == "fail"
                    and test.name in DEVIATIONS
                    and DEVIATION_ONLY.get(test.name, outcome.reason) == outcome.reason
                ):
                    outcome.result = "deviation"
                    outcome.reason = f"{DEVIATIONS[test.name]} ({outcome.reason})"
                report(
                    Row(
                        "multi_net",
                        test.name,
                        label,
                        outcome.result,
                        _short(outcome.reason, 400),
                        outcome.seconds,
                        outcome.log,
                    )
                )

    def run_with_retries(self, test, order, alone):
        """Run a test in one order (again after a failure, up to --retries times);
        classify a failure caused by CPython's own limits as n/a."""
        first_failure = None
        for attempt in range(self.args.retries + 1):
            outcome = self.classified(test, order, alone, attempt)
            if outcome.result != "fail":
                break
            if first_failure is None:
                first_failure = outcome
        if first_failure is not None and outcome.result == "pass":
            outcome.reason = (
                f"flaky: passed on attempt {attempt + 1}; first failure: "
                f"{first_failure.reason} (log {first_failure.log})"
            )
        return outcome

    def classified(self, test, order, alone, attempt):
        cpython = [i for i, kind in enumerate(order) if kind == "cpython"]
        outcome = self.multitest(test, order, attempt)
        same = [
            i
            for i in cpython
            if i in outcome.diffs
            and _died(outcome.diffs[i][1])
            and outcome.diffs[i][1] == alone.get(i)
        ]
        if outcome.result == "fail" and same:
            # The CPython instance died of the same exception as it does against
            # itself: CPython's limit, not the firmware's doing.
            i = same[0]
            outcome.result = "n/a"
            outcome.reason = (
                f"CPython fails instance{i} as it does against itself "
                f"({alone[i]}); usocket|usocket covers it"
            )
        return outcome

    def net_hosted(self, tests, report):
        local = []
        for test in tests:
            hosts = outside_hosts(test.read_text())
            if hosts:
                report(
                    Row(
                        "net_hosted",
                        test.name,
                        "usocket",
                        "skip",
                        _needs_internet(hosts),
                    )
                )
            else:
                local.append(test)
        if not local:
            return
        result_dir = self.out / "net_hosted"
        cmd = [self.python, self.tests / "run-tests.py", "-j1", "-r", result_dir]
        cmd += [str(t.relative_to(self.tests)) for t in local]
        log_path = self.out / "net_hosted.log"
        code, _, seconds = self._run(cmd, self.env, log_path, cwd=self.tests)
        seconds /= len(local)  # run-tests.py times no single test
        results = {}
        try:
            data = json.loads((result_dir / "_results.json").read_text())
            results = {Path(r[0]).name: (r[1], r[2]) for r in data["results"]}
        except (OSError, ValueError, KeyError):
            pass
        for test in local:
            result, reason = results.get(test.name, ("fail", ""))
            if code is None:
                reason = reason or f"no result after {RUN_TIMEOUT} s"
            elif result == "fail":
                reason = _run_tests_reason(result_dir, test) or "output differs"
            elif result == "skip":
                reason = reason or "the test printed SKIP"
            elif test.name not in results:
                reason = "run-tests.py gave no result"
            report(
                Row(
                    "net_hosted",
                    test.name,
                    "usocket",
                    result,
                    reason,
                    0.0,
                    str(log_path),
                )
            )


def _needs_internet(hosts):
    return "needs the internet: connects to " + ", ".join(hosts) + ""


def _run_tests_reason(result_dir, test):
    """The first line where run-tests' .out differs from its .exp."""
    stem = f"net_hosted_{test.name}"
    try:
        out = (result_dir / f"{stem}.out").read_text().splitlines()
        exp = (result_dir / f"{stem}.exp").read_text().splitlines()
    except OSError:
        return ""
    for i in range(max(len(out), len(exp))):
        o = out[i] if i < len(out) else "<end>"
        e = exp[i] if i < len(exp) else "<end>"
        if o != e:
            last = [line for line in out if line.strip() and line != "CRASH"][-1:]
            tail = f"; last output: {last[0]}" if last and last[0] != o else ""
            return _short(f"line {i + 1}: expected {e!r} got {o!r}{tail}", 300)
    return ""


# --------------------------------------------------------------------------------------
# Summary


def summary(rows, seconds):
    width = {
        "test": max([len("test")] + [len(f"{r.suite}/{r.test}") for r in rows]),
        "order": max([len("order")] + [len(r.order) for r in rows]),
    }
    lines = [
        f"{'test':{width['test']}}  {'order':{width['order']}}  result  reason",
        f"{'-' * width['test']}  {'-' * width['order']}  ------  ------",
    ]
    for r in rows:
        lines.append(
            f"{r.suite + '/' + r.test:{width['test']}}  {r.order:{width['order']}}  "
            f"{r.result:6}  {r.reason}".rstrip()
        )
    counts = {
        k: sum(r.result == k for r in rows)
        for k in ("pass", "fail", "skip", "n/a", "deviation")
    }
    lines.append("")
    lines.append(
        f"{counts['pass']} passed, {counts['fail']} failed, {counts['skip']} skipped, "
        f"{counts['n/a']} n/a (CPython cannot play that instance), "
        f"{counts['deviation']} documented deviations in {seconds:.0f} s"
    )
    return "\n".join(lines) + "\n"


@contextlib.contextmanager
def _exclusive():
    """Hold the machine-wide peer-tests lock (the tests' ports are machine-wide)."""
    path = Path(tempfile.gettempdir()) / "usocket-peer-tests.lock"
    with open(path, "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"waiting for another peer-tests run to finish ({path})", flush=True)
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--firmware",
        type=Path,
        default=Path(
            os.environ.get("USOCKET_FIRMWARE") or REPO / "build/unix/micropython"
        ),
        help="the firmware binary (default: $USOCKET_FIRMWARE or build/unix/micropython)",
    )
    micropy_dir = Path(os.environ.get("MICROPY_DIR") or REPO / "deps/micropython")
    parser.add_argument(
        "--tests-dir",
        type=Path,
        default=micropy_dir / "tests",
        help="MicroPython's tests/ directory (default: $MICROPY_DIR/tests)",
    )
    parser.add_argument(
        "-k",
        "--only",
        action="append",
        help="run only tests whose file name contains this string (repeatable)",
    )
    parser.add_argument(
        "--retries",
        type=int,
        default=1,
        help="run a failed multi_net test again up to this many times (default 1)",
    )
    parser.add_argument(
        "--summary",
        type=Path,
        default=REPO / "build/peer-tests.txt",
        help="summary file",
    )
    parser.add_argument(
        "--log-dir",
        type=Path,
        default=REPO / "build/peer-tests",
        help="logs of every run",
    )
    args = parser.parse_args()
    args.firmware = args.firmware.resolve()
    args.tests_dir = args.tests_dir.resolve()
    if not os.access(args.firmware, os.X_OK):
        parser.error(f"no firmware at {args.firmware} (run `make unix`)")
    with _exclusive():
        return run(args)


def run(args):
    args.log_dir.mkdir(parents=True, exist_ok=True)
    snapshot = args.log_dir / "micropython"
    shutil.copy2(args.firmware, snapshot)
    args.firmware = snapshot

    def select(suite):
        files = sorted((args.tests_dir / suite).glob("*.py"))
        return [
            f for f in files if not args.only or any(k in f.name for k in args.only)
        ]

    rows = []

    def report(row):
        rows.append(row)
        extra = f"  {row.reason}" if row.reason else ""
        print(
            f"{row.suite}/{row.test:40} {row.order:16} {row.result:4} {row.seconds:5.1f}s{extra}",
            flush=True,
        )

    start = time.monotonic()
    dns = DnsServer()
    try:
        runner = Runner(args, dns)
        runner.multi_net(select("multi_net"), report)
        runner.net_hosted(select("net_hosted"), report)
    finally:
        dns.close()
    text = summary(rows, time.monotonic() - start)
    args.summary.parent.mkdir(parents=True, exist_ok=True)
    args.summary.write_text(text)
    args.summary.with_suffix(".json").write_text(
        json.dumps([dataclasses.asdict(r) for r in rows], indent=1) + "\n"
    )
    print()
    print(text, end="")
    print(f"(written to {args.summary}; logs in {args.log_dir})")
    return 1 if any(r.result == "fail" for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
