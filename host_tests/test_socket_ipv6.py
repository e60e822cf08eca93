"""IPv6: AF_INET6 sockets with (addr, port, flowinfo, scopeid)
tuples. Inside the firmware the PC is fec0::2 (slirp's IPv6 host alias), which
slirp maps to the PC's ::1, so these peers listen on ::1."""

import socket
import threading

import pytest
from peers import recv_all
from test_socket_api import run

EAFNOSUPPORT = 97


def _has_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(
    not _has_ipv6_loopback(), reason="this machine has no IPv6 loopback (::1)"
)


class Echo6:
    """TCP and UDP echo on [::1], one port number each."""

    def __init__(self):
        self.tcp = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        self.tcp.bind(("::1", 0))
        self.tcp.listen(4)
        self.tcp.settimeout(0.05)
        self.udp = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        self.udp.bind(("::1", 0))
        self.udp.settimeout(0.05)
        self.tcp_port = self.tcp.getsockname()[1]
        self.udp_port = self.udp.getsockname()[1]
        self.peers = []
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._tcp_loop, daemon=True),
            threading.Thread(target=self._udp_loop, daemon=True),
        ]
        for t in self._threads:
            t.start()

    def _tcp_loop(self):
        while not self._stop.is_set():
            try:
                conn, addr = self.tcp.accept()
            except (TimeoutError, OSError):
                continue
            self.peers.append(addr[0])
            with conn:
                conn.settimeout(10)
                try:
                    conn.sendall(recv_all(conn).upper())
                except OSError:
                    pass

    def _udp_loop(self):
        while not self._stop.is_set():
            try:
                data, addr = self.udp.recvfrom(2048)
            except (TimeoutError, OSError):
                continue
            self.udp.sendto(data.upper(), addr)

    def close(self):
        self._stop.set()
        for t in self._threads:
            t.join(5)
        self.tcp.close()
        self.udp.close()


@pytest.fixture
def echo6():
    server = Echo6()
    yield server
    server.close()


def test_tcp_over_ipv6_to_the_pc(mp, echo6):
    r = run(
        mp,
        f"""
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.settimeout(10)
s.connect(("fec0::2", {echo6.tcp_port}, 0, 0))
res("peer", s.getpeername())
res("local", s.getsockname()[0])
res("sta", s.getsocketsta())
s.sendall(b"over ipv6")
s.shutdown(socket.SHUT_WR)
res("echo", s.read())
s.close()
""",
    )
    assert r == {
        "peer": ("fec0::2", echo6.tcp_port, 0, 0),
        "local": "fec0::15",
        "sta": 4,
        "echo": b"OVER IPV6",
    }
    # slirp presents the firmware's connection to the PC as coming from ::1.
    assert echo6.peers == ["::1"]


def test_udp_over_ipv6_to_the_pc(mp, echo6):
    r = run(
        mp,
        f"""
u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
u.settimeout(10)
u.sendto(b"datagram six", ("fec0::2", {echo6.udp_port}, 0, 0))
res("got", u.recvfrom(100))
""",
    )
    assert r == {"got": (b"DATAGRAM SIX", ("fec0::2", echo6.udp_port, 0, 0))}


def test_getaddrinfo_aaaa_and_family_checks(mp, dns_server):
    dns_server.add("six.test", "fec0::2")
    r = run(
        mp,
        """
res("aaaa", socket.getaddrinfo("six.test", 80, socket.AF_INET6, socket.SOCK_STREAM))
res("numeric", socket.getaddrinfo("fec0::2", 443, socket.AF_INET6))
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
res("v4_on_v6_socket", err(s.connect, ("10.0.2.2", 80)))
res("v6_on_v4_socket", err(socket.socket().connect, ("fec0::2", 80, 0, 0)))
b = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
b.bind(("", 0))
res("bound_any", b.getsockname()[0])
""",
    )
    assert r == {
        "aaaa": [(10, 1, 6, "", ("fec0::2", 80, 0, 0))],
        "numeric": [(10, 1, 6, "", ("fec0::2", 443, 0, 0))],
        "v4_on_v6_socket": EAFNOSUPPORT,
        "v6_on_v4_socket": EAFNOSUPPORT,
        "bound_any": "::",
    }
    assert ("six.test", "AAAA") in dns_server.queries
