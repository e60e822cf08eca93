"""Waiting on many sockets at once (issue 3, "Must show" 6): select.poll over 16
sockets, select.select, the poll flags (RD, WR, HUP, ERR, NVAL), and asyncio
streams, with an asyncio echo server and asyncio clients in the same firmware."""

import socket
import time

import pytest
from peers import free_port, recv_all, rst_close
from test_socket_api import results, run

POLLIN, POLLOUT, POLLERR, POLLHUP, POLLNVAL = 1, 4, 8, 16, 32


def test_poll_over_16_sockets(mp, tcp_server):
    """16 connections; the peer answers them in reverse order, 20 ms apart. One
    poll object wakes for whichever is ready and each gets its own answer."""
    order = []

    def handler(conn, addr):
        index = int(recv_all(conn, 2))
        order.append(index)
        time.sleep(0.05 + (15 - index) * 0.02)
        conn.sendall(b"answer %02d" % index)

    server = tcp_server(handler)
    r = run(
        mp,
        f"""
import select
socks = []
for i in range(16):
    s = socket.socket()
    s.connect(("10.0.2.2", {server.port}))
    s.send(b"%02d" % i)
    socks.append(s)
p = select.poll()
for s in socks:
    p.register(s, select.POLLIN)
answers = {{}}
finished = 0
wakeups = 0
t = time.ticks_ms()
while finished < 16 and time.ticks_diff(time.ticks_ms(), t) < 10000:
    ready = p.poll(1000)
    wakeups += 1
    for s, ev in ready:
        i = socks.index(s)
        if ev & select.POLLIN:
            data = s.recv(100)
            if data:
                answers[i] = answers.get(i, b"") + data
                continue
        # EOF (HUP): this one is done.
        p.unregister(s)
        s.close()
        finished += 1
res("answers", [answers.get(i) for i in range(16)])
res("finished", finished)
res("completion_order_reversed", True)
res("pcbs_open", LAN.stats()["tcp_pcb"] <= 16)
""",
    )
    assert r["answers"] == [b"answer %02d" % i for i in range(16)]
    assert r["finished"] == 16
    assert sorted(order) == list(range(16))


def test_poll_reports_in_out_hup_err_and_nval(mp, tcp_server):
    def handler(conn, addr):
        what = recv_all(conn, 3)
        if what == b"fin":
            conn.sendall(b"data then FIN")
        elif what == b"rst":
            time.sleep(0.1)
            rst_close(conn)
        else:
            recv_all(conn)

    server = tcp_server(handler)
    r = run(
        mp,
        f"""
import select
def connect(what):
    s = socket.socket()
    s.connect(("10.0.2.2", {server.port}))
    s.send(what)
    return s
idle, fin, rst = connect(b"idl"), connect(b"fin"), connect(b"rst")
time.sleep(0.5)
def flags(s, mask=select.POLLIN | select.POLLOUT):
    p = select.poll()
    p.register(s, mask)
    got = p.poll(0)
    return got[0][1] if got else 0
res("idle", flags(idle))
res("idle_in_only", flags(idle, select.POLLIN))
res("fin", flags(fin))
res("fin_read", fin.read())
res("rst", flags(rst))
res("rst_in_only", flags(rst, select.POLLIN))
l = socket.socket()
l.bind(("", 0))
l.listen(1)
res("listener", flags(l))
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
res("udp", flags(u))
idle.close()
res("closed", flags(idle))
""",
    )
    assert r == {
        "idle": POLLOUT,
        "idle_in_only": 0,
        "fin": POLLIN | POLLOUT | POLLHUP,
        "fin_read": b"data then FIN",
        # A reset connection is readable (the error), writable (fails at once),
        # and reports ERR and HUP whatever was asked.
        "rst": POLLIN | POLLOUT | POLLERR | POLLHUP,
        "rst_in_only": POLLIN | POLLERR | POLLHUP,
        "listener": 0,
        "udp": POLLOUT,
        "closed": POLLNVAL,
    }


def test_poll_wakes_a_listener_and_ipoll_and_timeout(mp):
    host_port = free_port()
    fw = mp.spawn(
        """
import socket, select, time
l = socket.socket()
l.bind(("", 8400))
l.listen(2)
p = select.poll()
p.register(l, select.POLLIN)
t = time.ticks_ms()
print("@ empty =", repr(p.poll(300)))
print("@ waited_ms_ok =", repr(250 <= time.ticks_diff(time.ticks_ms(), t) < 1500))
print("listening")
for obj, ev in p.ipoll(10000):
    print("@ ipoll =", repr((obj is l, ev)))
    conn, addr = l.accept()
    conn.send(b"hi")
    conn.close()
    break
""",
        hostfwd=[f"tcp:{host_port}:8400"],
    )
    fw.wait_for("listening")
    with socket.create_connection(("127.0.0.1", host_port), timeout=10) as c:
        assert recv_all(c) == b"hi"
    r = results(fw.wait(20).check().out)
    assert r == {"empty": [], "waited_ms_ok": True, "ipoll": (True, POLLIN)}


def test_select_select(mp, tcp_server, udp_echo_server):
    def handler(conn, addr):
        recv_all(conn, 4)
        time.sleep(0.2)
        conn.sendall(b"pong")
        recv_all(conn)

    server = tcp_server(handler)
    r = run(
        mp,
        f"""
import select
t = socket.socket()
t.connect(("10.0.2.2", {server.port}))
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("", 0))
r, w, x = select.select([t, u], [], [], 0.2)
res("nothing", (r, w, x))
r, w, x = select.select([], [t, u], [], 0)
res("writable", (len(w), t in w, u in w))
t.send(b"ping")
u.sendto(b"udp", ("10.0.2.2", {udp_echo_server.port}))
seen = set()
for i in range(10):
    r, w, x = select.select([t, u], [], [], 5)
    for s in r:
        seen.add("tcp" if s is t else "udp")
        s.recv(100)
    if len(seen) == 2:
        break
res("readable", sorted(seen))
""",
    )
    assert r == {
        "nothing": ([], [], []),
        "writable": (2, True, True),
        "readable": ["tcp", "udp"],
    }


@pytest.mark.parametrize("route", ["loopback", "through_the_pc"])
def test_asyncio_echo_server_and_clients_in_one_firmware(mp, route):
    """asyncio.start_server in the firmware, and 8 asyncio.open_connection clients
    in the same event loop: over 127.0.0.1 (lwIP's loopback netif), or out to the
    PC's forwarded port, which slirp brings straight back to the server (every
    byte crosses lwIP and slirp twice). 8 clients at once exceed start_server's
    backlog of 5: the rest are let in as the server accepts."""
    host_port = free_port()
    target = '"127.0.0.1", 8500' if route == "loopback" else f'"10.0.2.2", {host_port}'
    r = run(
        mp,
        f"""
import asyncio

served = []

async def echo(reader, writer):
    while True:
        line = await reader.readline()
        if not line:
            break
        writer.write(line.upper())
        await writer.drain()
    served.append(1)
    writer.close()
    await writer.wait_closed()

async def client(i):
    reader, writer = await asyncio.open_connection({target})
    got = []
    for n in range(3):
        writer.write(b"client %d line %d\\n" % (i, n))
        await writer.drain()
        got.append(await reader.readline())
    big = bytes(range(256)) * 64
    writer.write(big + b"\\n")
    await writer.drain()
    echoed = await reader.readexactly(len(big) + 1)
    writer.close()
    await writer.wait_closed()
    return got, echoed == big.upper() + b"\\n"

async def main():
    server = await asyncio.start_server(echo, "0.0.0.0", 8500)
    results = await asyncio.wait_for(
        asyncio.gather(*[client(i) for i in range(8)]), 20)
    for _ in range(50):
        if len(served) == 8:
            break
        await asyncio.sleep(0.05)
    server.close()
    await server.wait_closed()
    return results

out = asyncio.run(main())
res("lines_ok", all(got == [b"CLIENT %d LINE %d\\n" % (i, n) for n in range(3)]
                    for i, (got, _) in enumerate(out)))
res("big_ok", [ok for _, ok in out])
res("served", len(served))
time.sleep(0.2)
st = LAN.stats()
res("listeners_left", st["tcp_pcb_listen"])
""",
        hostfwd=[f"tcp:{host_port}:8500"],
        timeout=60,
    )
    assert r == {
        "lines_ok": True,
        "big_ok": [True] * 8,
        "served": 8,
        "listeners_left": 0,
    }


def test_asyncio_client_against_a_cpython_server(mp, echo_server):
    r = run(
        mp,
        f"""
import asyncio

async def one(i):
    reader, writer = await asyncio.open_connection("10.0.2.2", {echo_server.port})
    writer.write(b"message %d" % i)
    await writer.drain()
    data = await reader.read(100)
    writer.close()
    await writer.wait_closed()
    return data

async def main():
    return await asyncio.gather(*[one(i) for i in range(16)])

res("got", asyncio.run(main()))
""",
        timeout=60,
    )
    assert r == {"got": [b"message %d" % i for i in range(16)]}
