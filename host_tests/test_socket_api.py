"""The socket API of the five reference documents: every name exists with
its documented signature and does what the documents say, run on the firmware
against CPython peers. The firmware half of each test is a script under
host_tests/fw/socket_api/. API_COVERAGE.md maps each name to the tests here and in
the other test_socket_*.py files."""

import ast
import socket
import sys
import threading
import time
from pathlib import Path

import pytest
from mprunner import fw, use_target_errno
from peers import free_port, free_udp_port, recv_all, rst_close

# The MCU suite runs this module on the QEMU target too, with newlib's errno values.
pytestmark = pytest.mark.qemu


@pytest.fixture(autouse=True)
def _target_errno(mp_target, monkeypatch):
    use_target_errno(sys.modules[__name__], mp_target, monkeypatch)


# The prelude of the inline scripts in the modules that import it and `run` (this
# module's own scripts are files): the helpers of host_tests/fw/fwtest.py, which
# the runner puts beside the script. `res(name, value)` prints a result line the
# test parses with `results()`; `err(f, *args)` returns the errno f raised, the
# name of any other exception, or "ok".
PRELUDE = """
import socket, gc, time, network
from fwtest import err, res
LAN = network.LAN()
"""

# errno values (MicroPython's, which are Linux's).
EBADF, EAGAIN, EINVAL, ENOTCONN, EADDRINUSE = 9, 11, 22, 107, 98
ETIMEDOUT = 110
EAFNOSUPPORT, EPROTONOSUPPORT, EOPNOTSUPP = 97, 93, 95
ECONNREFUSED = 111


def run(mp, script, **kw):
    """Runs a script on the firmware; returns the `res` results as a dict. The
    script is a file from fw() (host_tests/fw/, its parameters in ``params``), or
    inline text, run after PRELUDE."""
    if not isinstance(script, Path):
        script = PRELUDE + script
    return results(mp(script, **kw).check().out)


def results(out):
    found = {}
    for line in out.splitlines():
        if line.startswith("@ "):
            name, _, value = line[2:].partition(" = ")
            found[name] = ast.literal_eval(value)
    return found


# --------------------------------------------------------------------------------------
# Names, values and signatures


def test_module_is_registered_as_usocket_and_socket(mp):
    r = run(mp, fw("socket_api/module_is_registered_as_usocket_and_socket.py"))
    assert r == {"same": True, "name": "usocket", "type": "socket"}


CONSTANTS = {
    "AF_INET": 2,
    "AF_INET6": 10,
    "SOCK_STREAM": 1,
    "SOCK_DGRAM": 2,
    "SOCK_RAW": 3,
    "IPPROTO_IP": 0,
    "IPPROTO_TCP": 6,
    "IPPROTO_UDP": 17,
    "IPPROTO_TCP_SER": 7,
    "TCP_CUSTOMIZE_PORT": 8,
    "SOL_SOCKET": 0xFFF,
    "SO_REUSEADDR": 4,
    # lwIP's values (SOF_KEEPALIVE, SOF_BROADCAST, TCP_NODELAY).
    "SO_KEEPALIVE": 8,
    "SO_BROADCAST": 0x20,
    "TCP_NODELAY": 1,
    # QuecPython: keepalive idle time in minutes.
    "TCP_KEEPALIVE": 2,
    "SHUT_RD": 0,
    "SHUT_WR": 1,
    "SHUT_RDWR": 2,
}


def test_constants_have_contract_values(mp):
    r = run(mp, fw("socket_api/constants_have_contract_values.py"))
    assert r == CONSTANTS


def test_every_documented_name_exists(mp):
    r = run(mp, fw("socket_api/every_documented_name_exists.py"))
    assert r == {"functions": [], "methods": []}


# (call, outcome): each documented signature is accepted, and one argument more (or
# fewer) than it allows is a TypeError. "ok" or an errno means the arguments were
# accepted and the call did its job or failed for a socket-level reason. The
# firmware script makes the calls in this order, each named by its text here.
SIGNATURES = [
    ("socket.socket()", "ok"),
    ("socket.socket(socket.AF_INET)", "ok"),
    ("socket.socket(socket.AF_INET, socket.SOCK_STREAM)", "ok"),
    ("socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)", "ok"),
    ("socket.socket(2, 1, 6, 0)", "TypeError"),
    ("socket.getaddrinfo('10.0.2.2', 80)", "ok"),
    ("socket.getaddrinfo('10.0.2.2', 80, 0, 0, 0, 0)", "ok"),
    ("socket.getaddrinfo('10.0.2.2')", "TypeError"),
    ("socket.getaddrinfo('10.0.2.2', 80, 0, 0, 0, 0, 0)", "TypeError"),
    ("socket.inet_pton(socket.AF_INET, '1.2.3.4')", "ok"),
    ("socket.inet_pton(socket.AF_INET)", "TypeError"),
    ("socket.inet_ntop(socket.AF_INET, b'1234')", "ok"),
    ("socket.inet_ntop(socket.AF_INET, b'1234', 0)", "TypeError"),
    ("t.bind(('', 0))", "ok"),
    ("t.bind()", "TypeError"),
    ("t.bind(('', 0), 1)", "TypeError"),
    ("t.listen()", "ok"),
    ("t.listen(1)", "ok"),
    ("t.listen(1, 2)", "TypeError"),
    ("t.accept()", EAGAIN),
    ("t.accept(1)", "TypeError"),
    ("c.connect()", "TypeError"),
    ("c.connect(('10.0.2.2', 1), 1)", "TypeError"),
    ("c.send()", "TypeError"),
    ("c.send(b'x', 0)", "TypeError"),
    ("c.sendall()", "TypeError"),
    ("c.sendall(b'x', 0)", "TypeError"),
    ("c.recv()", "TypeError"),
    ("c.recv(1, 0)", ENOTCONN),
    ("c.recv(1, 0, 0)", "TypeError"),
    ("u.sendto(b'x', ('10.0.2.2', 9))", "ok"),
    ("u.sendto(b'x')", "TypeError"),
    ("u.sendto(b'x', ('10.0.2.2', 9), 0)", "TypeError"),
    ("u.recvfrom(1)", EAGAIN),
    ("u.recvfrom()", "TypeError"),
    ("u.recvfrom(1, 0)", EAGAIN),
    ("u.recvfrom(1, 0, 0)", "TypeError"),
    ("c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)", "ok"),
    ("c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR)", "TypeError"),
    ("c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1, 0)", "TypeError"),
    ("c.settimeout(None)", "ok"),
    ("c.settimeout(0.5)", "ok"),
    ("c.settimeout()", "TypeError"),
    ("c.setblocking(True)", "ok"),
    ("c.setblocking()", "TypeError"),
    ("c.makefile()", "ok"),
    ("c.makefile('rb')", "ok"),
    ("c.makefile('rwb', 0)", "ok"),
    ("c.makefile('rb', 0, 0)", "TypeError"),
    ("n.read()", EAGAIN),
    ("n.read(1)", EAGAIN),
    ("n.read(1, 2)", "TypeError"),
    ("n.readall()", EAGAIN),
    ("n.readinto(bytearray(4))", EAGAIN),
    ("n.readinto(bytearray(4), 2)", EAGAIN),
    ("n.readinto(bytearray(4), 2, 1)", "TypeError"),
    ("n.readline()", EAGAIN),
    ("n.write(b'x')", EAGAIN),
    ("n.write()", "TypeError"),
    ("c.getsocketsta()", "ok"),
    ("c.getsocketsta(1)", "TypeError"),
    ("c.close(1)", "TypeError"),
    ("c.close()", "ok"),
]


def test_signatures_accept_documented_arities_and_reject_others(mp):
    # t: a TCP socket to bind/listen on; c: an unconnected TCP socket; u: a
    # non-blocking UDP socket; n: a non-blocking TCP socket still connecting (reads
    # and writes would block: EAGAIN, or None from the stream methods, which err()
    # turns into "ok"... so n raises EAGAIN only where the method does).
    r = run(
        mp,
        fw("socket_api/signatures_accept_documented_arities_and_reject_others.py"),
    )
    # SIGNATURES holds Linux's numbers; the [qemu] instance expects newlib's.
    target = {9: EBADF, 11: EAGAIN, 22: EINVAL, 107: ENOTCONN, 98: EADDRINUSE}
    expected = {
        call: target.get(outcome, outcome) if isinstance(outcome, int) else outcome
        for call, outcome in SIGNATURES
    }
    # The stream methods return None instead of raising EAGAIN (MicroPython's
    # stream rules), except where the socket method itself raises.
    for call in (
        "n.read()",
        "n.read(1)",
        "n.readall()",
        "n.readinto(bytearray(4))",
        "n.readinto(bytearray(4), 2)",
        "n.readline()",
        "n.write(b'x')",
    ):
        expected[call] = "ok"
    assert r == expected


# --------------------------------------------------------------------------------------
# getaddrinfo, inet_pton, inet_ntop


def test_getaddrinfo_numeric_host_needs_no_dns(mp, dns_server, mp_target):
    if mp_target == "qemu":
        pytest.skip(
            "QEMU target: IPv6 is off in the MCU build's lwIP (IPv4 only, as on the Pico)"
        )
    r = run(mp, fw("socket_api/getaddrinfo_numeric_host_needs_no_dns.py"))
    assert r["plain"] == [(2, 1, 6, "", ("10.0.2.2", 80))]
    assert r["str_port"] == [(2, 1, 6, "", ("10.0.2.2", 8080))]
    assert r["none_host"] == [(2, 1, 6, "", ("0.0.0.0", 80))]
    assert r["v6"][0][0] == 10 and r["v6"][0][4][1] == 80
    assert dns_server.queries == []


def test_name_lookups_hold_lwip_memory_only_while_they_run(mp, dns_server):
    """A lookup's result slot is allocated from lwIP's heap for the lookup and given
    back when it ends, answered or not: no static table of slots, nothing left
    behind. Five lookups in a row (more than the four that may be in flight at
    once) all run."""
    r = run(mp, fw("socket_api/name_lookups_hold_lwip_memory_only_while_they_run.py"))
    assert r == {
        "found": ["ok"] * 5 + [-2],
        "addr": ("10.0.2.2", 80),
        "left": True,
    }
    assert ("nowhere.invalid", "A") in dns_server.queries


def test_getaddrinfo_filters_by_family_and_type(mp, dns_server):
    r = run(mp, fw("socket_api/getaddrinfo_filters_by_family_and_type.py"))
    assert r["inet_stream"] == [(2, 1, 6, "", ("10.0.2.2", 80))]
    assert r["inet_dgram"] == [(2, 2, 17, "", ("10.0.2.2", 53))]
    assert r["dgram_udp"] == [(2, 2, 17, "", ("10.0.2.2", 53))]
    # A numeric address of the other family has nothing to offer: an error, never a
    # wrong-family address.
    assert r["v4_as_v6"] != "ok" and r["v6_as_v4"] != "ok"
    assert r["bad_family"] < 0
    assert r["name_v4"] == [(2, 1, 6, "", ("10.0.2.2", 443))]


def test_getaddrinfo_resolves_names_through_lwip_dns(mp, dns_server):
    dns_server.add("device.test", "10.0.2.2")
    r = run(mp, fw("socket_api/getaddrinfo_resolves_names_through_lwip_dns.py"))
    assert r["ai"] == [(2, 1, 6, "", ("10.0.2.2", 80))]
    assert ("device.test", "A") in dns_server.queries


def test_getaddrinfo_unknown_name_raises_negative_errno(mp, dns_server):
    r = run(mp, fw("socket_api/getaddrinfo_unknown_name_raises_negative_errno.py"))
    assert isinstance(r["unknown"], int) and r["unknown"] < 0


def test_inet_pton_and_inet_ntop(mp, mp_target):
    if mp_target == "qemu":
        pytest.skip(
            "QEMU target: IPv6 is off in the MCU build's lwIP (IPv4 only, as on the Pico)"
        )
    r = run(mp, fw("socket_api/inet_pton_and_inet_ntop.py"))
    assert r["pton4"] == b"\x01\x02\x03\x04"
    assert r["ntop4"] == "127.0.0.1"
    assert r["pton6"] == socket.inet_pton(socket.AF_INET6, "fec0::2")
    assert r["ntop6"] == "2001:db8::1"
    assert r["bad_text"] == EINVAL
    assert r["bad_af"] == EAFNOSUPPORT
    assert r["bad_len"] == "ValueError"


# --------------------------------------------------------------------------------------
# Lifetime: close, context manager, makefile, finaliser


def test_close_is_idempotent_and_everything_after_it_is_ebadf(mp):
    r = run(
        mp,
        fw("socket_api/close_is_idempotent_and_everything_after_it_is_ebadf.py"),
    )
    assert r.pop("getsocketsta") == -1
    assert r.pop("udp_getsocketsta") == -1
    assert r == {name: EBADF for name in r}


def test_context_manager_closes_the_socket(mp, echo_server):
    r = run(
        mp,
        fw("socket_api/context_manager_closes_the_socket.py"),
        params={"port": echo_server.port},
    )
    assert r == {
        "enter_returns_socket": "socket",
        "echo": b"ping",
        "inside": 4,
        "after": -1,
        "send_after": EBADF,
    }
    assert echo_server.wait_idle(5)


def test_makefile_is_the_socket_stream_and_closing_it_closes_the_socket(
    mp, echo_server
):
    r = run(
        mp,
        fw(
            "socket_api/makefile_is_the_socket_stream_and_closing_it_closes_the_socket.py"
        ),
        params={"port": echo_server.port},
    )
    assert r == {"same": True, "l1": b"line one\n", "l2": b"line two\n", "sta": -1}


def test_finaliser_frees_the_pcb(mp, tcp_server, mp_target):
    if mp_target == "qemu":
        pytest.skip(
            "QEMU target: holds more TCP pcbs than the MCU build's lwIP has (MEMP_NUM_TCP_PCB 8)"
        )
    # The peer closes first, so the collected connections' pcbs finish in LAST_ACK
    # and are freed instead of waiting in TIME_WAIT.
    server = tcp_server(lambda conn, addr: None)
    r = run(
        mp,
        fw("socket_api/finaliser_frees_the_pcb.py"),
        params={"port": server.port},
    )
    assert r["held"] == (6, 6, 6)
    assert r["after"] == r["base"] == (0, 0, 0)


# --------------------------------------------------------------------------------------
# TCP basics: bind/listen/accept/connect and the stream methods


def test_tcp_client_send_recv_read_readinto_readline_write(mp, tcp_server):
    def handler(conn, addr):
        data = recv_all(conn, 12)
        conn.sendall(b"abc" + data + b"first line\nsecond\n" + b"0123456789")
        time.sleep(0.2)

    server = tcp_server(handler)
    r = run(
        mp,
        fw("socket_api/tcp_client_send_recv_read_readinto_readline_write.py"),
        params={"port": server.port},
    )
    assert r == {
        "send": 5,
        "sendall": None,
        "write": 6,
        "recv": b"abc",
        "read": b"hello world!",
        "readline": b"first line\n",
        "readline2": b"second\n",
        "readinto": (4, b"0123"),
        # No short reads: 6 bytes remain before EOF, readinto returns those.
        "readinto_all": (6, b"456789\x00\x00"),
        "eof_recv": b"",
        "eof_read": ENOTCONN,
    }


def test_readline_limit_is_not_allocated_up_front(mp, tcp_server):
    """readline(limit) takes the line into a buffer that grows with it: a limit far
    bigger than the heap (py/stream.c's readline allocates the limit first and
    raises MemoryError) reads a long line and a short one."""
    long_line = b"x" * 3000 + b"\n"

    def handler(conn, addr):
        conn.sendall(long_line + b"short\n")
        time.sleep(0.2)

    server = tcp_server(handler)
    r = run(
        mp,
        fw("socket_api/readline_limit_is_not_allocated_up_front.py"),
        params={"port": server.port},
    )
    assert r == {"long": long_line, "short": b"short\n"}


def test_read_without_size_and_readall_read_until_eof(mp, tcp_server, mp_target):
    if mp_target == "qemu":
        pytest.skip("QEMU target: reads 76 kB whole, the MCU heap is 140 KiB")
    payload = bytes(range(256)) * 300

    def handler(conn, addr):
        conn.sendall(payload)

    server = tcp_server(handler)
    r = run(
        mp,
        fw("socket_api/read_without_size_and_readall_read_until_eof.py"),
        params={"port": server.port},
    )
    assert r == {"read": (76800, True), "readall": (76800, True)}


def test_connect_and_sendto_accept_a_host_name(
    mp, dns_server, echo_server, udp_echo_server
):
    r = run(
        mp,
        fw("socket_api/connect_and_sendto_accept_a_host_name.py"),
        params={"port": echo_server.port, "udp_port": udp_echo_server.port},
    )
    assert r["peer"] == ("10.0.2.2", echo_server.port)
    assert (r["echo"], r["udp"]) == (b"by name", b"udp by name")
    assert r["unknown"] < 0
    assert ("echo.test", "A") in dns_server.queries


def test_server_bind_listen_accept_returns_conn_and_address(mp):
    host_port = free_port()
    proc = mp.spawn(
        fw("socket_api/server_bind_listen_accept_returns_conn_and_address.py"),
        hostfwd=[f"tcp:{host_port}:8000"],
    )
    proc.wait_for("listening")
    with socket.create_connection(("127.0.0.1", host_port), timeout=10) as c:
        c.sendall(b"hello")
        assert recv_all(c) == b"HELLO"
    r = results(proc.wait(20).check().out)
    assert r == {
        "sta_listen": 1,
        "name": ("0.0.0.0", 8000),
        "addr": ("tuple", "10.0.2.2", "int"),
        "peername": True,
        "conn_sta": 4,
    }


def test_ipproto_tcp_ser_accept_returns_conn_ip_port(mp):
    host_port = free_port()
    proc = mp.spawn(
        fw("socket_api/ipproto_tcp_ser_accept_returns_conn_ip_port.py"),
        hostfwd=[f"tcp:{host_port}:8001"],
    )
    proc.wait_for("listening")
    with socket.create_connection(("127.0.0.1", host_port), timeout=10) as c:
        assert recv_all(c) == b"quec"
    r = results(proc.wait(20).check().out)
    assert r == {"len": 3, "kinds": ("socket", "10.0.2.2", "int")}


def test_tcp_customize_port_client_binds_its_local_port_first(mp, echo_server):
    r = run(
        mp,
        fw("socket_api/tcp_customize_port_client_binds_its_local_port_first.py"),
        params={"port": echo_server.port},
    )
    assert r == {"local": ("10.0.2.15", 40123), "echo": b"custom"}


def test_bind_any_address_and_port_zero_picks_a_port(mp):
    r = run(mp, fw("socket_api/bind_any_address_and_port_zero_picks_a_port.py"))
    assert r == {
        "any": "0.0.0.0",
        "port_picked": True,
        "udp_port_picked": True,
        "bind_twice": EINVAL,
        "bad_port": "ValueError",
        "bad_addr": "ValueError",
    }


# USOCKET_NET_SEED=7710 makes lwIP's tcp_init() draw 0xffff as the first ephemeral
# TCP port (it is the second LWIP_RAND() draw of the boot, after udp_init()'s); 7711
# is a control. lwIP 2.2.1 itself then fails the boot's first tcp_connect() with
# ERR_BUF and hands out ports 1, 2, 3... (modusocket/usocket_lwip_port_range.h).
@pytest.mark.parametrize("seed", ["7710", "7711"])
def test_ephemeral_tcp_ports_whatever_the_boot_seed(mp, seed):
    closed = free_port()
    r = run(
        mp,
        fw("socket_api/ephemeral_tcp_ports_whatever_the_boot_seed.py"),
        params={"closed": closed},
        env={"USOCKET_NET_SEED": seed},
    )
    assert r["connect"] == ECONNREFUSED
    assert all(0xC000 <= p < 0xFFFF for p in r["ports"]), r["ports"]
    assert len(set(r["ports"])) == 3


def test_bind_to_a_port_in_use_is_eaddrinuse(mp):
    r = run(mp, fw("socket_api/bind_to_a_port_in_use_is_eaddrinuse.py"))
    assert r == {"tcp": EADDRINUSE, "udp": EADDRINUSE}


def test_socket_constructor_rejects_unknown_family_type_and_proto(mp):
    r = run(
        mp,
        fw("socket_api/socket_constructor_rejects_unknown_family_type_and_proto.py"),
    )
    assert r == {
        "family": EAFNOSUPPORT,
        "type": EPROTONOSUPPORT,
        "tcp_as_udp": EPROTONOSUPPORT,
        "udp_as_tcp": EPROTONOSUPPORT,
    }


# --------------------------------------------------------------------------------------
# UDP and raw sockets


def test_udp_sendto_recvfrom(mp, udp_echo_server):
    r = run(
        mp,
        fw("socket_api/udp_sendto_recvfrom.py"),
        params={"port": udp_echo_server.port},
    )
    assert r == {
        "sent": 12,
        "got": (b"datagram one", ("10.0.2.2", udp_echo_server.port)),
        "sent_list": 1000,
        # The rest of a datagram bigger than the buffer is discarded.
        "truncated": b"x" * 10,
        "sta": 0,
    }
    assert [d for d, _ in udp_echo_server.datagrams] == [b"datagram one", b"x" * 1000]


def test_udp_connect_send_recv_and_stream_methods(mp, udp_echo_server):
    r = run(
        mp,
        fw("socket_api/udp_connect_send_recv_and_stream_methods.py"),
        params={"port": udp_echo_server.port},
    )
    assert r == {
        "send_unconnected": ENOTCONN,
        "peer": ("10.0.2.2", udp_echo_server.port),
        "send": 9,
        "recv": b"connected",
        "write": 6,
        "read": b"stream",
        "recvfrom": (b"all", ("10.0.2.2", udp_echo_server.port)),
    }


def test_udp_receive_queue_holds_8_datagrams_and_drops_the_rest(mp, udp_echo_server):
    r = run(
        mp,
        fw("socket_api/udp_receive_queue_holds_8_datagrams_and_drops_the_rest.py"),
        params={"port": udp_echo_server.port},
    )
    assert len(udp_echo_server.datagrams) == 12
    assert r == {
        "got": [b"d%d" % i for i in range(8)],
        "then": EAGAIN,
        "pbufs_left": 0,
    }


def test_udp_from_a_host_client_through_hostfwd(mp):
    host_port = free_udp_port()
    proc = mp.spawn(
        fw("socket_api/udp_from_a_host_client_through_hostfwd.py"),
        hostfwd=[f"udp:{host_port}:9000"],
    )
    proc.wait_for("listening")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as c:
        c.settimeout(5)
        c.sendto(b"hi there", ("127.0.0.1", host_port))
        assert c.recvfrom(100)[0] == b"HI THERE"
    assert results(proc.wait(20).check().out) == {"got": (b"hi there", "10.0.2.2")}


def test_sock_raw_can_be_created_and_used(mp):
    r = run(mp, fw("socket_api/sock_raw_can_be_created_and_used.py"))
    assert r == {
        "type": "socket",
        "raw_pcb": 1,
        "sent": 8,
        "sta": 0,
        "raw_pcb_after": 0,
    }


def test_raw_icmp_socket_receives_the_echo_reply_with_its_ip_header_and_source(mp):
    """slirp answers a ping of the host alias itself; as on Linux, a raw IPv4 socket
    receives the whole packet, IP header first, and recvfrom() gives the sender.
    (The datagram's source is kept with the packet in lwIP's buffer, where a raw
    packet has no header room left in front of it.)"""
    r = run(
        mp,
        fw(
            "socket_api/raw_icmp_socket_receives_the_echo_reply_with_its_ip_header_and_source.py"
        ),
    )
    assert r == {
        "addr": ("10.0.2.2", 0),
        "ip": (4, 20, 1, bytes([10, 0, 2, 2])),
        "icmp": (0, b"\x124\x00\x01hello!"),
        "peek": True,
    }


def test_multicast_memberships_take_lwip_heap_only_while_held(mp, mp_target):
    """Memberships are kept per socket in lwIP's heap, not in a static table: joining
    takes some, leaving, closing the socket or its collection by the GC gives it
    back, and many sockets can each join."""
    if mp_target == "qemu":
        pytest.skip("IGMP is off in the MCU build's lwIP, and it has 6 UDP pcbs")
    r = run(
        mp,
        fw("socket_api/multicast_memberships_take_lwip_heap_only_while_held.py"),
    )
    assert r == {"joined": True, "left": True}


# --------------------------------------------------------------------------------------
# setsockopt


def test_setsockopt_standard_and_quecpython_options(mp):
    r = run(mp, fw("socket_api/setsockopt_standard_and_quecpython_options.py"))
    assert r == {
        "reuseaddr": "ok",
        "reuseaddr_bytes": "ok",
        "keepalive": "ok",
        "nodelay": "ok",
        "nodelay_off": "ok",
        "keepalive_min_1": "ok",
        "keepalive_min_60": "ok",
        "keepalive_min_120": "ok",
        "keepalive_min_0": EINVAL,
        "keepalive_min_121": EINVAL,
        "keepalive_min_-1": EINVAL,
        "unknown_opt": EINVAL,
        "unknown_level": EINVAL,
        "bad_bytes": EINVAL,
        "udp_reuse": "ok",
        "udp_broadcast": "ok",
        "udp_nodelay": EINVAL,
        "udp_keepalive": EINVAL,
    }


def test_so_reuseaddr_lets_a_server_rebind_while_time_wait(mp):
    """A server that closed a connection first leaves a TIME_WAIT pcb on its port;
    SO_REUSEADDR lets the next server bind the port at once."""
    host_port = free_port()
    proc = mp.spawn(
        fw("socket_api/so_reuseaddr_lets_a_server_rebind_while_time_wait.py"),
        hostfwd=[f"tcp:{host_port}:8002"],
    )
    proc.wait_for("listening")
    with socket.create_connection(("127.0.0.1", host_port), timeout=10) as c:
        assert recv_all(c) == b"bye"
    r = results(proc.wait(20).check().out)
    assert r == {"tw_pcbs": 1, "without": EADDRINUSE, "with": "ok"}


def test_keepalive_options_make_lwip_send_probes(mp, tcp_server):
    """TCP_KEEPALIVE takes minutes (QuecPython) and turns keepalive on; the
    probes are lwIP's. A 1 s TCP_KEEPIDLE/TCP_KEEPINTVL shows they really go out:
    frames leave while the application only waits in recv, and the CPython peer
    answers them, so the connection stays up."""
    release = threading.Event()

    def handler(conn, addr):
        release.wait(10)

    server = tcp_server(handler)
    r = run(
        mp,
        fw("socket_api/keepalive_options_make_lwip_send_probes.py"),
        params={"port": server.port},
        timeout=30,
    )
    release.set()
    assert r == {
        "idle_without": ETIMEDOUT,
        "frames_without": 0,
        "idle_with": ETIMEDOUT,
        "probes": True,
        "still_up": 4,
    }


def test_collected_listener_frees_pending_connections(mp):
    host_port = free_port()
    proc = mp.spawn(
        fw("socket_api/collected_listener_frees_pending_connections.py"),
        hostfwd=[f"tcp:{host_port}:8003"],
    )
    proc.wait_for("listening")
    with socket.create_connection(("127.0.0.1", host_port), timeout=10) as c:
        c.settimeout(10)
        r = results(proc.wait(20).check().out)
        # The pending connection was aborted: the client sees a reset or EOF.
        try:
            assert c.recv(10) == b""
        except ConnectionResetError:
            pass
    assert r == {"pending": 1, "after": (0, 0)}


def test_options_set_on_a_listener_leave_other_listeners_intact(mp):
    """Issue 15 bug 1: after listen() the pcb is lwIP's much smaller struct
    tcp_pcb_listen, and TCP options written into it went past its end into the
    next pcb of the pool (here: the other listeners, whose port and state changed
    and which stopped accepting). Every option on a listener must leave the other
    listeners as they were, and each listener must still accept a real client."""
    ports = [free_port() for _ in range(3)]
    proc = mp.spawn(
        fw("socket_api/options_set_on_a_listener_leave_other_listeners_intact.py"),
        hostfwd=[f"tcp:{p}:{8110 + i}" for i, p in enumerate(ports)],
    )
    proc.wait_for("listening")
    for i, port in enumerate(ports):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as c:
            c.sendall(b"hello %d" % i)
            assert recv_all(c) == b"from listener %d: hello %d" % (i, i)
    r = results(proc.wait(20).check().out)
    assert r == {"unchanged": True}


def test_accepted_connection_carries_the_listeners_keepalive_options(mp):
    """As on Linux, a connection accepted from a listener has the listener's
    options, whether they were set before listen() or after it. Observable through
    lwIP's keepalive probes: with a 1 s idle time set on the listener, frames
    leave while the accepted connection only waits in recv, and the CPython client
    answers them (the connection stays up); from a listener without them, nothing
    leaves (lwIP's default idle time is 2 hours)."""
    ports = [free_port() for _ in range(3)]
    proc = mp.spawn(
        fw("socket_api/accepted_connection_carries_the_listeners_keepalive_options.py"),
        hostfwd=[f"tcp:{p}:{8120 + i}" for i, p in enumerate(ports)],
    )
    proc.wait_for("listening")
    clients = [socket.create_connection(("127.0.0.1", p), timeout=10) for p in ports]
    try:
        r = results(proc.wait(40).check().out)
    finally:
        for c in clients:
            c.close()
    assert r.pop("before_frames") >= 2
    assert r.pop("after_frames") >= 2
    assert r == {
        "before_idle": ETIMEDOUT,
        "before_state": 4,
        "after_idle": ETIMEDOUT,
        "after_state": 4,
        "plain_idle": ETIMEDOUT,
        "plain_frames": 0,
        "plain_state": 4,
    }


def test_setsockopt_in_every_socket_state(mp, tcp_server):
    """Every option is accepted in every state a TCP socket can be in (new,
    bound, listening, connecting, connected, ended by the peer's RST); only a
    closed socket refuses, with EBADF."""
    release = threading.Event()

    def handler(conn, addr):
        if conn.recv(10) == b"rst":
            rst_close(conn)
        release.wait(10)

    server = tcp_server(handler)
    r = run(
        mp,
        fw("socket_api/setsockopt_in_every_socket_state.py"),
        params={"port": server.port},
    )
    release.set()
    assert r == {
        "new": ["ok"],
        "bound": ["ok"],
        "listening": ["ok"],
        "closed": [EBADF],
        "connecting": ["ok"],
        "connected": ["ok"],
        "reset": 104,
        "ended": ["ok"],
    }
