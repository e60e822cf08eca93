"""The QEMU target on a real Ethernet MAC (issue 18): the firmware's LAN9118 driver
and lwIP, bridged to the PC by usocket-qemu-bridge (the host firmware's libslirp
set-up and safety filter, boards/common/slirpnet.c), against CPython peers on
127.0.0.1. Each test boots its own machine and bridge (about a second).

- TCP, HTTP and DNS through the bridge, the address plan of the host firmware.
- The restricted network: only the PC alias 10.0.2.2 is reachable; frames to any
  other address are dropped by the bridge and counted.
- Fault injection at the bridge (USOCKET_NET_LOSS/_SEED) and at the MAC
  (network.LAN().active(False)), and USOCKET_HOSTFWD into the firmware.
- `make run-qemu SCRIPT=...`: output and exit status.
- Soft reset with connections open over the LAN, data in flight both ways: every
  pcb, pbuf and heap byte comes back.
"""

import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
from peers import Response, free_port
from test_ecosystem import make

REPO = Path(__file__).resolve().parent.parent

# Part of the MCU suite (tools/mcu_suite.py): these run on the QEMU target only.
pytestmark = pytest.mark.qemu


@pytest.fixture
def qemu(dns_server, tmp_path):
    """Runs a script on a freshly booted QEMU target (mprunner.QemuRunner)."""
    from conftest import _build_qemu, _QemuBuild
    from mprunner import QemuRunner

    _build_qemu()
    if _QemuBuild.error:
        pytest.fail(_QemuBuild.error, pytrace=False)
    return QemuRunner(dns_server.port, tmp_path)


def test_tcp_echo_http_get_and_dns_through_the_bridge(
    qemu, echo_server, http_server, dns_server
):
    http_server.route(
        "GET", "/hello", lambda req: Response(200, [], "hello from CPython")
    )
    dns_server.add("peer.example", "10.0.2.2")
    r = qemu(
        f"""
        import network, socket, urequests
        lan = network.LAN()
        print(lan.ifconfig(), lan.isconnected(), lan.status(), len(lan.config("mac")))
        s = socket.socket()
        s.connect(("10.0.2.2", {echo_server.port}))
        data = bytes(range(256)) * 64
        s.sendall(data)
        got = b""
        while len(got) < len(data):
            got += s.recv(4096)
        s.close()
        print("echo", got == data)
        print("dns", socket.getaddrinfo("peer.example", 80)[0][-1])
        r = urequests.get("http://peer.example:{http_server.port}/hello")
        print("http", r.status_code, r.text)
        r.close()
        """
    ).check()
    assert r.lines == [
        "('10.0.2.15', '255.255.255.0', '10.0.2.2', '10.0.2.2') True 3 6",
        "echo True",
        "dns ('10.0.2.2', 80)",
        "http 200 hello from CPython",
    ]
    # The CPython peer got every byte.
    assert echo_server.received == 256 * 64
    assert r.bridge["dropped_filter"] == 0 and r.bridge["dns_rewritten"] >= 2


def test_only_the_pc_alias_is_reachable(qemu, echo_server):
    # 10.0.2.3 (slirp's DNS) and 10.0.2.99 are inside slirp's network, 192.0.2.1
    # (TEST-NET-1) outside it: slirp would connect the first two to this machine and
    # the third to the world, were it not for the filter.
    r = qemu(
        f"""
        import socket
        for addr in (("10.0.2.3", 53), ("10.0.2.99", {echo_server.port}),
                     ("192.0.2.1", 80)):
            s = socket.socket()
            s.settimeout(1)
            try:
                s.connect(addr)
                print(addr[0], "connected")
            except OSError as e:
                print(addr[0], "failed", e.args[0])
            s.close()
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.sendto(b"x", ("192.0.2.1", 9))
        s = socket.socket()
        s.connect(("10.0.2.2", {echo_server.port}))
        s.send(b"ok")
        print("pc", s.recv(2))
        """,
        timeout=60,
    ).check()
    assert [line.split()[1] for line in r.lines[:3]] == ["failed"] * 3
    assert r.lines[3] == "pc b'ok'"
    # The frames were dropped by the bridge, not lost elsewhere: ARP requests for
    # the two local addresses, the SYN routed via the gateway, the datagram.
    assert r.bridge["dropped_filter"] >= 4, r.bridge
    assert echo_server.connections == 1


def test_loss_at_the_bridge_and_link_down_at_the_mac(qemu, echo_server):
    r = qemu(
        f"""
        import network, socket
        lan = network.LAN()
        data = bytes(range(256)) * 128
        s = socket.socket()
        s.connect(("10.0.2.2", {echo_server.port}))
        s.sendall(data)
        got = b""
        while len(got) < len(data):
            got += s.recv(4096)
        print("lossy echo", got == data)
        s.close()
        lan.active(False)
        print("down", lan.isconnected(), lan.status())
        s = socket.socket()
        s.settimeout(1)
        try:
            s.connect(("10.0.2.2", {echo_server.port}))
            print("connected while down")
        except OSError as e:
            print("connect while down failed", e.args[0])
        s.close()
        lan.active(True)
        s = socket.socket()
        s.connect(("10.0.2.2", {echo_server.port}))
        s.send(b"back")
        print("up", s.recv(4))
        """,
        env={"USOCKET_NET_LOSS": "0.1", "USOCKET_NET_SEED": "7"},
        timeout=120,
    ).check()
    assert r.lines[0] == "lossy echo True"
    assert r.lines[1] == "down False 0"
    assert r.lines[2].startswith("connect while down failed")
    assert r.lines[3:] == ["up b'back'"]
    assert r.bridge["dropped_loss"] > 0, r.bridge


def test_hostfwd_reaches_a_server_on_the_firmware(qemu):
    host_port = free_port()
    replies = []

    def client():
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not replies:
            try:
                with socket.create_connection(("127.0.0.1", host_port), 2) as c:
                    c.sendall(b"ping")
                    replies.append(c.recv(16))
            except OSError:
                time.sleep(0.2)

    t = threading.Thread(target=client, daemon=True)
    t.start()
    r = qemu(
        """
        import socket
        lst = socket.socket()
        lst.bind(("0.0.0.0", 8080))
        lst.listen(1)
        c, addr = lst.accept()
        print("from", addr[0])
        c.send(c.recv(16).upper())
        c.close()
        """,
        hostfwd=[f"tcp:{host_port}:8080"],
        timeout=60,
    ).check()
    t.join(5)
    assert r.lines == ["from 10.0.2.2"]
    assert replies == [b"PING"]


def test_make_run_qemu_prints_the_output_and_exits_with_the_status(tmp_path):
    app = tmp_path / "app.py"
    app.write_text(
        "import network, sys\nprint(network.LAN().ifconfig()[0])\nsys.exit(3)\n"
    )
    proc = make("run-qemu", f"SCRIPT={app}", timeout=900)
    assert proc.returncode != 0
    assert proc.stdout.splitlines()[-1] == "10.0.2.15", proc.stdout + proc.stderr
    # make reports the script's status as its own failure; the tool itself:
    direct = subprocess.run(
        [str(REPO / "deps" / "venv" / "bin" / "python"), "tools/qemu_run.py", app],
        check=False,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert direct.returncode == 3, direct.stdout + direct.stderr
    assert direct.stdout == "10.0.2.15\n"


def test_make_run_qemu_runs_a_test_script_with_its_params(echo_server):
    # The firmware half of an MCU-suite test is a file that runs by itself: its
    # helpers (fwtest.py) and PARAMS (fwparams.py) go to the target's RAM disk.
    script = REPO / "host_tests" / "fw" / "socket_modes" / "connect_blocking.py"
    proc = make(
        "run-qemu",
        f"SCRIPT={script}",
        f"PARAMS=port={echo_server.port} closed={free_port()}",
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "@ sta = 4" in proc.stdout.splitlines(), proc.stdout
    # Without its parameters it says which one is missing.
    proc = make("run-qemu", f"SCRIPT={script}", timeout=900)
    assert proc.returncode != 0
    assert "test parameter 'port' not given" in proc.stdout + proc.stderr


# Sockets in every state that holds lwIP memory, over the LAN9118 this time, left
# open (globals of the raw REPL) for the soft reset that starts the next script.
OPEN_OVER_THE_LAN = """
import json, network, socket, time
lan = network.LAN()
conns = []
for i in range(3):
    s = socket.socket()
    s.connect(("10.0.2.2", {port}))
    s.send(b"x" * 300)  # echoed back, never read: held in pbufs
    conns.append(s)
half = socket.socket()
half.connect(("10.0.2.2", {port}))
half.shutdown(socket.SHUT_WR)
lst = socket.socket()
lst.bind(("0.0.0.0", 8000))
lst.listen(2)
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.sendto(b"unanswered", ("10.0.2.2", 9))
time.sleep(0.2)
print(json.dumps(lan.stats()))
"""
STATS = "import json, network; print(json.dumps(network.LAN().stats()))"


def test_soft_reset_with_connections_open_over_the_lan(qemu, echo_server):
    import json

    from peers import LWIP_USAGE

    target = qemu.boot()
    try:
        runs = [
            target.run(STATS),
            target.run(OPEN_OVER_THE_LAN.format(port=echo_server.port)),
            target.run(STATS),  # after the soft reset that starts it
            target.run(OPEN_OVER_THE_LAN.format(port=echo_server.port)),
            target.run(STATS),
        ]
    finally:
        target.stop()
    assert [rc for rc, _, _ in runs] == [0] * 5, runs
    before, opened, after, _, again = (json.loads(out) for _, out, _ in runs)
    # The sockets held lwIP memory ...
    assert opened["tcp_pcb"] >= 4 and opened["tcp_pcb_listen"] == 1, opened
    assert opened["udp_pcb"] == before["udp_pcb"] + 1, opened
    # ... and each soft reset gave all of it back, with traffic in flight.
    for stats in (after, again):
        assert {k: stats[k] for k in LWIP_USAGE} == {k: before[k] for k in LWIP_USAGE}
        assert stats["memp_err"] == 0 and stats["mem_err"] == 0, stats
    assert echo_server.connections == 8


# Holds 40 KiB live while it throws 400 KiB away, in 1 KiB pieces.
LIVE_AND_GARBAGE = """
kept = [bytearray(1024) for i in range(40)]
for i in range(400):
    b = bytearray(1024)
print("done", len(kept))
"""


def test_gc_peak_reports_the_live_heap_not_the_garbage(qemu, request):
    # The MCU suite's "GC heap" column: the largest live set a collection found.
    # The script keeps 40 KiB and throws ten times that away: the peak counts the
    # 40 KiB (plus the interpreter's own few KiB and one threshold's worth of
    # garbage), not the 400 KiB a heap without collections would have filled.
    qemu.node = request.node
    assert qemu(LIVE_AND_GARBAGE).check().lines == ["done 40"]
    peaks = dict(request.node.user_properties)
    assert 40 * 1024 < peaks["gc_live_max"] < 40 * 1024 + 24 * 1024, peaks
    assert peaks["lwip_mem_max"] >= 0
