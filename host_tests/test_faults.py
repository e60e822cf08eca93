"""The fault matrix (issue 9): the bridge's injection knobs (USOCKET_NET_LOSS,
USOCKET_NET_DELAY_MS, link down) and peers that misbehave on purpose, each case
asserting the exact outcome: byte-exact data, or the documented OSError within
its bound. Never a hang (every firmware run has a hard timeout), never a crash
(rc 0, no sanitizer report), and nothing leaked: every script (a file under
host_tests/fw/faults/) runs its case through fwtest.leak_check(), which takes a
baseline of network.LAN().stats() pool counts and gc.mem_alloc() (after
gc.collect()) before the case and compares after it. The peers close first
wherever they can, so the firmware's pcbs end in LAST_ACK and are freed, not
parked in TIME_WAIT. The cases marked qemu run on the QEMU target too.

docs/testing.md's "Fault matrix" section is the table of these cases and outcomes."""

import socket
import sys
import threading
import time

import pytest
from conftest import threaded_stack
from mprunner import fw, use_target_errno
from peers import free_port, pattern, recv_all, rst_close
from test_socket_api import results

ETIMEDOUT, ECONNRESET, ECONNREFUSED, ENOTCONN = 110, 104, 111, 107
# lwIP's DNS client gives up after its own retries (about 7 s with the default
# DNS_MAX_RETRIES) and reports "not found": getaddrinfo then raises -2, before
# USOCKET_DNS_TIMEOUT_MS (10 s). A socket timeout shorter than that gives -3.
EAI_NONAME, EAI_AGAIN = -2, -3
# Heap bytes a case may leave behind: one-time growth on the first use of a code
# path (a qstr pool or map resize). Stale words on the C stack no longer count: the
# heap is measured as test_socket_soak.py's MEASURE describes, and every case
# measured 0 B on the plain, threaded, ASan and UBSan firmware and on the QEMU
# target (before that, up to 64 B on the plain firmware and up to 4128 B under ASan). A per-case leak of a
# socket (64 B) plus its buffers or of a pbuf chain would show up in the pool
# counters, which must be exact.
HEAP_SLACK = 512


# The MCU suite runs the cases marked qemu on the QEMU target too, with newlib's
# errno values.
@pytest.fixture(autouse=True)
def _target_errno(mp_target, monkeypatch):
    use_target_errno(sys.modules[__name__], mp_target, monkeypatch)


def fault_run(mp, name, params=None, *, env=None, timeout=30, allow_pcb=0):
    """Runs host_tests/fw/faults/<name>, a case run by fwtest.leak_check() (the
    script gives it the same ``allow_pcb``); checks rc 0 and that nothing leaked
    (at most ``allow_pcb`` TIME_WAIT pcbs, heap within HEAP_SLACK); returns the
    res() results. On the QEMU target the bridge's counters (dropped_loss,
    dropped_filter), which live outside the machine, replace the machine's own
    (always 0) in ``stats``."""
    result = mp(fw("faults/" + name), params=params, env=env, timeout=timeout)
    result.check()
    r = results(result.out)
    for key, value in result.bridge.items():
        if key.startswith("dropped_"):
            r["stats"][key] = value
    delta = dict(r["delta"])
    heap = delta.pop("heap", 0)
    pcbs = delta.pop("tcp_pcb", 0)
    assert delta == {}, f"lwIP pools not back at baseline: {r['delta']}\n{result.out}"
    assert 0 <= pcbs <= allow_pcb, f"tcp_pcb delta {pcbs}\n{result.out}"
    assert heap <= HEAP_SLACK, f"heap grew by {heap} B\n{result.out}"
    return r


def wait_stop(stop, conn):
    """Holds ``conn`` open without reading until ``stop`` is set."""
    while not stop.wait(0.05):
        pass


# --------------------------------------------------------------------------------------
# Frame loss and delay: byte-exact both ways


def exchange_handler(n, box, before_read=None):
    """Sends pattern(n, 1), then reads n bytes and records them, then closes
    first (so the firmware ends in LAST_ACK). ``before_read`` is called before each
    read (tools/loss_stall.py pauses there)."""

    def handler(conn, addr):
        conn.sendall(pattern(n, 1))
        box["up"] = recv_all(conn, n, before_read)
        conn.sendall(b"done")

    return handler


# The loss pattern depends on the order frames cross the bridge, which differs
# between the polled and the threaded bridge: each variant has its own seed.
LOSS20_SEED = 3 if threaded_stack() else 1


@pytest.mark.parametrize(
    ("loss", "n", "seed"),
    [
        pytest.param(0.01, 256 * 1024, 9, id="loss1-256k"),
        pytest.param(0.05, 128 * 1024, 9, id="loss5-128k", marks=pytest.mark.slow),
        # At 20 % the time is long-tailed: lost SYNs back off 3, 6, 12 s in lwIP
        # and slirp's retransmission timer backs off to 12 s, so some seeds take
        # minutes for 32 KiB. Seed 1 takes about 20 s; the bytes must be exact
        # whatever the seed (run with others by hand: USOCKET_NET_SEED).
        pytest.param(
            0.20, 32 * 1024, LOSS20_SEED, id="loss20-32k", marks=pytest.mark.slow
        ),
    ],
)
@pytest.mark.qemu
@pytest.mark.timeout(250)  # above the run's own 200 s
def test_frame_loss_transfers_are_byte_exact(mp, tcp_server, mp_target, loss, n, seed):
    if mp_target == "qemu" and loss > 0.01:
        # With a 4-segment window a lost segment is mostly recovered by a
        # retransmission timeout, not fast retransmit: higher rates add those
        # waits (long-tailed at 20 %), not coverage.
        pytest.skip("QEMU target: loss1-256k is the loss case there")
    box = {}
    server = tcp_server(exchange_handler(n, box))
    r = fault_run(
        mp,
        "download_then_upload_byte_exact.py",
        {"port": server.port, "n": n},
        env={"USOCKET_NET_LOSS": loss, "USOCKET_NET_SEED": seed},
        # The threaded bridge's timing varies from run to run, so its loss pattern
        # does too: room for a slow draw. Above the script's per-call 120 s (lwIP's
        # retransmission backoff, see the script) and the rest of the run, so a
        # write that stalls is reported by the script, with where it stopped.
        timeout=200,
    )
    assert r["down"] == (n, True)
    assert r["tail"] == (b"done", None)
    assert box["up"] == pattern(n, 2)
    assert r["stats"]["dropped_loss"] > 0


@pytest.mark.qemu
def test_delay_50ms_transfer_is_byte_exact(mp, tcp_server):
    n = 64 * 1024
    box = {}
    server = tcp_server(exchange_handler(n, box))
    r = fault_run(
        mp,
        "download_then_upload_byte_exact.py",
        {"port": server.port, "n": n},
        env={"USOCKET_NET_DELAY_MS": 50},
        timeout=60,
    )
    assert r["down"] == (n, True)
    assert r["tail"] == (b"done", None)
    assert box["up"] == pattern(n, 2)
    # SYN out and SYN-ACK back are each held 50 ms.
    assert r["connect_ms"] >= 90


# --------------------------------------------------------------------------------------
# Link down mid-transfer


@pytest.mark.qemu
def test_link_down_mid_transfer_times_out_then_resumes_and_reconnects(mp, tcp_server):
    n = 256 * 1024

    def slow_source(conn, addr):
        data = pattern(n, 5)
        for i in range(0, n, 4096):
            conn.sendall(data[i : i + 4096])
            time.sleep(0.002)
        # Waits for the firmware's "bye", then closes first.
        recv_all(conn, 3)

    def reverse(conn, addr):
        conn.sendall(recv_all(conn, 64)[::-1])

    src = tcp_server(slow_source)
    rev = tcp_server(reverse)
    r = fault_run(
        mp,
        "link_down_mid_transfer_times_out_then_resumes_and_reconnects.py",
        {"src": src.port, "rev": rev.port, "n": n},
        timeout=60,
    )
    assert r["down_err"] == (ETIMEDOUT, True)
    assert r["down_isconnected"] is False
    assert r["resumed"] == (n, True)
    assert r["new_conn"] == (True, b"")
    assert r["old_eof"] == b""


# --------------------------------------------------------------------------------------
# Peer RST at each state we can reach


@pytest.mark.qemu
def test_rst_during_connect_is_econnrefused(mp):
    port = free_port()  # nobody listens: slirp's connect fails, the guest gets a RST
    r = fault_run(mp, "rst_during_connect_is_econnrefused.py", {"port": port})
    assert r["connect"] == ECONNREFUSED
    assert r["fast"] is True


@pytest.mark.qemu
def test_rst_when_established_idle_is_econnreset_on_recv(mp, tcp_server):
    def handler(conn, addr):
        time.sleep(0.3)  # the firmware is blocked in recv by now
        rst_close(conn)

    server = tcp_server(handler)
    r = fault_run(
        mp,
        "rst_when_established_idle_is_econnreset_on_recv.py",
        {"port": server.port},
    )
    assert r["recv"] == ECONNRESET
    assert r["fast"] is True
    assert r["again"] == ECONNRESET
    assert r["then"] == ENOTCONN


@pytest.mark.qemu
def test_rst_mid_stream_gives_the_data_first_then_econnreset(mp, tcp_server, mp_target):
    # What the peer sent must fit the receive window, which holds it while nobody
    # reads: bytes the peer could not send yet are lost with the RST, as TCP has it.
    # The MCU build's window is 4 segments (TCP_WND in boards/qemu/lwipopts.h).
    n = 20000 if mp_target == "host" else 5000

    def handler(conn, addr):
        conn.sendall(pattern(n, 3))
        time.sleep(0.3)
        rst_close(conn)

    server = tcp_server(handler)
    r = fault_run(
        mp,
        "rst_mid_stream_gives_the_data_first_then_econnreset.py",
        {"port": server.port, "n": n},
    )
    assert r["got"] == (n, True, ECONNRESET)


@pytest.mark.qemu
def test_rst_after_our_fin_is_econnreset(mp, tcp_server):
    box = {}

    def handler(conn, addr):
        box["data"] = recv_all(conn)  # up to our FIN
        rst_close(conn)

    server = tcp_server(handler)
    r = fault_run(mp, "rst_after_our_fin_is_econnreset.py", {"port": server.port})
    assert r["recv"] == ECONNRESET
    assert box["data"] == b"last words"


# --------------------------------------------------------------------------------------
# Zero window, SYN never answered, half-close


@pytest.mark.slow
@pytest.mark.qemu
def test_peer_that_stops_reading_times_out_sendall_and_close_frees_the_pcb(
    mp, tcp_server
):
    stop = threading.Event()
    server = tcp_server(lambda conn, addr: wait_stop(stop, conn))
    try:
        r = fault_run(
            mp,
            "peer_that_stops_reading_times_out_sendall_and_close_frees_the_pcb.py",
            {"port": server.port},
            timeout=90,
        )
    finally:
        stop.set()
    assert r["sendall"] == ETIMEDOUT
    assert r["held"] == 1
    assert r["close_ms"] < 1000  # close() itself does not block
    assert r["left"] == 0
    # USOCKET_CLOSE_LINGER_MS (10 s), plus a timer tick or two.
    assert r["freed_ms"] <= 11500


@pytest.mark.qemu
def test_syn_never_answered_times_out(mp):
    r = fault_run(mp, "syn_never_answered_times_out.py")
    assert r["connect"] == ETIMEDOUT
    assert r["in_bound"] is True
    # The SYN waits in lwIP's ARP queue (MEM_SIZE heap) until the unanswered
    # ARP entry expires; settle_ms shows how long that took. The safety filter
    # counted what it dropped (in the firmware's process on the host, in the
    # bridge outside the machine on the QEMU target; fault_run reads both).
    assert r["stats"]["dropped_filter"] > 0


@pytest.mark.qemu
def test_half_close_we_read_eof_then_still_send(mp, tcp_server):
    n = 50000
    box = {}

    def handler(conn, addr):
        conn.sendall(b"hello")
        conn.shutdown(socket.SHUT_WR)
        box["data"] = recv_all(conn, n)

    server = tcp_server(handler)
    r = fault_run(
        mp, "half_close_we_read_eof_then_still_send.py", {"port": server.port, "n": n}
    )
    assert r["read"] == (b"hello", None)
    assert r["again"] == ENOTCONN
    assert box["data"] == pattern(n, 4)


# --------------------------------------------------------------------------------------
# DNS


@pytest.mark.parametrize(
    ("mode", "gai", "gai_bound", "conn"),
    [
        pytest.param("silent", EAI_NONAME, 10500, EAI_AGAIN, marks=pytest.mark.slow),
        pytest.param("garbage", EAI_NONAME, 10500, EAI_AGAIN, marks=pytest.mark.slow),
        pytest.param("truncated", EAI_NONAME, 10500, EAI_AGAIN, marks=pytest.mark.slow),
        pytest.param("nxdomain", EAI_NONAME, 1000, EAI_NONAME),
        pytest.param("servfail", EAI_NONAME, 1000, EAI_NONAME),
    ],
)
@pytest.mark.qemu
def test_dns_failure_is_a_negative_oserror_within_its_bound(
    mp, dns_server, mode, gai, gai_bound, conn
):
    with dns_server.override(mode=mode):
        r = fault_run(
            mp, "dns_failure_is_a_negative_oserror_within_its_bound.py", timeout=40
        )
    assert r["gai"] == gai
    assert r["gai_ms"] <= gai_bound
    assert r["conn"] == conn
    assert r["conn_ms"] <= 1500
    assert dns_server.queries  # it did ask our server


# --------------------------------------------------------------------------------------
# HTTP servers that misbehave


def read_head(conn):
    buf = b""
    while b"\r\n\r\n" not in buf:
        b = conn.recv(4096)
        if not b:
            return False
        buf += b
    return True


def http_peer(head, *, tail=b"", endless=None, stall=False, stop=None):
    """A raw HTTP peer: reads the request, sends ``head``, then either ``endless()``
    pieces until the client goes away, or holds the connection (``stall``), or
    closes (first)."""

    def handler(conn, addr):
        if not read_head(conn):
            return
        conn.sendall(head)
        if endless is not None:
            i = 0
            while not stop.is_set():
                try:
                    conn.sendall(endless(i))
                except OSError:
                    return
                i += 1
        elif stall:
            wait_stop(stop, conn)
        else:
            conn.sendall(tail)

    return handler


def chunk(i):
    data = pattern(1000, 6, i * 1000)
    return b"%x\r\n" % len(data) + data + b"\r\n"


HTTP_CASES = {
    # name: (head, kwargs, script expression, expected result)
    "status-garbage": (b"HTTX/1.1 2OO OK\r\n\r\n", {}),
    "status-binary": (bytes(range(1, 40)) + b"\r\n\r\n", {}),
    "status-no-code": (b"HTTP/1.1\r\n\r\n", {}),
    "status-then-close": (b"HTTP/1.1 200", {}),
    "endless-headers": (
        b"HTTP/1.1 200 OK\r\n",
        {"endless": lambda i: b"X-Fill-%d: yes\r\n" % i},
    ),
    "endless-header-line": (
        b"HTTP/1.1 200 OK\r\nX-Long: ",
        {"endless": lambda i: b"a" * 1024},
    ),
    "bad-chunk-size": (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n",
        {},
    ),
    "chunked-stalls": (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
        {"stall": True},
    ),
    "short-body-then-close": (
        b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b"x" * 40,
        {},
    ),
    "chunked-then-close": (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n64\r\n" + b"x" * 40,
        {},
    ),
}

HTTP_EXPECT = {
    "status-garbage": ("ValueError", "malformed status line"),
    "status-binary": ("ValueError", "malformed status line"),
    "status-no-code": ("ValueError", "malformed status line"),
    "status-then-close": ("OSError", "closed inside the status line"),
    "endless-headers": ("ValueError", "response headers exceed 64 lines"),
    "endless-header-line": ("ValueError", "response line longer than 4096 bytes"),
    "bad-chunk-size": ("ValueError", "bad chunk size line"),
    # An errno by name: the [qemu] instance rebinds ETIMEDOUT to newlib's.
    "chunked-stalls": ("OSError", "ETIMEDOUT"),
    "short-body-then-close": ("OSError", "closed before the end of the body"),
    "chunked-then-close": ("OSError", "closed before the end of the body"),
}


@pytest.mark.parametrize("name", list(HTTP_CASES))
@pytest.mark.qemu
def test_misbehaving_http_server_raises_with_a_message(mp, tcp_server, name):
    head, kw = HTTP_CASES[name]
    stop = threading.Event()
    server = tcp_server(http_peer(head, stop=stop, **kw))
    try:
        r = fault_run(
            mp,
            "misbehaving_http_server_raises_with_a_message.py",
            {"port": server.port},
            allow_pcb=1,
        )
    finally:
        stop.set()
    kind, what = HTTP_EXPECT[name]
    assert r["outcome"][0] == kind, r
    if what.isupper():
        assert r["outcome"][1][0] == str(globals()[what]), r
    else:
        assert any(what in a for a in r["outcome"][1]), r
    assert r["ms"] < 5000


@pytest.mark.qemu
def test_endless_chunked_body_streams_until_the_client_closes(mp, tcp_server):
    """An endless chunked body read with stream=True: byte-exact as far as read,
    and closing mid-body frees everything (no hang waiting for the end)."""
    stop = threading.Event()
    server = tcp_server(
        http_peer(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
            endless=chunk,
            stop=stop,
        )
    )
    try:
        r = fault_run(
            mp,
            "endless_chunked_body_streams_until_the_client_closes.py",
            {"port": server.port, "n": 1024 * 1024},
            timeout=60,
            allow_pcb=1,
        )
    finally:
        stop.set()
    assert r["read"] == (True, True)
    assert r["close_ms"] < 1000
