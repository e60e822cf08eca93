"""The QuecPython-style helpers (checkNet, log, dataCall, request) on the firmware.

The first test runs the example application from QuecPython's usocket
documentation exactly as printed there (kept in host_tests/data); the
rest check each helper's documented behaviour on the firmware's network.LAN(),
with the firmware half of each in host_tests/fw/quecpython/.
"""

import errno
import json
import socket
import threading
from pathlib import Path

import pytest
from mprunner import fw
from peers import Response, pattern

# The MCU suite runs this module on the QEMU target too: each helper is frozen
# Python over usocket and network.LAN(), as on a board.
pytestmark = pytest.mark.qemu

# QuecPython's usocket example, verbatim from the reference document: it waits for
# the network with checkNet, logs with log, resolves www.tongxinmao.com and sends a
# raw HTTP request to port 80. The same file is what the stubs are checked against.
SEED_001_EXAMPLE = (Path(__file__).parent / "data" / "quec_example.py").read_text()

SEED_REQUEST = (
    b"GET /News HTTP/1.1\r\nHost: www.tongxinmao.com\r\n"
    b"Accept-Encoding: deflate\r\nConnection: keep-alive\r\n\r\n"
)
SEED_REPLY = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 21\r\n\r\n"
    b"<p>news from port 80"
    b"\n"
)


class _Port80:
    """The example insists on port 80 (10.0.2.2:80 in the firmware is 127.0.0.1:80
    here). One connection: keep the request, answer, wait for the client to close."""

    def __init__(self):
        self.request = b""
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self._sock.bind(("127.0.0.1", 80))
        except OSError as exc:
            self._sock.close()
            reason = "needs root" if exc.errno == errno.EACCES else "is in use"
            pytest.skip(f"the seed example connects to port 80, which {reason}")
        self._sock.listen(1)
        self._sock.settimeout(30)
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        try:
            conn, _ = self._sock.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(30)
            while b"\r\n\r\n" not in self.request:
                data = conn.recv(4096)
                if not data:
                    return
                self.request += data
            conn.sendall(SEED_REPLY)
            while conn.recv(4096):
                pass

    def close(self):
        self._sock.close()
        self._thread.join(5)


def test_seed_001_quecpython_example_runs_unmodified(mp, dns_server):
    dns_server.add("www.tongxinmao.com", "10.0.2.2")
    server = _Port80()
    try:
        res = mp(SEED_001_EXAMPLE, timeout=60).check()
    finally:
        server.close()
    assert server.request == SEED_REQUEST
    assert ("www.tongxinmao.com", "A") in dns_server.queries
    lines = res.out.replace("\r\n", "\n").split("\n")
    assert lines[:3] == [
        "INFO:SOCKET:Network connection successful!",
        f"INFO:SOCKET:send {len(SEED_REQUEST)} bytes",
        f"INFO:SOCKET:recv {len(SEED_REPLY)} bytes:",
    ]
    # The response itself is logged (its own line breaks included).
    assert "\n".join(lines[3:]).startswith(
        "INFO:SOCKET:" + SEED_REPLY.decode().replace("\r\n", "\n")
    )


# --------------------------------------------------------------------------------------
# checkNet


def test_checknet_ready_and_banner_once(mp):
    res = mp(fw("quecpython/checknet_ready_and_banner_once.py")).check()
    assert res.out.count("PROJECT_NAME") == 1
    assert "PROJECT_NAME     : demo_project" in res.lines
    assert "PROJECT_VERSION  : 2.3.4" in res.lines
    assert any(
        line.startswith("FIRMWARE_VERSION : micropython 1.26") for line in res.lines
    )
    assert "NETWORK          : LAN" in res.lines
    assert "result (3, 1)" in res.lines
    assert "module (3, 1) (3, 1)" in res.lines
    for bad in (0, 3601, -1, 100000):
        assert f"EINVAL {bad} 22" in res.lines


def test_checknet_reports_failing_stage_when_link_is_down(mp):
    res = mp(
        fw("quecpython/checknet_reports_failing_stage_when_link_is_down.py"),
        timeout=60,
    ).check()
    down = next(line for line in res.lines if line.startswith("down "))
    assert down.startswith("down (2, 0) ")
    assert 2000 <= int(down.split()[-1]) < 4000
    assert "up (3, 1)" in res.lines


# --------------------------------------------------------------------------------------
# dataCall


def test_datacall_getinfo_reports_the_firmware_address(mp):
    res = mp(fw("quecpython/datacall_getinfo_reports_the_firmware_address.py")).check()
    got = {
        line.split(" ", 1)[0]: json.loads(line.split(" ", 1)[1]) for line in res.lines
    }
    pid, ip_type, (state, reconnect, ip, dns1, dns2) = got["v4"]
    assert (pid, ip_type, state, reconnect, ip, dns2) == (
        1,
        0,
        1,
        0,
        "10.0.2.15",
        "0.0.0.0",
    )
    assert len(dns1.split(".")) == 4
    assert got["both"][:3] == [1, 2, got["v4"][2]]
    assert got["both"][3][0] in (0, 1)  # IPv6 state: depends on the build
    assert len(got["both"]) == 4
    assert got["other"] == [2, 0, [0, 0, "0.0.0.0", "0.0.0.0", "0.0.0.0"]]
    assert got["bad"] == [-1, -1, -1]
    assert got["down"] == [1, 0, [0, 0, "0.0.0.0", "0.0.0.0", "0.0.0.0"]]


def test_datacall_callback_on_link_down_and_up(mp):
    res = mp(fw("quecpython/datacall_callback_on_link_down_and_up.py")).check()
    assert "set 0" in res.lines
    assert "bad -1" in res.lines
    assert "events [(1, 0), (1, 1)]" in res.lines
    assert "clear 0" in res.lines
    assert "after [(1, 0), (1, 1)]" in res.lines


# --------------------------------------------------------------------------------------
# log


def test_log_line_format_levels_and_output(mp):
    res = mp(fw("quecpython/log_line_format_levels_and_output.py")).check()
    assert res.lines == [
        "True",
        "INFO:APP:n=5 s=x",
        "WARNING:APP:w",
        "ERROR:APP:e b'x'",
        "CRITICAL:APP:c",
        "DEBUG:APP:now shown",
        "['INFO:B:to sink\\n']",
        "ERROR:APP:kept",
        "CRITICAL:root:root 1",
        "50 40 30 20 10 0",
    ]


# --------------------------------------------------------------------------------------
# request (QuecPython's HTTP API over urequests)


def test_request_module_generators_json_and_bare_urls(mp, http_server):
    text = "é" * 300 + "end"
    http_server.route(
        "GET",
        "/text",
        lambda req: Response(200, {}, text.encode(), chunked=True, chunk_size=101),
    )
    res = mp(
        fw("quecpython/request_module_generators_json_and_bare_urls.py"),
        params={"port": http_server.port, "text": text},
    ).check()
    assert f"bytes 200 1000 {[100] * 10} {sum(pattern(1000))}" in res.lines
    assert "again []" in res.lines
    assert "text True True True" in res.lines
    assert 'json {"a": 1} application/json 1' in res.lines
    assert "put raw text" in res.lines


def test_request_positional_order_is_quecpythons(mp, http_server):
    """request(method, url, data, json, files, stream, decode, sizeof, timeout,
    headers, ssl_params) and get/post/... with the same order after the method."""
    res = mp(
        fw("quecpython/request_positional_order_is_quecpythons.py"),
        params={"port": http_server.port},
    ).check()
    assert "request 200 True True True True" in res.lines
    assert "post POST raw post" in res.lines
    assert "recv_size [128, 128, 44]" in res.lines


def test_datacall_callback_fires_while_the_app_sleeps(mp):
    """No dataCall call after the change: the interface's own link event (LAN.irq
    on the host, a Timer on boards) runs the callback inside time.sleep."""
    res = mp(fw("quecpython/datacall_callback_fires_while_the_app_sleeps.py")).check()
    assert "down [(1, 0)]" in res.lines
    assert "up [(1, 0), (1, 1)]" in res.lines
    assert "after [(1, 0), (1, 1)]" in res.lines


def test_datacall_async_mode_older_apn_calls_and_dns_in_getinfo(mp):
    res = mp(
        fw("quecpython/datacall_async_mode_older_apn_calls_and_dns_in_getinfo.py")
    ).check()
    assert "modes 0 -1" in res.lines
    assert "async 0" in res.lines
    assert 'record 0 [1, "private", "u", "p", 1]' in res.lines
    # Authentication without credentials is dropped, as QuecPython does.
    assert 'setApn 0 [2, "cmnet", "", "", 0] 1' in res.lines
    assert "range (1, 8) 0 -1" in res.lines
    assert 'dns 0 [1, 0, [1, 0, "10.0.2.15", "10.0.2.2", "10.0.2.4"]]' in res.lines
