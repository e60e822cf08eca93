"""The foundation: the firmware reaches loopback peers through lwIP and libslirp,
peers reach the firmware through USOCKET_HOSTFWD, DNS goes to the tests' own
server, and nothing leaves the machine."""

import socket
import subprocess
import threading
import time

import pytest
from peers import MP_PATTERN_SRC, free_port, pattern, recv_all

MIB = 1024 * 1024

# A MicroPython script that sends `n` pattern bytes (seed 1) to the peer, then reads
# until EOF and checks it got `n` pattern bytes with seed 2.
EXCHANGE = (
    MP_PATTERN_SRC
    + """
import socket, sys
N = int(sys.argv[1])
PORT = int(sys.argv[2])
s = socket.socket()
s.settimeout(20)
s.connect(("10.0.2.2", PORT))
sent = 0
while sent < N:
    chunk = pattern(min(4096, N - sent), 1, sent)
    s.sendall(chunk)
    sent += len(chunk)
got = 0
bad = -1
while True:
    d = s.recv(8192)
    if not d:
        break
    if bad < 0 and d != pattern(len(d), 2, got):
        bad = got
    got += len(d)
s.close()
print("sent", sent, "got", got, "bad", bad)
"""
)


def exchange_handler(n, result):
    """Reads n bytes, checks them against pattern(n, 1), sends pattern(n, 2) and
    closes: the CPython side of the 1 MiB exchange."""

    def handler(conn, addr):
        data = b""
        while len(data) < n:
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
        result["received_ok"] = data == pattern(n, 1)
        result["received"] = len(data)
        conn.sendall(pattern(n, 2))
        conn.shutdown(socket.SHUT_WR)
        recv_all(conn)

    return handler


def run_exchange(mp, tcp_server, env=None, timeout=60):
    result = {}
    server = tcp_server(exchange_handler(MIB, result))
    out = mp(EXCHANGE, args=[MIB, server.port], env=env, timeout=timeout).check().out
    assert f"sent {MIB} got {MIB} bad -1" in out
    assert result == {"received_ok": True, "received": MIB}


@pytest.mark.slow
def test_1mib_exchange_byte_exact(mp, tcp_server):
    run_exchange(mp, tcp_server)


@pytest.mark.slow
def test_1mib_exchange_with_loss_and_delay(mp, tcp_server):
    env = {
        "USOCKET_NET_LOSS": "0.05",
        "USOCKET_NET_DELAY_MS": "10",
        "USOCKET_NET_SEED": "7",
    }
    run_exchange(mp, tcp_server, env=env, timeout=120)


def test_host_client_reaches_firmware_server_through_hostfwd(mp):
    host_port = free_port()
    fw = mp.spawn(
        """
        import socket
        srv = socket.socket()
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind(("", 8080))
        srv.listen(1)
        print("listening")
        conn, addr = srv.accept()
        data = conn.recv(100)
        conn.send(data.upper())
        conn.close()
        srv.close()
        print("peer", addr[0], "data", data)
        """,
        hostfwd=[f"tcp:{host_port}:8080"],
    )
    fw.wait_for("listening")
    with socket.create_connection(("127.0.0.1", host_port), timeout=10) as c:
        c.sendall(b"hello firmware")
        assert recv_all(c) == b"HELLO FIRMWARE"
    out = fw.wait(20).check().out
    # slirp presents host clients as the host alias.
    assert "peer 10.0.2.2 data b'hello firmware'" in out


def test_getaddrinfo_resolves_through_test_dns(mp, dns_server):
    out = (
        mp(
            """
        import socket
        print(socket.getaddrinfo("test.example", 80))
        """
        )
        .check()
        .out
    )
    assert "[(2, 1, 6, '', ('10.0.2.2', 80))]" in out
    assert any(name == "test.example" for name, _ in dns_server.queries)


@pytest.mark.parametrize("target", ["10.0.2.99", "192.0.2.1"])
def test_other_destinations_are_dropped_by_the_filter(mp, target):
    out = (
        mp(
            f"""
        import socket, network
        lan = network.LAN()
        before = lan.stats()["dropped_filter"]
        s = socket.socket()
        s.settimeout(2)
        try:
            s.connect(("{target}", 80))
            print("connected?!")
        except OSError as e:
            print("error", e.errno)
        s.close()
        print("dropped", lan.stats()["dropped_filter"] - before)
        """
        )
        .check()
        .out
    )
    assert "error 110" in out  # ETIMEDOUT: nothing ever answers
    dropped = int(out.split("dropped")[1].split()[0])
    assert dropped > 0


def test_nothing_reaches_an_outside_address(mp):
    """A UDP datagram to an outside address is dropped before slirp: a socket the
    test listens on at 127.0.0.1 with the same port never sees it."""
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("127.0.0.1", 0))
    sink.settimeout(0.5)
    port = sink.getsockname()[1]
    got = []
    t = threading.Thread(target=lambda: got.append(_try_recv(sink)))
    t.start()
    out = (
        mp(
            f"""
        import socket, network, time
        lan = network.LAN()
        before = lan.stats()["dropped_filter"]
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.sendto(b"leak?", ("192.0.2.1", {port}))
        time.sleep(0.2)
        print("dropped", lan.stats()["dropped_filter"] - before)
        """
        )
        .check()
        .out
    )
    t.join()
    sink.close()
    assert got == [None]
    assert int(out.split("dropped")[1].split()[0]) >= 1


def _try_recv(sock):
    try:
        return sock.recv(100)
    except OSError:
        return None


def test_usocket_and_socket_are_one_module_and_versions_print(mp):
    out = (
        mp(
            """
        import sys, usocket, socket
        print(usocket is socket)
        print(sys.implementation.name, sys.implementation.version)
        print("usocket", usocket.__version__)
        """
        )
        .check()
        .out
    )
    lines = out.splitlines()
    assert lines[0] == "True"
    assert lines[1].startswith("micropython (1, 26, 1")
    assert lines[2].startswith("usocket 0.")


@pytest.mark.parametrize("block", ["stdin", "sleep"])
def test_output_leaves_while_the_script_blocks_elsewhere(
    mp, tcp_server, udp_echo_server, block
):
    """What a script writes, sends or closes reaches the peer at once, while the
    script goes on to block outside the socket layer (reading stdin, sleeping),
    as on a board, where the stack runs whatever the script does: a write on a
    connection left open, a write and close (data, then EOF), a UDP datagram."""
    got = {}
    lock = threading.Lock()

    def handler(conn, addr):
        data = b""
        while True:
            chunk = conn.recv(100)
            with lock:
                if not chunk:
                    got[data] = "EOF"
                    return
                data += chunk
                got[data] = "open"

    server = tcp_server(handler)
    script = f"""
        import socket, sys, time
        a = socket.socket()
        a.connect(("10.0.2.2", {server.port}))
        b = socket.socket()
        b.connect(("10.0.2.2", {server.port}))
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        a.write(b"left open")
        b.write(b"then closed")
        b.close()
        u.sendto(b"datagram", ("10.0.2.2", {udp_echo_server.port}))
        print("blocking")
        if "{block}" == "stdin":
            print("read", sys.stdin.readline().strip())
        else:
            time.sleep(60)
        """
    proc = mp.spawn(script, stdin=subprocess.PIPE if block == "stdin" else None)
    proc.wait_for("blocking")
    deadline = time.monotonic() + 10
    want = {b"left open": "open", b"then closed": "EOF"}
    while time.monotonic() < deadline:
        with lock:
            arrived = {d: s for d, s in got.items() if d in want}
        if arrived == want and udp_echo_server.datagrams:
            break
        time.sleep(0.02)
    # All of it arrived while the firmware was still blocked.
    assert proc.poll() is None
    assert arrived == want
    assert [d for d, _ in udp_echo_server.datagrams] == [b"datagram"]
    if block == "stdin":
        proc.proc.stdin.write(b"go\n")
        proc.proc.stdin.close()
        assert "read go" in proc.wait(10).check().out
    else:
        proc.kill()
