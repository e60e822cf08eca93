"""urequests on the firmware against real CPython HTTP(S) servers on loopback.

Each test runs a small MicroPython script through the frozen ``urequests`` and
checks what the server saw on the wire (``Request.raw`` is the exact bytes) and
what the script reported back. Scripts print ``R <json>`` lines; ``results()``
collects them. The scripts of the tests marked qemu, which run on the QEMU target
too, are files under host_tests/fw/urequests/; the HTTPS tests keep theirs inline.
"""

import json
import re
import sys
import textwrap
from pathlib import Path

import pytest
from mprunner import fw, use_target_errno
from peers import Raw, Response, pattern, redirect

MiB = 1024 * 1024
# errno values (Linux's); the [qemu] instances rebind them to newlib's.
EAGAIN, ETIMEDOUT, ECONNREFUSED = 11, 110, 111


@pytest.fixture(autouse=True)
def _target_errno(mp_target, monkeypatch):
    use_target_errno(sys.modules[__name__], mp_target, monkeypatch)


# Before every inline script: out() reports a value, catch() runs a call and
# returns [exception type, message, errno] or None. The files define their own.
PRELUDE = """
import json, time, urequests

def out(x):
    print("R " + json.dumps(x))

def catch(f):
    try:
        f()
    except Exception as e:
        return [type(e).__name__, str(e), getattr(e, "errno", None)]
    return None
"""


def results(res):
    """The out() values of a finished run, in order (fails the test if it crashed)."""
    res.check()
    return [json.loads(line[2:]) for line in res.lines if line.startswith("R ")]


def run(mp, body, **kw):
    """Runs a script file from fw() (host_tests/fw/urequests/, its parameters in
    ``params``), or inline text after PRELUDE; returns the out() values."""
    if isinstance(body, Path):
        return results(mp(body, **kw))
    return results(mp(PRELUDE + textwrap.dedent(body), **kw))


def host(server):
    return f"10.0.2.2:{server.port}"


# --------------------------------------------------------------------------------------
# Frozen


@pytest.mark.qemu
def test_modules_are_frozen_bytecode(mp):
    res = mp(fw("urequests/modules_are_frozen_bytecode.py")).check()
    assert "IMPORTED FROM FS" not in res.out
    for name in (
        "urequests",
        "requests",
        "ssl",
        "checkNet",
        "log",
        "dataCall",
        "request",
        "asyncio",
        "ussl",
        "_cabundle",
    ):
        assert f"{name} frozen" in res.lines
    assert "alias True 0.1.0" in res.lines


# --------------------------------------------------------------------------------------
# Requests on the wire


@pytest.mark.qemu
def test_get_with_params_and_headers_is_wire_exact(mp, http_server):
    out = run(
        mp,
        fw("urequests/get_with_params_and_headers_is_wire_exact.py"),
        params={"port": http_server.port},
    )
    assert out == [[200, "OK", {"X-Token": "abc"}]]  # caller's dict untouched
    (req,) = http_server.requests
    assert req.raw == (
        b"GET /echo?x=0&a=1&b=x+y&c=%C3%A9%26%3D HTTP/1.1\r\n"
        + f"Host: {host(http_server)}\r\n".encode()
        + b"X-Token: abc\r\nConnection: close\r\n\r\n"
    )


@pytest.mark.qemu
def test_params_dict_and_repeated_values(mp, http_server):
    run(
        mp,
        fw("urequests/params_dict_and_repeated_values.py"),
        params={"port": http_server.port},
    )
    assert http_server.requests[0].query_string == "k=1&k=2"


BODY_CASES = {
    # name: (method, body on the wire, Content-Type, chunked); the script
    # (fw/urequests/request_bodies_are_wire_exact.py) gives the body by case name.
    "bytes": ("POST", b"\x00\x01raw", None, False),
    "str counted in bytes": ("PUT", "héllo €".encode(), None, False),
    "form dict": ("PATCH", b"k=a+b%26c", "application/x-www-form-urlencoded", False),
    "form pairs": ("POST", b"a=1&a=2&b=%C3%A9", "application/x-www-form-urlencoded", False),
    "json": ("POST", b'{"a": [1, "x"]}', "application/json", False),
    "generator": ("PUT", b"abcd\xc3\xa9f" + b"g" * 300, None, True),
    "file": ("POST", b"file body", None, False),
}  # fmt: skip


@pytest.mark.parametrize("case", BODY_CASES)
@pytest.mark.qemu
def test_request_bodies_are_wire_exact(mp, http_server, case):
    method, body, ctype, chunked = BODY_CASES[case]
    out = run(
        mp,
        fw("urequests/request_bodies_are_wire_exact.py"),
        params={"port": http_server.port, "method": method, "case": case},
    )
    assert out == [len(body)]
    (req,) = http_server.requests
    assert req.method == method
    assert req.body == body
    head = [
        f"{method} /echo HTTP/1.1",
        f"Host: {host(http_server)}",
        *([f"Content-Type: {ctype}"] if ctype else []),
        "Transfer-Encoding: chunked" if chunked else f"Content-Length: {len(body)}",
        "Connection: close",
    ]
    expected = ("\r\n".join(head) + "\r\n\r\n").encode()
    if chunked:
        # Each non-empty piece is one chunk; the empty piece is skipped (it would
        # end the body early).
        pieces = [b"abc", "déf".encode(), b"g" * 300]
        expected += b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces)
        expected += b"0\r\n\r\n"
    else:
        expected += body
    assert req.raw == expected
    assert req.chunked == chunked


@pytest.mark.qemu
def test_streamed_body_with_caller_content_length_is_not_chunked(mp, http_server):
    run(
        mp,
        fw("urequests/streamed_body_with_caller_content_length_is_not_chunked.py"),
        params={"port": http_server.port},
    )
    (req,) = http_server.requests
    assert not req.chunked
    assert req.headers.get_all("Content-Length") == ["30"]
    assert req.body == b"x" * 30


@pytest.mark.qemu
def test_delete_head_and_empty_post(mp, http_server):
    out = run(
        mp,
        fw("urequests/delete_head_and_empty_post.py"),
        params={"port": http_server.port},
    )
    assert out == [["DELETE"], [200, "500", ""], [0]]
    delete, head, post = http_server.requests
    assert b"Content-Length" not in delete.raw
    assert head.method == "HEAD"
    assert post.headers["Content-Length"] == "0"


@pytest.mark.qemu
def test_basic_auth_from_argument_and_url(mp, http_server):
    run(
        mp,
        fw("urequests/basic_auth_from_argument_and_url.py"),
        params={"port": http_server.port},
    )
    a, b = http_server.requests
    assert a.headers["Authorization"] == "Basic dXNlcjpwOnNz"  # user:p:ss
    assert b.headers["Authorization"] == "Basic YWxAaWNlOnMgY3JldA=="  # al@ice:s cret
    assert b"@" not in b.raw.split(b"\r\n")[1]  # no userinfo in Host


@pytest.mark.qemu
def test_multipart_files(mp, http_server):
    run(mp, fw("urequests/multipart_files.py"), params={"port": http_server.port})
    (req,) = http_server.requests
    ctype = req.headers["Content-Type"]
    m = re.fullmatch(r"multipart/form-data; boundary=(\S+)", ctype)
    assert m
    b = m.group(1).encode()
    assert int(req.headers["Content-Length"]) == len(req.body)
    assert req.body == (
        b"--" + b + b'\r\nContent-Disposition: form-data; name="field"\r\n\r\nv\r\n'
        b"--"
        + b
        + b'\r\nContent-Disposition: form-data; name="up"; filename="a.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\nfile-bytes\r\n"
        b"--" + b + b"--\r\n"
    )


# --------------------------------------------------------------------------------------
# Responses


@pytest.mark.qemu
def test_response_fields_and_case_insensitive_headers(mp, http_server):
    http_server.route(
        "GET",
        "/doc",
        lambda req: Response(
            201,
            [("Content-Type", "application/json; charset=utf-8"), ("X-Multi", "a")]
            + [("x-multi", "b")],
            json.dumps({"ok": "é"}),
            reason="Made",
        ),
    )
    out = run(
        mp,
        fw("urequests/response_fields_and_case_insensitive_headers.py"),
        params={"port": http_server.port},
    )
    assert out == [
        [
            201,
            "Made",
            True,
            "utf-8",
            "application/json; charset=utf-8",
            "application/json; charset=utf-8",
            True,
            "dflt",
            "a, b",
            json.dumps({"ok": "é"}),
            {"ok": "é"},
            len(json.dumps({"ok": "é"})),
        ]
    ]


@pytest.mark.qemu
def test_chunked_response_with_extensions_and_trailers(mp, http_server):
    http_server.route(
        "GET",
        "/chunks",
        lambda req: Response(
            200,
            {"Content-Type": "text/plain"},
            chunks=[b"first,", b"x" * 5000, b",last"],
            chunk_ext=";name=value;other",
            trailers={"X-Checksum": "42", "X-Other": "y"},
        ),
    )
    out = run(
        mp,
        fw("urequests/chunked_response_with_extensions_and_trailers.py"),
        params={"port": http_server.port},
    )
    assert out == [[5011, "first,", ",last"], 1]
    assert http_server.connections == 1


@pytest.mark.qemu
def test_content_length_and_close_delimited_bodies(mp, http_server, mp_target):
    if mp_target == "qemu":
        pytest.skip("QEMU target: reads 100 kB bodies whole, the MCU heap is 140 KiB")
    http_server.route(
        "GET",
        "/until-close",
        lambda req: Response(200, {}, pattern(70000, 3), until_close=True),
    )
    out = run(
        mp,
        fw("urequests/content_length_and_close_delimited_bodies.py"),
        params={"port": http_server.port},
    )
    assert out == [
        [100000, 70000, 100000, True, sum(pattern(100000)), sum(pattern(70000, 3))]
    ]


# --------------------------------------------------------------------------------------
# Redirects


@pytest.mark.parametrize(
    ("code", "method", "body"),
    [
        (301, "GET", ""),  # POST -> GET, body dropped
        (302, "GET", ""),
        (303, "GET", ""),
        (307, "POST", "payload"),  # method and body kept
        (308, "POST", "payload"),
    ],
)
@pytest.mark.qemu
def test_redirect_method_rules_for_post(mp, http_server, code, method, body):
    out = run(
        mp,
        fw("urequests/redirect_method_rules_for_post.py"),
        params={"port": http_server.port, "code": code},
    )
    assert out == [[200, method, body, f"http://{host(http_server)}/echo"]]
    second = http_server.requests[1]
    if method == "GET":
        assert b"Content-Length" not in second.raw
        assert b"Content-Type" not in second.raw
    else:
        assert second.raw.endswith(b"\r\n\r\npayload")


@pytest.mark.qemu
def test_303_turns_put_into_get_and_301_keeps_put(mp, http_server):
    out = run(
        mp,
        fw("urequests/303_turns_put_into_get_and_301_keeps_put.py"),
        params={"port": http_server.port},
    )
    assert out == ["GET", "PUT"]


@pytest.mark.parametrize(
    ("location", "final"),
    [
        ("/echo?a=1", "/echo?a=1"),
        ("echo?a=2", "/dir/echo?a=2"),
        ("../echo", "/echo"),
        ("./sub/../echo", "/dir/echo"),
        ("?q=3", "/dir/start?q=3"),
        ("//{host}/echo?a=4", "/echo?a=4"),
    ],
)
@pytest.mark.qemu
def test_relative_locations(mp, http_server, location, final):
    target = location.replace("{host}", host(http_server))
    # Only the first visit redirects, so "?q=3" (back to /dir/start) ends there.
    http_server.route(
        "GET",
        "/dir/start",
        lambda req: "done" if req.query_string else redirect(target, 302),
    )
    http_server.route("ANY", "/dir/echo", http_server._echo)
    out = run(
        mp,
        fw("urequests/relative_locations.py"),
        params={"port": http_server.port, "path": "/dir/start"},
    )
    assert out == [f"http://{host(http_server)}{final}"]
    assert http_server.requests[-1].target == final


@pytest.mark.qemu
def test_redirect_to_other_host_drops_credentials(mp, http_server, make_http_server):
    other = make_http_server()
    out = run(
        mp,
        fw("urequests/redirect_to_other_host_drops_credentials.py"),
        params={
            "port": http_server.port,
            "to": f"http://test.example:{other.port}/echo",
        },
    )
    assert out == [[200, f"http://test.example:{other.port}/echo"]]
    assert http_server.requests[0].headers["Authorization"] == "Bearer t"
    (req,) = other.requests
    assert "Authorization" not in req.headers
    assert req.headers["X-Keep"] == "1"
    assert req.headers["Host"] == f"test.example:{other.port}"


PX = {"Proxy-Authorization": "Basic cHg6cHg="}
CREDENTIAL_SOURCES = {
    # name: (Session(...) keyword arguments, the call's); each sends Authorization,
    # Proxy-Authorization and Cookie to the first server.
    "session headers": (
        {"headers": {"Authorization": "Bearer SESSION-SECRET", **PX, "Cookie": "sid=SESSION"}},
        {},
    ),
    "call headers": (
        {},
        {"headers": {"Authorization": "Bearer CALL-SECRET", **PX, "Cookie": "sid=CALL"}},
    ),
    "session auth": (
        {"auth": ("user", "pw"), "headers": {**PX, "Cookie": "sid=S"}},
        {},
    ),
    "call auth": (
        {"headers": {"Cookie": "sid=C"}},
        {"auth": ("user", "pw"), "headers": PX},
    ),
}  # fmt: skip
CREDENTIAL_HEADERS = ("Authorization", "Proxy-Authorization", "Cookie")


@pytest.mark.parametrize("source", CREDENTIAL_SOURCES)
@pytest.mark.parametrize("target", ["other port", "other host"])
@pytest.mark.qemu
def test_redirect_to_other_origin_strips_every_credential(
    mp, http_server, make_http_server, dns_server, source, target
):
    # Two real servers on different ports; the first redirects to the second (by
    # address, or by another name for the same address). Whatever the source of
    # the credentials, the second server must see none of them, and a later hop
    # back to the first origin does not bring them back.
    other = make_http_server()
    dns_server.add("elsewhere.example", "10.0.2.2")
    name = "10.0.2.2" if target == "other port" else "elsewhere.example"
    back = f"http://{host(http_server)}/echo"
    other.route("GET", "/hop", lambda req: redirect(back, 302))
    http_server.route(
        "GET", "/start", lambda req: redirect(f"http://{name}:{other.port}/hop", 307)
    )
    sess_args, call_args = CREDENTIAL_SOURCES[source]
    out = run(
        mp,
        fw("urequests/redirect_to_other_origin_strips_every_credential.py"),
        params={"port": http_server.port, "session": sess_args, "call": call_args},
    )
    assert out[0] == [200, back]
    assert out[1] == 200
    start, back1, _, back2 = http_server.requests
    for h in CREDENTIAL_HEADERS:
        assert h in start.headers, f"{h} was not sent to the first server at all"
    assert len(other.requests) == 2
    for req in other.requests + [back1, back2]:
        leaked = [h for h in CREDENTIAL_HEADERS if h in req.headers]
        assert leaked == [], f"{leaked} followed the redirect to {req.target}"
    assert other.requests[0].headers["Host"] == f"{name}:{other.port}"


# (from, to, stripped) as CPython requests' SessionRedirectMixin.should_strip_auth
# decides (requests 2.32): another host, port or scheme strips, default ports are
# the same as none, and http:80 -> https:443 on the same host keeps credentials.
STRIP_CASES = [
    ("http://a.example/x", "http://a.example/y", False),
    ("http://a.example/", "http://b.example/", True),
    ("http://a.example/", "http://A.EXAMPLE/", False),
    ("http://a.example:80/", "http://a.example/", False),
    ("https://a.example/", "https://a.example:443/z", False),
    ("http://a.example/", "https://a.example/", False),
    ("http://a.example:8080/", "https://a.example/", True),
    ("http://a.example/", "https://a.example:8443/", True),
    ("http://a.example:1/", "http://a.example:2/", True),
    ("https://a.example/", "http://a.example/", True),
]


@pytest.mark.qemu
def test_which_redirects_strip_credentials(mp):
    out = run(
        mp,
        fw("urequests/which_redirects_strip_credentials.py"),
        params={"cases": STRIP_CASES},
    )
    assert out[0] == [c[2] for c in STRIP_CASES]


@pytest.mark.qemu
def test_redirect_within_origin_keeps_credentials(mp, http_server):
    out = run(
        mp,
        fw("urequests/redirect_within_origin_keeps_credentials.py"),
        params={"port": http_server.port},
    )
    assert out[0]["Authorization"] == "Bearer S"
    assert out[0]["Cookie"] == "a=1"


@pytest.mark.qemu
@pytest.mark.ssl
def test_redirect_from_https_to_http_is_refused(mp, https_server, http_server):
    target = f"http://{host(http_server)}/echo"
    https_server.route("GET", "/down", lambda req: redirect(target, 302))
    out = run(
        mp,
        fw("urequests/redirect_from_https_to_http_is_refused.py"),
        params={"ca": https_server.ca_der, "url": https_server.url("/down")},
    )
    assert out[0][0] == "InsecureRedirect"
    assert "https to plain http" in out[0][1]
    assert target in out[0][1]
    assert http_server.requests == []


@pytest.mark.qemu
def test_redirect_loop_stops_with_clear_error(mp, http_server):
    http_server.route("GET", "/loop", lambda req: redirect("/loop"))
    out = run(
        mp,
        fw("urequests/redirect_loop_stops_with_clear_error.py"),
        params={"port": http_server.port},
    )
    assert out[0][0] == "TooManyRedirects"
    assert "more than 3 redirects" in out[0][1]
    assert out[1] == [True, "more than 10 redirects (last to /loop)"]
    assert out[2] == [302, "/loop"]
    # 4 + 11 + 1 requests: each redirect was followed exactly up to the limit.
    assert len(http_server.requests) == 16


# --------------------------------------------------------------------------------------
# Session and keep-alive


@pytest.mark.qemu
def test_session_sends_requests_over_one_connection(mp, http_server):
    out = run(
        mp,
        fw("urequests/session_sends_requests_over_one_connection.py"),
        params={"port": http_server.port},
    )
    assert out == [[1] * 7]
    assert http_server.connections == 1
    assert len(http_server.requests) == 11
    assert all(r.headers["X-Session"] == "1" for r in http_server.requests)
    assert all("Connection" not in r.headers for r in http_server.requests)


@pytest.mark.qemu
def test_session_reconnects_when_server_closed_connection(mp, http_server):
    # /bye answers and closes without saying so (an idle timeout on the server);
    # /close says Connection: close. Both times the next request must go through.
    http_server.route(
        "GET",
        "/bye",
        lambda req: Raw(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nbye", close=True),
    )
    http_server.route(
        "GET", "/close", lambda req: Response(200, {}, b"closing", close=True)
    )
    out = run(
        mp,
        fw("urequests/session_reconnects_when_server_closed_connection.py"),
        params={"port": http_server.port},
    )
    assert out == [[200, 200, 200, 200, 200, 4]]
    assert http_server.connections == 4


@pytest.mark.qemu
def test_unread_streamed_response_is_not_reused(mp, http_server):
    out = run(
        mp,
        fw("urequests/unread_streamed_response_is_not_reused.py"),
        params={"port": http_server.port},
    )
    assert out == [2]


# --------------------------------------------------------------------------------------
# Streaming


@pytest.mark.slow
@pytest.mark.parametrize("path", ["/bytes/1048576", "/stream/1048576?chunk=4096"])
@pytest.mark.qemu
def test_stream_one_mib_with_bounded_heap(mp, http_server, path):
    # Peak live-heap growth while reading 1 MiB in 1 KiB pieces (gc.collect() each
    # time, so only what the client keeps alive counts, not garbage waiting for GC).
    out = run(
        mp,
        fw("urequests/stream_one_mib_with_bounded_heap.py"),
        params={"port": http_server.port, "path": path},
        timeout=120,
    )
    n, biggest, total, peak = out[0]
    assert n == MiB
    assert biggest == 1024
    assert total == sum(pattern(MiB)) & 0xFFFFFFFF
    assert peak < 8 * 1024, f"heap grew by {peak} bytes while streaming"


@pytest.mark.qemu
def test_raw_readinto_and_iter_content_decode(mp, http_server):
    text = "aé€😀" * 300  # 1-, 2-, 3- and 4-byte UTF-8 sequences
    http_server.route(
        "GET",
        "/text",
        lambda req: Response(200, {}, text.encode(), chunked=True, chunk_size=333),
    )
    out = run(
        mp,
        fw("urequests/raw_readinto_and_iter_content_decode.py"),
        params={"port": http_server.port, "text": text},
    )
    assert out == [5000, [True, True]]


# --------------------------------------------------------------------------------------
# HTTPS


def _needs_tls(res):
    if "NO-TLS" in res.out:
        pytest.skip("the firmware has no tls module")


# Host firmware only (HTTPS on the QEMU target: test_tls.py).
@pytest.mark.ssl
def test_https_verified_and_failures(mp, https_server, tmp_path):
    ca_path = tmp_path / "ca.der"
    ca_path.write_bytes(https_server.ca_der)
    https_server.route(
        "GET", "/close", lambda req: Response(200, {}, b"bye", close=True)
    )
    res = mp(
        PRELUDE
        + f"""
try:
    import tls
except ImportError:
    print("NO-TLS")
    raise SystemExit
url = "{https_server.url("/echo")}"
byname = "{https_server.url("/echo", host="test.example")}"
out(catch(lambda: urequests.get(url, timeout=10)))        # verify=True, CA not trusted
r = urequests.get(url, verify={https_server.ca_der!r}, timeout=10)
out([r.status_code, r.json()["path"]])
r = urequests.get(byname, verify="{https_server.ca_pem_path}", timeout=10)
out([r.status_code, r.json()["headers"]["Host"]])
e = catch(lambda: urequests.get(url, verify={https_server.wrong_ca_der!r}, timeout=10))
out(e)
r = urequests.get(url, verify=False, timeout=10)
out(r.status_code)
urequests.set_default_ca(open("{ca_path}", "rb").read())
with urequests.Session() as s:
    out([s.post(url, json={{"i": i}}, timeout=10).json()["connection"] for i in range(3)])
    # The server closes after /close: the session reconnects for the next one.
    s.get(url.replace("/echo", "/close"), timeout=10).content
    time.sleep_ms(200)
    out(s.get(url, timeout=10).json()["connection"])
"""
    )
    _needs_tls(res)
    no_ca, ok, by_name, wrong, unverified, session, reconnected = results(res)
    # verify=True with the test CA nowhere in the trust store (bundle, certs/).
    assert no_ca[0] == "CertificateError"
    assert "certificate of 10.0.2.2 failed verification" in no_ca[1]
    assert "certs/" in no_ca[1]
    assert ok == [200, "/echo"]
    assert by_name == [200, f"test.example:{https_server.port}"]
    assert wrong[0] == "CertificateError"
    assert "failed" in wrong[1]
    assert unverified == 200
    # Connections 1-5 are the calls above (the untrusted one included: the trust
    # store is consulted in the handshake); one TLS connection for the session.
    assert session == [6, 6, 6]
    assert reconnected == 7


# Host firmware only (HTTPS on the QEMU target: test_tls.py).
@pytest.mark.ssl
def test_ssl_module_wraps_usocket_sockets(mp, https_server):
    # The frozen ssl layer (CPython-style, over the tls C module) on a usocket
    # socket: verified with a PEM CA file. The legacy wrap_socket() keeps
    # MicroPython's default (CERT_NONE, what libraries expect); asked to verify,
    # with the test CA in no trust store, it refuses instead of connecting blind.
    res = mp(
        PRELUDE
        + f"""
try:
    import tls
except ImportError:
    print("NO-TLS")
    raise SystemExit
import socket, ssl

def connect():
    s = socket.socket()
    s.settimeout(10)
    s.connect(socket.getaddrinfo("10.0.2.2", {https_server.port})[0][-1])
    return s

ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.load_verify_locations(cafile="{https_server.ca_pem_path}")
t = ctx.wrap_socket(connect(), server_hostname="test.example")
t.write(b"GET / HTTP/1.1\\r\\nHost: test.example\\r\\nConnection: close\\r\\n\\r\\n")
out(t.read().decode().split("\\r\\n")[0])
t.close()
out([ctx.verify_mode == ssl.CERT_REQUIRED])
out(catch(lambda: ssl.wrap_socket(connect(), server_hostname="test.example",
                                  cert_reqs=ssl.CERT_REQUIRED)))
t = ssl.wrap_socket(connect(), server_hostname="test.example")
t.close()
out("upstream default ok")
"""
    )
    _needs_tls(res)
    status, mode, required, default = results(res)
    assert status == "HTTP/1.1 200 OK"
    assert mode == [True]
    assert required is not None  # asked to verify, no CA: the handshake must fail
    assert default == "upstream default ok"


@pytest.mark.qemu
@pytest.mark.ssl
def test_https_hostname_mismatch_fails(mp, https_server, dns_server):
    dns_server.add("other.example", "10.0.2.2")
    res = mp(
        fw("urequests/https_hostname_mismatch_fails.py"),
        params={
            "ca": https_server.ca_der,
            "url": https_server.url("/", host="other.example"),
        },
    )
    _needs_tls(res)
    (err,) = results(res)
    assert err[0] == "CertificateError"
    assert "name" in err[1].lower() or "CN" in err[1]


# --------------------------------------------------------------------------------------
# Malformed responses, timeouts, bad input: errors with a message, never a hang


MALFORMED = {
    "bad status line": (b"HTTP/1.1 2OO OK\r\n\r\n", "ValueError", "malformed status line"),
    "not http": (b"SSH-2.0-OpenSSH\r\n\r\n", "ValueError", "malformed status line"),
    "http/2 status": (b"HTTP/2 200\r\n\r\n", "ValueError", "malformed status line"),
    "bad header": (b"HTTP/1.1 200 OK\r\nNoColonHere\r\n\r\n", "ValueError", "malformed header line"),
    "header too long": (b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 8000 + b"\r\n\r\n", "ValueError", "longer than 4096"),
    "too many headers": (b"HTTP/1.1 200 OK\r\n" + b"X-H: v\r\n" * 100 + b"\r\n", "ValueError", "exceed 64 lines"),
    "bad chunk size": (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\nabc\r\n0\r\n\r\n", "ValueError", "bad chunk size"),
    "chunk without crlf": (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXY0\r\n\r\n", "ValueError", "chunk not followed by CRLF"),
    "bad content-length": (b"HTTP/1.1 200 OK\r\nContent-Length: 12abc\r\n\r\n", "ValueError", "bad Content-Length"),
    "early close in body": (b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this", "OSError", "before the end of the body"),
    "early close in chunk": (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc", "OSError", "before the end of the body"),
    "early close in headers": (b"HTTP/1.1 200 OK\r\nContent-Len", "OSError", "inside the response headers"),
    "close before status": (b"", "OSError", "before the status line"),
}  # fmt: skip


@pytest.mark.parametrize("case", MALFORMED)
@pytest.mark.qemu
def test_malformed_responses_raise(mp, http_server, case):
    data, exc, message = MALFORMED[case]
    http_server.route("GET", "/bad", lambda req: Raw(data, close=True))
    out = run(
        mp,
        fw("urequests/malformed_responses_raise.py"),
        params={"port": http_server.port},
        timeout=30,
    )
    assert out[0] is not None, "no error raised"
    assert out[0][0] == exc
    assert message in out[0][1]


@pytest.mark.qemu
def test_silent_server_times_out(mp, http_server):
    http_server.route(
        "GET",
        "/hang",
        lambda req: Raw(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", hang=True),
    )
    http_server.route("GET", "/never", lambda req: Raw(b"", hang=True))
    out = run(
        mp,
        fw("urequests/silent_server_times_out.py"),
        params={"port": http_server.port},
        timeout=30,
    )
    for name, errno, ms in out:
        assert name == "OSError"
        assert errno in (EAGAIN, ETIMEDOUT)
        assert 1000 <= ms < 5000


@pytest.mark.qemu
def test_timeout_bounds_dns_and_connect(mp, http_server, dns_server):
    with dns_server.override(mode="silent"):
        out = run(
            mp,
            fw("urequests/timeout_bounds_dns_and_connect.py"),
            params={"port": http_server.port},
            timeout=30,
        )
    assert out[0][0] == "OSError"
    assert out[0][1] < 6000
    out = run(mp, fw("urequests/refused_and_unknown_name.py"))
    assert out[0][0] == "OSError" and out[0][2] == ECONNREFUSED
    assert out[1][0] == "OSError"


@pytest.mark.qemu
def test_bad_urls_and_arguments_raise_valueerror(mp):
    out = run(mp, fw("urequests/bad_urls_and_arguments_raise_valueerror.py"))
    assert len(out) == 12
    for err in out:
        assert err is not None
        assert err[0] in ("ValueError", "TypeError"), err
        assert err[1]
