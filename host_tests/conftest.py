"""Fixtures for the host tests: the built firmware, a runner for MicroPython
scripts on it, and the loopback peers (the peers package) those scripts talk to.

A test is a small MicroPython script run by the real unix firmware against real
CPython servers on 127.0.0.1; nothing in the network path is mocked. Inside the
firmware the PC is 10.0.2.2, so a server on 127.0.0.1:P is reached as
10.0.2.2:P, and DNS goes to the session's DnsServer through USOCKET_DNS_PORT.

Environment:
  USOCKET_FIRMWARE  use this binary instead of building one
  VARIANT           unix variant (default standard; 'threaded' tests the
                    build/unix-threaded firmware, built with VARIANT=threaded)
  USOCKET_MAKE=1    run `make unix` before the session even if the binary exists
"""

import os
import subprocess
from pathlib import Path

import pytest
from mprunner import MpProcess, MpResult, MpRunner, QemuRunner  # noqa: F401
from peers import (  # noqa: F401  (re-exported: tests may import these from conftest)
    FIRMWARE_HOST,
    Certs,
    DnsServer,
    EchoServer,
    HttpServer,
    HttpsServer,
    Raw,
    Response,
    TcpServer,
    UdpEchoServer,
    free_port,
    free_udp_port,
    pattern,
    redirect,
    send_bytes,
)

REPO = Path(__file__).resolve().parent.parent

# Longest a `make unix` may take before the session gives up on it.
_MAKE_TIMEOUT = 3600


# --------------------------------------------------------------------------------------
# The firmware


def variant():
    """The unix variant under test, from $VARIANT ('standard' when unset)."""
    return os.environ.get("VARIANT") or "standard"


# The variants whose lwIP runs in its own tcpip thread and whose slirp bridge runs in
# a thread of its own (boards/unix-threaded, and boards/unix-nogil built on it).
THREADED_STACK_VARIANTS = ("threaded", "nogil")


def threaded_stack():
    """Whether the firmware under test runs lwIP and the bridge in threads of their
    own: then frames cross the bridge, and lwIP handles them, while a script runs."""
    return variant() in THREADED_STACK_VARIANTS


def firmware_path():
    """Where the firmware under test is (or will be built): $USOCKET_FIRMWARE, else
    build/unix/micropython, or build/unix-<VARIANT>/micropython for a variant."""
    override = os.environ.get("USOCKET_FIRMWARE")
    if override:
        return Path(override).resolve()
    name = variant()
    build = "unix" if name == "standard" else f"unix-{name}"
    return REPO / "build" / build / "micropython"


def firmware_built():
    """True if the firmware binary exists and is executable; for skipif marks."""
    path = firmware_path()
    return path.is_file() and os.access(path, os.X_OK)


class _Build:
    """The outcome of this session's one `make unix` (at most one per session)."""

    tried = False
    error = None
    log = None


def _build_firmware(write_line=None):
    """Run `make -C <repo> unix [VARIANT=...]` once, output to a log file under
    build/. Records a failure (with the log's tail) instead of raising, so the
    firmware fixture can fail each test that needs it with the reason."""
    if _Build.tried:
        return
    _Build.tried = True
    log = REPO / "build" / f"host_tests-make-{variant()}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    _Build.log = log
    cmd = ["make", "-C", str(REPO), "unix"]
    if variant() != "standard":
        cmd.append(f"VARIANT={variant()}")
    if write_line:
        write_line(f"building the firmware: {' '.join(cmd)} (log: {log})")
    try:
        with open(log, "wb") as f:
            proc = subprocess.run(
                cmd,
                check=False,
                stdout=f,
                stderr=subprocess.STDOUT,
                timeout=_MAKE_TIMEOUT,
            )
        rc = proc.returncode
    except subprocess.TimeoutExpired:
        rc = "timeout"
    if rc != 0 or not firmware_built():
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-60:])
        _Build.error = (
            f"`{' '.join(cmd)}` failed (exit {rc}); last lines of {log}:\n{tail}"
        )


def _needs_firmware(item):
    """True if a collected test will run and uses the firmware fixture."""
    if "firmware" not in getattr(item, "fixturenames", ()):
        return False
    if any(True for _ in item.iter_markers("skip")):
        return False
    return not any(m.args and m.args[0] is True for m in item.iter_markers("skipif"))


def pytest_collection_finish(session):
    """Build the firmware before the first test rather than inside one, so the
    build is not cut short by the per-test timeout."""
    if session.config.option.collectonly or os.environ.get("USOCKET_FIRMWARE"):
        return
    force = os.environ.get("USOCKET_MAKE") == "1"
    if (force or not firmware_built()) and any(
        _needs_firmware(i) for i in session.items
    ):
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        _build_firmware(reporter.write_line if reporter else None)
    if any(_needs_qemu(i) for i in session.items):
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        _build_qemu(reporter.write_line if reporter else None)


def pytest_collection_modifyitems(config, items):
    """USOCKET_QEMU=0 leaves the QEMU target out: the ``[qemu]`` instances and the
    QEMU-only test files (runs on another host firmware build, where the MCU suite
    would only repeat what `make test` ran)."""
    if os.environ.get("USOCKET_QEMU") != "0":
        return
    out = [i for i in items if _needs_qemu(i) or i.path.name.startswith("test_qemu")]
    if out:
        config.hook.pytest_deselected(items=out)
        items[:] = [i for i in items if i not in out]


def _needs_qemu(item):
    """True if a collected test will run on the QEMU target."""
    callspec = getattr(item, "callspec", None)
    return callspec is not None and callspec.params.get("mp_target") == "qemu"


class _QemuBuild:
    """The outcome of this session's one `make qemu qemu-bridge`."""

    tried = False
    error = None


def _build_qemu(write_line=None):
    """`make qemu qemu-bridge` once (it is incremental), before the first test."""
    if _QemuBuild.tried:
        return
    _QemuBuild.tried = True
    log = REPO / "build" / "host_tests-make-qemu.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    cmd = ["make", "-C", str(REPO), "qemu", "qemu-bridge"]
    if write_line:
        write_line(f"building the QEMU target: {' '.join(cmd)} (log: {log})")
    with open(log, "wb") as f:
        rc = subprocess.run(
            cmd, check=False, stdout=f, stderr=subprocess.STDOUT, timeout=_MAKE_TIMEOUT
        ).returncode
    if rc != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-40:])
        _QemuBuild.error = f"`{' '.join(cmd)}` failed (exit {rc}):\n{tail}"


def pytest_report_header(config):
    state = "present" if firmware_built() else "not built yet"
    return f"usocket firmware: {firmware_path()} ({state}, variant {variant()})"


@pytest.fixture(scope="session")
def firmware():
    """Path (str) of the firmware binary, built with `make unix` if missing."""
    path = firmware_path()
    if os.environ.get("USOCKET_FIRMWARE"):
        if not firmware_built():
            pytest.fail(
                f"USOCKET_FIRMWARE={path} is not an executable file", pytrace=False
            )
        return str(path)
    if not firmware_built():
        _build_firmware()
    if _Build.error:
        pytest.fail(_Build.error, pytrace=False)
    if not firmware_built():
        pytest.fail(f"{path} does not exist after `make unix`", pytrace=False)
    return str(path)


# --------------------------------------------------------------------------------------
# Running scripts on the firmware (the runner itself is in mprunner.py)


def pytest_generate_tests(metafunc):
    """A test marked ``qemu`` that uses ``mp`` runs twice: ``[host]`` on the host
    firmware and ``[qemu]`` on the QEMU target (the MCU suite)."""
    if "mp" in metafunc.fixturenames and metafunc.definition.get_closest_marker("qemu"):
        metafunc.parametrize("mp_target", ["host", "qemu"], indirect=True)


@pytest.fixture
def mp_target(request):
    """Where ``mp`` runs scripts: 'host' (the unix firmware) or 'qemu'."""
    return getattr(request, "param", "host")


@pytest.fixture
def mp(firmware, dns_server, tmp_path, mp_target, request):
    """Runs MicroPython scripts on the firmware (see MpRunner), or on the QEMU
    target for the ``[qemu]`` instance of a test marked ``qemu`` (QemuRunner)."""
    if mp_target == "qemu":
        _build_qemu()
        if _QemuBuild.error:
            pytest.fail(_QemuBuild.error, pytrace=False)
        runner = QemuRunner(dns_server.port, tmp_path, request.node)
    else:
        runner = MpRunner(firmware, dns_server.port, tmp_path)
    yield runner
    runner.cleanup()


# --------------------------------------------------------------------------------------
# Peers


@pytest.fixture(scope="session")
def dns_server():
    """The session's DNS server (peers.DnsServer) on UDP 127.0.0.1; every firmware
    run uses it. Mode, delay, added records and the query log are reset around
    each test (see _fresh_dns)."""
    server = DnsServer()
    yield server
    server.close()


@pytest.fixture(autouse=True)
def _fresh_dns(dns_server):
    """Each test starts and ends with a normal, empty DNS server, so a test that
    makes DNS misbehave or adds records cannot leak that into the next one."""
    dns_server.reset()
    yield
    dns_server.reset()


@pytest.fixture
def echo_server():
    """TCP echo on 127.0.0.1 (peers.EchoServer): ``.port``, ``.connections``,
    ``.received``."""
    server = EchoServer()
    yield server
    server.close()


@pytest.fixture
def udp_echo_server():
    """UDP echo on 127.0.0.1 (peers.UdpEchoServer): ``.port``, ``.datagrams``."""
    server = UdpEchoServer()
    yield server
    server.close()


@pytest.fixture
def tcp_server():
    """Factory: ``tcp_server(handler)`` starts a peers.TcpServer running
    ``handler(conn, addr)`` per connection; all are closed at test end."""
    servers = []

    def start(handler, *, tls=None):
        server = TcpServer(handler, ssl_context=tls)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def http_server():
    """An HTTP/1.1 server on 127.0.0.1 (peers.HttpServer); ``.url(path)`` is the
    address the firmware uses."""
    server = HttpServer()
    yield server
    server.close()


@pytest.fixture
def make_http_server(certs):
    """Factory for extra HTTP servers (e.g. a redirect to another port):
    ``make_http_server()`` or ``make_http_server(https=True)``."""
    servers = []

    def start(*, https=False):
        server = HttpsServer(certs) if https else HttpServer()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture(scope="session")
def certs(tmp_path_factory):
    """The session's throw-away PKI (peers.Certs), made once with openssl."""
    return Certs(tmp_path_factory.mktemp("certs"))


@pytest.fixture
def https_server(certs):
    """HTTPS on 127.0.0.1 (peers.HttpsServer) with a certificate for 10.0.2.2 and
    test.example: ``.url(path)``, ``.ca_pem_path``, ``.ca_der``, ``.wrong_ca_der``."""
    server = HttpsServer(certs)
    yield server
    server.close()
