"""Tests of the test harness itself: the loopback peers driven by CPython clients,
and the script runner driven by a stand-in interpreter.

If these fail, a firmware test failure means nothing, so they check the peers
do exactly what the firmware tests assume (byte-exact echo, real keep-alive,
correct chunking, DNS answers, TLS that verifies only with the right CA).
"""

import http.client
import json
import os
import socket
import ssl
import stat
import struct
import sys
import threading
import time

import conftest
import pytest
from conftest import MpRunner, firmware_built, firmware_path
from peers import (
    MP_PATTERN_SRC,
    Raw,
    Response,
    build_dns_query,
    free_port,
    free_udp_port,
    parse_dns_response,
    pattern,
    recv_all,
    rst_close,
    send_bytes,
    sink,
    source,
)

MiB = 1024 * 1024


# --------------------------------------------------------------------------------------
# Byte patterns


def test_pattern_is_deterministic_and_offsettable():
    data = pattern(3 * 65536 + 123, seed=5)
    assert len(data) == 3 * 65536 + 123
    assert data == pattern(3 * 65536 + 123, seed=5)
    assert data[1000:5000] == pattern(4000, seed=5, offset=1000)
    assert data != pattern(len(data), seed=6)
    assert send_bytes(777, 3) == pattern(777, 3)
    assert pattern(0) == b""


def test_pattern_has_no_short_period():
    # A block shifted by 256 bytes (or one MSS) must not look like the original.
    data = pattern(2 * 65536)
    for shift in (256, 512, 1460, 4096):
        assert data[:4096] != data[shift : shift + 4096]
    assert data[:4096] == data[65536 : 65536 + 4096]


def test_mp_pattern_source_matches():
    # MP_PATTERN_SRC is plain Python too, so CPython can check it agrees.
    scope = {}
    exec(MP_PATTERN_SRC, scope)  # noqa: S102  (our own constant)
    assert bytes(scope["pattern"](70000, 9, 300)) == pattern(70000, 9, 300)


def test_pattern_is_cheap():
    pattern(MiB, seed=11)  # warm the cache for this seed
    start = time.monotonic()
    for _ in range(10):
        pattern(MiB, seed=11)
    assert time.monotonic() - start < 1.0


def test_free_ports_are_loopback_bindable():
    for port in (free_port(), free_udp_port()):
        assert 1024 <= port <= 65535
    with socket.socket() as s:
        s.bind(("127.0.0.1", free_port()))


# --------------------------------------------------------------------------------------
# DNS


def dns_ask(dns_server, name, qtype="A", timeout=2.0, qid=0x4242):
    """Send one hand-built query; return the parsed reply (or raw bytes if it does
    not parse), or None on timeout."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(build_dns_query(name, qtype, qid), dns_server.address)
        try:
            reply = s.recv(4096)
        except TimeoutError:
            return None
    try:
        return parse_dns_response(reply)
    except (ValueError, IndexError, struct.error):
        return reply


def test_dns_default_names_resolve_to_host_alias(dns_server):
    for name in ("test.example", "www.test.example", "foo.test", "Mixed.Case.Example"):
        reply = dns_ask(dns_server, name)
        assert reply["id"] == 0x4242
        assert reply["rcode"] == 0
        assert reply["flags"] & 0x8000, "QR bit"
        assert reply["flags"] & 0x0100, "RD copied"
        assert reply["answers"] == [("A", "10.0.2.2")]
    assert dns_server.queries[0] == ("test.example", "A")
    assert len(dns_server.queries) == 4


def test_dns_unknown_name_is_nxdomain(dns_server):
    reply = dns_ask(dns_server, "nowhere.invalid")
    assert reply["rcode"] == 3
    assert reply["answers"] == []


def test_dns_aaaa_for_a_only_name_is_empty_noerror(dns_server):
    reply = dns_ask(dns_server, "test.example", "AAAA")
    assert reply["rcode"] == 0
    assert reply["answers"] == []
    assert dns_server.queries == [("test.example", "AAAA")]


def test_dns_explicit_records(dns_server):
    dns_server.add("dual.example", "10.0.2.2")
    dns_server.add("dual.example", "fec0::2")
    dns_server.add("two.test", "10.0.2.2")
    dns_server.add("two.test", "10.0.2.3")
    assert dns_ask(dns_server, "dual.example", "AAAA")["answers"] == [
        ("AAAA", "fec0::2")
    ]
    assert dns_ask(dns_server, "dual.example", "A")["answers"] == [("A", "10.0.2.2")]
    assert dns_ask(dns_server, "two.test")["answers"] == [
        ("A", "10.0.2.2"),
        ("A", "10.0.2.3"),
    ]
    dns_server.add("other.name", "10.0.2.2")
    assert dns_ask(dns_server, "OTHER.name.")["answers"] == [("A", "10.0.2.2")]


def test_dns_records_do_not_leak_between_tests(dns_server):
    # test_dns_explicit_records added other.name; the autouse reset removed it.
    assert dns_ask(dns_server, "other.name")["rcode"] == 3
    assert dns_server.mode == "normal"


@pytest.mark.parametrize(("mode", "rcode"), [("nxdomain", 3), ("servfail", 2)])
def test_dns_error_modes(dns_server, mode, rcode):
    with dns_server.override(mode=mode):
        reply = dns_ask(dns_server, "test.example")
        assert reply["rcode"] == rcode
        assert reply["answers"] == []
    assert dns_ask(dns_server, "test.example")["answers"] == [("A", "10.0.2.2")]


def test_dns_silent_mode_never_answers(dns_server):
    with dns_server.override(mode="silent"):
        assert dns_ask(dns_server, "test.example", timeout=0.5) is None
    assert dns_server.mode == "normal"
    assert len(dns_server.queries) == 1


def test_dns_garbage_mode_sends_noise(dns_server):
    dns_server.mode = "garbage"
    reply = dns_ask(dns_server, "test.example")
    assert reply is not None
    assert not (isinstance(reply, dict) and reply["answers"] == [("A", "10.0.2.2")])


def test_dns_truncated_mode(dns_server):
    dns_server.mode = "truncated"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(2)
        s.sendto(build_dns_query("test.example"), dns_server.address)
        reply = s.recv(4096)
    assert reply[2] & 0x02, "TC bit"
    with pytest.raises(struct.error):
        parse_dns_response(reply)  # the promised answer is cut off


def test_dns_delay(dns_server):
    with dns_server.override(delay=0.3):
        start = time.monotonic()
        assert dns_ask(dns_server, "test.example")["answers"] == [("A", "10.0.2.2")]
        assert time.monotonic() - start >= 0.25


def test_dns_rejects_unknown_mode(dns_server):
    with pytest.raises(ValueError):
        dns_server.mode = "bogus"


# --------------------------------------------------------------------------------------
# TCP and UDP peers


def test_echo_is_byte_exact_for_1mib(echo_server):
    data = pattern(MiB, seed=1)
    got = bytearray()
    with socket.create_connection(("127.0.0.1", echo_server.port), timeout=10) as s:
        # Send from a thread: echoing 1 MiB back while we still send would
        # deadlock a single-threaded client once both socket buffers fill.
        sender = threading.Thread(
            target=lambda: (s.sendall(data), s.shutdown(socket.SHUT_WR))
        )
        sender.start()
        got = recv_all(s)
        sender.join()
    assert got == data
    assert echo_server.connections == 1
    assert echo_server.received == MiB


def test_echo_handles_many_concurrent_connections(echo_server):
    socks = [
        socket.create_connection(("127.0.0.1", echo_server.port), timeout=5)
        for _ in range(40)
    ]
    try:
        for i, s in enumerate(socks):
            s.sendall(b"hello %d\n" % i)
        for i, s in enumerate(socks):
            assert s.recv(100) == b"hello %d\n" % i
    finally:
        for s in socks:
            s.close()
    assert echo_server.wait_connections(40) == 40


def test_echo_closes_after_client_closes(echo_server):
    with socket.create_connection(("127.0.0.1", echo_server.port), timeout=5) as s:
        s.sendall(b"bye")
        s.shutdown(socket.SHUT_WR)
        assert recv_all(s) == b"bye"


def test_udp_echo(udp_echo_server):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(2)
        for payload in (b"x", b"y" * 1400, pattern(8000)):
            s.sendto(payload, ("127.0.0.1", udp_echo_server.port))
            assert s.recvfrom(65535)[0] == payload
    assert udp_echo_server.datagrams[0][0] == b"x"


def test_tcp_server_rst_handler(tcp_server):
    server = tcp_server(lambda conn, addr: (conn.recv(10), rst_close(conn)))
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        s.sendall(b"ping")
        with pytest.raises(ConnectionResetError):
            s.recv(10)
            s.recv(10)
    assert server.connections == 1


def test_source_and_sink(tcp_server):
    src = tcp_server(source(300_000, seed=4))
    with socket.create_connection(("127.0.0.1", src.port), timeout=5) as s:
        assert recv_all(s) == pattern(300_000, seed=4)
    snk = sink()
    dst = tcp_server(snk)
    with socket.create_connection(("127.0.0.1", dst.port), timeout=5) as s:
        s.sendall(send_bytes(200_000, 2))
    assert snk.done.wait(5)
    assert snk.data == pattern(200_000, seed=2)


def test_tcp_server_close_unblocks_stuck_handlers(tcp_server):
    # A handler blocked in recv must not keep teardown waiting.
    server = tcp_server(lambda conn, addr: conn.recv(10))
    s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    server.wait_connections(1)
    start = time.monotonic()
    server.close()
    assert time.monotonic() - start < 2
    s.close()


@pytest.mark.ssl
def test_https_close_unblocks_stalled_handshake(make_http_server):
    # A client that connects and never speaks TLS must not hold up teardown.
    server = make_http_server(https=True)
    s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    server.wait_connections(1)
    time.sleep(0.1)  # let the connection thread enter the handshake
    start = time.monotonic()
    server.close()
    assert time.monotonic() - start < 2
    s.close()


def test_servers_bind_loopback_only(
    echo_server, http_server, udp_echo_server, dns_server
):
    for server in (echo_server, http_server):
        assert server._listener.getsockname()[0] == "127.0.0.1"
    for server in (udp_echo_server, dns_server):
        assert server._sock.getsockname()[0] == "127.0.0.1"


# --------------------------------------------------------------------------------------
# HTTP


def test_http_keep_alive_two_requests_one_connection(http_server):
    conn = http.client.HTTPConnection("127.0.0.1", http_server.port, timeout=5)
    conn.request("GET", "/")
    r1 = conn.getresponse()
    assert (r1.status, r1.read()) == (200, b"hello from loopback")
    conn.request("GET", "/bytes/1000")
    r2 = conn.getresponse()
    assert r2.status == 200
    assert r2.getheader("Content-Length") == "1000"
    assert r2.read() == pattern(1000)
    conn.close()
    assert http_server.connections == 1
    assert [r.connection for r in http_server.requests] == [1, 1]
    assert http_server.url("/x") == f"http://10.0.2.2:{http_server.port}/x"
    assert http_server.url("y", host="test.example") == (
        f"http://test.example:{http_server.port}/y"
    )


def test_http_pipelined_requests(http_server):
    with socket.create_connection(("127.0.0.1", http_server.port), timeout=5) as s:
        s.sendall(
            b"GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /status/204 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
        )
        data = recv_all(s)
    assert data.count(b"HTTP/1.1 ") == 2
    assert data.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"HTTP/1.1 204 No Content\r\n" in data
    assert data.endswith(b"\r\n\r\n")  # 204: no body after the head
    assert http_server.requests[0].raw == b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"


def test_http_connection_close_and_http10(http_server):
    for request in (
        b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
        b"GET / HTTP/1.0\r\n\r\n",
    ):
        with socket.create_connection(("127.0.0.1", http_server.port), timeout=5) as s:
            s.sendall(request)
            data = recv_all(s)  # returns only because the server closed
        assert b"Connection: close\r\n" in data
        assert data.endswith(b"hello from loopback")


def test_http_chunked_response(http_server):
    conn = http.client.HTTPConnection("127.0.0.1", http_server.port, timeout=5)
    conn.request("GET", "/stream/10000?chunk=3000")
    r = conn.getresponse()
    assert r.getheader("Transfer-Encoding") == "chunked"
    assert r.read() == pattern(10000)
    conn.close()
    with socket.create_connection(("127.0.0.1", http_server.port), timeout=5) as s:
        s.sendall(
            b"GET /stream/5000?chunk=3000 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
        )
        data = recv_all(s)
    body = data.split(b"\r\n\r\n", 1)[1]
    p = pattern(5000)
    assert body == b"bb8\r\n" + p[:3000] + b"\r\n7d0\r\n" + p[3000:] + b"\r\n0\r\n\r\n"


def test_http_chunk_extensions_and_trailers(http_server):
    http_server.route(
        "GET",
        "/fancy",
        lambda req: Response(
            200, chunks=[b"ab", b"cde"], chunk_ext=";x=1", trailers={"X-Sum": "5"}
        ),
    )
    with socket.create_connection(("127.0.0.1", http_server.port), timeout=5) as s:
        s.sendall(b"GET /fancy HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        data = recv_all(s)
    assert (
        data.split(b"\r\n\r\n", 1)[1]
        == b"2;x=1\r\nab\r\n3;x=1\r\ncde\r\n0;x=1\r\nX-Sum: 5\r\n\r\n"
    )
    conn = http.client.HTTPConnection("127.0.0.1", http_server.port, timeout=5)
    conn.request("GET", "/fancy")
    assert conn.getresponse().read() == b"abcde"
    conn.close()


def test_http_echo_with_chunked_upload(http_server):
    conn = http.client.HTTPConnection("127.0.0.1", http_server.port, timeout=5)
    conn.request(
        "POST",
        "/echo?a=1&b=two",
        body=iter([b"hello ", b"world"]),
        headers={"X-Test": "yes"},
        encode_chunked=True,
    )
    doc = json.loads(conn.getresponse().read())
    conn.close()
    assert doc["method"] == "POST"
    assert doc["path"] == "/echo"
    assert doc["query"] == {"a": "1", "b": "two"}
    assert doc["body"] == "hello world"
    assert doc["chunked"] is True
    assert doc["headers"]["X-Test"] == "yes"
    req = http_server.requests[-1]
    assert req.headers["x-test"] == "yes"
    assert req.body == b"hello world"
    assert b"6\r\nhello \r\n" in req.raw


def test_http_content_length_upload_and_head(http_server):
    conn = http.client.HTTPConnection("127.0.0.1", http_server.port, timeout=5)
    conn.request("PUT", "/echo", body=b"x" * 5000)
    assert json.loads(conn.getresponse().read())["body_len"] == 5000
    conn.request("HEAD", "/bytes/123")
    r = conn.getresponse()
    assert r.getheader("Content-Length") == "123"
    assert r.read() == b""
    conn.close()
    assert http_server.connections == 1


def test_http_not_found_and_method_not_allowed(http_server):
    conn = http.client.HTTPConnection("127.0.0.1", http_server.port, timeout=5)
    conn.request("GET", "/nope")
    r = conn.getresponse()
    r.read()
    assert r.status == 404
    conn.request("POST", "/")
    r = conn.getresponse()
    r.read()
    assert r.status == 405
    conn.close()


@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
def test_http_redirects(http_server, code):
    conn = http.client.HTTPConnection("127.0.0.1", http_server.port, timeout=5)
    conn.request("GET", f"/redirect/{code}?to=/bytes/3")
    r = conn.getresponse()
    r.read()
    assert r.status == code
    assert r.getheader("Location") == "/bytes/3"
    conn.close()


def test_http_body_until_close(http_server):
    http_server.route(
        "GET", "/eof", lambda req: Response(200, body=b"to the end", until_close=True)
    )
    with socket.create_connection(("127.0.0.1", http_server.port), timeout=5) as s:
        s.sendall(b"GET /eof HTTP/1.1\r\nHost: a\r\n\r\n")
        data = recv_all(s)
    head, body = data.split(b"\r\n\r\n", 1)
    assert b"Content-Length" not in head and b"Transfer-Encoding" not in head
    assert body == b"to the end"


def test_http_raw_replies(http_server):
    http_server.route(
        "GET",
        "/raw",
        lambda req: Raw(b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\nshort"),
    )
    http_server.route(
        "GET", "/hang", lambda req: Raw(b"HTTP/1.1 200 OK\r\n", hang=True)
    )
    with socket.create_connection(("127.0.0.1", http_server.port), timeout=5) as s:
        s.sendall(b"GET /raw HTTP/1.1\r\n\r\n")
        assert recv_all(s) == b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\nshort"
    with socket.create_connection(("127.0.0.1", http_server.port), timeout=0.5) as s:
        s.sendall(b"GET /hang HTTP/1.1\r\n\r\n")
        assert s.recv(100) == b"HTTP/1.1 200 OK\r\n"
        with pytest.raises(TimeoutError):
            s.recv(100)


def test_http_bad_request_is_recorded(http_server):
    with socket.create_connection(("127.0.0.1", http_server.port), timeout=5) as s:
        s.sendall(b"NONSENSE\r\n\r\n")
        assert recv_all(s).startswith(b"HTTP/1.1 400 ")
    assert http_server.bad_requests[0][0].startswith(b"NONSENSE")
    assert http_server.requests == []


def test_http_route_override_and_params(http_server):
    http_server.route("GET", "/", lambda req: "replaced")
    http_server.route(
        "ANY",
        "/item/<id>/<part>",
        lambda req: {"params": req.params, "method": req.method},
    )
    conn = http.client.HTTPConnection("127.0.0.1", http_server.port, timeout=5)
    conn.request("GET", "/")
    assert conn.getresponse().read() == b"replaced"
    conn.request("DELETE", "/item/7/x%20y")
    assert json.loads(conn.getresponse().read()) == {
        "params": {"id": "7", "part": "x y"},
        "method": "DELETE",
    }
    conn.close()


# --------------------------------------------------------------------------------------
# HTTPS


@pytest.mark.ssl
def test_https_verifies_with_generated_ca(https_server):
    ctx = ssl.create_default_context(cafile=https_server.ca_pem_path)
    conn = http.client.HTTPSConnection(
        "127.0.0.1", https_server.port, timeout=10, context=ctx
    )
    # The certificate names test.example and 10.0.2.2, not 127.0.0.1: connect to
    # loopback but check the name the firmware would use.
    conn.sock = ctx.wrap_socket(
        socket.create_connection(("127.0.0.1", https_server.port), timeout=10),
        server_hostname="test.example",
    )
    conn.request("GET", "/")
    assert conn.getresponse().read() == b"hello from loopback"
    conn.request("GET", "/bytes/70000")
    assert conn.getresponse().read() == pattern(70000)
    conn.close()
    assert https_server.connections == 1
    assert https_server.url("/") == f"https://10.0.2.2:{https_server.port}/"


@pytest.mark.ssl
def test_https_certificate_covers_firmware_address(https_server):
    ctx = ssl.create_default_context(cafile=https_server.ca_pem_path)
    # server_hostname as an IP literal makes CPython check the IP SAN.
    with (
        socket.create_connection(("127.0.0.1", https_server.port), timeout=10) as raw,
        ctx.wrap_socket(raw, server_hostname="10.0.2.2") as s,
    ):
        san = s.getpeercert()["subjectAltName"]
    assert ("DNS", "test.example") in san
    assert ("IP Address", "10.0.2.2") in san


@pytest.mark.ssl
def test_https_rejects_wrong_ca_and_wrong_name(https_server, tmp_path):
    wrong = tmp_path / "wrong.pem"
    wrong.write_bytes(https_server.wrong_ca_pem)
    assert https_server.wrong_ca_der != https_server.ca_der
    for cafile, name in (
        (str(wrong), "test.example"),
        (https_server.ca_pem_path, "other.example"),
    ):
        ctx = ssl.create_default_context(cafile=cafile)
        with (
            socket.create_connection(
                ("127.0.0.1", https_server.port), timeout=10
            ) as raw,
            pytest.raises(ssl.SSLCertVerificationError),
        ):
            ctx.wrap_socket(raw, server_hostname=name)
    # The server saw both failed handshakes and is still serving.
    assert https_server.wait_connections(2) == 2


@pytest.mark.ssl
def test_certs_der_forms(certs):
    assert certs.ca_der[0] == 0x30 and certs.key_der[0] == 0x30  # ASN.1 SEQUENCE
    assert (
        ssl.DER_cert_to_PEM_cert(certs.ca_der).strip() == certs.ca_pem.decode().strip()
    )


# --------------------------------------------------------------------------------------
# The script runner, driven by a stand-in "firmware" (CPython behind a shell script)


@pytest.fixture
def fake_mp(tmp_path, dns_server):
    """An MpRunner whose firmware is CPython, to test the runner without a build."""
    fake = tmp_path / "fake-firmware"
    fake.write_text(f'#!/bin/sh\nexec {sys.executable} "$@"\n')
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    work = tmp_path / "work"
    work.mkdir()
    runner = MpRunner(str(fake), dns_server.port, work)
    yield runner
    runner.cleanup()


def test_runner_env_args_stdin_and_dedent(fake_mp, dns_server, monkeypatch):
    monkeypatch.setenv("USOCKET_NET_LOSS", "0.9")  # must not leak in from the shell
    res = fake_mp(
        """
        import os, sys
        import helper
        print(os.environ["USOCKET_DNS_PORT"], os.environ.get("USOCKET_HOSTFWD"))
        print(os.environ.get("USOCKET_NET_LOSS"), os.environ.get("USOCKET_NET_DELAY_MS"))
        print(sys.argv[1:], sys.stdin.read(), helper.X)
        """,
        env={"USOCKET_NET_DELAY_MS": 5},
        hostfwd=["tcp:1234:80", "udp:1235:81"],
        args=["a", 2],
        stdin=b"in!",
        files={"helper.py": "X = 42\n"},
    ).check()
    assert res.lines == [
        f"{dns_server.port} tcp:1234:80,udp:1235:81",
        "None 5",
        "['a', '2'] in! 42",
    ]


def test_runner_check_shows_output(fake_mp):
    res = fake_mp("print('partial'); raise SystemExit(3)")
    assert res.rc == 3
    with pytest.raises(AssertionError, match="partial"):
        res.check()


@pytest.mark.parametrize(
    "report",
    [
        "==1==ERROR: AddressSanitizer: heap-use-after-free on address 0x1",
        "==1==ERROR: LeakSanitizer: detected memory leaks",
        "hostnet.c:1:2: runtime error: signed integer overflow",
    ],
)
def test_runner_fails_on_a_sanitizer_report_even_with_exit_code_0(fake_mp, report):
    with pytest.raises(pytest.fail.Exception, match="(?s)sanitizer report.*stderr"):
        fake_mp(f"import sys; print('ok'); sys.stderr.write({report!r})")


def test_runner_checks_an_exited_spawn_for_sanitizer_reports_at_cleanup(fake_mp):
    proc = fake_mp.spawn("import sys; sys.stderr.write('x.c:1:2: runtime error: y')")
    deadline = time.monotonic() + 10
    while proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    with pytest.raises(pytest.fail.Exception, match="sanitizer report"):
        fake_mp.cleanup()


def test_runner_timeout_kills_and_fails_with_partial_output(fake_mp, tmp_path):
    pidfile = tmp_path / "child.pid"
    start = time.monotonic()
    with pytest.raises(pytest.fail.Exception, match="(?s)timed out.*before sleeping"):
        fake_mp(
            f"""
            import subprocess, time
            # A child in the same process group must die too.
            child = subprocess.Popen(["sleep", "60"])
            open({str(pidfile)!r}, "w").write(str(child.pid))
            print("before sleeping", flush=True)
            time.sleep(60)
            """,
            timeout=1,
        )
    assert time.monotonic() - start < 10
    child = int(pidfile.read_text())
    deadline = time.monotonic() + 5
    while _process_alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _process_alive(child)


def _process_alive(pid):
    """True if ``pid`` runs and is not a zombie waiting to be reaped."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_runner_spawn_wait_for_and_talk(fake_mp):
    port = free_port()
    proc = fake_mp.spawn(
        f"""
        import socket
        s = socket.socket()
        s.bind(("127.0.0.1", {port}))
        s.listen(1)
        print("listening", flush=True)
        c, _ = s.accept()
        c.sendall(c.recv(100).upper())
        c.close()
        print("done")
        """
    )
    proc.wait_for("listening")
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"abc")
        assert s.recv(100) == b"ABC"
    res = proc.wait(10).check()
    assert res.lines == ["listening", "done"]


def test_runner_wait_for_matches_whole_lines(fake_mp):
    """A marker inside an earlier line does not count: test_accept[timeout] once
    connected while the firmware was still in its "nobody has connected yet"
    accept, because '@ not_listening = 22' contains 'listening'."""
    proc = fake_mp.spawn(
        """
        import time
        print("@ not_listening = 22", flush=True)
        time.sleep(0.5)
        print("listening", flush=True)
        """
    )
    t = time.monotonic()
    out = proc.wait_for("listening")
    assert time.monotonic() - t >= 0.4
    assert out.splitlines()[-1] == "listening"
    proc.wait(10).check()


def test_runner_spawn_is_killed_at_cleanup(fake_mp):
    proc = fake_mp.spawn("import time; time.sleep(60)")
    assert proc.poll() is None
    fake_mp.cleanup()
    assert proc.poll() is not None


# --------------------------------------------------------------------------------------
# The real firmware


@pytest.mark.skipif(
    not firmware_built(), reason=f"{firmware_path()} not built yet (run `make unix`)"
)
def test_firmware_runs_micropython(mp):
    assert (
        mp("import sys; print(sys.implementation.name)").check().out.strip()
        == "micropython"
    )


def test_build_runs_make_once_and_reports_failure(tmp_path, monkeypatch):
    # A stand-in repo whose `make unix` fails: the failure and the log's tail
    # must reach the test, and a second call must not run make again.
    monkeypatch.delenv("USOCKET_FIRMWARE", raising=False)
    monkeypatch.delenv("VARIANT", raising=False)
    monkeypatch.setattr(conftest, "REPO", tmp_path)
    for attr in ("tried", "error", "log"):
        monkeypatch.setattr(conftest._Build, attr, getattr(conftest._Build, attr))
    conftest._Build.tried = False
    (tmp_path / "Makefile").write_text(
        "unix:\n\t@echo compiling; echo boom >&2; exit 3\n"
    )
    conftest._build_firmware()
    assert "failed" in conftest._Build.error
    assert "compiling\nboom" in conftest._Build.error
    (tmp_path / "Makefile").write_text("unix:\n\t@touch ran-again\n")
    conftest._build_firmware()
    assert not (tmp_path / "ran-again").exists()


def test_build_success_produces_variant_binary(tmp_path, monkeypatch):
    monkeypatch.delenv("USOCKET_FIRMWARE", raising=False)
    monkeypatch.setenv("VARIANT", "threaded")
    monkeypatch.setattr(conftest, "REPO", tmp_path)
    for attr in ("tried", "error", "log"):
        monkeypatch.setattr(conftest._Build, attr, getattr(conftest._Build, attr))
    conftest._Build.tried = False
    conftest._Build.error = None
    (tmp_path / "Makefile").write_text(
        "unix:\n\t@mkdir -p build/unix-$(VARIANT)"
        " && printf '#!/bin/sh\\n' > build/unix-$(VARIANT)/micropython"
        " && chmod +x build/unix-$(VARIANT)/micropython\n"
    )
    conftest._build_firmware()
    assert conftest._Build.error is None
    assert firmware_built()
    assert firmware_path() == tmp_path / "build" / "unix-threaded" / "micropython"


def test_firmware_path_honours_variant(monkeypatch):
    monkeypatch.delenv("USOCKET_FIRMWARE", raising=False)
    monkeypatch.setenv("VARIANT", "threaded")
    assert firmware_path().parts[-2:] == ("unix-threaded", "micropython")
    monkeypatch.delenv("VARIANT")
    assert firmware_path().parts[-2:] == ("unix", "micropython")
    monkeypatch.setenv("USOCKET_FIRMWARE", os.devnull)
    assert str(firmware_path()) == os.devnull
