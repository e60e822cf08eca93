"""Connection states and how connections end: getsocketsta() through lwIP's TCP
states (the table in reference 001), shutdown(), RST from the peer (data received
before it stays readable, then ECONNRESET), refused connects, and the listener's
queue of pending connections."""

import socket
import threading
import time

from conftest import threaded_stack
from peers import free_port, recv_all, rst_close
from test_socket_api import PRELUDE, results, run

ECONNRESET, ECONNREFUSED, EAGAIN, ENOTCONN, EPIPE = 104, 111, 11, 107, 32

# lwIP's TCP states, as getsocketsta() returns them (reference 001).
CLOSED, LISTEN, SYN_SENT, SYN_RCVD, ESTABLISHED = 0, 1, 2, 3, 4
FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT, CLOSING, LAST_ACK, TIME_WAIT = 5, 6, 7, 8, 9, 10

WAIT_FOR = """
def wait_for(f, ms=5000):
    # Services the stack (time.sleep does) until f() is true; returns f().
    t = time.ticks_ms()
    while not f() and time.ticks_diff(time.ticks_ms(), t) < ms:
        time.sleep_ms(10)
    return f()
"""


# --------------------------------------------------------------------------------------
# getsocketsta


def test_getsocketsta_new_listen_syn_sent_and_after_close(mp):
    r = run(
        mp,
        """
s = socket.socket()
res("new", s.getsocketsta())
s.bind(("", 0))
res("bound", s.getsocketsta())
s.listen(1)
res("listen", s.getsocketsta())
s.close()
res("listen_closed", s.getsocketsta())
c = socket.socket()
c.setblocking(False)
try:
    c.connect(("10.0.2.99", 80))  # dropped by the bridge: nobody ever answers
except OSError:
    pass
res("syn_sent", c.getsocketsta())
time.sleep(0.5)
res("still_syn_sent", c.getsocketsta())
c.close()
res("closed", c.getsocketsta())
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
res("udp", u.getsocketsta())
""",
    )
    assert r == {
        "new": CLOSED,
        "bound": CLOSED,
        "listen": LISTEN,
        "listen_closed": -1,
        "syn_sent": SYN_SENT,
        "still_syn_sent": SYN_SENT,
        "closed": -1,
        "udp": 0,
    }


def test_getsocketsta_established_then_close_wait_when_the_peer_closes(mp, tcp_server):
    go = threading.Event()

    def handler(conn, addr):
        go.wait(10)
        conn.sendall(b"last words")

    server = tcp_server(handler)
    fw = mp.spawn(
        PRELUDE
        + WAIT_FOR
        + f"""
s = socket.socket()
s.connect(("10.0.2.2", {server.port}))
res("established", s.getsocketsta())
print("connected")
res("close_wait", wait_for(lambda: s.getsocketsta() == 7))
# What the peer sent before its FIN is still there, then EOF.
res("data", s.recv(100))
res("eof", s.recv(100))
# Our side may still send in CLOSE_WAIT.
res("send", s.send(b"ok"))
s.close()
res("closed", s.getsocketsta())
"""
    )
    fw.wait_for("connected")
    go.set()
    r = results(fw.wait(20).check().out)
    assert r == {
        "established": ESTABLISHED,
        "close_wait": True,
        "data": b"last words",
        "eof": b"",
        "send": 2,
        "closed": -1,
    }


def test_getsocketsta_fin_wait_1_fin_wait_2_time_wait_when_we_close_first(
    mp, tcp_server
):
    """shutdown(SHUT_WR) sends our FIN while we keep the socket: FIN_WAIT_1 until
    the peer ACKs it, FIN_WAIT_2 until the peer closes too, then TIME_WAIT (lwIP
    finishes that on its own; the socket still reports it). close() gives -1."""
    got = {}
    peer_closes = threading.Event()

    def handler(conn, addr):
        got["data"] = recv_all(conn)  # until our FIN
        peer_closes.wait(10)
        conn.sendall(b"reply after your FIN")

    server = tcp_server(handler)
    fw = mp.spawn(
        PRELUDE
        + WAIT_FOR
        + f"""
s = socket.socket()
s.connect(("10.0.2.2", {server.port}))
s.sendall(b"request")
s.shutdown(socket.SHUT_WR)
# On a NO_SYS firmware nothing has been processed since: our FIN is not
# acknowledged yet. With lwIP in its own thread the ACK can already be in.
res("fin_wait_1", s.getsocketsta())
res("fin_wait_2", wait_for(lambda: s.getsocketsta() == 6))
print("half closed")
res("time_wait", wait_for(lambda: s.getsocketsta() == 10))
# Data the peer sent after our FIN was received.
res("reply", s.read())
res("pcbs", LAN.stats()["tcp_pcb"])
s.close()
res("closed", s.getsocketsta())
# The TIME_WAIT pcb is lwIP's: it stays until 2 MSL, or until a new pcb needs it.
res("pcbs_after_close", LAN.stats()["tcp_pcb"])
"""
    )
    fw.wait_for("half closed")
    peer_closes.set()
    r = results(fw.wait(20).check().out)
    # With lwIP and the bridge in threads of their own, slirp's ACK of our FIN can
    # be taken between shutdown() and getsocketsta().
    first = (FIN_WAIT_1, FIN_WAIT_2) if threaded_stack() else (FIN_WAIT_1,)
    assert r.pop("fin_wait_1") in first
    assert r == {
        "fin_wait_2": True,
        "time_wait": True,
        "reply": b"reply after your FIN",
        "pcbs": 1,
        "closed": -1,
        "pcbs_after_close": 1,
    }
    assert got["data"] == b"request"


def test_getsocketsta_last_ack_when_we_close_after_the_peer(mp, tcp_server):
    server = tcp_server(lambda conn, addr: conn.sendall(b"bye"))
    r = run(
        mp,
        WAIT_FOR
        + f"""
s = socket.socket()
s.connect(("10.0.2.2", {server.port}))
res("close_wait", wait_for(lambda: s.getsocketsta() == 7))
res("data", s.read())
s.shutdown(socket.SHUT_WR)
res("last_ack", s.getsocketsta())
# The peer ACKs our FIN and lwIP frees the pcb: nothing lingers.
res("closed", wait_for(lambda: s.getsocketsta() == 0))
res("pcbs", LAN.stats()["tcp_pcb"])
res("send", err(s.send, b"x"))
res("recv", s.recv(1))
""",
    )
    assert r == {
        "close_wait": True,
        "data": b"bye",
        "last_ack": LAST_ACK,
        "closed": True,
        "pcbs": 0,
        "send": EPIPE,
        "recv": b"",
    }


def test_shutdown_rd_drops_later_data_without_stalling_the_peer(mp, tcp_server):
    done = threading.Event()

    def handler(conn, addr):
        conn.sendall(b"before")
        time.sleep(0.3)
        # Far more than our window: the peer is never stalled, the data dropped.
        conn.sendall(bytes(1024 * 1024))
        done.set()
        recv_all(conn)

    server = tcp_server(handler)
    r = run(
        mp,
        f"""
s = socket.socket()
s.connect(("10.0.2.2", {server.port}))
time.sleep(0.2)
s.shutdown(socket.SHUT_RD)
# As on lwIP's socket layer, whose shutdown(SHUT_RD) closes the receive mailbox.
res("read", err(s.recv, 100))
time.sleep(1)
res("still", err(s.recv, 100))
res("sta", s.getsocketsta())
res("send", s.send(b"still writable"))
res("bad_how", err(s.shutdown, 3))
s.close()
""",
    )
    assert done.wait(5)
    assert r == {
        "read": ENOTCONN,
        "still": ENOTCONN,
        "sta": ESTABLISHED,
        "send": 14,
        "bad_how": 22,
    }


# --------------------------------------------------------------------------------------
# RST from the peer, refused connects


def test_rst_mid_stream_keeps_received_data_then_raises_econnreset(mp, tcp_server):
    payload = bytes(range(256)) * 160  # 40 KiB: fits in our receive window

    def handler(conn, addr):
        conn.sendall(payload)
        time.sleep(0.3)  # everything reaches the firmware before the RST
        rst_close(conn)

    server = tcp_server(handler)
    r = run(
        mp,
        f"""
import select
s = socket.socket()
s.connect(("10.0.2.2", {server.port}))
time.sleep(0.8)  # data, then the RST, arrive while we don't read
p = select.poll()
p.register(s, select.POLLIN)
res("poll", p.poll(0)[0][1])
res("sta", s.getsocketsta())
got = b""
while True:
    try:
        d = s.recv(5000)
    except OSError as e:
        res("error", e.args[0])
        break
    if not d:
        res("error", "EOF")
        break
    got += d
res("got", (len(got), got == bytes(range(256)) * 160))
# As on lwIP's socket layer: reads report the error twice (from the receive
# mailbox, then as the pending error), then raise ENOTCONN. Writes report it once
# on their own, then EPIPE, as on Linux.
res("poll_after", p.poll(0)[0][1])
res("again", err(s.recv, 1))
res("then", err(s.recv, 1))
res("send", err(s.send, b"x"))
res("send_again", err(s.send, b"x"))
res("pbufs", LAN.stats()["pbuf_pool"] + LAN.stats()["pbuf"])
s.close()
""",
    )
    POLLIN, POLLERR, POLLHUP = 1, 8, 16
    assert r == {
        "poll": POLLIN | POLLERR | POLLHUP,
        "sta": CLOSED,
        "got": (40960, True),
        "error": ECONNRESET,
        "poll_after": POLLIN | POLLERR | POLLHUP,
        "again": ECONNRESET,
        "then": ENOTCONN,
        "send": ECONNRESET,
        "send_again": EPIPE,
        "pbufs": 0,
    }


def test_rst_mid_stream_read_readinto_readline_return_the_data_first(mp, tcp_server):
    def handler(conn, addr):
        conn.sendall(b"line one\nline two\npartial")
        time.sleep(0.3)
        rst_close(conn)

    server = tcp_server(handler)
    r = run(
        mp,
        f"""
s = socket.socket()
s.connect(("10.0.2.2", {server.port}))
time.sleep(0.8)
res("readline", s.readline())
buf = bytearray(4)
res("readinto", (s.readinto(buf), bytes(buf)))
# No short reads, but the connection is gone: what is left, then the error
# (twice, as lwIP's socket layer reports it), then ENOTCONN.
res("read", s.read(100))
res("read_again", err(s.read, 100))
res("readline_then", err(s.readline))
res("readinto_last", err(s.readinto, buf))
""",
    )
    assert r == {
        "readline": b"line one\n",
        "readinto": (4, b"line"),
        "read": b" two\npartial",
        "read_again": ECONNRESET,
        "readline_then": ECONNRESET,
        "readinto_last": ENOTCONN,
    }


def test_rst_error_is_reported_to_writes_and_reads_each_their_own_way(mp, tcp_server):
    """A write after the RST reports ECONNRESET, then writes raise EPIPE (as on
    Linux/CPython). As on lwIP's socket layer, that write took the pending error:
    reads still find the RST in the receive mailbox (once), then ENOTCONN."""

    def handler(conn, addr):
        time.sleep(0.2)
        rst_close(conn)

    server = tcp_server(handler)
    r = run(
        mp,
        f"""
s = socket.socket()
s.connect(("10.0.2.2", {server.port}))
time.sleep(0.6)
res("send", err(s.send, b"x"))
res("send_again", err(s.write, b"x"))
res("recv", err(s.recv, 10))
res("read", err(s.read))
res("readline", err(s.readline))
""",
    )
    assert r == {
        "send": ECONNRESET,
        "send_again": EPIPE,
        "recv": ECONNRESET,
        "read": ENOTCONN,
        "readline": ENOTCONN,
    }


def test_rst_wakes_a_blocked_recv_and_a_blocked_send(mp, tcp_server):
    # One event per connection, in order. With one event for both, the second
    # connection was reset as soon as it was accepted, racing slirp, which answers
    # the firmware's SYN only after it has seen its own connect to the server
    # complete: a slow (ASan) firmware lost that race and its connect() raised
    # ECONNREFUSED.
    resets = [threading.Event(), threading.Event()]
    unused = list(resets)

    def handler(conn, addr):
        # Never reads; resets the connection when told.
        unused.pop(0).wait(10)
        rst_close(conn)

    server = tcp_server(handler)
    fw = mp.spawn(
        PRELUDE
        + f"""
s = socket.socket()
s.connect(("10.0.2.2", {server.port}))
s.settimeout(10)
print("blocked")
t = time.ticks_ms()
res("recv", err(s.recv, 10))
res("recv_ms_ok", time.ticks_diff(time.ticks_ms(), t) < 5000)
s = socket.socket()
s.connect(("10.0.2.2", {server.port}))
s.settimeout(10)
block = bytes(65536)
print("sending")
t = time.ticks_ms()
try:
    while True:
        s.sendall(block)
except OSError as e:
    res("sendall", e.args[0])
res("send_ms_ok", time.ticks_diff(time.ticks_ms(), t) < 5000)
"""
    )
    fw.wait_for("blocked")
    time.sleep(0.3)
    resets[0].set()
    fw.wait_for("sending")
    time.sleep(0.3)  # the peer never reads: sendall is blocked by now
    resets[1].set()
    r = results(fw.wait(20).check().out)
    assert r == {
        "recv": ECONNRESET,
        "recv_ms_ok": True,
        "sendall": ECONNRESET,
        "send_ms_ok": True,
    }


def test_refused_connect_raises_econnrefused(mp):
    closed = free_port()
    r = run(
        mp,
        f"""
s = socket.socket()
res("blocking", err(s.connect, ("10.0.2.2", {closed})))
res("sta", s.getsocketsta())
res("reconnect", err(s.connect, ("10.0.2.2", {closed})))
s = socket.socket()
s.settimeout(3)
res("timeout", err(s.connect, ("10.0.2.2", {closed})))
res("pcbs", LAN.stats()["tcp_pcb"])
""",
    )
    assert r == {
        "blocking": ECONNREFUSED,
        "sta": CLOSED,
        # The socket is spent: it reports why.
        "reconnect": ECONNREFUSED,
        "timeout": ECONNREFUSED,
        "pcbs": 0,
    }


# --------------------------------------------------------------------------------------
# The listener's queue of pending connections

LISTENER = """
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("", 8200))
s.listen({backlog})
print("listening")
"""


def test_connection_reset_before_accept_is_skipped(mp):
    host_port = free_port()
    fw = mp.spawn(
        PRELUDE
        + WAIT_FOR
        + LISTENER.format(backlog=2)
        + """
wait_for(lambda: LAN.stats()["tcp_pcb"] == 2)
print("two pending")
wait_for(lambda: LAN.stats()["tcp_pcb"] == 1)
s.settimeout(5)
conn, addr = s.accept()
res("data", conn.recv(100))
s.setblocking(False)
res("then", err(s.accept))
""",
        hostfwd=[f"tcp:{host_port}:8200"],
    )
    fw.wait_for("listening")
    first = socket.create_connection(("127.0.0.1", host_port), timeout=10)
    time.sleep(0.2)
    second = socket.create_connection(("127.0.0.1", host_port), timeout=10)
    fw.wait_for("two pending")
    rst_close(first)
    second.sendall(b"from the second")
    r = results(fw.wait(20).check().out)
    second.close()
    assert r == {"data": b"from the second", "then": EAGAIN}


def test_data_and_fin_before_accept_are_delivered(mp):
    host_port = free_port()
    fw = mp.spawn(
        PRELUDE
        + WAIT_FOR
        + LISTENER.format(backlog=1)
        + """
print("ready")
time.sleep(1)  # the client connects, sends and closes meanwhile
conn, addr = s.accept()
conn.settimeout(5)
res("data", conn.read())
res("sta", conn.getsocketsta())
""",
        hostfwd=[f"tcp:{host_port}:8200"],
    )
    fw.wait_for("ready")
    with socket.create_connection(("127.0.0.1", host_port), timeout=10) as c:
        c.sendall(b"sent before accept")
    r = results(fw.wait(20).check().out)
    assert r == {"data": b"sent before accept", "sta": CLOSE_WAIT}


def test_connections_beyond_the_backlog_wait_until_accepted(mp):
    """listen(2) and three clients: two connections wait in the queue, the third's
    SYN is not answered (no pcb is spent on it; lwIP ignores SYNs while the
    backlog is full, as Linux does), and once the firmware accepts, the client's
    retry gets it in. A burst of clients is delayed, not refused."""
    host_port = free_port()
    fw = mp.spawn(
        PRELUDE
        + WAIT_FOR
        + LISTENER.format(backlog=2)
        + """
wait_for(lambda: LAN.stats()["tcp_pcb"] >= 2)
time.sleep(1)  # the third client's SYN arrives meanwhile
res("pending", LAN.stats()["tcp_pcb"])
s.settimeout(10)
for i in range(3):
    conn, addr = s.accept()
    conn.send(b"welcome %d" % i)
    conn.close()
""",
        hostfwd=[f"tcp:{host_port}:8200"],
    )
    fw.wait_for("listening")
    clients = []
    for _ in range(3):
        clients.append(socket.create_connection(("127.0.0.1", host_port), timeout=10))
        time.sleep(0.1)  # in this order
    replies = [recv_all(c) for c in clients]
    for c in clients:
        c.close()
    r = results(fw.wait(20).check().out)
    assert r == {"pending": 2}
    assert replies == [b"welcome 0", b"welcome 1", b"welcome 2"]


def test_closing_a_listener_frees_its_pending_connections(mp):
    host_port = free_port()
    fw = mp.spawn(
        PRELUDE
        + WAIT_FOR
        + LISTENER.format(backlog=4)
        + """
res("pending", wait_for(lambda: LAN.stats()["tcp_pcb"] == 3))
s.close()
time.sleep(0.2)
st = LAN.stats()
res("after", (st["tcp_pcb"], st["tcp_pcb_listen"]))
""",
        hostfwd=[f"tcp:{host_port}:8200"],
    )
    fw.wait_for("listening")
    clients = [
        socket.create_connection(("127.0.0.1", host_port), timeout=10) for _ in range(3)
    ]
    r = results(fw.wait(20).check().out)
    for c in clients:
        c.settimeout(5)
        try:
            assert c.recv(10) == b""
        except ConnectionResetError:
            pass
        c.close()
    assert r == {"pending": True, "after": (0, 0)}
