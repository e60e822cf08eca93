"""Sockets left open free everything (issue 9, "Soft reset"). The unix port has no
soft reset, but its exit path does what one does: gc_sweep_all() runs every socket's
finaliser, then the bridge's atexit handler tears down slirp and its queues. A
script that exits with listening, connected and UDP sockets still open must leave
nothing allocated: under `make test SANITIZE=address` LeakSanitizer checks that at
exit, and conftest fails the test on any report. On every firmware, dropping the
same sockets and running gc.collect() brings lwIP's pools and the heap back to
their baseline (the finalisers close them)."""

import socket
import threading

from peers import free_port
from test_socket_api import run
from test_socket_soak import SNAPSHOT

# Opens, and leaves open with something queued in each:
# - a listener on the firmware with one connection accepted and one pending
#   (both from a client inside lwIP, over its loopback netif),
# - a connection to the PC peer with unread data in its receive queue,
# - a UDP socket with an unread datagram.
OPEN_SOCKETS = """
def open_sockets(peer_port, port):
    lst = socket.socket()
    lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lst.bind(("0.0.0.0", port))
    lst.listen(2)
    c1 = socket.socket()
    c1.connect(("127.0.0.1", port))
    a1, _ = lst.accept()
    c1.send(b"unread by a1")
    c2 = socket.socket()
    c2.connect(("127.0.0.1", port))
    tcp = socket.socket()
    tcp.settimeout(10)
    tcp.connect(("10.0.2.2", peer_port))
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("0.0.0.0", port))
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tx.sendto(b"unread datagram", ("127.0.0.1", port))
    # Let the peer's data and the loopback segments arrive.
    t = time.ticks_ms()
    while time.ticks_diff(time.ticks_ms(), t) < 300:
        time.sleep_ms(20)
    return [lst, c1, a1, c2, tcp, udp, tx]
"""


class Peer:
    """Accepts one connection, sends ``greeting``, then reads until EOF or reset;
    ``closed`` is set once it has seen the firmware end the connection. With
    ``close_first`` it closes its side right after the greeting."""

    def __init__(self, greeting=b"data the firmware never reads", close_first=False):
        self.srv = socket.create_server(("127.0.0.1", 0))
        self.port = self.srv.getsockname()[1]
        self.greeting = greeting
        self.close_first = close_first
        self.closed = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        self.srv.settimeout(30)
        conn, _ = self.srv.accept()
        with conn:
            conn.sendall(self.greeting)
            if self.close_first:
                conn.shutdown(socket.SHUT_WR)
            conn.settimeout(30)
            try:
                while conn.recv(4096):
                    pass
            except OSError:
                pass
            self.closed.set()

    def close(self):
        self.srv.close()
        self.thread.join(5)


def test_exit_with_open_sockets_closes_them_and_leaks_nothing(mp):
    peer = Peer()
    try:
        result = mp(
            "import socket, time\n"
            + OPEN_SOCKETS
            + f"""
socks = open_sockets({peer.port}, {free_port()})
print("open", len(socks))
"""
        ).check()
        assert result.out.split() == ["open", "7"]
        # The finaliser closed the connection to the PC as the interpreter exited.
        assert peer.closed.wait(10)
    finally:
        peer.close()


def test_dropped_sockets_return_heap_and_pools_to_baseline(mp):
    peer = Peer(close_first=True)
    try:
        r = run(
            mp,
            SNAPSHOT
            + OPEN_SOCKETS
            + f"""
def settle(base):
    # Closing ends with segments in flight (FIN, RST, the peer's ACK): wait until
    # lwIP has freed the pcbs (bounded).
    t = time.ticks_ms()
    while time.ticks_diff(time.ticks_ms(), t) < 3000:
        gc.collect()
        st = LAN.stats()
        if all(st[k] == base[k] for k in KEYS if k != "mem_used"):
            break
        time.sleep_ms(20)

base = snapshot()
base = snapshot()
socks = open_sockets({peer.port}, {free_port()})
res("open", LAN.stats()["tcp_pcb"] > base["tcp_pcb"])
socks = None
settle(base)
after = snapshot()
res("base", base)
res("after", after)
""",
        )
        assert r["open"] is True
        base, after = r["base"], r["after"]
        # The heap may end a few blocks lower (the conservative GC saw stale
        # pointers on the C stack at the baseline), never higher.
        assert after.pop("heap") <= base.pop("heap"), (r["base"], r["after"])
        assert after == base
        assert peer.closed.wait(10)
    finally:
        peer.close()
