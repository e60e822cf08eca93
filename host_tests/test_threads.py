"""Python threads and sockets (issue 6, "Must show" 1): on the threaded firmware
(`make test VARIANT=threaded`: lwIP in its own tcpip thread with core locking, as on
ESP32), several `_thread` threads use different sockets at the same time, byte-exact
against CPython peers, and 1,000 connect/exchange/close cycles spread over 4 threads
finish without a deadlock and leave the heap and lwIP's pools at their baseline.

Skipped on firmware without `_thread` (the standard host firmware, where lwIP runs
with NO_SYS=1 on the MicroPython thread)."""

import subprocess
import threading

import pytest
from peers import recv_all
from test_socket_api import run
from test_socket_soak import CYCLE, SNAPSHOT, reply_and_close


@pytest.fixture(scope="module", autouse=True)
def _needs_threads(firmware):
    proc = subprocess.run(
        [firmware, "-c", "import _thread"], check=False, capture_output=True, timeout=30
    )
    if proc.returncode != 0:
        pytest.skip("this firmware has no _thread (build with VARIANT=threaded)")


# Starts `fn(i)` in n threads and waits for all of them; a thread's exception is
# reported as a result instead of being lost on stderr.
THREADS = """
import _thread

def run_threads(n, fn):
    lock = _thread.allocate_lock()
    state = {"left": n, "errors": []}
    def body(i):
        try:
            fn(i)
        except Exception as e:
            with lock:
                state["errors"].append("thread %d: %r" % (i, e))
        with lock:
            state["left"] -= 1
    for i in range(n):
        _thread.start_new_thread(body, (i,))
    t = time.ticks_ms()
    while True:
        with lock:
            if state["left"] == 0:
                break
        if time.ticks_diff(time.ticks_ms(), t) > 60000:
            raise OSError("threads still running after 60 s (deadlock?)")
        time.sleep_ms(10)
    return state["errors"]
"""


def echo_until_eof(conn, addr):
    """Echoes everything back until the client shuts its side down."""
    while True:
        data = conn.recv(65536)
        if not data:
            break
        conn.sendall(data)


def test_threads_use_different_sockets_at_once(mp, tcp_server, udp_echo_server):
    server = tcp_server(echo_until_eof)
    n_bytes = 96 * 1024
    r = run(
        mp,
        THREADS
        + f"""
BASE = bytes(range(256)) * ({n_bytes} // 256)
got = {{}}

def tcp_worker(i):
    # Each thread its own pattern, so crossed streams would show.
    msg = BASE[i * 37:] + BASE[:i * 37]
    s = socket.socket()
    s.settimeout(20)
    s.connect(("10.0.2.2", {server.port}))
    # Write in chunks and read the echo back as we go: both directions of
    # every connection are in flight while the other threads do the same.
    view = memoryview(msg)
    buf = bytearray()
    sent = 0
    while sent < len(msg):
        sent += s.send(view[sent:sent + 8192])
        while len(buf) < sent - 16384:
            buf += s.recv(16384)
    s.shutdown(socket.SHUT_WR)
    while True:
        d = s.recv(16384)
        if not d:
            break
        buf += d
    s.close()
    got[i] = bytes(buf) == msg

def udp_worker(i):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(5)
    ok = 0
    for k in range(50):
        msg = b"thread %d datagram %d " % (i, k) + BASE[:k * 20]
        s.sendto(msg, ("10.0.2.2", {udp_echo_server.port}))
        while True:
            try:
                d, a = s.recvfrom(2048)
            except OSError:
                break  # lost: UDP; counted below
            if d == msg:
                ok += 1
                break
    s.close()
    got[i] = ok

def worker(i):
    if i < 4:
        tcp_worker(i)
    else:
        udp_worker(i)

res("errors", run_threads(6, worker))
res("got", got)
""",
        timeout=90,
    )
    assert r["errors"] == []
    assert {i: r["got"][i] for i in range(4)} == {i: True for i in range(4)}
    # Loopback UDP through slirp loses nothing in practice; allow a stray loss.
    assert r["got"][4] >= 48 and r["got"][5] >= 48, r["got"]
    assert server.connections == 4


def test_1000_cycles_over_4_threads_no_deadlock_no_leak(mp, tcp_server):
    server = tcp_server(reply_and_close)
    r = run(
        mp,
        THREADS
        + SNAPSHOT
        + CYCLE.format(port=server.port)
        + """

def worker_for(per_thread):
    def worker(t):
        for k in range(per_thread):
            cycle(t * per_thread + k)
    return worker

# Warm-up with the same shape (threads, sockets, ARP entry), then measure.
res("warm_errors", run_threads(4, worker_for(1)))
settle()
base = snapshot()
base = snapshot()
t = time.ticks_ms()
res("errors", run_threads(4, worker_for(250)))
res("ms", time.ticks_diff(time.ticks_ms(), t))
settle()
after = snapshot()
res("base", base)
res("after", after)
""",
        timeout=110,
    )
    assert r["warm_errors"] == [] and r["errors"] == []
    assert server.connections == 1000 + 4
    assert r["base"]["tcp_pcb"] == 0
    # lwIP's pools exactly at baseline; the heap not above it (the warm-up
    # threads' last objects may only be collectable after the baseline).
    base, after = r["base"], r["after"]
    assert after.pop("heap") <= base.pop("heap"), (r["base"], r["after"])
    assert after == base


def test_blocked_recv_in_one_thread_does_not_stall_others(mp, tcp_server):
    """A thread blocked in recv() (no timeout) holds neither the GIL nor lwIP's
    lock: other threads keep using their sockets, and the blocked one wakes when
    its data comes."""
    released = threading.Event()

    def held(conn, addr):
        while True:
            req = recv_all(conn, 5)
            if len(req) < 5:
                return
            if req == b"block":
                # Answer only once the other threads are done.
                if not released.wait(20):
                    return
                conn.sendall(b"late")
            else:
                if req == b"go!!!":
                    released.set()
                conn.sendall(req[::-1])

    server = tcp_server(held)
    r = run(
        mp,
        THREADS
        + f"""
order = []

def worker(i):
    s = socket.socket()
    s.connect(("10.0.2.2", {server.port}))
    if i == 0:
        s.sendall(b"block")
        order.append(("blocked got", s.read(4)))
    else:
        for k in range(20):
            s.sendall(b"%05d" % k)
            if s.read(5) != bytes(reversed(b"%05d" % k)):
                raise ValueError("bad echo")
        order.append("done %d" % i)
        # Every fast thread is done: tell the peer (through a new connection).
        if len([o for o in order if isinstance(o, str)]) == 3:
            t = socket.socket()
            t.connect(("10.0.2.2", {server.port}))
            t.sendall(b"go!!!")
            t.read(5)
            t.close()
    s.close()

res("errors", run_threads(4, worker))
res("last", order[-1])
res("n", len(order))
""",
        timeout=60,
    )
    assert r["errors"] == []
    assert r["n"] == 4
    assert r["last"] == ("blocked got", b"late")
