"""micropython-lib's MQTT clients, unmodified from PyPI (MPY_LIB_SDISTS in
versions.mk, fetched at test time by tools/fetch_mpy_lib.py into build/mpy-lib),
on the firmware against mosquitto; and their coexistence with our frozen umqtt
(QuecPython's client) in one package name."""

import hashlib
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from mqtt_broker import Broker, Subscriber, publish

REPO = Path(__file__).resolve().parent.parent


def _pins():
    text = (REPO / "versions.mk").read_text()
    m = re.search(r"^MPY_LIB_SDISTS\s*:=\s*(.+)$", text, re.MULTILINE)
    return m.group(1).split()


@pytest.fixture(scope="session")
def mpy_lib():
    """The directory holding umqtt/simple.py and umqtt/robust.py from PyPI."""
    dest = REPO / "build" / "mpy-lib"
    proc = subprocess.run(
        [sys.executable, str(REPO / "tools" / "fetch_mpy_lib.py"), str(dest), *_pins()],
        check=False,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if proc.returncode != 0:
        pytest.fail(f"fetching {_pins()} failed:\n{proc.stdout}{proc.stderr}")
    return dest / "lib"


def lib_env(mpy_lib):
    # After .frozen, as /lib comes after it on a board: the frozen umqtt package
    # is found first and sends its submodules to this directory.
    return {"MICROPYPATH": f".frozen:{mpy_lib}"}


def script(port, body):
    return f'HOST = "10.0.2.2"\nPORT = {port}\n' + textwrap.dedent(body)


@pytest.fixture
def broker(tmp_path):
    b = Broker(tmp_path)
    yield b
    b.close()


def test_both_umqtt_clients_import_side_by_side(mp, mpy_lib):
    body = """
        from umqtt import MQTTClient as Quec
        from umqtt.simple import MQTTClient as Simple
        import umqtt
        import umqtt.robust
        print("quec", hasattr(Quec, "get_mqttsta"), hasattr(Quec, "error_register_cb"))
        print("simple", hasattr(Simple, "get_mqttsta"), Simple.__module__)
        print("robust", issubclass(umqtt.robust.MQTTClient, Simple))
        print("path", umqtt.__path__)
    """
    res = mp(textwrap.dedent(body), env=lib_env(mpy_lib)).check()
    assert res.lines == [
        "quec True True",
        "simple False umqtt.simple",
        "robust True",
        f"path {mpy_lib}/umqtt",
    ]
    # Without micropython-lib installed the frozen client still imports and
    # umqtt.simple is simply missing.
    res = mp(
        """
        from umqtt import MQTTClient
        print("quec", MQTTClient.__name__)
        try:
            import umqtt.simple
        except ImportError:
            print("no umqtt.simple")
        """
    ).check()
    assert res.lines == ["quec MQTTClient", "no umqtt.simple"]


def test_umqtt_simple_qos0_qos1_and_100kb_both_ways(mp, broker, mpy_lib, tmp_path):
    size = 100 * 1024
    down = bytes((i * 11 + 5) & 0xFF for i in range(size))
    down_file = tmp_path / "down.bin"
    down_file.write_bytes(down)
    up = Subscriber(broker, "up/#", count=3, qos=1)
    body = f"""
        import hashlib, binascii
        from umqtt.simple import MQTTClient
        got = []
        def cb(topic, msg):
            got.append((topic, len(msg), binascii.hexlify(hashlib.sha256(msg).digest())))
        c = MQTTClient("fw-simple", HOST, PORT)
        c.set_callback(cb)
        c.connect()
        c.subscribe(b"down/q0", 0)
        c.subscribe(b"down/q1", 1)
        c.subscribe(b"down/big", 1)
        print("subscribed")
        while len(got) < 3:
            c.wait_msg()
        for topic, n, digest in sorted(got):
            print("got", topic.decode(), n, digest.decode())
        c.publish(b"up/q0", b"zero")
        c.publish(b"up/q1", b"one", qos=1)
        c.publish(b"up/big", bytes(range(256)) * ({size} // 256), qos=1)
        c.disconnect()
        print("done")
    """
    proc = mp.spawn(script(broker.port, body), env=lib_env(mpy_lib))
    proc.wait_for("subscribed")
    publish(broker, "down/q0", "zero", qos=0)
    publish(broker, "down/q1", "one", qos=1)
    publish(broker, "down/big", file=down_file, qos=1)
    res = proc.wait(60).check()

    def digest(b):
        return hashlib.sha256(b).hexdigest()

    assert res.lines[1:4] == [
        f"got down/big {size} {digest(down)}",
        f"got down/q0 4 {digest(b'zero')}",
        f"got down/q1 3 {digest(b'one')}",
    ]
    lines = up.wait().lines()
    assert lines[0] == "0 0 up/q0 zero"
    assert lines[1] == "0 1 up/q1 one"
    assert lines[2].startswith("0 1 up/big ")
    assert "Received PUBACK from fw-simple" in broker.log_text()


def test_umqtt_robust_survives_a_broker_restart(mp, tmp_path, mpy_lib):
    """umqtt.robust reconnects with clean_session=False; mosquitto with persistence
    keeps the session (its subscription) across its restart, so a QoS 1 message
    published after the restart reaches the firmware, and the firmware's own
    publish after the restart goes through."""
    broker = Broker(tmp_path, persistence=True)
    try:
        body = """
            from umqtt.robust import MQTTClient
            got = []
            c = MQTTClient("fw-robust", HOST, PORT)
            c.DELAY = 1
            c.set_callback(lambda t, m: got.append(m))
            c.connect(clean_session=False)
            c.subscribe(b"rb/down", 1)
            print("ready")
            while not got:
                c.wait_msg()
            print("got", got)
            c.publish(b"rb/up", b"after restart", qos=1)
            c.disconnect()
        """
        proc = mp.spawn(script(broker.port, body), env=lib_env(mpy_lib))
        proc.wait_for("ready")
        broker.stop()
        time.sleep(1)
        broker.start()
        broker.wait_log("as fw-robust (p2, c0", timeout=30, count=2)
        up = Subscriber(broker, "rb/up", count=1, qos=1)
        publish(broker, "rb/down", "after restart", qos=1)
        res = proc.wait(60).check()
        assert "got [b'after restart']" in res.lines
        assert up.wait().lines() == ["0 1 rb/up after restart"]
    finally:
        broker.close()
