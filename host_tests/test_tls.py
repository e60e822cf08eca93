"""TLS on the firmware: the default trust store (the frozen CA bundle and the
``certs/`` directory), ``ssl``/``ussl`` with their upstream signatures, and
verified HTTPS with no arguments, against CPython HTTPS servers whose
certificates come from a throw-away openssl PKI (peers.Certs).

The bundle test checks the frozen bytes against Debian's own PEM files, decoded
by CPython, not against our build tool. The firmware half of each test is a
script under host_tests/fw/tls/; CA files for it go in ``files=`` (certs/...).
"""

import ast
import hashlib
import pathlib
import shutil
import ssl
import subprocess
import sys

import pytest
from mprunner import fw
from peers import pattern, redirect

# Every test runs on the host firmware and on the QEMU target (its own mbedTLS in
# the GC heap, boards/qemu); the firmware halves are host_tests/fw/tls/*.py.
pytestmark = [pytest.mark.ssl, pytest.mark.qemu]

TOP = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TOP / "tools"))
import cabundle


def certs_files(**pems):
    """``files=`` for mp(): each PEM as certs/<name>.pem, on the host firmware
    beside the script (its current directory), on the QEMU target on its RAM disk."""
    return {f"certs/{name}.pem": pem.decode() for name, pem in pems.items()}


def run_fw(mp, name, **kw):
    """Runs host_tests/fw/tls/<name> (its parameters in ``params``); returns its
    ``res`` results as a dict, or skips if the firmware has no tls module."""
    res = mp(fw(f"tls/{name}"), **kw)
    if res.out.strip() == "SKIP":
        pytest.skip("the firmware has no tls module")
    res.check()
    found = {}
    for line in res.out.splitlines():
        if line.startswith("@ "):
            key, _, value = line[2:].partition(" = ")
            found[key] = ast.literal_eval(value)
    return found


def test_https_with_no_arguments_is_verified_against_certs_dir(
    mp, https_server, dns_server
):
    # The test CA as a PEM file in certs/: every API verifies against it with no
    # TLS argument at all, by address and by name (through the test DNS).
    port = https_server.port
    out = run_fw(
        mp,
        "https_with_no_arguments_is_verified.py",
        params={"port": port, "name": "test.example"},
        files=certs_files(test_ca=https_server.ca_pem),
        timeout=120,
    )
    assert out == {
        "urequests": [200, "/echo"],
        "urequests_by_name": f"test.example:{port}",
        "request": [200, "hello from loopback"],
        "ssl": "HTTP/1.1 200 OK",
        "ussl": "HTTP/1.1 200 OK",
        "ussl_positional": "HTTP/1.1 200 OK",
        "context": "HTTP/1.1 200 OK",
    }


def test_asyncio_ssl_true_verifies_against_the_store(mp, https_server):
    # asyncio's open_connection(ssl=True) makes a bare SSLContext and a deferred
    # handshake: with no CA it fails; with the CA in certs/ it is verified.
    script = "asyncio_ssl_true_verifies_against_the_store.py"
    params = {"port": https_server.port}
    out = run_fw(mp, script, params=params, timeout=60)
    assert out["get"][0] in ("ValueError", "OSError"), out  # not trusted
    out = run_fw(
        mp,
        script,
        params=params,
        files=certs_files(test_ca=https_server.ca_pem),
        timeout=60,
    )
    assert out == {"get": "HTTP/1.1 200 OK"}


def test_untrusted_ca_fails_naming_the_host_and_the_fix(mp, https_server):
    # certs/ holds a CA with the same name as the server's but another key, so the
    # signature check itself must fail; verify=False is the explicit way out.
    out = run_fw(
        mp,
        "untrusted_ca_fails_naming_the_host_and_the_fix.py",
        params={"port": https_server.port, "name": "test.example"},
        files=certs_files(wrong=https_server.wrong_ca_pem),
        timeout=120,
    )
    for key, host in (
        ("urequests", "test.example"),
        ("request", "10.0.2.2"),
        ("ssl", "test.example"),
    ):
        err = out[key]
        assert err[0] == "CertificateError", err
        assert f"the certificate of {host}" in err[1]
        assert "not correctly signed" in err[1]  # mbedTLS's reason
        assert "PEM file in certs/" in err[1]
    assert out["urequests_unverified"] == 200
    assert out["request_unverified"] == 200
    assert out["ssl_unverified"] == "HTTP/1.1 200 OK"
    assert out["ssl_no_name"][0] == "ValueError"
    assert out["ssl_no_name"][1].startswith(
        "CERT_REQUIRED requires server_hostname: pass"
    )
    # Upstream defaults: MicroPython's ssl.wrap_socket and QuecPython's
    # ussl.wrap_socket verify nothing unless asked (libraries rely on it).
    for key in ("ssl_default", "ssl_default_no_name", "ussl_default"):
        assert out[key] == "HTTP/1.1 200 OK", key


def test_ca_added_to_certs_dir_is_picked_up_without_restart(mp, https_server):
    out = run_fw(
        mp,
        "ca_added_to_certs_dir_is_picked_up_without_restart.py",
        params={"port": https_server.port, "pem": https_server.ca_pem.decode()},
        timeout=60,
    )
    assert out == {"before": "CertificateError", "after": 200, "written": True}


def test_bundle_ca_is_loaded_only_when_a_chain_needs_it(mp, https_server, tmp_path):
    # A bundle built by tools/cabundle.py from a directory holding a real Debian
    # root (first, so a context starts with it) and the test CA, given to the
    # firmware as the module testbundle.
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
    script = "bundle_ca_is_loaded_only_when_a_chain_needs_it.py"
    files = {"testbundle.py": bundle_py.read_text()}
    params = {"port": https_server.port, "name": "test.example"}
    out = run_fw(
        mp, script, params={**params, "part": "urequests"}, files=files, timeout=60
    )
    # Connection 1 was the handshake refused against ISRG Root X1 only; the
    # second request reused the CA learned then.
    assert out == {"first": [200, 2], "second": [200, 3], "learned": 2}
    # ssl.wrap_socket on the caller's socket: the second handshake runs on a new
    # connection to the same peer (getpeername), returned in its place.
    before = https_server.connections
    out = run_fw(
        mp, script, params={**params, "part": "wrap_socket"}, files=files, timeout=60
    )
    assert out == {"wrap_socket": "HTTP/1.1 200 OK"}
    assert https_server.wait_connections(before + 2) == before + 2


def test_frozen_bundle_holds_the_common_set_and_parses(mp):
    # What the firmware has frozen, against Debian's PEM files decoded by CPython:
    # the same certificates in the same order (expired ones left out), each of
    # which mbedTLS parses as a CA.
    out = run_fw(mp, "frozen_bundle_parses.py", timeout=120)
    if out["set"] != "common":
        pytest.skip(f"the firmware was built with CA_BUNDLE={out['set']}")
    expected = []
    now = cabundle.datetime.datetime.now(cabundle.datetime.UTC)
    for stem in cabundle.COMMON:
        pem = (pathlib.Path(cabundle.SRC) / f"{stem}.crt").read_text()
        der = ssl.PEM_cert_to_DER_cert(pem)
        if cabundle.not_after(der) > now:
            expected.append(hashlib.sha256(der).hexdigest())
    assert out["ders"] == expected
    assert len(out["ders"]) >= 30
    assert out["found"] is True
    assert out["source"].startswith("ca-certificates ")


def test_ssl_and_ussl_signatures(mp):
    # MicroPython's ssl.wrap_socket and QuecPython's ussl.wrap_socket, by name.
    out = run_fw(mp, "ssl_and_ussl_signatures.py")
    assert out == {
        "constants": [0, 1, 2],
        "ussl_is_ssl": [True, True],
        # Not a stream: OSError, so the arguments themselves were accepted.
        "ssl_keywords": "OSError",
        "ussl_keywords": "OSError",
        "ussl_positional": "OSError",
    }


# Larger than one TLS record (16 KiB), so the firmware reassembles several.
BODY_BYTES = 40000


def test_urequests_https_get_reads_the_body(mp, https_server):
    https_server.route("GET", "/body", lambda req: pattern(BODY_BYTES))
    out = run_fw(
        mp,
        "urequests_https_get_reads_the_body.py",
        params={"port": https_server.port, "n": BODY_BYTES},
        files=certs_files(test_ca=https_server.ca_pem),
        timeout=120,
    )
    assert out == {
        "status": 200,
        "length": BODY_BYTES,
        "same": True,
        "streamed": [BODY_BYTES, True],
    }


def test_https_to_http_redirect_is_refused(mp, https_server, http_server):
    # The https server is verified through the store; its redirect to plain http
    # is refused before anything is sent there.
    target = http_server.url("/echo")
    https_server.route("GET", "/down", lambda req: redirect(target, 302))
    out = run_fw(
        mp,
        "https_to_http_redirect_is_refused.py",
        params={"port": https_server.port},
        files=certs_files(test_ca=https_server.ca_pem),
        timeout=60,
    )
    name, message = out["error"]
    assert name == "InsecureRedirect"
    assert "https to plain http" in message
    assert target in message
    assert http_server.requests == []


def test_each_boot_sends_another_client_random(mp, tcp_server):
    # The 28 random bytes of the ClientHello (after the 4 that may hold the time)
    # come from mbedTLS's DRBG, seeded from the firmware's entropy source: on the
    # QEMU target that is seeded per boot (docs/qemu.md, TLS), so two boots of the
    # same firmware, running the same script, must not repeat them.
    randoms = []

    def record_client_hello(conn, addr):
        conn.settimeout(10)
        data = b""
        while len(data) < 5 + 6 + 32:
            chunk = conn.recv(4096)
            if not chunk:
                break
            data += chunk
        # Record header (5), handshake type and length (4), version (2), random (32).
        assert data[0] == 22 and data[5] == 1, data[:6]  # handshake, ClientHello
        randoms.append(data[11:43])

    server = tcp_server(record_client_hello)
    for _ in range(2):
        run_fw(mp, "client_hello.py", params={"port": server.port}, timeout=60)
    assert len(randoms) == 2, server.errors
    assert randoms[0][4:] != randoms[1][4:]


def expired_server_context(certs, directory):
    """A CPython server context whose certificate the test CA signed for 10.0.2.2,
    valid in 2020 only (`openssl ca`, which takes explicit dates)."""
    d = pathlib.Path(directory)
    d.mkdir()
    (d / "index.txt").write_text("")
    (d / "serial").write_text("1000\n")
    (d / "ca.cnf").write_text(
        "[ca]\ndefault_ca = test\n"
        f"[test]\ndatabase = {d}/index.txt\nserial = {d}/serial\n"
        f"new_certs_dir = {d}\ndefault_md = sha256\npolicy = any\n"
        "[any]\ncommonName = supplied\n"
    )
    (d / "ext").write_text("subjectAltName=DNS:test.example,IP:10.0.2.2\n")
    key, csr, pem = d / "key.pem", d / "req.csr", d / "cert.pem"
    for args in (
        ["req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr,
         "-subj", "/CN=test.example"],
        ["ca", "-batch", "-notext", "-config", d / "ca.cnf", "-cert", certs.ca_pem_path,
         "-keyfile", certs.ca_key_path, "-in", csr, "-out", pem, "-extfile", d / "ext",
         "-startdate", "20200101000000Z", "-enddate", "20210101000000Z"],
    ):  # fmt: skip
        subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pem, key)
    return ctx


def test_expired_certificate_is_refused(mp, certs, tcp_server, tmp_path):
    # The test CA is trusted, the certificate is not valid now: the firmware's
    # date is checked (on the QEMU target it comes from the PC at power-on; the
    # other tests show it is not before the certificates' start either).
    def answer(conn, addr):
        conn.recv(4096)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")

    server = tcp_server(answer, tls=expired_server_context(certs, tmp_path / "pki"))
    out = run_fw(
        mp,
        "expired_certificate_is_refused.py",
        params={"port": server.port},
        files=certs_files(test_ca=certs.ca_pem),
        timeout=60,
    )
    name, message = out["error"]
    assert name == "CertificateError"
    assert "the certificate of 10.0.2.2" in message
    assert "expired" in message  # mbedTLS's reason
