"""Run MicroPython scripts on the QEMU target with its Ethernet bridged to the PC.

`make run-qemu SCRIPT=app.py` is `qemu_run.py app.py`: boots build/qemu/firmware.elf
(MPS2-AN385) with its LAN9118 connected by `-netdev stream` to usocket-qemu-bridge
(boards/qemu/bridge.c: the host firmware's libslirp set-up and safety filter),
runs the script over the raw REPL as mpremote does, prints its output, and exits
with its status (1 after a traceback, n after sys.exit(n)). The bridge reads the
host firmware's variables (USOCKET_DNS_PORT, USOCKET_HOSTFWD, USOCKET_NET_LOSS,
_DELAY_MS, _SEED), so a script written for the host firmware runs unchanged:
the firmware is 10.0.2.15 and reaches the PC's 127.0.0.1 as 10.0.2.2.

The tests use the Target class: one machine, several scripts, then stop(), which
returns the bridge's counters (frames each way, dropped by the filter or by
injected loss).
"""

import argparse
import json
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "deps" / "micropython" / "tools"))
import pyboard  # MicroPython's own raw-REPL client (deps/micropython/tools)

sys.path.insert(0, str(REPO / "tools"))
import fwfiles  # the companions of a host_tests/fw script (fwtest, fwparams)

FIRMWARE = REPO / "build" / "qemu" / "firmware.elf"
BRIDGE = REPO / "build" / "qemu-bridge" / "usocket-qemu-bridge"
QEMU_ARGS = [
    "-machine",
    "mps2-an385",
    "-display",
    "none",
    "-monitor",
    "null",
    "-semihosting",
]

# The script runs inside this wrapper, so that sys.exit(n) becomes the exit status
# (the raw REPL reports only tracebacks) and tracebacks name the script's file.
EXIT_MARK = "\x1eusocket-exit "
WRAPPER = """
import sys
sys.argv[:] = {argv!r}
{gc_setup}try:
    exec(compile({source!r}, {name!r}, "exec"), {{"__name__": "__main__"}})
except SystemExit as _e:
    _c = _e.args[0] if _e.args else 0
    print({mark!r} + str(0 if _c is None else _c if isinstance(_c, int) else 1))
    if not isinstance(_c, (int, type(None))):
        print(_c)
"""


class TargetError(Exception):
    pass


class Target:
    """One QEMU machine and its bridge. run() executes a script over the raw REPL."""

    def __init__(self, firmware=FIRMWARE, env=None, boot_timeout=30):
        self.env = dict(os.environ if env is None else env)
        self.firmware = firmware
        self.boot_timeout = boot_timeout
        self._start()

    def _start(self):
        firmware, boot_timeout = self.firmware, self.boot_timeout
        self.tmp = tempfile.TemporaryDirectory(prefix="usocket-qemu-")
        sock = os.path.join(self.tmp.name, "net.sock")
        self.bridge = subprocess.Popen(
            [str(BRIDGE), sock],
            stdout=subprocess.PIPE,
            stderr=sys.stderr,
            text=True,
            env=self.env,
        )
        if self.bridge.stdout.readline().strip() != "ready":
            self.bridge.kill()
            raise TargetError("usocket-qemu-bridge did not start")
        # The console is QEMU's stdin/stdout (pyboard's "exec:" transport): no pty,
        # whose connection QEMU only notices on a timer and then sometimes stops
        # reading from.
        cmd = [
            "qemu-system-arm",
            *QEMU_ARGS,
            "-serial",
            "stdio",
            "-netdev",
            f"stream,id=net0,server=off,addr.type=unix,addr.path={sock}",
            "-net",
            "nic,netdev=net0",
            "-kernel",
            str(firmware),
        ]
        self.board = pyboard.Pyboard("exec:" + shlex.join(cmd))
        self.qemu = self.board.serial.subp
        self._wait_for_repl(boot_timeout)

    def _wait_for_repl(self, timeout):
        # Interrupt until a prompt answers, so that the raw REPL's Ctrl-A is not
        # sent while the firmware is still starting.
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.board.serial.write(b"\r\x03")
            if self.board.read_until(1, b">>> ", timeout=0.5).endswith(b">>> "):
                return
        self.stop()
        raise TargetError("the firmware's REPL did not answer")

    def _enter_raw_repl(self, soft_reset=True):
        # A console that does not answer (QEMU once stopped reading it, see the
        # wake-up timer in boards/qemu/qemu_board.c) gets a new boot, with a new
        # bridge: nothing of the script has been sent yet.
        for attempt in range(3):
            try:
                self.board.enter_raw_repl(soft_reset=soft_reset, timeout_overall=5)
                return
            except pyboard.PyboardError:
                if attempt == 2:
                    raise TargetError("could not enter the raw REPL") from None
                self.stop()
                self._start()

    def put(self, name, data):
        """Writes a file (bytes) to the target's RAM disk, e.g. a module to import,
        or certs/ca.pem (the directories in the name are made)."""
        self._enter_raw_repl(soft_reset=False)
        try:
            parts = name.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                d = "/".join(parts[:i])
                self.board.exec_(
                    f"import os\ntry:\n os.mkdir({d!r})\nexcept OSError:\n pass"
                )
            self.board.exec_(f"f = open({name!r}, 'wb')")
            for i in range(0, len(data), 256):
                self.board.exec_(f"f.write({data[i : i + 256]!r})")
            self.board.exec_("f.close()")
        finally:
            self.board.exit_raw_repl()

    def run(
        self, source, name="app.py", timeout=120, echo=None, args=(), gc_threshold=None
    ):
        """Runs source after a soft reset; returns (status, stdout, stderr).

        stderr is the traceback of an uncaught exception, as the host firmware
        prints it. echo(text) receives both as they arrive. ``gc_threshold``
        (bytes) makes the GC collect after that much allocation, so that
        peaks()' gc_live_max is close to what the script needs.
        """
        out = bytearray()

        def consume(data):
            out.extend(data)
            if echo is not None and b"\x1e" not in out:
                echo(data.replace(b"\x04", b"").decode("utf-8", "replace"))

        self._enter_raw_repl()
        try:
            self.board.exec_raw_no_follow(
                WRAPPER.format(
                    source=source,
                    name=name,
                    mark=EXIT_MARK,
                    argv=[name, *args],
                    gc_setup=(
                        f"import gc\ngc.threshold({int(gc_threshold)})\n"
                        if gc_threshold
                        else ""
                    ),
                )
            )
            _, err = self.board.follow(timeout, consume)
        except pyboard.PyboardError as e:
            raise TargetError(f"{name}: {e}") from None
        finally:
            self.board.exit_raw_repl()
        # The consumer saw the end-of-output byte too.
        text = bytes(out).removesuffix(b"\x04").decode("utf-8", "replace")
        text = text.replace("\r\n", "\n")
        err = err.decode("utf-8", "replace").replace("\r\n", "\n")
        status = 0
        if EXIT_MARK in text:
            text, _, code = text.partition(EXIT_MARK)
            code, _, rest = code.partition("\n")
            status = int(code)
            err += rest  # sys.exit("message") prints the message, on stderr
        if err:
            status = status or 1
            if echo is not None:
                echo(err)
        return status, text, err

    def peaks(self):
        """After a run, without a soft reset: {'lwip_mem_max': lwIP's heap
        high-water mark (lwIP's own statistics), 'gc_live_max': the largest GC
        heap in use right after a collection (qemu.gc_peak())}, in bytes, since
        boot and since the run's soft reset; {} if the console does not answer."""
        try:
            self._enter_raw_repl(soft_reset=False)
            try:
                out = self.board.exec_(
                    # A last collection: a script that never allocated enough
                    # for one still has its live set measured.
                    "import gc, qemu\ngc.collect()\n"
                    "print(qemu.lwip_stats()['mem_max'], qemu.gc_peak())"
                )
            finally:
                self.board.exit_raw_repl()
            lwip, gc_live = (int(v) for v in out.split())
            return {"lwip_mem_max": lwip, "gc_live_max": gc_live}
        except (TargetError, pyboard.PyboardError, ValueError):
            return {}

    def stop(self):
        """Shuts QEMU down; returns the bridge's counters (a dict)."""
        board = getattr(self, "board", None)
        if board is not None:
            if self.qemu.poll() is None:
                # SIGKILL, not pyboard's SIGTERM: QEMU would report it on stderr.
                os.killpg(self.qemu.pid, signal.SIGKILL)
            self.board = None
        try:
            self.qemu.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.qemu.kill()
            self.qemu.wait()
        stats = {}
        try:
            line, _ = self.bridge.communicate(timeout=10)
            stats = json.loads(line.strip().splitlines()[-1])
        except (subprocess.TimeoutExpired, ValueError, IndexError):
            self.bridge.kill()
            self.bridge.wait()
        self.tmp.cleanup()
        return stats

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("script", type=Path)
    parser.add_argument("--firmware", type=Path, default=FIRMWARE)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument(
        "--stats", action="store_true", help="print the bridge's counters on stderr"
    )
    parser.add_argument(
        "--params",
        default="",
        help="'name=value ...' for a test script under host_tests/fw (fwparams.py)",
    )
    args = parser.parse_args()
    try:
        source, files = fwfiles.load(args.script, args.params)
    except (OSError, ValueError) as e:
        sys.exit(f"run-qemu: {e}")

    def echo(text):
        sys.stdout.write(text)
        sys.stdout.flush()

    try:
        target = Target(args.firmware)
    except TargetError as e:
        sys.exit(f"run-qemu: {e}")
    try:
        for name, text in files.items():
            target.put(name, text.encode())
        status, _, _ = target.run(
            source, args.script.name, timeout=args.timeout, echo=echo
        )
    except TargetError as e:
        print(f"run-qemu: {e}", file=sys.stderr)
        status = 1
    finally:
        stats = target.stop()
    if args.stats:
        print(f"run-qemu: bridge {json.dumps(stats)}", file=sys.stderr)
    sys.exit(status)


if __name__ == "__main__":
    main()
