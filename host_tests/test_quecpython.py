"""The QuecPython-style helpers (checkNet, log, dataCall, request) on the firmware.

The first test runs the example application from QuecPython's usocket
documentation exactly as printed there (kept in host_tests/data); the
rest check each helper's documented behaviour on the host's network.LAN().
"""

import errno
import json
import socket
import threading
from pathlib import Path

import pytest
from peers import Response, pattern

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


@pytest.mark.qemu
def test_checknet_ready_and_banner_once(mp):
    res = mp(
        """
        import checkNet
        c = checkNet.CheckNetwork("demo_project", "2.3.4")
        c.poweron_print_once()
        c.poweron_print_once()
        print("result", c.wait_network_connected(10))
        print("module", checkNet.wait_network_connected(), checkNet.waitNetworkReady(5))
        for bad in (0, 3601, -1, 100000):
            try:
                checkNet.wait_network_connected(bad)
                print("accepted", bad)
            except OSError as e:
                print("EINVAL", bad, e.errno)
        """
    ).check()
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


@pytest.mark.qemu
def test_checknet_reports_failing_stage_when_link_is_down(mp):
    res = mp(
        """
        import checkNet, network, time
        lan = network.LAN()
        lan.active(False)
        t = time.ticks_ms()
        r = checkNet.wait_network_connected(2)
        print("down", r, time.ticks_diff(time.ticks_ms(), t))
        lan.active(True)
        print("up", checkNet.wait_network_connected(10))
        """,
        timeout=60,
    ).check()
    down = next(line for line in res.lines if line.startswith("down "))
    assert down.startswith("down (2, 0) ")
    assert 2000 <= int(down.split()[-1]) < 4000
    assert "up (3, 1)" in res.lines


# --------------------------------------------------------------------------------------
# dataCall


@pytest.mark.qemu
def test_datacall_getinfo_reports_the_firmware_address(mp):
    res = mp(
        """
        import dataCall, network, json
        def show(tag, v):
            print(tag, json.dumps(v))
        show("v4", dataCall.getInfo(1, 0))
        show("both", dataCall.getInfo(1, 2))
        show("other", dataCall.getInfo(2, 0))
        show("bad", [dataCall.getInfo(0, 0), dataCall.getInfo(9, 0), dataCall.getInfo(1, 3)])
        network.LAN().active(False)
        show("down", dataCall.getInfo(1, 0))
        network.LAN().active(True)
        """
    ).check()
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


@pytest.mark.qemu
def test_datacall_callback_on_link_down_and_up(mp):
    res = mp(
        """
        import dataCall, network
        events = []
        print("set", dataCall.setCallback(lambda args: events.append(args)))
        print("bad", dataCall.setCallback(42))
        dataCall.poll()                 # no change yet: nothing reported
        lan = network.LAN()
        lan.active(False)
        dataCall.getInfo(1, 0)          # any check notices the change
        lan.active(True)
        dataCall.poll()
        print("events", events)
        print("clear", dataCall.setCallback(None))
        lan.active(False)
        dataCall.poll()
        lan.active(True)
        print("after", events)
        """
    ).check()
    assert "set 0" in res.lines
    assert "bad -1" in res.lines
    assert "events [(1, 0), (1, 1)]" in res.lines
    assert "clear 0" in res.lines
    assert "after [(1, 0), (1, 1)]" in res.lines


# --------------------------------------------------------------------------------------
# log


def test_log_line_format_levels_and_output(mp):
    res = mp(
        """
        import log, sys
        log.basicConfig(level=log.INFO)
        a = log.getLogger("APP")
        print(a is log.getLogger("APP"))
        a.debug("hidden")
        a.info("n=%d s=%s", 5, "x")
        a.warning("w")
        a.error("e %r", b"x")
        a.critical("c")
        a.setLevel(log.DEBUG)
        a.debug("now %s", "shown")
        class Sink:
            def __init__(self):
                self.lines = []
            def write(self, s):
                self.lines.append(s)
        k = Sink()
        log.set_output(k)
        log.getLogger("B").info("to sink")
        log.set_output(sys.stdout)
        print(k.lines)
        log.basicConfig(level=log.ERROR)
        a.setLevel(log.NOTSET)
        a.warning("dropped")
        a.error("kept")
        log.info("root dropped")
        log.critical("root %d", 1)
        print(log.CRITICAL, log.ERROR, log.WARNING, log.INFO, log.DEBUG, log.NOTSET)
        """
    ).check()
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


@pytest.mark.qemu
def test_request_module_generators_json_and_bare_urls(mp, http_server):
    text = "é" * 300 + "end"
    http_server.route(
        "GET",
        "/text",
        lambda req: Response(200, {}, text.encode(), chunked=True, chunk_size=101),
    )
    res = mp(
        f"""
        import request, json
        base = "10.0.2.2:{http_server.port}"       # no scheme: http:// is assumed
        r = request.get(base + "/bytes/1000", sizeof=100, decode=False, timeout=10)
        pieces = list(r.content)
        print("bytes", r.status_code, r.headers["content-length"],
              [len(p) for p in pieces], sum(sum(p) for p in pieces))
        print("again", list(r.content))
        r = request.get("http://" + base + "/text", timeout=10)
        pieces = list(r.text)
        print("text", "".join(pieces) == {text!r}, max(len(p.encode()) for p in pieces) <= 258,
              all(isinstance(p, str) for p in pieces))
        r = request.post("http://" + base + "/echo", data={{"a": 1}}, headers={{"X-Q": "1"}})
        j = r.json()
        print("json", j["body"], j["headers"]["Content-Type"], j["headers"]["X-Q"])
        r = request.put("http://" + base + "/echo", data="raw text")
        print("put", r.json()["body"])
        """
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
        f"""
        import request
        url = "http://10.0.2.2:{http_server.port}/echo"
        r = request.request("POST", url, None, {{"a": 1}}, None, None, False, 100, 10,
                            {{"X-Q": "pos"}})
        pieces = list(r.content)
        body = b"".join(pieces)
        print("request", r.status_code, all(isinstance(p, bytes) for p in pieces),
              max(len(p) for p in pieces) <= 100, b'"X-Q": "pos"' in body,
              b'"body": "{{\\\\"a\\\\": 1}}"' in body)
        r = request.post(url, "raw", None, None, None, True, 64, 10, {{"X-Q": "post"}})
        j = r.json()
        print("post", j["method"], j["body"], j["headers"]["X-Q"])
        r = request.get("http://10.0.2.2:{http_server.port}/bytes/300", sizeof=128)
        sizes = []
        while True:
            b = r.recv_size()
            if not b:
                break
            sizes.append(len(b))
        r.close()
        print("recv_size", sizes)
        """
    ).check()
    assert "request 200 True True True True" in res.lines
    assert "post POST raw post" in res.lines
    assert "recv_size [128, 128, 44]" in res.lines


@pytest.mark.qemu
def test_datacall_callback_fires_while_the_app_sleeps(mp):
    """No dataCall call after the change: the interface's own link event (LAN.irq
    on the host, a Timer on boards) runs the callback inside time.sleep."""
    res = mp(
        """
        import dataCall, network, time
        events = []
        dataCall.setCallback(lambda args: events.append(args))
        lan = network.LAN()
        lan.active(False)
        time.sleep_ms(50)
        print("down", events)
        lan.active(True)
        time.sleep_ms(50)
        print("up", events)
        dataCall.setCallback(None)
        lan.active(False)
        time.sleep_ms(50)
        lan.active(True)
        time.sleep_ms(50)
        print("after", events)
        """
    ).check()
    assert "down [(1, 0)]" in res.lines
    assert "up [(1, 0), (1, 1)]" in res.lines
    assert "after [(1, 0), (1, 1)]" in res.lines


def test_datacall_async_mode_older_apn_calls_and_dns_in_getinfo(mp):
    res = mp(
        """
        import dataCall, json, network
        print("modes", dataCall.setAsynMode(1), dataCall.setAsynMode(2))
        dataCall.deactivate(1)
        print("async", dataCall.start(1, 0, "cmnet", "", "", 0))
        dataCall.setAsynMode(0)
        print("record", dataCall.recordApn(2, 1, "private", "u", "p", 1, 1),
              json.dumps(dataCall.getPDPContext(2)))
        print("setApn", dataCall.setApn(1, 2, "cmnet", "", "", 1, 1),
              json.dumps(dataCall.getPDPContext(1)), dataCall.getInfo(1, 0)[2][0])
        print("range", dataCall.getPdpRange(), dataCall.deactivate(3), dataCall.stop(1, 5))
        print("dns", dataCall.setDNSServer(1, 0, "10.0.2.2", "10.0.2.4"),
              json.dumps(dataCall.getInfo(1, 0)))
        """
    ).check()
    assert "modes 0 -1" in res.lines
    assert "async 0" in res.lines
    assert 'record 0 [1, "private", "u", "p", 1]' in res.lines
    # Authentication without credentials is dropped, as QuecPython does.
    assert 'setApn 0 [2, "cmnet", "", "", 0] 1' in res.lines
    assert "range (1, 8) 0 -1" in res.lines
    assert 'dns 0 [1, 0, [1, 0, "10.0.2.15", "10.0.2.2", "10.0.2.4"]]' in res.lines
