"""One benchmark workload, run by the benchmark firmware (boards/unix-bench).

    micropython fw_bench.py MODULE WORKLOAD PORT [N [SIZE [PAIRS]]]

MODULE is ``usocket`` (ours) or ``lwip`` (MicroPython's extmod/modlwip.c, which is
also ``socket`` in that firmware). The peer runs on the PC, reached as 10.0.2.2.
The script prints one line, ``RESULT {json}``; bench/run.py starts it once per
module and round and keeps the figures. The same code runs against both modules:
only the module object differs, and urequests' `socket` is pointed at it.

MODULE ``pair`` runs the workload PAIRS times for each module in this one process,
alternating (usocket, modlwip, modlwip, usocket, ...; ``pair-lwip`` starts with
modlwip), and reports both modules' results as lists, one entry per run: paired
samples taken moments apart, so a change in the machine's load hits both alike.
The short workloads (connections, round trips, small GETs) go further: within each
run the two modules' operations alternate in batches (see interleave).
"""

import gc
import json
import sys
import time

import network

HOST = "10.0.2.2"
MODULE = sys.argv[1]
WORKLOAD = sys.argv[2]
PORT = int(sys.argv[3])
N = int(sys.argv[4]) if len(sys.argv) > 4 else 0
SIZE = int(sys.argv[5]) if len(sys.argv) > 5 else 0
PAIRS = int(sys.argv[6]) if len(sys.argv) > 6 else 0

PAIRED = MODULE.startswith("pair")
mod = __import__("usocket" if PAIRED else MODULE)
ADDR = (HOST, PORT)
LAN = network.LAN()


def elapsed_s(t0):
    return time.ticks_diff(time.ticks_us(), t0) / 1e6


def connect():
    s = mod.socket(mod.AF_INET, mod.SOCK_STREAM)
    s.connect(ADDR)
    return s


def read_exact(s, buf):
    # readinto on a blocking socket fills the buffer (no short reads) or hits EOF.
    n = s.readinto(buf)
    if n != len(buf):
        raise OSError(f"short read: {n or 0} of {len(buf)}")


def tcp_rx():
    # The peer sends SIZE bytes and closes; read them into one buffer until EOF.
    # N transfers (at least one), each a sample: one takes only tens of ms here.
    buf = bytearray(16384)
    rates = []
    for _ in range(max(N, 1)):
        t0 = time.ticks_us()
        s = connect()
        total = 0
        while True:
            n = s.readinto(buf)
            if not n:
                break
            total += n
        s.close()
        dt = elapsed_s(t0)
        if total != SIZE:
            raise OSError(f"received {total} of {SIZE} bytes")
        rates.append(total / dt / 1e6)
    return {"MBps": rates}


def tcp_tx():
    # Send an 8-byte length, then SIZE bytes; the peer answers one byte when it has
    # them all, so the time covers delivery, not just queueing in lwIP. N transfers.
    buf = bytearray(16384)
    for i in range(len(buf)):
        buf[i] = (i * 7 + 3) & 255
    mv = memoryview(buf)
    ack = bytearray(1)
    rates = []
    for _ in range(max(N, 1)):
        t0 = time.ticks_us()
        s = connect()
        s.write(SIZE.to_bytes(8, "big"))
        left = SIZE
        while left:
            k = min(left, len(buf))
            s.write(mv[:k] if k < len(buf) else buf)
            left -= k
        read_exact(s, ack)
        s.close()
        rates.append(SIZE / elapsed_s(t0) / 1e6)
    return {"MBps": rates}


# The short workloads are steps: X_steps() opens what the workload needs with the
# current module and returns (step, close); step(k) does k operations. Run alone,
# N operations are timed in one go; paired (see interleave), batches of the two
# modules alternate.


def tcp_cps_steps():
    # Connect, send 100 bytes, read the 100-byte echo, close.
    m = mod
    msg = bytes(range(100))
    buf = bytearray(100)

    def step(k):
        for _ in range(k):
            s = m.socket(m.AF_INET, m.SOCK_STREAM)
            s.connect(ADDR)
            s.write(msg)
            read_exact(s, buf)
            s.close()

    return step, None


def tcp_rtt_steps():
    # Request/response round trips of SIZE bytes over one connection.
    msg = bytes(SIZE)
    buf = bytearray(SIZE)
    s = connect()
    s.write(msg)
    read_exact(s, buf)  # warm-up: ARP, windows

    def step(k):
        for _ in range(k):
            s.write(msg)
            read_exact(s, buf)

    return step, s.close


def udp_pps_steps():
    # Datagrams of SIZE bytes to a UDP echo peer, one in flight: each round trip is
    # one sendto and one recv. A lost datagram (none expected on loopback) times out
    # after 1 s and is counted, not retried.
    msg = bytes(SIZE)
    s = mod.socket(mod.AF_INET, mod.SOCK_DGRAM)
    s.settimeout(1)
    s.sendto(msg, ADDR)
    s.recv(SIZE + 16)  # warm-up: ARP
    lost = [0]

    def step(k):
        for _ in range(k):
            s.sendto(msg, ADDR)
            try:
                s.recv(SIZE + 16)
            except OSError:
                lost[0] += 1

    return step, s.close


def http_session_steps():
    # Small GETs over one keep-alive Session.
    m = mod
    urequests = urequests_module()
    url = http_url("/")
    sess = urequests.Session()
    sess.get(url).close()  # warm-up: the connection

    def step(k):
        urequests.socket = m
        for _ in range(k):
            r = sess.get(url)
            _ = r.content
            r.close()

    return step, sess.close


def http_close_steps():
    # Small GETs with one connection each (urequests.get).
    m = mod
    urequests = urequests_module()
    url = http_url("/")
    urequests.get(url).close()  # warm-up

    def step(k):
        urequests.socket = m
        for _ in range(k):
            r = urequests.get(url)
            _ = r.content
            r.close()

    return step, None


def timed(steps, key):
    step, close = steps()
    t0 = time.ticks_us()
    step(N)
    dt = elapsed_s(t0)
    if close:
        close()
    return {key: N / dt}


def tcp_cps():
    return timed(tcp_cps_steps, "per_s")


def tcp_rtt():
    return timed(tcp_rtt_steps, "per_s")


def udp_pps():
    return timed(udp_pps_steps, "per_s")


def heap_delta(make, n):
    # GC-heap bytes per object: the list is allocated before the baseline, so the
    # delta is the objects alone (and what they keep alive).
    objs = [None] * n
    gc.collect()
    base = gc.mem_alloc()
    for i in range(n):
        objs[i] = make()
    gc.collect()
    delta = gc.mem_alloc() - base
    return objs, delta / n


LWIP_KEYS = ("mem_used", "tcp_pcb", "tcp_seg", "pbuf", "pbuf_pool", "udp_pcb")


def lwip_usage():
    st = LAN.stats()
    return {k: st[k] for k in LWIP_KEYS}


def memory():
    # Heap per socket (unconnected TCP, UDP, connected TCP after a 100-byte echo) and
    # lwIP memory per such connection (MEM_SIZE heap bytes and pool elements).
    out = {}
    socks, out["heap_tcp_new"] = heap_delta(
        lambda: mod.socket(mod.AF_INET, mod.SOCK_STREAM), N
    )
    for s in socks:
        s.close()
    socks, out["heap_udp"] = heap_delta(
        lambda: mod.socket(mod.AF_INET, mod.SOCK_DGRAM), N
    )
    for s in socks:
        s.close()
    socks = None
    msg = bytes(100)
    buf = bytearray(100)

    def echoed():
        s = connect()
        s.write(msg)
        read_exact(s, buf)
        return s

    gc.collect()
    before = lwip_usage()
    socks, out["heap_tcp_connected"] = heap_delta(echoed, N)
    # Let the stack settle (delayed ACKs, the peer's window updates).
    time.sleep_ms(300)
    after = lwip_usage()
    for k in LWIP_KEYS:
        out["lwip_" + k] = (after[k] - before[k]) / N
    for s in socks:
        s.close()
    return out


def http_url(path):
    return f"http://{HOST}:{PORT}{path}"


def urequests_module():
    # urequests does `import socket` and looks the module up at each call: point
    # that name at the module under test (in this firmware `socket` is modlwip).
    import urequests

    urequests.socket = mod
    return urequests


def http_stream():
    # GET a SIZE-byte body with stream=True, read through Response.raw.readinto into
    # one 4 KiB buffer. N timed GETs (GC on), then one more with the GC off,
    # sampling gc.mem_alloc() after every read: the peak is every byte allocated
    # from the request to the last read, an upper bound of the peak heap growth.
    urequests = urequests_module()
    buf = bytearray(4096)
    url = http_url(f"/bytes/{SIZE}")

    def get(base):
        peak = 0
        r = urequests.get(url, stream=True)
        total = 0
        while True:
            if base is not None:
                peak = max(peak, gc.mem_alloc() - base)
            n = r.raw.readinto(buf)
            if not n:
                break
            total += n
        r.close()
        if total != SIZE:
            raise OSError(f"body: {total} of {SIZE} bytes")
        return peak

    urequests.get(http_url("/")).close()  # warm-up: ARP, imports
    rates = []
    for _ in range(max(N, 1)):
        gc.collect()
        t0 = time.ticks_us()
        get(None)
        rates.append(SIZE / elapsed_s(t0) / 1e6)
    gc.collect()
    gc.disable()
    base = gc.mem_alloc()
    peak = get(base)
    peak = max(peak, gc.mem_alloc() - base)
    gc.enable()
    return {"MBps": rates, "peak_heap": peak}


def http_session():
    # N small GETs over one keep-alive Session, then N with one connection each.
    # SIZE 1 or 2 runs only the first or the second half (tools/profile.py).
    out = {}
    if SIZE != 2:
        out.update(timed(http_session_steps, "session_per_s"))
    if SIZE != 1:
        out.update(timed(http_close_steps, "close_per_s"))
    return out


def http_burst():
    # An asyncio HTTP server (asyncio's default backlog, 5) on PORT, reached from
    # the PC through a host forward, answering GETs with a connection each until
    # GET /stop. The clients (bench/run.py) measure rate, latency and failures.
    # The listener is never closed: modlwip's close of a listening pcb calls
    # tcp_err() on it, which lwIP 2.2.1 asserts against. run.py ends the process.
    sys.modules["socket"] = mod  # asyncio's start_server imports `socket`
    import asyncio

    served = [0]
    done = asyncio.Event()

    async def handle(reader, writer):
        first = await reader.readline()
        while (await reader.readline()) not in (b"\r\n", b""):
            pass
        if first.startswith(b"GET /stop "):
            done.set()
        else:
            served[0] += 1
        writer.write(b"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello")
        await writer.drain()
        writer.close()
        await writer.wait_closed()

    async def main():
        await asyncio.start_server(handle, "0.0.0.0", PORT)
        print("listening")
        await done.wait()
        print("RESULT " + json.dumps({"served": served[0]}))
        while True:
            await asyncio.sleep(1)

    asyncio.run(main())


WORKLOADS = {
    "tcp_rx": tcp_rx,
    "tcp_tx": tcp_tx,
    "tcp_cps": tcp_cps,
    "tcp_rtt": tcp_rtt,
    "udp_pps": udp_pps,
    "memory": memory,
    "http_stream": http_stream,
    "http_session": http_session,
    "http_burst": http_burst,
}


# Paired runs of the short workloads: [(steps, result key)].
STEPPED = {
    "tcp_cps": [(tcp_cps_steps, "per_s")],
    "tcp_rtt": [(tcp_rtt_steps, "per_s")],
    "udp_pps": [(udp_pps_steps, "per_s")],
    "http_session": [
        (http_session_steps, "session_per_s"),
        (http_close_steps, "close_per_s"),
    ],
}


def interleave(ab, steps, key):
    # N operations per module in 20 batches, the modules' batches alternating in
    # ABBA order, each batch timed: both modules' totals come from the same
    # stretch of time, a few ms apart, whatever the machine's load does.
    global mod
    opened = []
    for label, m in ab:
        mod = m
        opened.append((label, m) + steps())
    total = {label: 0 for label, _ in ab}
    batch = max(1, N // 20)
    done = 0
    i = 0
    while done < N:
        k = min(batch, N - done)
        for label, m, step, _ in opened if i % 2 == 0 else opened[::-1]:
            mod = m
            t0 = time.ticks_us()
            step(k)
            total[label] += time.ticks_diff(time.ticks_us(), t0)
        done += k
        i += 1
    for label, m, _, close in opened:
        if close:
            close()
    return {label: {key: N / (total[label] / 1e6)} for label, _ in ab}


def pair():
    # PAIRS runs per module, in ABBA order: neither module always runs first, or
    # always right after itself. The short workloads interleave batches of the
    # two modules within each run instead.
    global mod
    ab = (("usocket", __import__("usocket")), ("modlwip", __import__("lwip")))
    ba = (ab[1], ab[0])
    if MODULE == "pair-lwip":
        ab, ba = ba, ab
    out = {"usocket": [], "modlwip": []}
    for i in range(PAIRS):
        if WORKLOAD in STEPPED:
            runs = {"usocket": {}, "modlwip": {}}
            for steps, key in STEPPED[WORKLOAD]:
                gc.collect()
                for label, res in interleave(
                    ab if i % 2 == 0 else ba, steps, key
                ).items():
                    runs[label].update(res)
            for label, samples in out.items():
                samples.append(runs[label])
            continue
        for label, m in ab if i % 2 == 0 else ba:
            mod = m
            gc.collect()
            out[label].append(WORKLOADS[WORKLOAD]())
    return out


result = pair() if PAIRED else WORKLOADS[WORKLOAD]()
if result is not None:
    print("RESULT " + json.dumps(result))
