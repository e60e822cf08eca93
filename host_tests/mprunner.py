"""Running MicroPython scripts on the host firmware: ``MpRunner`` (the ``mp``
fixture of conftest.py, and what tools/soak.py drives), ``MpProcess`` (a run in the
background) and ``MpResult`` (what a run produced). ``QemuRunner`` runs the same
scripts on the QEMU target (Cortex-M3, LAN9118, tools/qemu_run.py): the ``mp``
fixture of a test marked ``qemu``, in its ``[qemu]`` instance.

Outside pytest this works the same: a failure (a timeout, a sanitizer report)
is reported with ``pytest.fail``, which outside a test raises
``pytest.fail.Exception``; callers such as tools/soak.py catch that.
"""

import contextlib
import dataclasses
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import fwfiles  # tools/, which the line above puts on the path

# How much of a long stdout/stderr a failure message shows (the tail).
_SHOW_CHARS = 20000
# What ASan, LeakSanitizer and UBSan print on stderr when they find something (a
# firmware built with `make unix SANITIZE=...`); any of them fails the test that ran
# the firmware, even one that only looks at stdout.
_SANITIZER_MARKS = (
    "ERROR: AddressSanitizer",
    "ERROR: LeakSanitizer",
    "runtime error:",
    "WARNING: ThreadSanitizer",
)


def _tail(text):
    if len(text) <= _SHOW_CHARS:
        return text
    return f"[... {len(text) - _SHOW_CHARS} chars cut ...]\n" + text[-_SHOW_CHARS:]


@dataclasses.dataclass
class MpResult:
    """What one firmware run produced: ``out``/``err`` (decoded, undecodable bytes
    replaced), ``rc`` (negative = killed by that signal), and the script."""

    out: str
    err: str
    rc: int
    script: str = ""
    script_path: str = ""
    duration: float = 0.0
    timed_out: bool = False
    # QEMU target only: the bridge's counters (frames, dropped_filter, dropped_loss).
    bridge: dict = dataclasses.field(default_factory=dict)

    @property
    def lines(self):
        """stdout split into lines, for line-by-line asserts."""
        return self.out.splitlines()

    def describe(self):
        """A readable dump of the run for failure messages."""
        numbered = "\n".join(
            f"{i:4} | {line}" for i, line in enumerate(self.script.splitlines(), 1)
        )
        return (
            f"firmware exit code {self.rc} after {self.duration:.1f}s"
            f"{' (killed: timed out)' if self.timed_out else ''}\n"
            f"--- script {self.script_path} ---\n{numbered}\n"
            f"--- stdout ---\n{_tail(self.out)}\n--- stderr ---\n{_tail(self.err)}"
        )

    def sanitizer_report(self):
        """The first sanitizer mark found on stderr, or None."""
        return next((m for m in _SANITIZER_MARKS if m in self.err), None)

    def check(self):
        """Raise AssertionError with the whole run shown unless rc == 0; return self
        so ``mp(...).check().out`` reads naturally."""
        if self.rc != 0:
            raise AssertionError(self.describe())
        return self


def _kill_group(proc):
    """SIGKILL the firmware's whole process group (it runs in its own session)
    and reap it; the firmware never gets a chance to hang the test."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        pass


class MpProcess:
    """A firmware run in the background (``mp.spawn``), for a MicroPython server
    that a CPython client talks to while it runs.

    stdout/stderr go to files, so a chatty script can never block on a full pipe and
    its output so far is readable at any time (``out``, ``wait_for``).
    """

    def __init__(
        self, cmd, env, cwd, stdin_path, script, script_path, out_path, err_path
    ):
        self.script = script
        self.script_path = str(script_path)
        self._out_path = out_path
        self._err_path = err_path
        self._started = time.monotonic()
        self._result = None
        with contextlib.ExitStack() as files:
            stdin = subprocess.DEVNULL
            if stdin_path == subprocess.PIPE:
                stdin = subprocess.PIPE
            elif stdin_path:
                stdin = files.enter_context(open(stdin_path, "rb"))
            out = files.enter_context(open(out_path, "wb"))
            err = files.enter_context(open(err_path, "wb"))
            # Its own session, so a kill reaches everything the script started.
            self.proc = subprocess.Popen(
                cmd,
                stdin=stdin,
                stdout=out,
                stderr=err,
                env=env,
                cwd=cwd,
                start_new_session=True,
            )
        self.pid = self.proc.pid

    @property
    def out(self):
        """stdout so far."""
        return self._out_path.read_bytes().decode("utf-8", "replace")

    @property
    def err(self):
        """stderr so far."""
        return self._err_path.read_bytes().decode("utf-8", "replace")

    def poll(self):
        """Exit code, or None while running."""
        return self.proc.poll()

    def _finish(self, timed_out):
        if self._result is None:
            self._result = MpResult(
                self.out,
                self.err,
                self.proc.returncode,
                self.script,
                self.script_path,
                time.monotonic() - self._started,
                timed_out,
            )
            mark = self._result.sanitizer_report()
            if mark:
                pytest.fail(
                    f"sanitizer report ({mark!r}) on the firmware's stderr\n"
                    f"{self._result.describe()}",
                    pytrace=False,
                )
        return self._result

    def wait(self, timeout=30):
        """Wait for exit and return the MpResult. Past ``timeout`` the process
        group is killed and the test fails showing the output so far."""
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            _kill_group(self.proc)
            pytest.fail(
                f"firmware still running after {timeout}s\n{self._finish(True).describe()}",
                pytrace=False,
            )
        return self._finish(False)

    def wait_for(self, text, timeout=10):
        """Wait until stdout has a line that is exactly ``text`` (e.g. a script
        printing 'listening' once its socket is bound); return stdout so far. A
        whole line, not a substring: an earlier '@ not_listening = 22' must not
        count as 'listening'. Fails the test if the firmware exits or ``timeout``
        passes first."""
        deadline = time.monotonic() + timeout
        while True:
            out = self.out
            if text in out.splitlines():
                return out
            if self.proc.poll() is not None:
                out = self.out  # it may have printed just before exiting
                if text in out.splitlines():
                    return out
                pytest.fail(
                    f"firmware exited before printing {text!r}\n{self._finish(False).describe()}",
                    pytrace=False,
                )
            if time.monotonic() > deadline:
                _kill_group(self.proc)
                pytest.fail(
                    f"firmware did not print {text!r} within {timeout}s\n{self._finish(True).describe()}",
                    pytrace=False,
                )
            time.sleep(0.02)

    def interrupt(self):
        """Send SIGINT (a KeyboardInterrupt inside the script)."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)

    def kill(self):
        """Kill the process group now; return the MpResult of what it did so far."""
        _kill_group(self.proc)
        return self._finish(False)


def script_env(dns_port, env=None, hostfwd=None, drop=()):
    """The environment of one firmware run: ours without any USOCKET_* setting (nor
    those in ``drop``), then the test DNS port, the forwards and the test's own
    ``env`` (None removes one)."""
    full_env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("USOCKET_") and k not in drop
    }
    full_env["USOCKET_DNS_PORT"] = str(dns_port)
    if hostfwd:
        full_env["USOCKET_HOSTFWD"] = ",".join(hostfwd)
    for key, value in (env or {}).items():
        if value is None:
            full_env.pop(key, None)
        else:
            full_env[key] = str(value)
    return full_env


def fw(name):
    """host_tests/fw/<name>: the firmware half of a test as a real MicroPython
    file, for ``mp(fw(name), params={...})``. The same file runs on the host
    firmware, on the QEMU target and, with ``make run PORT=... PARAMS=...``, on a
    board (tools/fwfiles.py)."""
    path = fwfiles.FW_DIR / name
    if not path.is_file():
        raise FileNotFoundError(f"no firmware script {path}")
    return path


def _script_and_files(script, params, files):
    """(text, files to put beside it, a name for failure messages) for one run:
    ``script`` is inline text, or a Path from fw() whose ``params`` go into
    fwparams.py next to fwtest.py."""
    if isinstance(script, Path):
        text = script.read_text()
        label = str(script.relative_to(fwfiles.FW_DIR.parent.parent))
    else:
        if params:
            raise ValueError("params= is for a script file from fw()")
        text = textwrap.dedent(script).lstrip("\n")
        label = None
    all_files = {name: textwrap.dedent(src) for name, src in (files or {}).items()}
    script_dir = script.parent if isinstance(script, Path) else None
    all_files.update(fwfiles.companions(text, params, script_dir))
    return text, all_files, label


class MpRunner:
    """The ``mp`` fixture: ``mp(script, ...)`` runs a MicroPython script on the
    firmware and returns an MpResult; ``mp.spawn(script, ...)`` starts one in the
    background and returns an MpProcess.

    Keyword arguments (both forms):
      env      extra/overriding environment variables (a None value removes one)
      timeout  seconds before the process group is killed and the test fails
      args     arguments after the script path (the script's sys.argv[1:])
      opts     interpreter options before the script path (e.g. ['-X', 'heapsize=4M'])
      hostfwd  ['tcp:HOSTPORT:GUESTPORT', ...] -> USOCKET_HOSTFWD
      stdin    bytes fed to the script's stdin (default: /dev/null); for a spawn,
               subprocess.PIPE: a pipe the test writes to (``proc.proc.stdin``)
      files    {name: source} written next to the script (importable helpers, or
               e.g. certs/ca.pem: directories are made)
      params   for a script from fw(): its parameters (fwparams.py beside it)

    The inherited USOCKET_* and MICROPYPATH variables are dropped so a developer's
    shell cannot change what a test means; USOCKET_DNS_PORT always points at the
    session's DNS server.
    """

    def __init__(self, firmware, dns_port, workdir):
        self.firmware = firmware
        self.dns_port = dns_port
        self.workdir = Path(workdir)
        self._count = 0
        self._spawned = []

    def _prepare(self, script, env, args, opts, hostfwd, stdin, files, params):
        self._count += 1
        n = self._count
        text, files, _ = _script_and_files(script, params, files)
        script_path = self.workdir / f"mp_{n}.py"
        script_path.write_text(text)
        for name, source in files.items():
            path = self.workdir / name
            path.parent.mkdir(parents=True, exist_ok=True)  # e.g. certs/ca.pem
            path.write_text(source)
        stdin_path = None
        if stdin == subprocess.PIPE:
            stdin_path = subprocess.PIPE
        elif stdin is not None:
            stdin_path = self.workdir / f"mp_{n}.stdin"
            stdin_path.write_bytes(stdin)
        full_env = script_env(self.dns_port, env, hostfwd, drop=("MICROPYPATH",))
        cmd = [
            self.firmware,
            *(opts or []),
            str(script_path),
            *(str(a) for a in (args or [])),
        ]
        return cmd, full_env, text, script_path, stdin_path, n

    def __call__(
        self,
        script,
        *,
        env=None,
        timeout=30,
        args=None,
        opts=None,
        hostfwd=None,
        stdin=None,
        files=None,
        params=None,
    ):
        """Run ``script`` to completion; see the class docstring."""
        # Started as a spawn, so a pytest-timeout interrupt still kills it.
        proc = self.spawn(
            script,
            env=env,
            args=args,
            opts=opts,
            hostfwd=hostfwd,
            stdin=stdin,
            files=files,
            params=params,
        )
        return proc.wait(timeout)

    def spawn(
        self,
        script,
        *,
        env=None,
        args=None,
        opts=None,
        hostfwd=None,
        stdin=None,
        files=None,
        params=None,
    ):
        """Start ``script`` in the background; it is killed at test end if still
        running. Use ``.wait_for(text)`` to sync with it and ``.wait(timeout)``."""
        cmd, full_env, text, script_path, stdin_path, n = self._prepare(
            script, env, args, opts, hostfwd, stdin, files, params
        )
        proc = MpProcess(
            cmd,
            full_env,
            self.workdir,
            stdin_path,
            text,
            script_path,
            self.workdir / f"mp_{n}.out",
            self.workdir / f"mp_{n}.err",
        )
        self._spawned.append(proc)
        return proc

    def cleanup(self):
        """Kill every firmware this test started that is still running; one that
        exited by itself and was never waited for still has its stderr checked for
        sanitizer reports."""
        exited = [p for p in self._spawned if p.poll() is not None]
        for proc in self._spawned:
            _kill_group(proc.proc)
        for proc in exited:
            proc._finish(False)


# The C library the QEMU target is built with (libnewlib-arm-none-eabi): its errno
# numbers are what the firmware raises, as on ESP32 and RP2, which use newlib too.
NEWLIB_ERRNO_H = Path("/usr/lib/arm-none-eabi/include/sys/errno.h")


def newlib_errno():
    """{name: number} from newlib's sys/errno.h (the MCU builds' errno values;
    several differ from Linux's, e.g. ETIMEDOUT 116 not 110)."""
    import re

    found = {}
    for m in re.finditer(
        r"^#define\s+(E[A-Z0-9]+)\s+(\d+)\b", NEWLIB_ERRNO_H.read_text(), re.MULTILINE
    ):
        found.setdefault(m.group(1), int(m.group(2)))
    return found


def use_target_errno(module, mp_target, monkeypatch):
    """For the [qemu] instance of a test module whose errno constants (EAGAIN =
    11, ...) are Linux's: rebinds each of them to newlib's number, so the same
    assertions check that the MCU build raises the errno of the same name."""
    if mp_target != "qemu":
        return
    values = newlib_errno()
    for name in dir(module):
        if name in values and isinstance(getattr(module, name), int):
            monkeypatch.setattr(module, name, values[name])


# On the QEMU target the GC collects after every GC_THRESHOLD bytes allocated
# (gc.threshold), as a small board's heap would make it, so the live heap it finds
# after a collection (qemu.gc_peak(), reported per test by tools/mcu_suite.py) is
# close to what the test needs, not the garbage a large heap lets pile up.
GC_THRESHOLD = 4096


class QemuRunner:
    """``mp`` on the QEMU target: ``mp(script, ...)`` boots a fresh machine with its
    own bridge (so ``env`` and ``hostfwd`` apply to that run, as they do to a host
    firmware process), runs the script over the raw REPL and returns an MpResult
    whose ``bridge`` holds the bridge's counters. ``args`` become sys.argv[1:],
    ``files`` are written to the target's RAM disk. What a board has no equivalent
    for (``stdin``, interpreter ``opts``) skips the test instance with the reason.
    ``spawn`` boots a machine and serves its raw REPL from a thread."""

    def __init__(self, dns_port, workdir, node=None):
        import qemu_run  # tools/, on the path (see the imports)

        self._qemu_run = qemu_run
        self.dns_port = dns_port
        self.workdir = Path(workdir)
        self._spawned = []
        # The test's pytest item: each run records lwIP's heap peak and the GC's
        # live peak on it (tools/mcu_suite.py reports the largest per test).
        self.node = node

    def boot(self, env=None, hostfwd=None):
        """A machine of our own (tools/qemu_run.Target): several ``run()`` calls on
        it, each after a soft reset, then ``stop()``."""
        return self._qemu_run.Target(env=script_env(self.dns_port, env, hostfwd))

    def __call__(
        self,
        script,
        *,
        env=None,
        timeout=30,
        args=None,
        opts=None,
        hostfwd=None,
        stdin=None,
        files=None,
        params=None,
    ):
        if stdin is not None:
            pytest.skip("QEMU target: a board's script has no stdin")
        if opts:
            pytest.skip(f"QEMU target: no interpreter options ({' '.join(opts)})")
        text, files, label = _script_and_files(script, params, files)
        started = time.monotonic()
        target = self._qemu_run.Target(env=script_env(self.dns_port, env, hostfwd))
        timed_out = False
        try:
            for name, source in files.items():
                target.put(name, source.encode())
            rc, out, err = target.run(
                text,
                "mp.py",
                timeout=timeout,
                args=[str(a) for a in args or ()],
                gc_threshold=GC_THRESHOLD,
            )
            if self.node is not None:
                self.node.user_properties.extend(target.peaks().items())
        except self._qemu_run.TargetError as e:
            rc, out, err, timed_out = -9, "", str(e), True
        finally:
            bridge = target.stop()
        result = MpResult(
            out=out,
            err=err,
            rc=rc,
            script=text,
            script_path=f"(QEMU target) {label or 'mp.py'}",
            duration=time.monotonic() - started,
            timed_out=timed_out,
            bridge=bridge,
        )
        if timed_out:
            pytest.fail(
                f"QEMU target: no result within {timeout}s\n{result.describe()}",
                pytrace=False,
            )
        return result

    def spawn(
        self,
        script,
        *,
        env=None,
        args=None,
        opts=None,
        hostfwd=None,
        stdin=None,
        files=None,
        params=None,
    ):
        """Boots a machine and runs ``script`` on it in the background: a
        QemuProcess, with MpProcess's wait_for/wait/interrupt/kill."""
        if stdin is not None:
            pytest.skip("QEMU target: a board's script has no stdin")
        if opts:
            pytest.skip(f"QEMU target: no interpreter options ({' '.join(opts)})")
        text, files, _ = _script_and_files(script, params, files)
        target = self._qemu_run.Target(env=script_env(self.dns_port, env, hostfwd))
        for name, source in files.items():
            target.put(name, source.encode())
        proc = QemuProcess(self._qemu_run, target, text, [str(a) for a in args or ()])
        self._spawned.append(proc)
        return proc

    def cleanup(self):
        for proc in self._spawned:
            proc.kill()


class QemuProcess:
    """A script running on the QEMU target in the background (QemuRunner.spawn):
    the raw REPL is served by a thread; ``out`` is what the script printed so far."""

    def __init__(self, qemu_run, target, script, args):
        import threading

        self._qemu_run = qemu_run
        self.target = target
        self.script = script
        self._started = time.monotonic()
        self._chunks = []
        self._rc = None
        self._err = ""
        self._result = None
        self._thread = threading.Thread(target=self._serve, args=(args,), daemon=True)
        self._thread.start()

    def _serve(self, args):
        try:
            rc, out, err = self.target.run(
                self.script,
                "mp.py",
                timeout=3600,
                echo=self._chunks.append,
                args=args,
                gc_threshold=GC_THRESHOLD,
            )
            self._chunks = [out]
            self._err, self._rc = err, rc
        except (self._qemu_run.TargetError, OSError, ValueError) as e:
            self._err, self._rc = str(e), -9

    @property
    def out(self):
        return "".join(self._chunks).replace("\r\n", "\n")

    @property
    def err(self):
        return self._err

    def poll(self):
        return None if self._thread.is_alive() else self._rc

    def _finish(self, timed_out):
        if self._result is None:
            bridge = self.target.stop() if self.target is not None else {}
            self.target = None
            self._result = MpResult(
                self.out,
                self._err,
                -9 if timed_out else self._rc,
                self.script,
                "(QEMU target) mp.py",
                time.monotonic() - self._started,
                timed_out,
                bridge,
            )
        return self._result

    def wait(self, timeout=30):
        self._thread.join(timeout)
        if self._thread.is_alive():
            pytest.fail(
                f"QEMU target: still running after {timeout}s\n"
                f"{self._finish(True).describe()}",
                pytrace=False,
            )
        return self._finish(False)

    def wait_for(self, text, timeout=10):
        deadline = time.monotonic() + timeout
        while True:
            out = self.out
            if text in out.splitlines():
                return out
            if not self._thread.is_alive():
                pytest.fail(
                    f"QEMU target: exited before printing {text!r}\n"
                    f"{self._finish(False).describe()}",
                    pytrace=False,
                )
            if time.monotonic() > deadline:
                pytest.fail(
                    f"QEMU target: did not print {text!r} within {timeout}s\n"
                    f"{self._finish(True).describe()}",
                    pytrace=False,
                )
            time.sleep(0.02)

    def interrupt(self):
        """Ctrl-C on the console, as mpremote sends it."""
        if self.target is not None and self._thread.is_alive():
            self.target.board.serial.write(b"\x03")

    def kill(self):
        if self.target is not None:
            self._finish(self._thread.is_alive())
        return self._result
