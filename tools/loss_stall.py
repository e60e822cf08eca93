"""Looks for writes that stall under frame loss: runs host_tests/fw/faults/
download_then_upload_byte_exact.py (--n bytes down, then up in 4 KiB sendall()s;
the loss cases of test_faults.py) over and over, at each --loss rate
(USOCKET_NET_LOSS) and each seed of --seeds (USOCKET_NET_SEED), with a per-call
socket timeout of --call-timeout seconds so that a call that makes no progress
for that long fails the run. The peer is test_faults.py's exchange_handler, which
can pause before a read (--pause-p, a probability per read, and --pause-s), as a
peer thread starved on a loaded machine does; --hog N runs N CPU-bound processes
meanwhile, as the rest of a full suite run does.

Prints one line per run (ok or FAIL, and its duration) and, for a failed run, the
script's last results: `upload_failed` says where the upload stopped. --log FILE
keeps a failed run's stdout and stderr. Exit status 1 if any run failed.

Why a call can wait long at all: the script's comment on its per-call timeout and
docs/testing.md (fault matrix) give lwIP's retransmission rules. With the test's
own per-call timeout (the script's default, --call-timeout 0) a failure here is a
stall beyond them.

Runs with deps/venv's Python (it imports the host tests' harness, which needs
pytest). The firmware: --firmware, or $USOCKET_FIRMWARE, or build/unix/micropython.
"""

import argparse
import multiprocessing
import os
import random
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "host_tests"))

import pytest
from mprunner import MpRunner, fw
from peers import TcpServer, pattern
from test_faults import exchange_handler
from test_socket_api import results


def hog(stop):
    while not stop.is_set():
        sum(range(10000))


def pauser(pause_p, pause_s, rng):
    """Sleeps pause_s seconds with probability pause_p (before each of the peer's
    reads)."""

    def pause():
        if rng.random() < pause_p:
            time.sleep(pause_s)

    return pause


def one_run(runner, args, loss, seed):
    """One run: (ok, seconds, the firmware's stdout and stderr)."""
    box = {}
    pause = pauser(args.pause_p, args.pause_s, random.Random(seed))
    handler = exchange_handler(args.n, box, pause)
    server = TcpServer(handler)
    params = {"port": server.port, "n": args.n}
    if args.call_timeout > 0:
        params["timeout"] = args.call_timeout
    t = time.monotonic()
    try:
        result = runner(
            fw("faults/download_then_upload_byte_exact.py"),
            params=params,
            env={"USOCKET_NET_LOSS": loss, "USOCKET_NET_SEED": seed},
            timeout=args.run_timeout,
        )
    except pytest.fail.Exception as e:  # the hard timeout, or a sanitizer report
        return False, time.monotonic() - t, str(e), ""
    finally:
        server.close()
    r = results(result.out)
    ok = (
        result.rc == 0
        and r.get("down") == (args.n, True)
        and r.get("tail") == (b"done", None)
        and box.get("up") == pattern(args.n, 2)
    )
    return ok, time.monotonic() - t, result.out, result.err


def parse_seeds(text):
    if "-" in text:
        first, last = text.split("-")
        return list(range(int(first), int(last) + 1))
    return [int(x) for x in text.split(",")]


def parse_args():
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--firmware", type=Path)
    ap.add_argument("--loss", type=float, nargs="+", default=[0.05])
    ap.add_argument("--seeds", default="1-20", help="A-B, or A,B,C (repeats allowed)")
    ap.add_argument("--n", type=int, default=128 * 1024)
    ap.add_argument(
        "--call-timeout",
        type=float,
        default=8,
        help="seconds per socket call (0: the script's own)",
    )
    ap.add_argument("--run-timeout", type=float, default=150)
    ap.add_argument("--pause-p", type=float, default=0.0)
    ap.add_argument("--pause-s", type=float, default=0.0)
    ap.add_argument("--hog", type=int, default=0)
    ap.add_argument("--stop-on-fail", action="store_true")
    ap.add_argument("--log", type=Path, help="a failed run's stdout and stderr")
    return ap.parse_args()


def main():
    args = parse_args()
    firmware = args.firmware or Path(
        os.environ.get("USOCKET_FIRMWARE") or REPO / "build/unix/micropython"
    )
    stop = multiprocessing.Event()
    hogs = [multiprocessing.Process(target=hog, args=(stop,)) for _ in range(args.hog)]
    for h in hogs:
        h.start()
    failed = 0
    try:
        with tempfile.TemporaryDirectory() as work:
            runner = MpRunner(str(firmware), 53, work)
            for loss in args.loss:
                for seed in parse_seeds(args.seeds):
                    ok, took, out, err = one_run(runner, args, loss, seed)
                    runner.cleanup()
                    print(
                        f"loss={loss} seed={seed} {'ok' if ok else 'FAIL'} {took:.1f}s"
                    )
                    if ok:
                        continue
                    failed += 1
                    tail = [line for line in out.splitlines() if line.startswith("@")]
                    print("\n".join(tail[-3:]) or out[-2000:])
                    if args.log:
                        args.log.write_text(
                            f"--- stdout ---\n{out}\n--- stderr ---\n{err}"
                        )
                    if args.stop_on_fail:
                        return 1
    finally:
        stop.set()
        for h in hogs:
            h.join()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
