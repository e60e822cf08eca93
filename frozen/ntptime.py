"""QuecPython's ``ntptime``: set the clock from an NTP server over UDP.

    import ntptime
    ntptime.sethost("pool.example")   # 0, or -1 for a bad name
    ntptime.settime(8)                # UTC+8; 0 on success, -1 on failure

``host`` is the server's name (QuecPython's default, ``ntp.aliyun.com``) and is
looked up through the board's DNS on every call. One SNTP request (RFC 4330)
goes to port 123; the reply must be a server's (mode 4) with a stratum of
1..15, a non-zero time and our own transmit time echoed back, else it is
rejected.

``settime(timezone)`` writes local time (UTC + ``timezone`` hours, -12..12) to
``machine.RTC()``, as QuecPython does. A port without an RTC (the host
firmware: its clock is the PC's) keeps the result here instead;
``localtime()`` reads it on every port. ``time()`` returns UTC seconds since
the port's epoch (``utime.gmtime(0)``), or raises OSError.
"""

import struct
import time as _time

import usocket

host = "ntp.aliyun.com"
port = 123

# Seconds from NTP's epoch (1900) to 1970 and to 2000, the two epochs MicroPython
# ports use.
_TO_1970 = 2208988800
_TO_2000 = 3155673600
_TIMEOUT_S = 10

# (port-epoch seconds of local time at the sync, ticks_ms at the sync)
_synced = None


def sethost(ntp_host):
    """Use ``ntp_host`` from now on; 0, or -1 if it is not a non-empty str."""
    global host
    if not isinstance(ntp_host, str) or not ntp_host or len(ntp_host) > 255:
        return -1
    host = ntp_host
    return 0


def _epoch_delta():
    return _TO_1970 if _time.gmtime(0)[0] == 1970 else _TO_2000


def time(timeout=_TIMEOUT_S):
    """UTC seconds since the port's epoch, from ``host``; OSError on failure."""
    addr = usocket.getaddrinfo(host, port, 0, usocket.SOCK_DGRAM)[0][-1]
    query = bytearray(48)
    query[0] = 0x23  # LI 0, version 4, mode 3 (client)
    # Our transmit time: the server echoes it as the originate time, which ties
    # the reply to this request. Only its uniqueness matters, not its value.
    stamp = _time.ticks_us() & 0xFFFFFFFF
    struct.pack_into("!II", query, 40, stamp, 0x5A5A5A5A)
    s = usocket.socket(usocket.AF_INET, usocket.SOCK_DGRAM)
    try:
        s.settimeout(timeout)
        s.sendto(query, addr)
        while True:
            msg = s.recv(64)
            if len(msg) >= 48 and bytes(msg[24:32]) == bytes(query[40:48]):
                break  # a late reply to an earlier request is skipped
    finally:
        s.close()
    mode = msg[0] & 7
    stratum = msg[1]
    secs = struct.unpack("!I", msg[40:44])[0]
    if mode != 4 or not 1 <= stratum <= 15 or secs == 0:
        raise OSError(f"bad NTP reply (mode {mode}, stratum {stratum})")
    return secs - _epoch_delta()


def _set_rtc(t):
    tm = _time.gmtime(t)
    try:
        import machine

        rtc = machine.RTC()
    except (ImportError, AttributeError):
        return False
    # RTC.datetime takes (year, month, day, weekday, hours, minutes, seconds, subseconds).
    rtc.datetime((tm[0], tm[1], tm[2], tm[6], tm[3], tm[4], tm[5], 0))
    return True


def settime(timezone=0, use_rhost=1, timeout=_TIMEOUT_S):
    """Set the clock to local time at UTC + ``timezone`` hours; 0, or -1.

    ``use_rhost`` is accepted for QuecPython's signature; no other server than
    ``host`` is ever asked.
    """
    global _synced
    if not isinstance(timezone, int) or not -12 <= timezone <= 12:
        return -1
    if use_rhost not in (0, 1) or timeout <= 0:
        return -1
    try:
        t = time(timeout) + timezone * 3600
    except (OSError, IndexError):
        return -1
    _synced = (t, _time.ticks_ms())
    try:
        _set_rtc(t)
    except (OSError, ValueError):
        return -1
    return 0


def localtime():
    """The local time set by the last ``settime()`` (``utime.localtime()``
    before any): a tuple as ``utime.localtime`` returns."""
    if _synced is None:
        return _time.localtime()
    t, ticks = _synced
    return _time.gmtime(t + _time.ticks_diff(_time.ticks_ms(), ticks) // 1000)
