# Helpers for the firmware half of the tests (the scripts under host_tests/fw/).
# A script prints its results as "@ name = repr(value)" lines, which the test on
# the PC parses. Its parameters (a peer's port, a mode) come from fwparams.py,
# which the harness, `make run-qemu ... PARAMS=` or `make run ... PARAMS=` writes
# beside it (tools/fwfiles.py). The PC is 10.0.2.2 to the firmware, on the host
# firmware and on the QEMU target; on a board, pass peer=<the PC's address>.
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
