"""Parity with the stock firmware (issue 16): what apps written for ESP32/RP2 boards
expect of the firmware, run on the host firmware against CPython peers.

- Non-blocking progress: Python that never sleeps still moves the stack, as lwIP's
  background task does on a board (a non-blocking connect() + write() loop, asyncio
  with only sleep_ms(0) tasks, select.poll(0) with nothing registered).
- network.WLAN(network.STA_IF) and machine.unique_id(), on the same netif as
  network.LAN().
"""

from peers import recv_all


def test_nonblocking_connect_and_write_loop_never_sleeping_completes(mp, tcp_server):
    """What mqtt_as does: a non-blocking connect() (EINPROGRESS), then write() until
    it stops raising EAGAIN, with no sleep and no wait anywhere in the loop. The
    CPython peer receives the bytes, so the connect and the data went through
    lwIP and the bridge while Python only spun."""
    got = []

    def handler(conn, addr):
        got.append(recv_all(conn))

    server = tcp_server(handler)
    out = (
        mp(
            f"""
        import socket, errno, time
        s = socket.socket()
        s.setblocking(False)
        try:
            s.connect(("10.0.2.2", {server.port}))
        except OSError as e:
            print("connect", errno.errorcode[e.errno])
        data = b"spin-" * 20
        sent = 0
        spins = 0
        start = time.ticks_ms()
        while sent < len(data):
            spins += 1
            try:
                n = s.write(data[sent:])
            except OSError as e:
                if e.errno not in (errno.EAGAIN, errno.ENOTCONN):
                    raise
                n = None
            if n:
                sent += n
            if time.ticks_diff(time.ticks_ms(), start) > 10000:
                break
        print("sent", sent, "spun", spins > 1)
        s.close()
        """,
            timeout=30,
        )
        .check()
        .out
    )
    assert "connect EINPROGRESS" in out
    assert "sent 100 spun True" in out
    server.wait_idle()
    assert got == [b"spin-" * 20]


def test_asyncio_with_only_sleep_ms_0_makes_progress(mp, tcp_server):
    """An asyncio task that polls a non-blocking socket and yields with
    asyncio.sleep_ms(0) only: each loop turn is a select.poll(0) with nothing
    registered. The connection completes and the peer's echo comes back."""

    def handler(conn, addr):
        conn.sendall(recv_all(conn, 5).upper())

    server = tcp_server(handler)
    out = (
        mp(
            f"""
        import asyncio, socket, errno, time

        async def client():
            s = socket.socket()
            s.setblocking(False)
            try:
                s.connect(("10.0.2.2", {server.port}))
            except OSError:
                pass
            start = time.ticks_ms()
            sent = False
            reply = b""
            while len(reply) < 5 and time.ticks_diff(time.ticks_ms(), start) < 10000:
                try:
                    if not sent:
                        sent = s.write(b"hello") == 5
                    else:
                        reply += s.recv(5) or b""
                except OSError as e:
                    if e.errno not in (errno.EAGAIN, errno.ENOTCONN):
                        raise
                await asyncio.sleep_ms(0)
            s.close()
            return reply

        async def spinner(state):
            while not state["done"]:
                state["turns"] += 1
                await asyncio.sleep_ms(0)

        async def main():
            state = {{"done": False, "turns": 0}}
            t = asyncio.create_task(spinner(state))
            reply = await client()
            state["done"] = True
            await t
            print("reply", reply, "turns", state["turns"] > 1)

        asyncio.run(main())
        """,
            timeout=30,
        )
        .check()
        .out
    )
    assert "reply b'HELLO' turns True" in out


def test_poll_with_nothing_registered_moves_the_stack(mp, tcp_server):
    """A loop of select.poll().poll(0) on an empty poller after a non-blocking
    connect(), the state read with getsocketsta() (which never services the
    stack): the connection reaches ESTABLISHED (4) although nothing waited, and
    the CPython peer saw it."""

    def handler(conn, addr):
        recv_all(conn)

    server = tcp_server(handler)
    out = (
        mp(
            f"""
        import socket, select, time
        s = socket.socket()
        s.setblocking(False)
        try:
            s.connect(("10.0.2.2", {server.port}))
        except OSError:
            pass
        p = select.poll()
        start = time.ticks_ms()
        while s.getsocketsta() != 4 and time.ticks_diff(time.ticks_ms(), start) < 10000:
            p.poll(0)
        print("state", s.getsocketsta())
        s.close()
        """,
            timeout=30,
        )
        .check()
        .out
    )
    assert "state 4" in out
    server.wait_connections(1)


def test_wlan_sta_is_the_lan_netif(mp, echo_server):
    """An ESP32-style start-up runs unchanged: WLAN(STA_IF) active, connect() with
    an SSID and key, wait for isconnected(), print ifconfig(); the interface is
    the one LAN() shows, disconnect() takes both down and connect() brings both
    back, and a socket then reaches the CPython echo server."""
    out = (
        mp(
            f"""
        import network, machine, socket, time
        wlan = network.WLAN(network.STA_IF)
        wlan.active(True)
        wlan.connect("my-ssid", "my-password")
        for _ in range(100):
            if wlan.isconnected():
                break
            time.sleep_ms(10)
        lan = network.LAN()
        print("connected", wlan.isconnected(), wlan.status() == network.STAT_GOT_IP)
        print("same", wlan.ifconfig() == lan.ifconfig(), wlan.config("mac") == lan.config("mac"))
        print("ifconfig", wlan.ifconfig())
        print("ssid", wlan.config("ssid"), wlan.config("essid"))
        wlan.config(pm=wlan.PM_NONE)
        print("pm", wlan.config("pm") == network.WLAN.PM_NONE)
        wlan.disconnect()
        print("down", wlan.isconnected(), lan.isconnected(), lan.active())
        wlan.connect()
        print("up", wlan.isconnected(), lan.isconnected())
        uid = machine.unique_id()
        print("uid", type(uid), len(uid), uid == wlan.config("mac"))
        s = socket.socket()
        s.connect(("10.0.2.2", {echo_server.port}))
        s.send(b"via wlan")
        print("echo", s.recv(100))
        s.close()
        try:
            network.WLAN(network.AP_IF)
        except OSError as e:
            print("ap", e.errno)
        """,
            timeout=30,
        )
        .check()
        .out
    )
    assert "connected True True" in out
    assert "same True True" in out
    assert "ifconfig ('10.0.2.15', '255.255.255.0', '10.0.2.2', '10.0.2.2')" in out
    assert "ssid my-ssid my-ssid" in out
    assert "pm True" in out
    assert "down False False False" in out
    assert "up True True" in out
    assert "uid <class 'bytes'> 6 True" in out
    assert "echo b'via wlan'" in out
    assert "ap 19" in out
