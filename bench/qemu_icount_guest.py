"""The Cortex-M3 instruction-count workloads, run inside the QEMU firmware.

Frozen into boards/qemu-bench and run at boot when QEMU's semihosting command line
names it (bench/qemu_icount.py starts it), one workload per boot:

    qemu_icount_guest.py MODULE WORKLOAD N

MODULE is ``usocket`` (ours) or ``lwip`` (MicroPython's extmod/modlwip.c, also
``socket`` in that firmware). WORKLOAD is one of WORKLOADS below; N is how many
times it runs, or for the bulk transfers (tcp_tx, tcp_rx) how many bytes they move,
a multiple of 4 KiB. Every workload talks to the firmware's own peers
(boards/qemu-bench/icount.c, C on lwIP's raw API) over lwIP's loopback interface and
is counted with icount.count(): instructions, under ``-icount shift=0``. Prints one
line, ``RESULT {json}``: the instructions and the heap bytes allocated.
"""

import gc
import json
import sys

import icount

MODULE, WORKLOAD = sys.argv[1:3]
N = int(sys.argv[3])
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


def tcp_tx(_, s, data, ack):
    # Every byte, then the sink's "k": it has all of them.
    for _ in range(N // len(data)):
        s.write(data)
    read_exact(s, ack)


def tcp_rx(_, s, buf):
    # One byte starts the source; then everything until its FIN.
    s.write(b"g")
    got = 0
    while True:
        n = s.readinto(buf)
        if not n:
            break
        got += n
    if got != N:
        raise OSError(f"received {got} of {N} bytes")


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


def tcp_readline(n, s, line):
    # What urequests does for every header line: the stream's readline, which
    # reads one byte per call of the socket's read.
    for _ in range(n):
        s.write(line)
        if s.readline() != line:
            raise OSError("bad line")


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


def with_socket(kind, port, fn, *args):
    """fn(n, s, *args) counted on a socket made first: TCP connected to `port`,
    or UDP."""
    if kind == "tcp":
        s = mod.socket(mod.AF_INET, mod.SOCK_STREAM)
        s.connect((HOST, port))
    else:
        s = mod.socket(mod.AF_INET, mod.SOCK_DGRAM)
    try:
        return counted(fn, N, 10, s, *args)
    finally:
        s.close()


def main():
    icount.serve(N)  # the sink's and the source's byte count
    line = b"x" * 99 + b"\n"
    udp_to = mod.getaddrinfo(HOST, ECHO)[0][-1]
    if WORKLOAD == "spin":
        # The counter itself: a C loop of exactly 2 * N instructions, plus the two
        # count() calls around it.
        res = counted(lambda _: icount.spin(N), 1, 1)
    elif WORKLOAD == "tcp_tx":
        # One transfer of N bytes, so one run, not N.
        s = connect(SINK)
        res = counted(tcp_tx, 1, 1, s, bytes(4096), bytearray(1))
        s.close()
    elif WORKLOAD == "tcp_rx":
        s = connect(SOURCE)
        res = counted(tcp_rx, 1, 1, s, bytearray(4096))
        s.close()
    elif WORKLOAD == "tcp_conn":
        res = counted(tcp_conn, N, 10, bytes(100), bytearray(100))
    elif WORKLOAD == "tcp_rtt":
        res = with_socket("tcp", ECHO, tcp_rtt, bytes(64), bytearray(64))
    elif WORKLOAD == "tcp_readline":
        res = with_socket("tcp", ECHO, tcp_readline, line)
    elif WORKLOAD == "udp_rtt":
        res = with_socket("udp", 0, udp_rtt, bytes(64), udp_to)
    elif WORKLOAD == "http_get":
        res = counted(http_get, N, 10, f"http://{HOST}/")
    else:
        raise ValueError(WORKLOAD)
    out = {"module": MODULE, "workload": WORKLOAD, "n": N}
    out["instructions"], out["heap"] = res
    print("RESULT " + json.dumps(out))


main()
