"""Every blocking call in blocking, timeout and non-blocking mode, with the
error each mode raises, against CPython peers: connect, accept, send/sendall/write,
recv/read/readinto/readline, recvfrom; and Ctrl-C interrupting a blocking call.

errno values are MicroPython's (Linux's): ETIMEDOUT 110 for a timeout, EAGAIN 11
for would-block, EINPROGRESS 115, EALREADY 114, EISCONN 106, ECONNREFUSED 111,
ENOTCONN 107. The stream methods (read, readinto, readline, write) return None
where the socket methods raise EAGAIN, as MicroPython's stream protocol does."""

import socket
import sys
import threading
import time

import pytest
from mprunner import fw, use_target_errno
from peers import free_port, recv_all
from test_socket_api import PRELUDE, results, run

# The MCU suite runs this module on the QEMU target too, with newlib's errno values.
pytestmark = pytest.mark.qemu


@pytest.fixture(autouse=True)
def _target_errno(mp_target, monkeypatch):
    use_target_errno(sys.modules[__name__], mp_target, monkeypatch)


EAGAIN, ETIMEDOUT, EINPROGRESS, EALREADY = 11, 110, 115, 114
EISCONN, ECONNREFUSED, ENOTCONN, EINVAL, EPIPE = 106, 111, 107, 22, 32

MODES = ["blocking", "timeout", "nonblocking"]

# Sets the mode of socket `s` in a firmware script.
SET_MODE = {
    "blocking": "s.settimeout(None)",
    "timeout": "s.settimeout(0.3)",
    "nonblocking": "s.setblocking(False)",
}

# A MicroPython helper: how long f(*args) took (ms) and what it raised or returned.
TIMED = """
def timed(f, *args):
    t = time.ticks_ms()
    try:
        r = f(*args)
    except OSError as e:
        r = ("OSError", e.args[0])
    return r, time.ticks_diff(time.ticks_ms(), t)
"""


def script(body, **kw):
    """TIMED + body with its {placeholders} filled (run() adds PRELUDE)."""
    return TIMED + body.format(**kw)


@pytest.fixture
def stall_server(tcp_server):
    """A peer that accepts and never reads: its receive buffer fills, then our send
    window. Runs until the test ends."""
    stop = threading.Event()
    server = tcp_server(lambda conn, addr: stop.wait(60))
    yield server
    stop.set()


def delayed_sender(*steps):
    """A tcp_server handler that sends each (delay_s, data) step in turn, then
    waits for the client to close."""

    def handler(conn, addr):
        for delay, data in steps:
            time.sleep(delay)
            conn.sendall(data)
        recv_all(conn)

    return handler


def assert_waited(ms, low, high):
    assert low <= ms <= high, f"waited {ms} ms, expected {low}..{high}"


# --------------------------------------------------------------------------------------
# connect


def test_connect_blocking(mp, echo_server):
    r = run(
        mp,
        fw("socket_modes/connect_blocking.py"),
        params={"port": echo_server.port, "closed": free_port()},
    )
    assert r == {"connect": None, "sta": 4, "again": EISCONN, "refused": ECONNREFUSED}


def test_connect_timeout(mp, echo_server):
    closed = free_port()
    r = run(
        mp,
        script(
            """
s = socket.socket()
s.settimeout(0.3)
res("silent", timed(s.connect, ("10.0.2.99", 80)))
res("silent_sta", s.getsocketsta())
s = socket.socket()
s.settimeout(5)
res("ok", timed(s.connect, ("10.0.2.2", {port}))[0])
s = socket.socket()
s.settimeout(5)
res("refused", timed(s.connect, ("10.0.2.2", {closed}))[0])
""",
            port=echo_server.port,
            closed=closed,
        ),
    )
    (outcome, ms) = r.pop("silent")
    assert outcome == ("OSError", ETIMEDOUT)
    assert_waited(ms, 280, 1500)
    # The attempt was given up: no pcb is left behind.
    assert r == {"silent_sta": 0, "ok": None, "refused": ("OSError", ECONNREFUSED)}


def test_connect_nonblocking(mp, echo_server):
    closed = free_port()
    r = run(
        mp,
        script(
            """
import select
s = socket.socket()
s.setblocking(False)
res("start", timed(s.connect, ("10.0.2.99", 80)))
res("again", err(s.connect, ("10.0.2.99", 80)))
res("sta", s.getsocketsta())
res("recv", err(s.recv, 1))
res("send", err(s.send, b"x"))
res("read", s.read(1))
res("write", s.write(b"x"))
p = select.poll()
p.register(s, select.POLLOUT)
res("poll", p.poll(200))
s.close()

s = socket.socket()
s.setblocking(False)
res("ok_start", err(s.connect, ("10.0.2.2", {port})))
p = select.poll()
p.register(s, select.POLLOUT)
res("ok_poll", [ev for _, ev in p.poll(5000)])
res("ok_again", err(s.connect, ("10.0.2.2", {port})))
res("ok_sta", s.getsocketsta())
res("ok_send", s.send(b"ping"))
p.modify(s, select.POLLIN)
p.poll(5000)
res("ok_recv", s.recv(10))

s = socket.socket()
s.setblocking(False)
res("refused_start", err(s.connect, ("10.0.2.2", {closed})))
p = select.poll()
p.register(s, select.POLLOUT)
res("refused_poll", [ev for _, ev in p.poll(5000)])
res("refused_again", err(s.connect, ("10.0.2.2", {closed})))
""",
            port=echo_server.port,
            closed=closed,
        ),
    )
    (outcome, ms) = r.pop("start")
    # Non-blocking connect returns at once with EINPROGRESS; a second connect while
    # it is still in progress is EALREADY.
    assert outcome == ("OSError", EINPROGRESS)
    assert_waited(ms, 0, 100)
    POLLOUT, POLLERR, POLLHUP = 4, 8, 16
    assert r == {
        "again": EALREADY,
        "sta": 2,  # SYN_SENT
        "recv": EAGAIN,
        "send": EAGAIN,
        "read": None,
        "write": None,
        "poll": [],
        "ok_start": EINPROGRESS,
        "ok_poll": [POLLOUT],
        "ok_again": EISCONN,
        "ok_sta": 4,
        "ok_send": 4,
        "ok_recv": b"ping",
        "refused_start": EINPROGRESS,
        # Writable (a write would fail at once) with ERR and HUP: poll wakes up.
        "refused_poll": [POLLOUT | POLLERR | POLLHUP],
        "refused_again": ECONNREFUSED,
    }


# --------------------------------------------------------------------------------------
# accept (the firmware is the server; a CPython client connects through hostfwd)

ACCEPT_SERVER = """
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("", 8100))
s.listen(2)
{mode}
"""


@pytest.mark.parametrize("mode", MODES)
def test_accept(mp, mode):
    host_port = free_port()
    fw = mp.spawn(
        PRELUDE
        + script(
            ACCEPT_SERVER
            + """
res("not_listening", err(socket.socket().accept))
if "{name}" != "blocking":
    # Nobody has connected yet.
    res("empty", timed(s.accept))
print("listening")
if "{name}" == "nonblocking":
    import select
    p = select.poll()
    p.register(s, select.POLLIN)
    res("poll", [ev for _, ev in p.poll(10000)])
if "{name}" == "timeout":
    s.settimeout(10)
(conn, addr), ms = timed(s.accept)
res("accepted", (type(conn).__name__, addr[0], ms))
res("conn_mode", conn.recv(5))
conn.close()
""",
            mode=SET_MODE[mode],
            name=mode,
        ),
        hostfwd=[f"tcp:{host_port}:8100"],
    )
    fw.wait_for("listening")
    time.sleep(0.3)  # the firmware is waiting in accept (or poll) by now
    with socket.create_connection(("127.0.0.1", host_port), timeout=10) as c:
        c.sendall(b"hello")
        assert recv_all(c) == b""
    r = results(fw.wait(20).check().out)
    assert r.pop("not_listening") == EINVAL
    kind, peer, ms = r.pop("accepted")
    assert (kind, peer) == ("socket", "10.0.2.2")
    assert r.pop("conn_mode") == b"hello"
    if mode == "blocking":
        # It waited for the client, which came ~0.3 s after "listening".
        assert ms >= 200
        assert r == {}
    elif mode == "timeout":
        outcome, waited = r.pop("empty")
        assert outcome == ("OSError", ETIMEDOUT)
        assert_waited(waited, 280, 1500)
        assert r == {}
    else:
        outcome, waited = r.pop("empty")
        assert outcome == ("OSError", EAGAIN)
        assert_waited(waited, 0, 100)
        # Readable once a connection waits; accept then returns it at once.
        assert r == {"poll": [1]}
        assert ms < 100


def test_accepted_socket_is_blocking_whatever_the_listener(mp):
    """CPython's rule: an accepted socket starts blocking even if the listener is
    non-blocking or has a timeout."""
    host_port = free_port()
    fw = mp.spawn(
        PRELUDE
        + script(
            ACCEPT_SERVER
            + """
print("listening")
s.settimeout(10)
conn, addr = s.accept()
res("recv", timed(conn.recv, 5))
conn.close()
""",
            mode="s.setblocking(False)",
        ),
        hostfwd=[f"tcp:{host_port}:8100"],
    )
    fw.wait_for("listening")
    with socket.create_connection(("127.0.0.1", host_port), timeout=10) as c:
        time.sleep(0.5)
        c.sendall(b"later")
        assert recv_all(c) == b""
    r = results(fw.wait(20).check().out)
    data, ms = r["recv"]
    assert data == b"later" and ms >= 400


# --------------------------------------------------------------------------------------
# send, sendall, write


def test_send_sendall_write_blocking_never_short(mp, tcp_server, mp_target):
    if mp_target == "qemu":
        pytest.skip("QEMU target: sends from 1 MiB buffers, the MCU heap is 140 KiB")
    received = []
    total = 3 * 1024 * 1024

    def handler(conn, addr):
        time.sleep(0.5)  # let the firmware's window fill: its writes must wait
        received.append(len(recv_all(conn)))

    server = tcp_server(handler)
    r = run(
        mp,
        script(
            """
s = socket.socket()
s.connect(("10.0.2.2", {port}))
block = bytes(1024 * 1024)
res("sendall", timed(s.sendall, block)[0])
res("write", timed(s.write, block)[0])
n = 0
while n < len(block):
    n += s.send(memoryview(block)[n:])
res("send_total", n)
s.close()
""",
            port=server.port,
        ),
        timeout=60,
    )
    assert r == {"sendall": None, "write": 1024 * 1024, "send_total": 1024 * 1024}
    assert server.wait_idle(10)
    assert received == [total]


def test_send_sendall_write_timeout_when_the_peer_never_reads(mp, stall_server):
    r = run(
        mp,
        script(
            """
s = socket.socket()
s.connect(("10.0.2.2", {port}))
s.settimeout(0.3)
block = bytes(65536)
total = 0
while total < 256 * 1024 * 1024:
    r, ms = timed(s.send, block)
    if isinstance(r, tuple):
        break
    total += r
res("send", (r, ms))
res("queued_something", total > 0)
res("sendall", timed(s.sendall, block))
res("write", timed(s.write, block))
res("sta", s.getsocketsta())
s.setblocking(False)
res("nonblocking_send", err(s.send, block))
""",
            port=stall_server.port,
        ),
        timeout=60,
    )
    for call in ("send", "sendall", "write"):
        outcome, ms = r.pop(call)
        assert outcome == ("OSError", ETIMEDOUT), call
        assert_waited(ms, 280, 1500)
    # A timeout doesn't break the connection.
    assert r == {"queued_something": True, "sta": 4, "nonblocking_send": EAGAIN}


def test_send_sendall_write_nonblocking_when_the_peer_never_reads(mp, stall_server):
    r = run(
        mp,
        script(
            """
s = socket.socket()
s.connect(("10.0.2.2", {port}))
s.setblocking(False)
block = bytes(65536)
total = 0
short = 0
while total < 256 * 1024 * 1024:
    r, ms = timed(s.send, block)
    if isinstance(r, tuple):
        # lwIP's buffer is full for now. Where lwIP runs in its own thread
        # (threaded firmware, ESP32) the stack keeps moving data to the peer's
        # receive buffer meanwhile: full means no room appears for a while.
        time.sleep_ms(300)
        r, ms = timed(s.send, block)
        if isinstance(r, tuple):
            break
    short += r < len(block)
    total += r
res("send", (r, ms))
res("queued", total > 0)
res("sendall", timed(s.sendall, block))
res("write", timed(s.write, block))
import select
p = select.poll()
p.register(s, select.POLLOUT)
res("poll", p.poll(200))
""",
            port=stall_server.port,
        ),
        timeout=60,
    )
    for call, expected in (
        ("send", ("OSError", EAGAIN)),
        ("sendall", ("OSError", EAGAIN)),
        # The stream method: None when nothing could be queued.
        ("write", None),
    ):
        outcome, ms = r.pop(call)
        assert outcome == expected, call
        assert_waited(ms, 0, 100)
    assert r == {"queued": True, "poll": []}


def test_write_returns_the_count_queued_when_a_timeout_ends_it(mp, stall_server):
    """No short writes on a blocking socket, but when a timeout ends a write
    part-way the count queued is returned (the bytes are on their way; raising
    would lose that count), and the next write raises ETIMEDOUT."""
    r = run(
        mp,
        script(
            """
s = socket.socket()
s.connect(("10.0.2.2", {port}))
s.settimeout(0.5)
big = bytes(24 * 1024 * 1024)
n, ms = timed(s.write, big)
res("partial", 0 < n < len(big))
res("next", timed(s.write, big)[0])
""",
            port=stall_server.port,
        ),
        timeout=60,
        opts=["-X", "heapsize=40M"],
    )
    assert r == {"partial": True, "next": ("OSError", ETIMEDOUT)}


def test_send_on_an_unconnected_or_shut_socket(mp, echo_server):
    r = run(
        mp,
        f"""
s = socket.socket()
res("send", err(s.send, b"x"))
res("sendall", err(s.sendall, b"x"))
res("write", err(s.write, b"x"))
res("recv", err(s.recv, 1))
res("read", err(s.read, 1))
res("peer", err(s.getpeername))
res("sendto_tcp", err(s.sendto, b"x", ("10.0.2.2", 1)))
s.connect(("10.0.2.2", {echo_server.port}))
s.shutdown(socket.SHUT_WR)
res("after_shut", err(s.send, b"x"))
res("eof_after_shut", s.recv(1))
res("after_eof", err(s.recv, 1))
""",
    )
    assert r == {
        "send": ENOTCONN,
        "sendall": ENOTCONN,
        "write": ENOTCONN,
        "recv": ENOTCONN,
        "read": ENOTCONN,
        "peer": ENOTCONN,
        "sendto_tcp": ENOTCONN,
        "after_shut": EPIPE,
        "eof_after_shut": b"",
        "after_eof": ENOTCONN,
    }


# --------------------------------------------------------------------------------------
# recv, read, readinto, readline


@pytest.mark.parametrize("mode", MODES)
def test_recv_read_readinto_readline_with_nothing_to_read(mp, tcp_server, mode):
    stop = threading.Event()
    server = tcp_server(lambda conn, addr: stop.wait(30))
    try:
        r = run(
            mp,
            script(
                """
s = socket.socket()
s.connect(("10.0.2.2", {port}))
{mode}
buf = bytearray(4)
for name, f in (("recv", lambda: s.recv(4)), ("read", lambda: s.read(4)),
                ("read_all", lambda: s.read()), ("readinto", lambda: s.readinto(buf)),
                ("readline", lambda: s.readline())):
    res(name, timed(f))
""",
                port=server.port,
                mode=SET_MODE[mode] if mode != "blocking" else "s.settimeout(0.3)",
            ),
        )
    finally:
        stop.set()
    for name in ("recv", "read", "read_all", "readinto", "readline"):
        outcome, ms = r[name]
        if mode == "nonblocking":
            # recv raises EAGAIN; the stream methods return None.
            assert outcome == (("OSError", EAGAIN) if name == "recv" else None), name
            assert_waited(ms, 0, 100)
        else:
            # (Blocking mode can't show "nothing" without waiting forever: it is
            # exercised with a 0.3 s timeout here and with late data below.)
            assert outcome == ("OSError", ETIMEDOUT), name
            assert_waited(ms, 280, 1500)


@pytest.mark.parametrize("mode", MODES)
def test_recv_read_readinto_readline_get_late_data(mp, tcp_server, mode):
    """Data that arrives in pieces, 0.1 s apart: blocking and timeout reads wait
    for it (read(n)/readinto/readline don't return short); non-blocking ones take
    what is there when poll says so."""
    pieces = [(0.1, b"abc"), (0.1, b"defgh\nij"), (0.1, b"klmnop"), (0.1, b"qr\n")]
    server = tcp_server(delayed_sender(*pieces))
    r = run(
        mp,
        script(
            """
import select
s = socket.socket()
s.connect(("10.0.2.2", {port}))
{mode}
if "{name}" == "nonblocking":
    p = select.poll()
    p.register(s, select.POLLIN)
    got = b""
    for i in range(50):
        if len(got) >= 20:
            break
        p.poll(5000)
        d = s.read(100)
        if d is None:
            continue
        got += d
    res("got", got)
else:
    res("recv", s.recv(100))
    res("read", s.read(5))
    res("readline", s.readline())
    buf = bytearray(5)
    res("readinto", (s.readinto(buf), bytes(buf)))
    res("readline2", s.readline())
""",
            port=server.port,
            mode=SET_MODE[mode].replace("0.3", "5"),
            name=mode,
        ),
    )
    if mode == "nonblocking":
        assert r == {"got": b"abcdefgh\nijklmnopqr\n"}
    else:
        assert r == {
            "recv": b"abc",
            "read": b"defgh",
            "readline": b"\n",
            "readinto": (5, b"ijklm"),
            "readline2": b"nopqr\n",
        }


def test_reads_never_lose_data_when_a_timeout_ends_them(mp, tcp_server):
    """read(n), readinto and readline on a socket with a 0.3 s timeout get part of
    what they asked for, then the peer goes quiet for 1.5 s: the part is returned
    (not lost with the timeout), and the next call raises ETIMEDOUT."""
    stop = threading.Event()

    def handler(conn, addr):
        for data in (b"12345", b"abc", b"no newline"):
            conn.sendall(data)
            time.sleep(1.5)
        stop.wait(30)

    server = tcp_server(handler)
    try:
        r = run(
            mp,
            script(
                """
s = socket.socket()
s.connect(("10.0.2.2", {port}))
t0 = time.ticks_ms()
def at(ms):
    # Sleeps until ms after the connection was made.
    time.sleep_ms(max(0, ms - time.ticks_diff(time.ticks_ms(), t0)))
s.settimeout(0.3)
res("read", s.read(100))                  # "12345" at 0 s, then 0.3 s of nothing
res("read_next", timed(s.read, 100)[0])   # nothing until 1.5 s
at(1700)
buf = bytearray(100)
res("readinto", (s.readinto(buf), bytes(buf[:3])))  # "abc" came at 1.5 s
at(3200)
res("readline", s.readline())             # "no newline" came at 3 s
res("readline_next", timed(s.readline)[0])
""",
                port=server.port,
            ),
        )
    finally:
        stop.set()
    assert r == {
        "read": b"12345",
        "read_next": ("OSError", ETIMEDOUT),
        "readinto": (3, b"abc"),
        "readline": b"no newline",
        "readline_next": ("OSError", ETIMEDOUT),
    }


def test_recv_returns_what_is_there_up_to_bufsize(mp, tcp_server):
    server = tcp_server(delayed_sender((0, b"x" * 5000)))
    r = run(
        mp,
        f"""
s = socket.socket()
s.connect(("10.0.2.2", {server.port}))
time.sleep(0.3)
res("first", len(s.recv(1000)))
res("rest", len(s.recv(100000)))
res("zero", s.recv(0))
""",
    )
    assert r == {"first": 1000, "rest": 4000, "zero": b""}


# --------------------------------------------------------------------------------------
# recvfrom (UDP)


@pytest.mark.parametrize("mode", MODES)
def test_recvfrom(mp, udp_echo_server, mode):
    r = run(
        mp,
        script(
            """
import select
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("", 0))
{mode}
if "{name}" != "blocking":
    res("empty", timed(s.recvfrom, 100))
    res("empty_recv", timed(s.recv, 100)[0])
    res("empty_read", timed(s.read, 100)[0])
s.sendto(b"echo me", ("10.0.2.2", {port}))
if "{name}" == "nonblocking":
    p = select.poll()
    p.register(s, select.POLLIN)
    p.poll(5000)
res("got", s.recvfrom(100))
""",
            port=udp_echo_server.port,
            mode=SET_MODE[mode],
            name=mode,
        ),
    )
    assert r.pop("got") == (b"echo me", ("10.0.2.2", udp_echo_server.port))
    if mode == "blocking":
        assert r == {}
        return
    outcome, ms = r.pop("empty")
    if mode == "timeout":
        assert outcome == ("OSError", ETIMEDOUT)
        assert_waited(ms, 280, 1500)
        assert r == {
            "empty_recv": ("OSError", ETIMEDOUT),
            "empty_read": ("OSError", ETIMEDOUT),
        }
    else:
        assert outcome == ("OSError", EAGAIN)
        assert_waited(ms, 0, 100)
        assert r == {"empty_recv": ("OSError", EAGAIN), "empty_read": None}


# --------------------------------------------------------------------------------------
# Ctrl-C


@pytest.mark.parametrize("call", ["recv", "accept", "connect", "recvfrom", "sendall"])
def test_ctrl_c_interrupts_a_blocking_call(mp, stall_server, call):
    setup = {
        "recv": f"s = socket.socket()\ns.connect(('10.0.2.2', {stall_server.port}))\nf = lambda: s.recv(10)",
        "accept": "s = socket.socket()\ns.bind(('', 8101))\ns.listen(1)\nf = s.accept",
        "connect": "s = socket.socket()\nf = lambda: s.connect(('10.0.2.99', 80))",
        "recvfrom": "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\ns.bind(('', 0))\nf = lambda: s.recvfrom(10)",
        "sendall": f"s = socket.socket()\ns.connect(('10.0.2.2', {stall_server.port}))\nblock = bytes(65536)\ndef f():\n    while True:\n        s.sendall(block)",
    }[call]
    fw = mp.spawn(
        PRELUDE
        + setup
        + """
print("waiting")
t = time.ticks_ms()
try:
    f()
    print("returned?!")
except KeyboardInterrupt:
    print("interrupted after", time.ticks_diff(time.ticks_ms(), t))
res("usable", s.getsocketsta() >= 0)
s.close()
res("closed", s.getsocketsta())
"""
    )
    fw.wait_for("waiting")
    time.sleep(0.5)
    fw.interrupt()
    out = fw.wait(10).check().out
    assert "interrupted after" in out
    assert results(out) == {"usable": True, "closed": -1}
