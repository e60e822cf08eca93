"""The fault matrix (issue 9): the bridge's injection knobs (USOCKET_NET_LOSS,
USOCKET_NET_DELAY_MS, link down) and peers that misbehave on purpose, each case
asserting the exact outcome: byte-exact data, or the documented OSError within
its bound. Never a hang (every firmware run has a hard timeout), never a crash
(rc 0, no sanitizer report), and nothing leaked: every script takes a baseline of
network.LAN().stats() pool counts and gc.mem_alloc() (after gc.collect()) before
the case and compares after it. The peers close first wherever they can, so the
firmware's pcbs end in LAST_ACK and are freed, not parked in TIME_WAIT.

The README's "Fault matrix" section is the table of these cases and outcomes."""

import socket
import threading
import time

import pytest
from conftest import variant
from peers import MP_PATTERN_SRC, free_port, pattern, recv_all, rst_close
from test_socket_api import PRELUDE as SOCKET_API_PRELUDE
from test_socket_api import results
from test_socket_soak import MEASURE

ETIMEDOUT, ECONNRESET, ECONNREFUSED = 110, 104, 111
# lwIP's DNS client gives up after its own retries (about 7 s with the default
# DNS_MAX_RETRIES) and reports "not found": getaddrinfo then raises -2, before
# USOCKET_DNS_TIMEOUT_MS (10 s). A socket timeout shorter than that gives -3.
EAI_NONAME, EAI_AGAIN = -2, -3
# Heap bytes a case may leave behind: one-time growth on the first use of a code
# path (a qstr pool or map resize). Stale words on the C stack no longer count: the
# heap is measured as test_socket_soak.py's MEASURE describes, and every case
# measured 0 B on the plain, threaded, ASan and UBSan firmware (before that, up to
# 64 B on the plain firmware and up to 4128 B under ASan). A per-case leak of a
# socket (64 B) plus its buffers or of a pbuf chain would show up in the pool
# counters, which must be exact.
HEAP_SLACK = 512

# Runs around every case: `case()` is defined by the test, run between two
# snapshots, and the difference of every pool counter and of the heap is printed.
PRELUDE = (
    SOCKET_API_PRELUDE
    + """
def ms_since(t):
    return time.ticks_diff(time.ticks_ms(), t)

def recv_until_error(s, n=4096):
    # (data, errno or None at EOF)
    got = bytearray()
    while True:
        try:
            b = s.recv(n)
        except OSError as e:
            return bytes(got), e.args[0]
        if not b:
            return bytes(got), None
        got.extend(b)

def read_exact(s, n):
    got = bytearray()
    while len(got) < n:
        b = s.recv(min(4096, n - len(got)))
        if not b:
            break
        got.extend(b)
    return bytes(got)
"""
    + MP_PATTERN_SRC
    + MEASURE
)

EPILOGUE = """
import urequests  # imported before the baseline by every case (module heap)
socket.socket().close()  # the first socket allocates 320 B for good (one-time)

def settled(base):
    st = LAN.stats()
    for k in KEYS:
        lim = base[k] + (ALLOW_PCB if k == "tcp_pcb" else 0)
        if st[k] > lim:
            return False
    return True

def main():
    # test_socket_soak.py's MEASURE says why the heap is measured this way.
    base, after = measured(), measured()
    pin_stale_words()
    measure(base)
    measure(base)
    t0 = time.ticks_ms()
    case()
    res("case_ms", ms_since(t0))
    # Let the last FIN's ACK (or a retransmission under loss), a pending ARP
    # entry's queued frame and the like be freed by lwIP's timers.
    t = time.ticks_ms()
    while ms_since(t) < SETTLE_MS and not settled(base):
        time.sleep_ms(20)
    res("settle_ms", ms_since(t))
    measure(after)
    measure(after)
    res("delta", dict((k, after[k] - base[k]) for k in after if after[k] != base[k]))
    res("stats", LAN.stats())

main()
"""


def fault_run(mp, body, *, env=None, timeout=30, allow_pcb=0, settle_ms=8000):
    """Runs PRELUDE + body (which defines case()) + EPILOGUE; checks rc 0 and that
    nothing leaked (at most ``allow_pcb`` TIME_WAIT pcbs, heap within
    HEAP_SLACK); returns the res() results."""
    script = (
        PRELUDE
        + body
        + f"\nALLOW_PCB = {allow_pcb}\nSETTLE_MS = {settle_ms}\n"
        + EPILOGUE
    )
    result = mp(script, env=env, timeout=timeout).check()
    r = results(result.out)
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


def exchange_handler(n, box):
    """Sends pattern(n, 1), then reads n bytes and records them, then closes
    first (so the firmware ends in LAST_ACK)."""

    def handler(conn, addr):
        conn.sendall(pattern(n, 1))
        box["up"] = recv_all(conn, n)
        conn.sendall(b"done")

    return handler


EXCHANGE = """
def case():
    s = socket.socket()
    s.settimeout(30)
    t = time.ticks_ms()
    s.connect(("10.0.2.2", {port}))
    res("connect_ms", ms_since(t))
    # Download: compare chunk by chunk against the pattern (no 2nd big buffer).
    got = 0
    ok = True
    while got < {n}:
        b = s.recv(4096)
        if not b:
            break
        if b != pattern(len(b), 1, got):
            ok = False
        got += len(b)
    res("down", (got, ok))
    # Upload in 4 KiB pieces of pattern(n, 2).
    sent = 0
    while sent < {n}:
        k = min(4096, {n} - sent)
        s.sendall(pattern(k, 2, sent))
        sent += k
    res("tail", recv_until_error(s))
    s.close()
"""


# The loss pattern depends on the order frames cross the bridge, which differs
# between the polled and the threaded bridge: each variant has its own seed.
LOSS20_SEED = {"threaded": 3}.get(variant(), 1)


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
def test_frame_loss_transfers_are_byte_exact(mp, tcp_server, loss, n, seed):
    box = {}
    server = tcp_server(exchange_handler(n, box))
    r = fault_run(
        mp,
        EXCHANGE.format(port=server.port, n=n),
        env={"USOCKET_NET_LOSS": loss, "USOCKET_NET_SEED": seed},
        # The threaded bridge's timing varies from run to run, so its loss pattern
        # does too: room for a slow draw.
        timeout=90,
    )
    assert r["down"] == (n, True)
    assert r["tail"] == (b"done", None)
    assert box["up"] == pattern(n, 2)
    assert r["stats"]["dropped_loss"] > 0


def test_delay_50ms_transfer_is_byte_exact(mp, tcp_server):
    n = 64 * 1024
    box = {}
    server = tcp_server(exchange_handler(n, box))
    r = fault_run(
        mp,
        EXCHANGE.format(port=server.port, n=n),
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
        f"""
def case():
    s = socket.socket()
    s.settimeout(5)
    s.connect(("10.0.2.2", {src.port}))
    buf = bytearray()
    while len(buf) < 32768:
        buf.extend(s.recv(4096))
    LAN.active(False)
    s.settimeout(1)
    t = time.ticks_ms()
    while True:
        try:
            b = s.recv(4096)   # whatever arrived before the link went down
        except OSError as e:
            res("down_err", (e.args[0], ms_since(t) < 3000))
            break
        if not b:
            res("down_err", "eof")
            break
        buf.extend(b)
        t = time.ticks_ms()
    res("down_isconnected", LAN.isconnected())
    LAN.active(True)
    # The same connection resumes (the peer retransmits) ...
    s.settimeout(20)
    while len(buf) < {n}:
        b = s.recv(4096)
        if not b:
            break
        buf.extend(b)
    res("resumed", (len(buf), buf == pattern({n}, 5)))
    # ... and a new connection works.
    s2 = socket.socket()
    s2.settimeout(5)
    s2.connect(("10.0.2.2", {rev.port}))
    msg = pattern(64, 7)
    s2.sendall(msg)
    res("new_conn", (read_exact(s2, 64) == bytes(reversed(msg)), s2.recv(1)))
    s2.close()
    s.sendall(b"bye")
    res("old_eof", s.recv(1))
    s.close()
""",
        timeout=60,
    )
    assert r["down_err"] == (ETIMEDOUT, True)
    assert r["down_isconnected"] is False
    assert r["resumed"] == (n, True)
    assert r["new_conn"] == (True, b"")
    assert r["old_eof"] == b""


# --------------------------------------------------------------------------------------
# Peer RST at each state we can reach


def test_rst_during_connect_is_econnrefused(mp):
    port = free_port()  # nobody listens: slirp's connect fails, the guest gets a RST
    r = fault_run(
        mp,
        f"""
def case():
    s = socket.socket()
    s.settimeout(5)
    t = time.ticks_ms()
    res("connect", err(s.connect, ("10.0.2.2", {port})))
    res("fast", ms_since(t) < 3000)
    s.close()
""",
    )
    assert r["connect"] == ECONNREFUSED
    assert r["fast"] is True


def test_rst_when_established_idle_is_econnreset_on_recv(mp, tcp_server):
    def handler(conn, addr):
        time.sleep(0.3)  # the firmware is blocked in recv by now
        rst_close(conn)

    server = tcp_server(handler)
    r = fault_run(
        mp,
        f"""
def case():
    s = socket.socket()
    s.settimeout(5)
    s.connect(("10.0.2.2", {server.port}))
    t = time.ticks_ms()
    res("recv", err(s.recv, 10))
    res("fast", ms_since(t) < 3000)
    # As on lwIP's socket layer (docs/socket-semantics.md): the mailbox's
    # marker, then the pending error, then ENOTCONN.
    res("again", err(s.recv, 10))
    res("then", err(s.recv, 10))
    s.close()
""",
    )
    assert r["recv"] == ECONNRESET
    assert r["fast"] is True
    assert r["again"] == ECONNRESET
    assert r["then"] == 107  # ENOTCONN


def test_rst_mid_stream_gives_the_data_first_then_econnreset(mp, tcp_server):
    n = 20000

    def handler(conn, addr):
        conn.sendall(pattern(n, 3))
        time.sleep(0.3)
        rst_close(conn)

    server = tcp_server(handler)
    r = fault_run(
        mp,
        f"""
def case():
    s = socket.socket()
    s.settimeout(5)
    s.connect(("10.0.2.2", {server.port}))
    time.sleep(0.8)  # data and RST both arrive while nobody reads
    data, e = recv_until_error(s, 1000)
    res("got", (len(data), data == pattern({n}, 3), e))
    s.close()
""",
    )
    assert r["got"] == (n, True, ECONNRESET)


def test_rst_after_our_fin_is_econnreset(mp, tcp_server):
    box = {}

    def handler(conn, addr):
        box["data"] = recv_all(conn)  # up to our FIN
        rst_close(conn)

    server = tcp_server(handler)
    r = fault_run(
        mp,
        f"""
def case():
    s = socket.socket()
    s.settimeout(5)
    s.connect(("10.0.2.2", {server.port}))
    s.sendall(b"last words")
    s.shutdown(socket.SHUT_WR)
    res("recv", err(s.recv, 10))
    s.close()
""",
    )
    assert r["recv"] == ECONNRESET
    assert box["data"] == b"last words"


# --------------------------------------------------------------------------------------
# Zero window, SYN never answered, half-close


@pytest.mark.slow
def test_peer_that_stops_reading_times_out_sendall_and_close_frees_the_pcb(
    mp, tcp_server
):
    stop = threading.Event()
    server = tcp_server(lambda conn, addr: wait_stop(stop, conn))
    try:
        r = fault_run(
            mp,
            f"""
def case():
    s = socket.socket()
    s.settimeout(2)
    s.connect(("10.0.2.2", {server.port}))
    buf = bytes(65536)
    sent = 0
    e = None
    t = time.ticks_ms()
    while sent < 256 * 1024 * 1024:
        try:
            s.sendall(buf)
        except OSError as x:
            e = x.args[0]
            break
        sent += len(buf)
    res("sendall", e)
    res("sent_mb", sent // (1024 * 1024))
    res("held", LAN.stats()["tcp_pcb"])
    t = time.ticks_ms()
    s.close()
    res("close_ms", ms_since(t))
    while LAN.stats()["tcp_pcb"] and ms_since(t) < 15000:
        time.sleep_ms(50)
    res("freed_ms", ms_since(t))
    res("left", LAN.stats()["tcp_pcb"])
""",
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


def test_syn_never_answered_times_out(mp):
    r = fault_run(
        mp,
        """
def case():
    before = LAN.stats()["dropped_filter"]
    s = socket.socket()
    s.settimeout(2)
    t = time.ticks_ms()
    res("connect", err(s.connect, ("10.0.2.99", 80)))
    ms = ms_since(t)
    res("in_bound", 1900 <= ms < 3500)
    res("filtered", LAN.stats()["dropped_filter"] > before)
    s.close()
""",
        settle_ms=15000,
    )
    assert r["connect"] == ETIMEDOUT
    assert r["in_bound"] is True
    # The SYN waits in lwIP's ARP queue (MEM_SIZE heap) until the unanswered
    # ARP entry expires; settle_ms shows how long that took.
    assert r["filtered"] is True


def test_half_close_we_read_eof_then_still_send(mp, tcp_server):
    n = 50000
    box = {}

    def handler(conn, addr):
        conn.sendall(b"hello")
        conn.shutdown(socket.SHUT_WR)
        box["data"] = recv_all(conn, n)

    server = tcp_server(handler)
    r = fault_run(
        mp,
        f"""
def case():
    s = socket.socket()
    s.settimeout(5)
    s.connect(("10.0.2.2", {server.port}))
    res("read", recv_until_error(s))
    # The end was reported: as on lwIP's socket layer, ENOTCONN from now on.
    res("again", err(s.recv, 10))
    s.sendall(pattern({n}, 4))
    time.sleep_ms(200)
    s.close()
""",
    )
    assert r["read"] == (b"hello", None)
    assert r["again"] == 107  # ENOTCONN
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
def test_dns_failure_is_a_negative_oserror_within_its_bound(
    mp, dns_server, mode, gai, gai_bound, conn
):
    with dns_server.override(mode=mode):
        r = fault_run(
            mp,
            """
def case():
    # connect() first: its lookup, abandoned after 1 s, runs out in lwIP while
    # getaddrinfo waits, so the settle after the case is short.
    s = socket.socket()
    s.settimeout(1)
    t = time.ticks_ms()
    res("conn", err(s.connect, ("fault2.example", 80)))
    res("conn_ms", ms_since(t))
    s.close()
    t = time.ticks_ms()
    res("gai", err(socket.getaddrinfo, "fault.example", 80))
    res("gai_ms", ms_since(t))
""",
            timeout=40,
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
    "chunked-stalls": ("OSError", ETIMEDOUT),
    "short-body-then-close": ("OSError", "closed before the end of the body"),
    "chunked-then-close": ("OSError", "closed before the end of the body"),
}


@pytest.mark.parametrize("name", list(HTTP_CASES))
def test_misbehaving_http_server_raises_with_a_message(mp, tcp_server, name):
    head, kw = HTTP_CASES[name]
    stop = threading.Event()
    server = tcp_server(http_peer(head, stop=stop, **kw))
    try:
        r = fault_run(
            mp,
            f"""
def case():
    t = time.ticks_ms()
    try:
        r = urequests.get("http://10.0.2.2:{server.port}/x", timeout=2)
        try:
            r.content
        finally:
            r.close()
        res("outcome", "ok")
    except (ValueError, OSError) as e:
        res("outcome", (type(e).__name__, [str(a) for a in e.args]))
    res("ms", ms_since(t))
""",
            allow_pcb=1,
        )
    finally:
        stop.set()
    kind, what = HTTP_EXPECT[name]
    assert r["outcome"][0] == kind, r
    if isinstance(what, int):
        assert r["outcome"][1][0] == str(what), r
    else:
        assert any(what in a for a in r["outcome"][1]), r
    assert r["ms"] < 5000


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
            f"""
def case():
    r = urequests.get("http://10.0.2.2:{server.port}/x", timeout=2, stream=True)
    got = 0
    ok = True
    for b in r.iter_content(4096):
        if b != pattern(len(b), 6, got):
            ok = False
        got += len(b)
        if got >= 1024 * 1024:
            break
    t = time.ticks_ms()
    r.close()
    res("read", (got >= 1024 * 1024, ok))
    res("close_ms", ms_since(t))
""",
            timeout=60,
            allow_pcb=1,
        )
    finally:
        stop.set()
    assert r["read"] == (True, True)
    assert r["close_ms"] < 1000
