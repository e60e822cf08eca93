"""Argument and state errors that `make coverage` found no test making (issue 15,
item 6). Each answer is compared with CPython's socket module on this Linux host,
which is what the firmware's errno numbers and poll bits are (MicroPython uses
Linux's values), not with a table of our own; where lwIP's socket layer and Linux
differ, lwIP's is followed and its source named."""

import errno
import select
import socket

import pytest
from peers import LOOPBACK
from test_socket_api import run

# inet_pton(AF_INET) follows lwIP's socket layer, which QuecPython and ESP-IDF
# scripts run on: lwip_inet_pton parses with ip4addr_aton, inet_aton's grammar
# (shorthand "1.2.3", octal and hex parts, trailing blanks), not Linux's strict
# dotted quad. glibc's inet_aton (CPython's socket.inet_aton) is the same BSD
# grammar, so it is the reference here.
PTON_INPUTS = [
    "1.2.3.4",
    "255.255.255.255",
    "0.0.0.0",
    "1.2.3",
    "1.2",
    "16909060",
    "01.2.3.4",
    "0x7f.1",
    "0X7F.0.0.1",
    "1.2.3.0004",
    "08.1.2.3",
    "1.2.3.4.5",
    "1.2.3.256",
    "1.2.65536",
    "1..2.3",
    "",
    "a.b.c.d",
    " 1.2.3.4",
    "1.2.3.4 ",
    "1.2.3.4x",
]


def bsd_aton(text):
    try:
        return socket.inet_aton(text)
    except OSError:
        return "error"


def test_inet_pton_parses_ipv4_as_lwips_socket_layer_does(mp):
    r = run(
        mp,
        f"""
for i, text in enumerate({PTON_INPUTS!r}):
    try:
        res(str(i), socket.inet_pton(socket.AF_INET, text))
    except OSError as e:
        res(str(i), ("error", e.args[0]))
""",
    )
    for i, text in enumerate(PTON_INPUTS):
        want = bsd_aton(text)
        got = r[str(i)]
        if want == "error":
            assert got == ("error", errno.EINVAL), (text, got)
        else:
            assert got == want, (text, got)
    # Linux's inet_pton refuses these two; lwIP's socket layer takes them.
    assert r[str(PTON_INPUTS.index("1.2.3"))] == bytes([1, 2, 0, 3])
    assert r[str(PTON_INPUTS.index("01.2.3.4"))] == bytes([1, 2, 3, 4])


def test_inet_pton_with_an_unknown_family_is_eafnosupport_as_on_linux(mp):
    with pytest.raises(OSError) as linux:
        socket.inet_pton(99, "1.2.3.4")
    r = run(mp, 'res("e", err(socket.inet_pton, 99, "1.2.3.4"))\n')
    assert r["e"] == linux.value.errno == errno.EAFNOSUPPORT


def test_poll_on_a_socket_that_never_connected_is_writable_and_hung_up(mp):
    s = socket.socket()
    try:
        p = select.poll()
        p.register(s)
        [(_, linux)] = p.poll(0)
    finally:
        s.close()
    r = run(
        mp,
        """
import select
s = socket.socket()
p = select.poll()
p.register(s)
res("events", [ev for _, ev in p.poll(0)])
s.close()
""",
    )
    assert r["events"] == [linux] == [select.POLLOUT | select.POLLHUP]


def test_stream_read_and_write_on_a_closed_socket_are_ebadf_as_on_linux(mp):
    s = socket.socket()
    s.close()
    linux = []
    for call in (lambda: s.recv(1), lambda: s.send(b"x")):
        with pytest.raises(OSError) as e:
            call()
        linux.append(e.value.errno)
    r = run(
        mp,
        """
s = socket.socket()
s.close()
res("read", err(s.read, 1))
res("readinto", err(s.readinto, bytearray(1)))
res("write", err(s.write, b"x"))
""",
    )
    assert linux == [errno.EBADF, errno.EBADF]
    assert r == {"read": errno.EBADF, "readinto": errno.EBADF, "write": errno.EBADF}


def test_listen_on_a_connected_socket_is_einval_as_on_linux(mp, echo_server):
    with (
        socket.create_connection(echo_server.address) as c,
        pytest.raises(OSError) as linux,
    ):
        c.listen(1)
    r = run(
        mp,
        f"""
s = socket.socket()
s.connect(("10.0.2.2", {echo_server.port}))
res("e", err(s.listen, 1))
s.close()
""",
    )
    assert r["e"] == linux.value.errno == errno.EINVAL


def test_timeouts_below_a_millisecond_still_time_out_and_negative_ones_are_refused(
    mp,
):
    # CPython: a negative timeout is a ValueError; a tiny one is still a timeout
    # (TimeoutError), not non-blocking mode (BlockingIOError).
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        with pytest.raises(ValueError):
            u.settimeout(-1)
        u.bind((LOOPBACK, 0))
        u.settimeout(0.0001)
        with pytest.raises(TimeoutError):
            u.recv(1)
    finally:
        u.close()
    r = run(
        mp,
        """
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
res("negative", err(u.settimeout, -1))
u.bind(("127.0.0.1", 0))
u.settimeout(0.0001)
res("tiny", err(u.recv, 1))
u.close()
""",
    )
    assert r == {"negative": "ValueError", "tiny": errno.ETIMEDOUT}


def test_connect_on_a_listening_socket_is_eisconn_as_on_linux_and_in_lwip(mp):
    # lwIP: lwip_netconn_do_connect answers ERR_ISCONN for a netconn in any state
    # but NETCONN_NONE (a listener is NETCONN_LISTEN).
    s = socket.socket()
    try:
        s.bind((LOOPBACK, 0))
        s.listen(1)
        with pytest.raises(OSError) as linux:
            s.connect(s.getsockname())
    finally:
        s.close()
    r = run(
        mp,
        """
s = socket.socket()
s.bind(("0.0.0.0", 8100))
s.listen(1)
res("e", err(s.connect, ("10.0.2.2", 9)))
s.close()
""",
    )
    assert r["e"] == linux.value.errno == errno.EISCONN


def test_a_datagram_too_big_for_udp_is_emsgsize_as_on_linux_and_in_lwip(
    mp, udp_echo_server
):
    # lwIP: lwip_sendto refuses what cannot fit in one datagram with EMSGSIZE.
    size = 0x10000
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        with pytest.raises(OSError) as linux:
            u.sendto(bytes(size), udp_echo_server.address)
    finally:
        u.close()
    r = run(
        mp,
        f"""
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
res("sendto", err(u.sendto, bytes({size}), ("10.0.2.2", {udp_echo_server.port})))
u.connect(("10.0.2.2", {udp_echo_server.port}))
res("send", err(u.send, bytes({size})))
res("write", err(u.write, bytes({size})))
u.settimeout(5)
res("after", (u.send(b"ping"), u.recv(16)))
u.close()
""",
    )
    assert linux.value.errno == errno.EMSGSIZE
    assert r == {
        "sendto": errno.EMSGSIZE,
        "send": errno.EMSGSIZE,
        "write": errno.EMSGSIZE,
        "after": (4, b"ping"),
    }


def linux_udp_binds(reuse_first, reuse_second_steps):
    """Binds two UDP sockets to one port on Linux; SO_REUSEADDR is set on the
    first as given and on the second to each value of reuse_second_steps in turn.
    Returns "ok" or the errno of the second bind."""
    a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        a.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, reuse_first)
        a.bind((LOOPBACK, 0))
        for v in reuse_second_steps:
            b.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, v)
        try:
            b.bind(a.getsockname())
        except OSError as e:
            return e.errno
        return "ok"
    finally:
        a.close()
        b.close()


def test_so_reuseaddr_cleared_again_is_off_as_on_linux(mp):
    # lwIP's udp_bind lets two pcbs share a port only when both have
    # SOF_REUSEADDR, as Linux does for UDP; setting the option to 0 clears it.
    cases = {"both": [1], "cleared": [1, 0], "never": [0]}
    linux = {name: linux_udp_binds(1, steps) for name, steps in cases.items()}
    r = run(
        mp,
        f"""
for port, (name, steps) in enumerate({cases!r}.items(), 8200):
    a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    a.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    a.bind(("0.0.0.0", port))
    for v in steps:
        b.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, v)
    res(name, err(b.bind, ("0.0.0.0", port)))
    a.close()
    b.close()
""",
    )
    assert linux == {
        "both": "ok",
        "cleared": errno.EADDRINUSE,
        "never": errno.EADDRINUSE,
    }
    assert r == linux


def test_a_datagram_socket_with_the_tcp_protocol_is_eprotonosupport_as_on_linux(mp):
    with pytest.raises(OSError) as linux:
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_TCP)
    r = run(
        mp,
        'res("e", err(socket.socket, socket.AF_INET, socket.SOCK_DGRAM, 6))\n',
    )
    assert r["e"] == linux.value.errno == errno.EPROTONOSUPPORT


def test_joining_a_group_that_is_not_multicast_is_einval_as_on_linux(mp):
    mreq = socket.inet_aton("10.1.2.3") + socket.inet_aton("0.0.0.0")
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        with pytest.raises(OSError) as linux:
            u.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
    finally:
        u.close()
    r = run(
        mp,
        f"""
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
res("e", err(u.setsockopt, socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, {mreq!r}))
u.close()
""",
    )
    assert r["e"] == linux.value.errno == errno.EINVAL


def test_listen_without_bind_on_ipv6_takes_an_ephemeral_port_of_any_address(mp):
    # Linux binds an unbound socket to an ephemeral port of the wildcard address
    # when it listens (lwIP's tcp_listen alone would keep port 0).
    s = socket.socket(socket.AF_INET6)
    try:
        s.listen(1)
        linux = s.getsockname()[:2]
    finally:
        s.close()
    r = run(
        mp,
        """
s = socket.socket(socket.AF_INET6)
s.listen(1)
res("name", s.getsockname()[:2])
s.close()
""",
    )
    assert linux[0] == "::" and linux[1] > 0
    assert r["name"][0] == "::" and r["name"][1] > 0


def test_multicast_loop_turned_off_again_stops_our_own_datagrams(mp):
    # lwIP's udp_sendto_if_src loops a multicast datagram back to this host's
    # members only while the pcb has UDP_FLAGS_MULTICAST_LOOP (Linux's
    # IP_MULTICAST_LOOP means the same); setting it to 0 clears the flag.
    r = run(
        mp,
        """
GROUP, PORT = "239.1.2.4", 5008
r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
r.bind(("0.0.0.0", PORT))
r.settimeout(1)
r.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, bytes([239, 1, 2, 4, 10, 0, 2, 15]))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for name, loop in (("on", 1), ("off", 0), ("on_again", 1)):
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, loop)
    s.sendto(name.encode(), (GROUP, PORT))
    res(name, err(r.recv, 100) if loop == 0 else r.recv(100))
s.close()
r.close()
""",
    )
    assert r == {"on": b"on", "off": errno.ETIMEDOUT, "on_again": b"on_again"}


def test_raw_socket_bind_and_connect_succeed_as_on_linux(mp):
    try:
        raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, 253)
    except PermissionError:
        pytest.skip("raw sockets on this host need root")
    try:
        raw.bind(("0.0.0.0", 0))
        raw.connect((LOOPBACK, 0))
    finally:
        raw.close()
    r = run(
        mp,
        """
raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, 253)
res("bind", err(raw.bind, ("0.0.0.0", 0)))
res("connect", err(raw.connect, ("10.0.2.2", 0)))
raw.close()
""",
    )
    # Linux raised nothing above.
    assert r == {"bind": "ok", "connect": "ok"}


def test_an_empty_send_on_a_connection_returns_0_as_on_linux(mp, echo_server):
    with socket.create_connection(echo_server.address) as c:
        linux = c.send(b"")
    r = run(
        mp,
        f"""
s = socket.socket()
s.connect(("10.0.2.2", {echo_server.port}))
res("send", s.send(b""))
s.settimeout(5)
s.send(b"after")
res("echo", s.recv(16))
s.close()
""",
    )
    assert linux == 0
    assert r == {"send": 0, "echo": b"after"}
