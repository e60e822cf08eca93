"""TLS on the firmware: the default trust store (the frozen CA bundle and the
``certs/`` directory), ``ssl``/``ussl`` with their upstream signatures, and
verified HTTPS with no arguments, against CPython HTTPS servers whose
certificates come from a throw-away openssl PKI (peers.Certs).

The bundle test checks the frozen bytes against Debian's own PEM files, decoded
by CPython, not against our build tool.
"""

import hashlib
import json
import pathlib
import shutil
import ssl
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.ssl

TOP = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TOP / "tools"))
import cabundle

PRELUDE = """
import json, socket, time
try:
    import tls
except ImportError:
    print("NO-TLS")
    raise SystemExit
import ssl, ussl, urequests, request

def out(x):
    print("R " + json.dumps(x))

def catch(f):
    try:
        f()
    except Exception as e:
        return [type(e).__name__, str(e)]
    return None

def connect(port):
    s = socket.socket()
    s.settimeout(10)
    s.connect(socket.getaddrinfo("10.0.2.2", port)[0][-1])
    return s

def get_over(t):
    t.write(b"GET / HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n")
    line = t.read().split(b"\\r\\n")[0].decode()
    t.close()
    return line
"""


def run(mp, body, **kw):
    res = mp(PRELUDE + textwrap.dedent(body), **kw)
    if "NO-TLS" in res.out:
        pytest.skip("the firmware has no tls module")
    res.check()
    return [json.loads(line[2:]) for line in res.lines if line.startswith("R ")]


def put_cert(mp, name, pem):
    d = mp.workdir / "certs"
    d.mkdir(exist_ok=True)
    (d / name).write_bytes(pem)


def test_https_with_no_arguments_is_verified_against_certs_dir(
    mp, https_server, dns_server
):
    # The test CA as a PEM file in certs/ (the firmware's current directory): every
    # API verifies against it with no TLS argument at all, by address and by name.
    put_cert(mp, "test-ca.pem", https_server.ca_pem)
    port = https_server.port
    out = run(
        mp,
        f"""
        r = urequests.get("{https_server.url("/echo")}")
        out([r.status_code, r.json()["path"]])
        r = urequests.get("{https_server.url("/echo", host="test.example")}")
        out(r.json()["headers"]["Host"])
        r = request.get("{https_server.url("/")}")
        out([r.status_code, "".join(r.text)])
        out(get_over(ssl.wrap_socket(connect({port}), server_hostname="test.example")))
        out(get_over(ussl.wrap_socket(connect({port}), server_hostname="test.example")))
        out(get_over(ussl.wrap_socket(connect({port}), "test.example")))  # QuecPython's order
        ctx = ssl.create_default_context()
        out(get_over(ctx.wrap_socket(connect({port}), server_hostname="test.example")))
        """,
    )
    assert out == [
        [200, "/echo"],
        f"test.example:{port}",
        [200, "hello from loopback"],
        "HTTP/1.1 200 OK",
        "HTTP/1.1 200 OK",
        "HTTP/1.1 200 OK",
        "HTTP/1.1 200 OK",
    ]


def test_asyncio_ssl_true_verifies_against_the_store(mp, https_server):
    # asyncio's open_connection(ssl=True) makes a bare SSLContext and a deferred
    # handshake: with the CA in certs/ it is verified; with none, it fails.
    port = https_server.port
    body = f"""
        import asyncio

        async def get():
            r, w = await asyncio.open_connection("10.0.2.2", {port}, ssl=True)
            w.write(b"GET / HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n")
            await w.drain()
            line = await r.readline()
            w.close()
            return line.decode().strip()

        try:
            out(asyncio.run(get()))
        except Exception as e:
            out([type(e).__name__, str(e)])
        """
    out = run(mp, body)
    assert out[0][0] in ("ValueError", "OSError"), out  # the test CA is not trusted
    put_cert(mp, "test-ca.pem", https_server.ca_pem)
    assert run(mp, body) == ["HTTP/1.1 200 OK"]


def test_untrusted_ca_fails_naming_the_host_and_the_fix(mp, https_server):
    # certs/ holds a CA with the same name as the server's but another key, so the
    # signature check itself must fail; verify=False is the explicit way out.
    put_cert(mp, "wrong.pem", https_server.wrong_ca_pem)
    port = https_server.port
    out = run(
        mp,
        f"""
        out(catch(lambda: urequests.get("{https_server.url("/echo", host="test.example")}", timeout=10)))
        out(catch(lambda: request.get("{https_server.url("/")}", timeout=10)))
        out(catch(lambda: ssl.wrap_socket(connect({port}), server_hostname="test.example")))
        out(urequests.get("{https_server.url("/echo")}", verify=False, timeout=10).status_code)
        r = request.get("{https_server.url("/")}", ssl_params={{"verify": False}})
        out(r.status_code)
        r.close()
        out(get_over(ssl.wrap_socket(connect({port}), cert_reqs=ssl.CERT_NONE)))
        out(catch(lambda: ssl.wrap_socket(connect({port}))))
        """,
    )
    by_name, quec, raw, unverified, quec_unverified, raw_unverified, no_name = out
    for err, host in (
        (by_name, "test.example"),
        (quec, "10.0.2.2"),
        (raw, "test.example"),
    ):
        assert err[0] == "CertificateError", err
        assert f"the certificate of {host}" in err[1]
        assert "not correctly signed" in err[1]  # mbedTLS's reason
        assert "PEM file in certs/" in err[1]
    assert unverified == 200
    assert quec_unverified == 200
    assert raw_unverified == "HTTP/1.1 200 OK"
    assert no_name[0] == "ValueError"
    assert no_name[1].startswith("CERT_REQUIRED requires server_hostname: pass")


def test_ca_added_to_certs_dir_is_picked_up_without_restart(mp, https_server):
    url = https_server.url("/")
    certs = mp.workdir / "certs"
    out = run(
        mp,
        f"""
        out(catch(lambda: urequests.get("{url}", timeout=10))[0])
        import os
        try:
            os.mkdir("certs")
        except OSError:
            pass
        with open("certs/added.pem", "wb") as f:
            f.write({https_server.ca_pem!r})
        out(urequests.get("{url}", timeout=10).status_code)
        """,
    )
    assert out == ["CertificateError", 200]
    assert (certs / "added.pem").exists()


def test_bundle_ca_is_loaded_only_when_a_chain_needs_it(mp, https_server, tmp_path):
    # A bundle built by tools/cabundle.py from a directory holding a real Debian
    # root (first, so a context starts with it) and the test CA. The first
    # handshake fails against the real root; the chain's issuer is found in the
    # bundle, loaded, and a second connection succeeds. A second request reuses
    # the learned CA: one connection only.
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(pathlib.Path(cabundle.SRC) / "ISRG_Root_X1.crt", src)
    (src / "usocket_test_CA.crt").write_bytes(https_server.ca_pem)
    bundle_py = tmp_path / "bundle" / "_cabundle.py"
    subprocess.run(
        [sys.executable, str(TOP / "tools" / "cabundle.py"), "--set", "full",
         "--src", str(src), "--out", str(bundle_py)],
        check=True, capture_output=True,
    )  # fmt: skip
    out = run(
        mp,
        f"""
        ns = {{}}
        exec(open("{bundle_py}").read(), ns)
        ssl._BUNDLE = ns["BUNDLE"]
        r = urequests.get("{https_server.url("/echo")}", timeout=10)
        out([r.status_code, r.json()["connection"]])
        r = urequests.get("{https_server.url("/echo")}", timeout=10)
        out([r.status_code, r.json()["connection"]])
        out(len(ssl._learned))
        """,
    )
    # Connection 1 was the handshake refused against ISRG Root X1 only.
    assert out == [[200, 2], [200, 3], 2]
    # ssl.wrap_socket on the caller's socket: the second handshake runs on a new
    # connection to the same peer (getpeername), returned in its place.
    before = https_server.connections
    out = run(
        mp,
        f"""
        ns = {{}}
        exec(open("{bundle_py}").read(), ns)
        ssl._BUNDLE = ns["BUNDLE"]
        out(get_over(ssl.wrap_socket(connect({https_server.port}), server_hostname="test.example")))
        """,
    )
    assert out == ["HTTP/1.1 200 OK"]
    assert https_server.wait_connections(before + 2) == before + 2


def test_frozen_bundle_holds_the_common_set_and_parses(mp):
    # What the firmware has frozen, against Debian's PEM files decoded by CPython:
    # the same certificates in the same order (expired ones left out), each of
    # which mbedTLS parses as a CA.
    out = run(
        mp,
        """
        import _cabundle, hashlib, binascii
        ders = []
        for start, n, so, sn in ssl._bundle_records():
            der = ssl._BUNDLE[start:start + n]
            ctx = tls.SSLContext(tls.PROTOCOL_TLS_CLIENT)
            ctx.load_verify_locations(der)  # raises if mbedTLS cannot parse it
            ders.append(binascii.hexlify(hashlib.sha256(der).digest()).decode())
            assert ssl._bundle_find(ssl._BUNDLE[so:so + sn]) == der
        out([_cabundle.SET, _cabundle.SOURCE, ders])
        """,
        timeout=60,
    )
    ((name, source, ders),) = out
    if name != "common":
        pytest.skip(f"the firmware was built with CA_BUNDLE={name}")
    expected = []
    now = cabundle.datetime.datetime.now(cabundle.datetime.UTC)
    for stem in cabundle.COMMON:
        pem = (pathlib.Path(cabundle.SRC) / f"{stem}.crt").read_text()
        der = ssl.PEM_cert_to_DER_cert(pem)
        if cabundle.not_after(der) > now:
            expected.append(hashlib.sha256(der).hexdigest())
    assert ders == expected
    assert len(ders) >= 30
    assert source.startswith("ca-certificates ")


def test_ssl_and_ussl_signatures(mp):
    # MicroPython's ssl.wrap_socket and QuecPython's ussl.wrap_socket, by name.
    out = run(
        mp,
        """
        out([ssl.CERT_NONE, ssl.CERT_OPTIONAL, ssl.CERT_REQUIRED,
             ussl.CERT_REQUIRED == ssl.CERT_REQUIRED, ussl.SSLContext is ssl.SSLContext])
        for f in (ssl.wrap_socket, ussl.wrap_socket):
            # Every keyword both sides use is accepted (the socket is not a
            # stream: OSError, raised only after the arguments were taken).
            e = catch(lambda: f(None, server_side=False, key=None, cert=None,
                                cert_reqs=ssl.CERT_NONE, cadata=None,
                                server_hostname="h", do_handshake=True))
            out(e[0])
        out(catch(lambda: ussl.wrap_socket(None, "h", None, None, cert_reqs=ssl.CERT_NONE))[0])
        """,
    )
    assert out[0] == [0, 1, 2, True, True]
    assert out[1:] == ["OSError", "OSError", "OSError"]  # not a stream: args were fine
