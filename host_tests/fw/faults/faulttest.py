# Helpers of the fault-matrix scripts in this directory (shipped beside them like
# fwtest): leak_check() runs a case between two measurements of the GC heap and
# of lwIP's pools.
import gc
import time

from fwtest import res


def recv_until_error(s, size=4096):
    # Reads s to its end: (the data, the errno that ended it or None at EOF).
    got = bytearray()
    while True:
        try:
            b = s.recv(size)
        except OSError as e:
            return bytes(got), e.args[0]
        if not b:
            return bytes(got), None
        got.extend(b)


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
