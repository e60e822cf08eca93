"""microdot, unmodified from PyPI (MPY_LIB_WHEELS in versions.mk, installed at test
time into build/mpy-lib-wheels), served by the firmware over asyncio and driven by
curl, CPython's http.client and the `websockets` package: routes, a JSON body, a
websocket echo, and a burst of 50 concurrent clients."""

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from peers import free_port
from test_parity import BURST_BOUND_S, _burst

REPO = Path(__file__).resolve().parent.parent

APP = """
import sys
from microdot import Microdot
from microdot.websocket import with_websocket
import network

app = Microdot()

@app.route("/")
async def index(request):
    return "hello from microdot"

@app.post("/echo")
async def echo(request):
    body = request.json
    return {"got": body, "n": len(body)}

@app.route("/ws")
@with_websocket
async def ws(request, ws):
    while True:
        msg = await ws.receive()
        if msg == "bye":
            break
        await ws.send(msg)

@app.route("/shutdown")
async def shutdown(request):
    s = network.LAN().stats()
    print("held", s["syn_held"], "dropped", s["dropped_syn_held"])
    request.app.shutdown()
    return "bye"

print("listening")
app.run(port=8080)
print("stopped")
"""


def _pin(name):
    text = (REPO / "versions.mk").read_text()
    m = re.search(r"^MPY_LIB_WHEELS\s*:=\s*(.+)$", text, re.MULTILINE)
    return next(p for p in m.group(1).split() if p.split("==")[0] == name)


@pytest.fixture(scope="session")
def microdot_lib():
    """A directory with the pinned microdot package, installed once by pip."""
    pin = _pin("microdot")
    dest = REPO / "build" / "mpy-lib-wheels" / pin
    if not (dest / "microdot" / "__init__.py").is_file():
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--no-deps",
                "--disable-pip-version-check",
                "--target",
                str(dest),
                pin,
            ],
            check=False,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if proc.returncode != 0:
            pytest.fail(f"installing {pin} failed:\n{proc.stdout}{proc.stderr}")
    return dest


@pytest.fixture
def microdot_server(mp, microdot_lib):
    """The app above running in the firmware; yields the PC port it is reached on.
    Stopped through /shutdown, which also prints the bridge's counters."""
    host_port = free_port()
    fw = mp.spawn(
        APP,
        hostfwd=[f"tcp:{host_port}:8080"],
        env={"MICROPYPATH": f".frozen:{microdot_lib}"},
    )
    fw.wait_for("listening")
    fw.port = host_port
    yield fw
    if fw.poll() is None:
        fw.kill()


def _stop(fw):
    """Asks the app to shut down and returns its output. microdot's shutdown()
    ends app.run() while that request's handler may still be writing, so the
    reply itself may be cut: only the exit is checked."""
    subprocess.run(
        ["curl", "-s", "--max-time", "10", f"http://127.0.0.1:{fw.port}/shutdown"],
        capture_output=True,
        check=False,
    )
    return fw.wait(20).check().out


def test_microdot_routes_with_curl(microdot_server):
    """curl (Debian) fetches a page and posts JSON; microdot answers both."""
    port = microdot_server.port
    page = subprocess.run(
        ["curl", "-s", "-i", "--max-time", "10", f"http://127.0.0.1:{port}/"],
        capture_output=True,
        check=True,
    ).stdout
    assert page.startswith(b"HTTP/1.0 200 OK\r\n")
    assert page.endswith(b"\r\n\r\nhello from microdot")
    posted = subprocess.run(
        [
            "curl",
            "-s",
            "--max-time",
            "10",
            "-H",
            "Content-Type: application/json",
            "--data",
            '{"a": [1, 2, 3], "b": "x"}',
            f"http://127.0.0.1:{port}/echo",
        ],
        capture_output=True,
        check=True,
    ).stdout
    assert json.loads(posted) == {"got": {"a": [1, 2, 3], "b": "x"}, "n": 2}
    assert "stopped" in _stop(microdot_server)


def test_microdot_websocket_echo_with_cpython_client(microdot_server):
    """The `websockets` package's client (CPython) upgrades /ws, exchanges text and
    a 10 KB message, and closes."""
    from websockets.sync.client import connect

    with connect(f"ws://127.0.0.1:{microdot_server.port}/ws", open_timeout=10) as ws:
        ws.send("hello")
        assert ws.recv(timeout=10) == "hello"
        big = "x" * 10000
        ws.send(big)
        assert ws.recv(timeout=10) == big
        ws.send("bye")
    assert "stopped" in _stop(microdot_server)


def test_microdot_takes_a_burst_of_50_clients(microdot_server):
    """50 CPython clients send a GET at once to microdot (asyncio's backlog of 5):
    every one gets the page, none waits for a SYN retransmission, and no SYN the
    bridge held for the listener had to be dropped."""
    start = time.monotonic()
    results = _burst(
        microdot_server.port, 50, b"GET / HTTP/1.0\r\nHost: firmware\r\n\r\n"
    )
    elapsed = time.monotonic() - start
    bodies = [r for _, r in results]
    assert all(
        isinstance(b, bytes) and b.endswith(b"\r\n\r\nhello from microdot")
        for b in bodies
    ), bodies
    assert max(t for t, _ in results) < BURST_BOUND_S, (elapsed, results)
    out = _stop(microdot_server)
    assert re.search(r"^held \d+ dropped 0$", out, re.MULTILINE), out
