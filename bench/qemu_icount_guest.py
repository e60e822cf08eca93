"""The Cortex-M3 instruction-count workloads, run inside the QEMU firmware.

Frozen into boards/qemu-bench and run at boot when QEMU's semihosting command line
names it (bench/qemu_icount.py starts it):

    qemu_icount_guest.py MODULE BULK CONN RTT UDP HTTP

MODULE is ``usocket`` (ours) or ``lwip`` (MicroPython's extmod/modlwip.c, also
``socket`` in that firmware). BULK is the bytes of each bulk transfer, the others
how many times each workload runs. Every workload talks to the firmware's own peers
(boards/qemu-bench/icount.c, C on lwIP's raw API) over lwIP's loopback interface,
and is counted with icount.count(): instructions, under ``-icount shift=0``. Prints
one line, ``RESULT {json}``: the instructions of each workload, and its unit count.
"""

import gc
import json
import sys

import icount

MODULE = sys.argv[1]
BULK, CONN, RTT, UDP, HTTP = (int(a) for a in sys.argv[2:7])
mod = __import__(MODULE)
# urequests does `import socket`: a module already in sys.modules wins over the
# built-in one (modlwip).
sys.modules["socket"] = mod
import urequests  # after the sys.modules entry

HOST = "127.0.0.1"
ECHO, SINK, SOURCE, HTTP_PORT = 7, 9, 19, 80


def counted(fn, n, batch, *args):
    """(instructions, heap bytes allocated) of fn(k, *args) run for n iterations in
    all, in batches of at most `batch`. Each batch starts after a collection and runs
    with the GC off, so no count includes a collection whose timing depends on what
    ran before (a batch that doesn't fit in the heap fails with MemoryError); the
    garbage a module makes shows as the heap it allocates instead."""
    instructions = allocated = 0
    while n:
        k = min(n, batch)
        gc.collect()
        gc.disable()
        a0 = gc.mem_alloc()
        t0 = icount.count()
        fn(k, *args)
        instructions += icount.count() - t0
        allocated += gc.mem_alloc() - a0
        gc.enable()
        n -= k
    return instructions, allocated


def connect(port):
    s = mod.socket(mod.AF_INET, mod.SOCK_STREAM)
    s.connect((HOST, port))
    return s


def read_exact(s, buf):
    # readinto on a blocking socket fills the buffer (no short reads) or hits EOF.
    if s.readinto(buf) != len(buf):
        raise OSError("short read")


def tcp_tx(_, s, data):
    # Every byte, then the sink's "k": it has all of them.
    left = BULK
    while left:
        n = min(left, len(data))
        s.write(data[:n])
        left -= n
    read_exact(s, bytearray(1))


def tcp_rx(_, s, buf):
    # One byte starts the source; then everything until its FIN.
    s.write(b"g")
    got = 0
    while True:
        n = s.readinto(buf)
        if not n:
            break
        got += n
    if got != BULK:
        raise OSError(f"received {got} of {BULK} bytes")


def tcp_conn(n, msg, buf):
    for _ in range(n):
        s = connect(ECHO)
        s.write(msg)
        read_exact(s, buf)
        s.close()


def tcp_rtt(n, s, msg, buf):
    for _ in range(n):
        s.write(msg)
        read_exact(s, buf)


def udp_rtt(n, s, msg, addr):
    for _ in range(n):
        s.sendto(msg, addr)
        if len(s.recv(128)) != len(msg):
            raise OSError("short datagram")


def http_get(n, url):
    for _ in range(n):
        r = urequests.get(url)
        if r.status_code != 200 or r.content != b"hello from the peer":
            raise OSError("bad answer")
        r.close()


def main():
    icount.serve(BULK)
    res = {"module": MODULE, "bulk": BULK}
    n = {"tcp_tx": 1, "tcp_rx": 1, "tcp_conn": CONN, "tcp_rtt": RTT}
    n.update({"udp_rtt": UDP, "http_get": HTTP})

    def run(name, fn, *args):
        res[name], res[name + "_heap"] = counted(fn, n[name], 10, *args)

    # The counter itself: a C loop of exactly 2,000,000 instructions, plus the two
    # count() calls around it.
    res["spin_2m"] = counted(lambda _: icount.spin(1000000), 1, 1)[0]

    s = connect(SINK)
    run("tcp_tx", tcp_tx, s, memoryview(bytes(4096)))
    s.close()

    s = connect(SOURCE)
    run("tcp_rx", tcp_rx, s, bytearray(4096))
    s.close()

    run("tcp_conn", tcp_conn, bytes(100), bytearray(100))

    s = connect(ECHO)
    run("tcp_rtt", tcp_rtt, s, bytes(64), bytearray(64))
    s.close()

    s = mod.socket(mod.AF_INET, mod.SOCK_DGRAM)
    addr = mod.getaddrinfo(HOST, ECHO)[0][-1]
    run("udp_rtt", udp_rtt, s, bytes(64), addr)
    s.close()

    run("http_get", http_get, f"http://{HOST}/")
    res["n"] = n
    print("RESULT " + json.dumps(res))


main()
