# Helpers for the firmware half of the tests (the scripts under host_tests/fw/).
# A script prints its results as "@ name = repr(value)" lines, which the test on
# the PC parses. Its parameters (a peer's port, a mode) come from fwparams.py,
# which the harness, `make run-qemu ... PARAMS=` or `make run ... PARAMS=` writes
# beside it (tools/fwfiles.py). The PC is 10.0.2.2 to the firmware, on the host
# firmware and on the QEMU target; on a board, pass peer=<the PC's address>.
import gc
import time

try:
    from fwparams import P
except ImportError:
    P = {}


def param(name, default=None):
    if name in P:
        return P[name]
    if default is None:
        raise ValueError(
            "test parameter '" + name + "' not given (PARAMS=\"" + name + '=...")'
        )
    return default


PEER = param("peer", "10.0.2.2")


def res(name, value):
    print("@", name, "=", repr(value))


def err(f, *args):
    # The errno f raised, the name of any other exception, or "ok".
    try:
        f(*args)
    except OSError as e:
        return e.args[0]
    except Exception as e:  # noqa: BLE001  (any other error is a result too)
        return type(e).__name__
    return "ok"


def timed(f, *args):
    # (what f returned, or ("OSError", errno)), and how long it took in ms.
    t = time.ticks_ms()
    try:
        r = f(*args)
    except OSError as e:
        r = ("OSError", e.args[0])
    return r, time.ticks_diff(time.ticks_ms(), t)


def set_mode(s, mode):
    # The three modes of the socket tests: "blocking", "timeout" (0.3 s) or
    # "nonblocking".
    if mode == "blocking":
        s.settimeout(None)
    elif mode == "timeout":
        s.settimeout(0.3)
    elif mode == "nonblocking":
        s.setblocking(False)
    else:
        raise ValueError("unknown mode '" + mode + "'")


def pattern(n, seed=0, offset=0):
    # n bytes of the test data pattern, the same as peers.pattern() on the PC:
    # byte i is a function of offset + i, so a piece can be checked where it is.
    b = bytearray(n)
    for i in range(n):
        j = i + offset
        b[i] = (j * 7 + (j >> 8) * 11 + 3 + seed) & 255
    return b


# The lwIP counters of network.LAN().stats() that leak_check() wants back where
# they were (peers.LWIP_USAGE on the PC).
LWIP_POOLS = (
    "tcp_pcb",
    "tcp_pcb_listen",
    "udp_pcb",
    "raw_pcb",
    "tcp_seg",
    "pbuf",
    "pbuf_pool",
    "mem_used",
)


def _pin_stale_words():
    # Fills every free GC block with a throw-away tuple, then collects: a block
    # that a stale word on the C stack names stays garbage counted in the
    # baseline, so the case is never given it (test_socket_soak.py, MEASURE).
    gc.collect()
    for i in range(gc.mem_free() // 16 + 64):
        t = (i, i)
    del t
    gc.collect()


def _measure(d, lan):
    gc.collect()
    gc.collect()
    d["heap"] = gc.mem_alloc()
    st = lan.stats()
    for k in LWIP_POOLS:
        d[k] = st[k]


def _settled(lan, base, allow_pcb):
    # A function of its own, so that no stats dict is left alive in the
    # caller's frame when it measures.
    st = lan.stats()
    for k in LWIP_POOLS:
        if st[k] > base[k] + (allow_pcb if k == "tcp_pcb" else 0):
            return False
    return True


def leak_check(case, allow_pcb=0, settle_ms=8000):
    # Runs case() between two measurements of the heap (gc.mem_alloc()) and of
    # LWIP_POOLS, and prints case_ms, settle_ms, delta (what differs) and stats
    # (LAN.stats() at the end). After the case it gives lwIP's timers up to
    # settle_ms to free what the last segments hold; allow_pcb TIME_WAIT pcbs
    # may stay. Each measurement is taken twice, into dicts made beforehand, so
    # both see the same leftovers of the measuring itself.
    import socket

    import network

    lan = network.LAN()
    socket.socket().close()  # the first socket allocates for good (one-time)
    base = {"heap": 0}
    after = {"heap": 0}
    for k in LWIP_POOLS:
        base[k] = 0
        after[k] = 0
    _pin_stale_words()
    _measure(base, lan)
    _measure(base, lan)
    t = time.ticks_ms()
    case()
    res("case_ms", time.ticks_diff(time.ticks_ms(), t))
    t = time.ticks_ms()
    while time.ticks_diff(time.ticks_ms(), t) < settle_ms:
        if _settled(lan, base, allow_pcb):
            break
        time.sleep_ms(20)
    res("settle_ms", time.ticks_diff(time.ticks_ms(), t))
    _measure(after, lan)
    _measure(after, lan)
    res("delta", {k: after[k] - base[k] for k in after if after[k] != base[k]})
    res("stats", lan.stats())
