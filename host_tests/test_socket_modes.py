"""Every blocking call in blocking, timeout and non-blocking mode, with the
error each mode raises, against CPython peers: connect, accept, send/sendall/write,
recv/read/readinto/readline, recvfrom; and Ctrl-C interrupting a blocking call.
The firmware half of each test is a script in host_tests/fw/socket_modes/, which
gets the mode (or the call) as a parameter.

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
from test_socket_api import results, run

# The MCU suite runs this module on the QEMU target too, with newlib's errno values.
pytestmark = pytest.mark.qemu


@pytest.fixture(autouse=True)
def _target_errno(mp_target, monkeypatch):
    use_target_errno(sys.modules[__name__], mp_target, monkeypatch)


EAGAIN, ETIMEDOUT, EINPROGRESS, EALREADY = 11, 110, 115, 114
EISCONN, ECONNREFUSED, ENOTCONN, EINVAL, EPIPE = 106, 111, 107, 22, 32

MODES = ["blocking", "timeout", "nonblocking"]


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
        fw("socket_modes/connect_timeout.py"),
        params={"port": echo_server.port, "closed": closed},
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
        fw("socket_modes/connect_nonblocking.py"),
        params={"port": echo_server.port, "closed": closed},
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


@pytest.mark.parametrize("mode", MODES)
def test_accept(mp, mode):
    host_port = free_port()
    proc = mp.spawn(
        fw("socket_modes/accept.py"),
        params={"mode": mode},
        hostfwd=[f"tcp:{host_port}:8100"],
    )
    proc.wait_for("listening")
    time.sleep(0.3)  # the firmware is waiting in accept (or poll) by now
    with socket.create_connection(("127.0.0.1", host_port), timeout=10) as c:
        c.sendall(b"hello")
        assert recv_all(c) == b""
    r = results(proc.wait(20).check().out)
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
    proc = mp.spawn(
        fw("socket_modes/accepted_socket_is_blocking_whatever_the_listener.py"),
        hostfwd=[f"tcp:{host_port}:8100"],
    )
    proc.wait_for("listening")
    with socket.create_connection(("127.0.0.1", host_port), timeout=10) as c:
        time.sleep(0.5)
        c.sendall(b"later")
        assert recv_all(c) == b""
    r = results(proc.wait(20).check().out)
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
        fw("socket_modes/send_sendall_write_blocking_never_short.py"),
        params={"port": server.port},
        timeout=60,
    )
    assert r == {"sendall": None, "write": 1024 * 1024, "send_total": 1024 * 1024}
    assert server.wait_idle(10)
    assert received == [total]


def test_send_sendall_write_timeout_when_the_peer_never_reads(mp, stall_server):
    r = run(
        mp,
        fw("socket_modes/send_sendall_write_timeout_when_the_peer_never_reads.py"),
        params={"port": stall_server.port},
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
        fw("socket_modes/send_sendall_write_nonblocking_when_the_peer_never_reads.py"),
        params={"port": stall_server.port},
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
        fw("socket_modes/write_returns_the_count_queued_when_a_timeout_ends_it.py"),
        params={"port": stall_server.port},
        timeout=60,
        opts=["-X", "heapsize=40M"],
    )
    assert r == {"partial": True, "next": ("OSError", ETIMEDOUT)}


def test_send_on_an_unconnected_or_shut_socket(mp, echo_server):
    r = run(
        mp,
        fw("socket_modes/send_on_an_unconnected_or_shut_socket.py"),
        params={"port": echo_server.port},
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
            fw("socket_modes/recv_read_readinto_readline_with_nothing_to_read.py"),
            # blocking: with a 0.3 s timeout (see below)
            params={
                "port": server.port,
                "mode": "timeout" if mode == "blocking" else mode,
            },
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
        fw("socket_modes/recv_read_readinto_readline_get_late_data.py"),
        params={"port": server.port, "mode": mode},
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
            fw("socket_modes/reads_never_lose_data_when_a_timeout_ends_them.py"),
            params={"port": server.port},
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
        fw("socket_modes/recv_returns_what_is_there_up_to_bufsize.py"),
        params={"port": server.port},
    )
    assert r == {"first": 1000, "rest": 4000, "zero": b""}


# --------------------------------------------------------------------------------------
# recvfrom (UDP)


@pytest.mark.parametrize("mode", MODES)
def test_recvfrom(mp, udp_echo_server, mode):
    r = run(
        mp,
        fw("socket_modes/recvfrom.py"),
        params={"port": udp_echo_server.port, "mode": mode},
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
    proc = mp.spawn(
        fw("socket_modes/ctrl_c_interrupts_a_blocking_call.py"),
        params={"call": call, "port": stall_server.port},
    )
    proc.wait_for("waiting")
    time.sleep(0.5)
    proc.interrupt()
    out = proc.wait(10).check().out
    assert "interrupted after" in out
    assert results(out) == {"usable": True, "closed": -1}
