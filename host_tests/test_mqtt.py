"""QuecPython's MQTT client (frozen ``umqtt``) on the firmware against a real broker:
Debian's mosquitto on a free port, with mosquitto_pub/mosquitto_sub as the other
side (mqtt_broker.py). The firmware reaches the broker at 10.0.2.2."""

import ast
import hashlib
import re
import textwrap
import time

import pytest
from mqtt_broker import Broker, Subscriber, free_port, publish


def script(port, body):
    """A firmware script: the broker's address, then ``body``."""
    return (
        "import time\nfrom umqtt import MQTTClient\n"
        f'HOST = "10.0.2.2"\nPORT = {port}\n' + textwrap.dedent(body)
    )


@pytest.fixture
def broker(tmp_path):
    b = Broker(tmp_path)
    yield b
    b.close()


# --------------------------------------------------------------------------------------
# Quectel's demo and the basic calls


def test_quectel_demo_flow_round_trip(mp, broker, dns_server):
    """Quectel's MQTT demo, as its apps are written: wait for the network, set the
    callback, connect to the broker by name, subscribe, publish, wait_msg until the
    message comes back, disconnect. mosquitto_sub sees the same message."""
    watcher = Subscriber(broker, "/public/TEST/quecpython")
    body = """
        import checkNet
        import log

        checknet = checkNet.CheckNetwork("QuecPython_MQTT_example", "1.0.0")
        log.basicConfig(level=log.INFO)
        mqtt_log = log.getLogger("MQTT")
        state = 0

        def sub_cb(topic, msg):
            global state
            mqtt_log.info("Subscribe Recv: Topic={},Msg={}".format(topic.decode(), msg.decode()))
            state = 1

        stagecode, subcode = checknet.wait_network_connected(30)
        if stagecode == 3 and subcode == 1:
            mqtt_log.info("Network connection successful!")
            c = MQTTClient("umqtt_client", "mqtt.test", PORT)
            c.set_callback(sub_cb)
            print("connect", c.connect())
            c.subscribe(b"/public/TEST/quecpython")
            c.publish(b"/public/TEST/quecpython", b"my name is Quecpython!")
            while True:
                c.wait_msg()
                if state == 1:
                    break
            print("state", c.get_mqttsta())
            c.disconnect()
            print("after disconnect", c.get_mqttsta())
    """
    res = mp(script(broker.port, body)).check()
    assert res.lines == [
        "INFO:MQTT:Network connection successful!",
        "connect 0",
        "INFO:MQTT:Subscribe Recv: Topic=/public/TEST/quecpython,Msg=my name is Quecpython!",
        "state 0",
        "after disconnect -1",
    ]
    assert watcher.wait().lines() == [
        "0 0 /public/TEST/quecpython my name is Quecpython!"
    ]
    # The name went through lwIP's resolver to the test DNS server (a .test name
    # is 10.0.2.2 there).
    assert ("mqtt.test", "A") in dns_server.queries
    log = broker.wait_log("Received DISCONNECT from umqtt_client")
    # MQTT 3.1.1 (p2), clean session, keepalive 0, as the client was created.
    assert "as umqtt_client (p2, c1, k0)" in log


def test_qos0_and_qos1_both_ways(mp, broker):
    up = Subscriber(broker, "up/#", count=2, qos=1)
    body = """
        got = []
        def cb(topic, msg):
            got.append((topic, msg))
        c = MQTTClient("fw-qos", HOST, PORT)
        c.set_callback(cb)
        c.connect()
        c.subscribe(b"down/q0", 0)
        c.subscribe("down/q1", qos=1)
        print("subscribed")
        while len(got) < 2:
            c.wait_msg()
        for topic, msg in sorted(got):
            print("got", topic, msg)
        print("pub0", c.publish(b"up/q0", b"up zero"))
        print("pub1", c.publish("up/q1", "up one", qos=1))
        c.disconnect()
    """
    proc = mp.spawn(script(broker.port, body))
    proc.wait_for("subscribed")
    publish(broker, "down/q1", "down one", qos=1)
    publish(broker, "down/q0", "down zero", qos=0)
    res = proc.wait(30).check()
    assert "got b'down/q0' b'down zero'" in res.lines
    assert "got b'down/q1' b'down one'" in res.lines
    assert "pub0 True" in res.lines and "pub1 True" in res.lines
    assert sorted(up.wait().lines()) == ["0 0 up/q0 up zero", "0 1 up/q1 up one"]
    log = broker.log_text()
    # The broker's QoS 1 delivery was acknowledged by the firmware, and the
    # firmware's QoS 1 publish by the broker.
    assert "Received PUBACK from fw-qos" in log
    assert re.search(r"Received PUBLISH from fw-qos \(d0, q1, r0, m\d+, 'up/q1'", log)
    assert "Sending PUBACK to fw-qos" in log


def test_100kb_payload_both_ways_without_a_second_copy(mp, broker, tmp_path):
    """100 KiB out and 100 KiB in, QoS 1, on a heap too small for a copy of either:
    the payload sent stays referenced while the one received is allocated, so
    the heap holds two payloads and the rest of the script, and no third."""
    size = 100 * 1024
    down = bytes((i * 7 + 3) & 0xFF for i in range(size))
    down_file = tmp_path / "down.bin"
    down_file.write_bytes(down)
    up = Subscriber(broker, "big/up", raw=True, qos=1)
    body = f"""
        import gc, hashlib, binascii
        SIZE = {size}
        payload = bytes(range(256)) * (SIZE // 256)
        got = []
        def cb(topic, msg):
            got.append(len(msg))
            got.append(binascii.hexlify(hashlib.sha256(msg).digest()).decode())
        c = MQTTClient("fw-big", HOST, PORT)
        c.set_callback(cb)
        c.connect()
        c.subscribe(b"big/down", 1)
        print("sent", c.publish(b"big/up", payload, qos=1))
        print("subscribed")
        while not got:
            c.wait_msg()
        print("got", got[0], got[1])
        c.disconnect()
    """
    # Measured on the host firmware: this script runs in a 220 KiB heap and not in
    # 200 KiB (the received payload is the allocation that fails). 240 KiB leaves
    # margin yet no room for a third 100 KiB buffer (a copy of either payload).
    proc = mp.spawn(script(broker.port, body), opts=["-X", "heapsize=240K"])
    proc.wait_for("subscribed", timeout=60)
    publish(broker, "big/down", file=down_file, qos=1)
    res = proc.wait(60).check()
    assert "sent True" in res.lines
    assert f"got {size} {hashlib.sha256(down).hexdigest()}" in res.lines
    assert up.wait().payload() == bytes(range(256)) * (size // 256)


def test_retained_message_and_last_will_seen_by_mosquitto_sub(mp, broker):
    will = Subscriber(broker, "will/#", count=1, qos=1)
    body = """
        r = MQTTClient("fw-retain", HOST, PORT)
        r.connect()
        print("retained", r.publish(b"state/lamp", b"on", retain=True, qos=1))
        r.disconnect()

        # A clean disconnect: the broker discards this will.
        clean = MQTTClient("fw-clean", HOST, PORT)
        clean.set_last_will(b"will/fw-clean", b"should not appear", qos=1)
        clean.connect()
        clean.disconnect()

        # close() drops the connection without DISCONNECT: the broker publishes it.
        w = MQTTClient("fw-will", HOST, PORT)
        w.set_last_will("will/fw-will", "gone", retain=False, qos=1)
        w.connect()
        w.close()
        print("closed", w.get_mqttsta())
        time.sleep_ms(200)
    """
    res = mp(script(broker.port, body)).check()
    assert res.lines == ["retained True", "closed -1"]
    assert will.wait().lines() == ["0 1 will/fw-will gone"]
    # A subscriber that comes later still gets the retained message, flagged so.
    later = Subscriber(broker, "state/lamp", count=1, qos=1)
    assert later.wait().lines() == ["1 1 state/lamp on"]


def test_keepalive_pings_keep_a_quiet_connection(mp, broker):
    """keepalive=5: mosquitto drops a client silent for 1.5 x 5 s. The firmware
    waits in wait_msg for 9 s of silence, pinging meanwhile, and then still
    receives on the same connection."""
    body = """
        got = []
        errors = []
        c = MQTTClient("fw-ka", HOST, PORT, keepalive=5)
        c.set_callback(lambda t, m: got.append(m))
        c.error_register_cb(errors.append)
        c.connect()
        c.subscribe(b"ka/down", 1)
        print("ready")
        pongs = 0
        while not got:
            if c.wait_msg() == 0xD0:
                pongs += 1
        print("got", got, "pongs", pongs, "errors", errors)
        c.disconnect()
    """
    proc = mp.spawn(script(broker.port, body))
    proc.wait_for("ready")
    time.sleep(9)
    publish(broker, "ka/down", "still here", qos=1)
    res = proc.wait(30).check()
    line = res.lines[-1]
    assert line.startswith("got [b'still here'] pongs ")
    assert int(line.split()[4]) >= 3
    assert line.endswith("errors []")
    log = broker.log_text()
    assert log.count("Received PINGREQ from fw-ka") >= 3
    assert "fw-ka has exceeded timeout" not in log
    assert log.count("as fw-ka (p2, c1, k5)") == 1


# Pings go out every keepalive - 3 = 2 s, so the client gives up after
# 2 * (pingmaxnum + 2) s: within the 7.5 s after which mosquitto, resumed, would
# drop the client for silence before reading its pings.
@pytest.mark.parametrize("pingmaxnum", [0, 1])
def test_unanswered_pings_end_the_connection_after_pingmaxnum_retries(
    mp, broker, pingmaxnum
):
    """A broker that hangs (SIGSTOP) answers no PINGREQ: the client sends
    pingmaxnum + 1 of them, then gives the connection up (reconn=False: the error
    callback gets the error, wait_msg raises it). mosquitto, resumed, reads the
    pings that were sent."""
    body = f"""
        events = []
        c = MQTTClient("fw-pm", HOST, PORT, keepalive=5, reconn=False, pingmaxnum={pingmaxnum})
        c.error_register_cb(events.append)
        c.connect()
        print("ready")
        try:
            while True:
                c.wait_msg()
        except OSError as e:
            print("raised", e.errno, events)
    """
    proc = mp.spawn(script(broker.port, body))
    proc.wait_for("ready")
    broker.pause()
    try:
        res = proc.wait(60).check()
    finally:
        broker.resume()
    assert res.lines[-1] == "raised 110 ['[Errno 110] ETIMEDOUT']"
    broker.wait_log("Received PINGREQ from fw-pm", count=pingmaxnum + 1)
    time.sleep(0.5)
    log = broker.log_text()
    assert log.count("Received PINGREQ from fw-pm") == pingmaxnum + 1
    assert re.search(r"Client fw-pm (closed its connection|disconnected)", log)


def test_keepalive_ping_allocates_nothing(mp, broker):
    """A ping and the handling of its PINGRESP run with the heap locked, and so
    does the once-a-second check of the network interface."""
    body = """
        import micropython
        c = MQTTClient("fw-alloc", HOST, PORT, keepalive=60)
        c.connect()
        # The interface object is made at the first check (outside the lock);
        # after another second the next call checks it again, inside the lock.
        time.sleep_ms(1100)
        c.check_msg()
        time.sleep_ms(1100)
        for i in range(3):
            micropython.heap_lock()
            try:
                c.ping()
                op = c.wait_msg()
            finally:
                micropython.heap_unlock()
            print("op", hex(op))
        c.disconnect()
    """
    res = mp(script(broker.port, body)).check()
    assert res.lines == ["op 0xd0"] * 3


def test_mqtt_31_and_311_and_client_arguments(mp, broker):
    body = """
        for version in (3, 4):
            c = MQTTClient("fw-v%d" % version, HOST, PORT, keepalive=30, version=version)
            print("connect", version, c.connect(clean_session=False))
            c.disconnect()
        print("ports", MQTTClient("a", HOST).port, MQTTClient("a", HOST, ssl=True).port)
        for bad in ({"keepalive": 3}, {"version": 5}):
            try:
                MQTTClient("a", HOST, **bad)
            except ValueError as e:
                print("ValueError", list(bad))
        a, b = MQTTClient("a", HOST), MQTTClient("b", HOST)
        a.ssl_params["x"] = 1
        print("shared default", b.ssl_params)
        try:
            a.publish(b"t", b"m")
        except OSError as e:
            print("not connected", e.errno)
    """
    res = mp(script(broker.port, body)).check()
    assert res.lines == [
        "connect 3 0",
        "connect 4 0",
        "ports 1883 8883",
        "ValueError ['keepalive']",
        "ValueError ['version']",
        "shared default {}",
        "not connected 107",
    ]
    log = broker.log_text()
    # mosquitto's (pN, cN, kN): protocol 1 = MQTT 3.1, 2 = MQTT 3.1.1.
    assert "as fw-v3 (p1, c0, k30)" in log
    assert "as fw-v4 (p2, c0, k30)" in log


def test_wait_msg_thread_and_publishing_thread_share_a_client(mp, broker):
    """The ESP32 pattern: wait_msg() looping in a thread while the main thread
    publishes QoS 1 (the PUBACKs are read by the wait_msg thread), then
    disconnect() from the main thread ends the loop without a reconnection.
    Runs on the threaded firmware (VARIANT=threaded); the standard one has no
    threads."""
    body = """
        try:
            import _thread
        except ImportError:
            print("SKIP")
            raise SystemExit
        got = []
        events = []
        c = MQTTClient("fw-thr", HOST, PORT, keepalive=30)
        c.set_callback(lambda t, m: got.append(m))
        c.error_register_cb(events.append)
        c.connect()
        c.subscribe(b"thr/echo", 1)
        done = _thread.allocate_lock()
        done.acquire()
        def loop():
            while c.wait_msg() is not None:
                pass
            done.release()
        _thread.start_new_thread(loop, ())
        sent = [c.publish(b"thr/echo", b"m%d" % i, qos=1) for i in range(5)]
        deadline = time.ticks_add(time.ticks_ms(), 10000)
        while len(got) < 5 and time.ticks_diff(deadline, time.ticks_ms()) > 0:
            time.sleep_ms(10)
        c.disconnect()
        done.acquire()
        print(sent, sorted(got), events, c.get_mqttsta())
    """
    res = mp(script(broker.port, body)).check()
    if res.out.strip() == "SKIP":
        pytest.skip("no _thread on this firmware variant")
    assert res.lines == [
        "[True, True, True, True, True] [b'm0', b'm1', b'm2', b'm3', b'm4'] [] -1"
    ]
    assert broker.log_text().count("Sending PUBACK to fw-thr") == 5


# --------------------------------------------------------------------------------------
# Reconnection (reconn=True)


RECONNECT_BODY = """
    import network
    events = []
    got = []
    states = [None]
    def err_cb(e):
        events.append(e)
        print("event", e)
    def cb(topic, msg):
        got.append(msg)
        print("msg", topic, msg)
    def note():
        st = c.get_mqttsta()
        if st != states[-1]:
            states.append(st)
    def spin(until, ms=60000):
        deadline = time.ticks_add(time.ticks_ms(), ms)
        while not until():
            if time.ticks_diff(deadline, time.ticks_ms()) < 0:
                print("timed out", events, states)
                raise SystemExit(1)
            note()
            c.check_msg()
            note()
            time.sleep_ms(20)
    c = MQTTClient(CLIENT, HOST, PORT, keepalive=30)
    c.set_callback(cb)
    c.error_register_cb(err_cb)
    c.connect()
    c.subscribe(b"rc/down", 1)
    note()
    print("ready")
"""


def test_reconnect_after_broker_restart(mp, broker):
    body = (
        'CLIENT = "fw-restart"\n'
        + textwrap.dedent(RECONNECT_BODY)
        + textwrap.dedent(
            """
            spin(lambda: "reconnect_success" in events)
            spin(lambda: got)
            print("after", c.publish(b"rc/up", b"after restart", qos=1))
            c.disconnect()
            note()
            print("states", states[1:])
            """
        )
    )
    proc = mp.spawn(script(broker.port, body))
    proc.wait_for("ready")
    broker.stop()
    proc.wait_for("event reconnect_start")
    time.sleep(1)  # a refused attempt or two while the broker is away
    broker.start()
    proc.wait_for("event reconnect_success", timeout=30)
    # The subscription was renewed: the broker restarted without persistence.
    broker.wait_log("Received SUBSCRIBE from fw-restart")
    up = Subscriber(broker, "rc/up", count=1, qos=1)
    publish(broker, "rc/down", "after restart", qos=1)
    res = proc.wait(30).check()
    assert "msg b'rc/down' b'after restart'" in res.lines
    assert "after True" in res.lines
    assert up.wait().lines() == ["0 1 rc/up after restart"]
    assert [ln for ln in res.lines if ln.startswith("event")] == [
        "event reconnect_start",
        "event reconnect_success",
    ]
    states = ast.literal_eval(res.lines[-1][len("states ") :])
    # Connected; broker gone (FIN: 2); lost (-1); connecting (1); connected;
    # -1 after disconnect(). Refused attempts may repeat -1/1 in between.
    assert states[:3] == [0, 2, -1]
    assert 1 in states
    assert states[-2:] == [0, -1]


def test_wait_msg_blocks_through_a_broker_restart(mp, broker):
    """QuecPython's usual loop, ``while True: c.wait_msg()``: wait_msg does not
    return while the broker is away; it reconnects, subscribes again and then
    delivers the next message."""
    body = """
        events = []
        got = []
        c = MQTTClient("fw-wait", HOST, PORT, keepalive=30)
        c.set_callback(lambda t, m: got.append(m))
        c.error_register_cb(lambda e: print("event", e))
        c.connect()
        c.subscribe(b"rw/down", 1)
        print("ready")
        while not got:
            c.wait_msg()
        print("got", got, c.get_mqttsta())
        c.disconnect()
    """
    proc = mp.spawn(script(broker.port, body))
    proc.wait_for("ready")
    broker.stop()
    proc.wait_for("event reconnect_start")
    broker.start()
    proc.wait_for("event reconnect_success", timeout=30)
    broker.wait_log("Received SUBSCRIBE from fw-wait", count=2)
    publish(broker, "rw/down", "back", qos=1)
    res = proc.wait(30).check()
    assert res.lines[-3:] == [
        "event reconnect_start",
        "event reconnect_success",
        "got [b'back'] 0",
    ]


def test_reconnect_after_link_down_and_up(mp, broker):
    up = Subscriber(broker, "rc/up", count=1, qos=1)
    body = (
        'CLIENT = "fw-link"\n'
        + textwrap.dedent(RECONNECT_BODY)
        + textwrap.dedent(
            """
            lan = network.LAN()
            lan.active(False)
            spin(lambda: "reconnect_start" in events)
            # While the link is down nothing reconnects.
            t = time.ticks_ms()
            spin(lambda: time.ticks_diff(time.ticks_ms(), t) > 1500)
            print("down", events, c.get_mqttsta())
            lan.active(True)
            spin(lambda: "reconnect_success" in events)
            spin(lambda: got)
            print("after", c.publish(b"rc/up", b"after link", qos=1))
            c.disconnect()
            note()
            print("states", states[1:])
            """
        )
    )
    proc = mp.spawn(script(broker.port, body))
    proc.wait_for("event reconnect_success", timeout=60)
    broker.wait_log("Received SUBSCRIBE from fw-link")
    time.sleep(0.2)
    publish(broker, "rc/down", "after link", qos=1)
    res = proc.wait(30).check()
    assert "down ['reconnect_start'] -1" in res.lines
    assert "msg b'rc/down' b'after link'" in res.lines
    assert "after True" in res.lines
    assert up.wait().lines() == ["0 1 rc/up after link"]
    states = ast.literal_eval(res.lines[-1][len("states ") :])
    assert states == [0, -1, 1, 0, -1]
    # The broker saw the same client id connect twice.
    assert broker.log_text().count("as fw-link (p2, c1, k30)") == 2


def test_reconn_false_reports_the_error_and_raises(mp, broker):
    body = """
        events = []
        c = MQTTClient("fw-noreconn", HOST, PORT, reconn=False)
        c.error_register_cb(events.append)
        c.set_callback(print)
        c.connect()
        c.subscribe(b"x")
        print("ready")
        try:
            while True:
                c.wait_msg()
        except OSError as e:
            print("raised", type(e).__name__, len(events), c.get_mqttsta())
    """
    proc = mp.spawn(script(broker.port, body))
    proc.wait_for("ready")
    broker.stop()
    res = proc.wait(30).check()
    assert res.lines[-1] == "raised OSError 1 -1"


# --------------------------------------------------------------------------------------
# TLS and refused connections


@pytest.mark.ssl
def test_tls_to_mosquitto_with_the_test_ca(mp, tmp_path, certs):
    """ssl=True with ssl_params as QuecPython apps pass them: the CA as PEM text
    ("ca"), or nothing at all, the CA then being in the trust store's certs/
    directory (the firmware's working directory here); a CA that did not sign
    the broker's certificate is refused."""
    broker = Broker(tmp_path, certs=certs)
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "test-ca.pem").write_bytes(certs.ca_pem)
    try:
        body = f"""
            CA = {certs.ca_pem.decode()!r}
            WRONG = {certs.wrong_ca_pem.decode()!r}
            for name, params in (("fw-tls-ca", {{"ca": CA}}), ("fw-tls-store", {{}})):
                got = []
                c = MQTTClient(name, HOST, PORT, ssl=True, ssl_params=params, keepalive=30)
                c.set_callback(lambda t, m: got.append(m))
                print("connect", c.connect())
                c.subscribe(b"tls/echo", 1)
                print("pub", c.publish(b"tls/echo", b"over tls", qos=1))
                while not got:
                    c.wait_msg()
                print("got", got, c.get_mqttsta())
                c.disconnect()
            bad = MQTTClient("fw-tls-bad", HOST, PORT, ssl=True, ssl_params={{"cadata": WRONG}})
            try:
                bad.connect()
            except ValueError as e:
                print("wrong CA refused", bad.get_mqttsta())
        """
        res = mp(script(broker.tls_port, body), timeout=60).check()
        assert res.lines == [
            "connect 0",
            "pub True",
            "got [b'over tls'] 0",
        ] * 2 + ["wrong CA refused -1"]
        log = broker.log_text()
        assert "as fw-tls-ca (p2, c1, k30)" in log
        assert "as fw-tls-store (p2, c1, k30)" in log
        assert "as fw-tls-bad" not in log
    finally:
        broker.close()


@pytest.mark.ssl
def test_tls_ca_put_in_certs_after_a_refusal_is_used_on_the_next_connect(
    mp, tmp_path, certs
):
    """The trust store reads certs/ again when a chain fails, and then handshakes
    on a new TCP connection: the client follows it to that connection, so
    get_mqttsta() and the session work on it."""
    broker = Broker(tmp_path, certs=certs)
    (tmp_path / "certs").mkdir()
    try:
        body = f"""
            CA = {certs.ca_pem.decode()!r}
            c = MQTTClient("fw-tls-late", HOST, PORT, ssl=True, keepalive=30)
            got = []
            c.set_callback(lambda t, m: got.append(m))
            try:
                c.connect()
            except ValueError:
                print("refused", c.get_mqttsta())
            with open("certs/late-ca.pem", "w") as f:
                f.write(CA)
            print("connect", c.connect(), c.get_mqttsta())
            c.subscribe(b"tls/late", 1)
            c.publish(b"tls/late", b"late", qos=1)
            while not got:
                c.wait_msg()
            print("got", got, c.get_mqttsta())
            c.disconnect()
        """
        res = mp(script(broker.tls_port, body), timeout=60).check()
        assert res.lines == ["refused -1", "connect 0 0", "got [b'late'] 0"]
        assert broker.log_text().count("as fw-tls-late (p2, c1, k30)") == 1
    finally:
        broker.close()


def test_bad_credentials_raise_quecpython_valueerror(mp, tmp_path):
    broker = Broker(tmp_path, users={"device": "s3cret"})
    try:
        body = """
            for user, password in (("device", "wrong"), (None, None), ("device", "s3cret")):
                c = MQTTClient("fw-auth", HOST, PORT, user=user, password=password)
                try:
                    print("connect", c.connect(), c.get_mqttsta())
                    c.disconnect()
                except ValueError as e:
                    print("ValueError", e, c.get_mqttsta())
            try:
                MQTTClient("fw-dns", "no-such-broker.invalid", PORT).connect()
            except ValueError as e:
                print("ValueError", e)
            try:
                MQTTClient("fw-closed", HOST, CLOSED).connect()
            except ValueError as e:
                print("ValueError", e)
        """
        closed = str(free_port())  # nothing listens there
        res = mp(script(broker.port, body.replace("CLOSED", closed))).check()
        # mosquitto answers CONNACK 5 (not authorised) to a wrong password and to
        # no credentials at all. The test DNS server answers NXDOMAIN for the
        # unknown name; nothing listens on the closed port.
        assert res.lines == [
            "ValueError MQTT Connect error='5' FAIL -1",
            "ValueError MQTT Connect error='5' FAIL -1",
            "connect 0 0",
            "ValueError DNS Parsing 'no-such-broker.invalid'",
            "ValueError MQTT Connect error='111' FAIL",
        ]
    finally:
        broker.close()
