"""The QEMU target (boards/qemu): MicroPython's qemu port on the MPS2-AN385 machine
(Cortex-M3) with usocket cross-compiled on lwIP's loopback interface, the frozen
package, and a RAM filesystem. `make qemu-run` starts it with its console on a pty,
which is what mpremote, `make deploy` and `make run` talk to (the raw REPL over a
serial line, as on a board).

- Issue 8: `make deploy` puts the package's .mpy files in /lib, which the target
  searches before its frozen modules, and `make run` runs an app on it.
- Issue 9: a soft reset (Ctrl-D in the raw REPL, as mpremote sends) with listening,
  connected, half-closed and UDP sockets open, with data queued both ways, leaves
  every lwIP pcb, segment, pbuf and heap byte as they were before the sockets.
- The socket semantics that don't need the PC's network, on the Cortex-M build.
"""

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
from peers import LWIP_USAGE
from test_ecosystem import make

REPO = Path(__file__).resolve().parent.parent
MPREMOTE = REPO / "deps" / "venv" / "bin" / "mpremote"
DATA = Path(__file__).resolve().parent / "data"


class Board:
    """One QEMU machine started by `make qemu-run`: its console is self.pty."""

    def __init__(self):
        proc = make("qemu", timeout=900)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        self.proc = subprocess.Popen(
            ["make", "-s", "-C", str(REPO), "qemu-run"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.pty = None
        deadline = time.monotonic() + 60
        while self.pty is None and time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            found = re.search(r"char device redirected to (/dev/pts/\d+)", line)
            if found:
                self.pty = found.group(1)
        if self.pty is None:
            self.stop()
            pytest.fail("`make qemu-run` did not report a pty", pytrace=False)

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def mpremote(self, *args, timeout=120):
        """mpremote on the board's pty; the output, asserting success."""
        proc = subprocess.run(
            [str(MPREMOTE), "connect", self.pty, *args],
            check=False,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return proc.stdout


@pytest.fixture(scope="module")
def board():
    b = Board()
    yield b
    b.stop()


EMPTY_LIB = """
import os
try:
    os.mkdir("/lib")
except OSError:
    pass
for name in os.listdir("/lib"):
    path = "/lib/" + name
    try:
        os.remove(path)
    except OSError:  # a package directory (umqtt/)
        for sub in os.listdir(path):
            os.remove(path + "/" + sub)
        os.rmdir(path)
"""


def test_deploy_replaces_the_frozen_package_and_run_runs_an_app(board):
    # Before: an empty /lib, so the frozen copy is imported.
    board.mpremote("exec", EMPTY_LIB)
    out = board.mpremote("exec", "import urequests; print(urequests.__file__)")
    assert out.strip() == "urequests.py"  # frozen modules have no directory

    proc = make("deploy", f"PORT={board.pty}")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    listing = board.mpremote("exec", "import os; print(sorted(os.listdir('/lib')))")
    built = sorted(p.name for p in (REPO / "build" / "mpy").iterdir())
    assert built and listing.strip() == repr(built)
    # Packages keep their directory: /lib/umqtt/__init__.mpy.
    out = board.mpremote("exec", "import os; print(os.listdir('/lib/umqtt'))")
    assert out.strip() == "['__init__.mpy']"

    # mpremote's exec starts with a soft reset: the files survived it, and /lib
    # comes first on sys.path.
    out = board.mpremote(
        "exec", "import sys, urequests; print(urequests.__file__, sys.path)"
    )
    assert out.strip() == "/lib/urequests.mpy ['', '/lib', '.frozen']"

    proc = make("run", f"PORT={board.pty}", f"SCRIPT={DATA / 'qemu_app.py'}")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "server got b'ping'" in proc.stdout
    assert proc.stdout.strip().endswith("app ok /lib/urequests.mpy")

    # A test's firmware half (host_tests/fw) runs on a board the same way: its
    # helper module goes with it, and PARAMS reach it.
    script = (
        REPO
        / "host_tests"
        / "fw"
        / "socket_api"
        / "module_is_registered_as_usocket_and_socket.py"
    )
    proc = make("run", f"PORT={board.pty}", f"SCRIPT={script}", "PARAMS=peer=10.0.2.2")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[-3:] == [
        "@ same = True",
        "@ name = 'usocket'",
        "@ type = 'socket'",
    ]


# Opens sockets in every state that holds lwIP memory, with data queued both ways,
# and keeps them referenced (globals of the raw REPL) until the soft reset.
OPEN_SOCKETS = """
import json, qemu, socket, time
print(json.dumps(qemu.lwip_stats()))

def pair(lst, port):
    c = socket.socket()
    c.connect(("127.0.0.1", port))
    a, _ = lst.accept()
    return c, a

lst = socket.socket()
lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
lst.bind(("127.0.0.1", 8000))
lst.listen(4)
idle = pair(lst, 8000)                 # established, nothing queued
busy = pair(lst, 8000)
busy[0].send(b"u" * 3000)              # unread by the other side
busy[1].send(b"d" * 3000)              # unread too
half = pair(lst, 8000)
half[0].shutdown(socket.SHUT_WR)       # half-closed
pending = socket.socket()
pending.connect(("127.0.0.1", 8000))   # never accepted: in the accept queue
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.bind(("127.0.0.1", 9000))
udp.sendto(b"unread", ("127.0.0.1", 9000))
time.sleep(0.2)
print(json.dumps(qemu.lwip_stats()))
"""
STATS = "import json, qemu; print(json.dumps(qemu.lwip_stats()))"


def test_soft_reset_frees_every_pcb_and_pbuf(board):
    for _ in range(3):
        out = board.mpremote("exec", OPEN_SOCKETS, "soft-reset", "exec", STATS)
        before, opened, after = (json.loads(line) for line in out.splitlines())
        # The sockets really held lwIP memory ...
        assert opened["tcp_pcb"] >= 7 and opened["tcp_pcb_listen"] == 1, opened
        assert opened["udp_pcb"] == before["udp_pcb"] + 1, opened
        assert opened["mem_used"] > before["mem_used"], opened
        # ... and the soft reset gave all of it back.
        assert {k: after[k] for k in LWIP_USAGE} == {k: before[k] for k in LWIP_USAGE}
        assert after["memp_err"] == 0 and after["mem_err"] == 0, after


# Socket semantics that need no network, on the Cortex-M build: blocking with a
# timeout, non-blocking, refused, UDP, a transfer larger than the windows, and the
# errors of a closed socket.
SEMANTICS = """
import errno, socket, time
lst = socket.socket()
lst.bind(("127.0.0.1", 8100))
lst.listen(1)
c = socket.socket()
c.connect(("127.0.0.1", 8100))
a, _ = lst.accept()

c.settimeout(0.3)
t = time.ticks_ms()
try:
    c.recv(10)
except OSError as e:
    print("timeout", e.errno == errno.ETIMEDOUT, 250 <= time.ticks_diff(time.ticks_ms(), t) < 2000)
c.setblocking(False)
try:
    c.recv(10)
except OSError as e:
    print("nonblocking", e.errno == errno.EAGAIN)
c.setblocking(True)

# 64 KiB: many TCP windows, both ends non-blocking, checked chunk by chunk (the
# target's heap is 140 KiB).
data = memoryview(bytes(range(256)) * 256)
c.setblocking(False)
a.setblocking(False)
sent = got = 0
same = True
while got < len(data):
    try:
        sent += c.send(data[sent : sent + 4096]) if sent < len(data) else 0
    except OSError as e:
        assert e.errno == errno.EAGAIN
    try:
        chunk = a.recv(4096)
        same = same and chunk == bytes(data[got : got + len(chunk)])
        got += len(chunk)
    except OSError as e:
        assert e.errno == errno.EAGAIN
print("transfer", same)

r = socket.socket()
try:
    r.connect(("127.0.0.1", 8101))
except OSError as e:
    print("refused", e.errno == errno.ECONNREFUSED)

u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.1", 9100))
u.sendto(b"dgram", ("127.0.0.1", 9100))
print("udp", u.recvfrom(64))

c.close()
c.close()
try:
    c.send(b"x")
except OSError as e:
    print("closed", e.errno == errno.EBADF)
for s in (a, lst, r, u):
    s.close()
"""


def test_socket_semantics_on_the_cortex_m_build(board):
    out = board.mpremote("exec", SEMANTICS)
    assert out.splitlines() == [
        "timeout True True",
        "nonblocking True",
        "transfer True",
        "refused True",
        "udp (b'dgram', ('127.0.0.1', 9100))",
        "closed True",
    ]
