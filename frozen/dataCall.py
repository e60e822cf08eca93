"""QuecPython's ``dataCall`` over the board's lwIP interface.

On a cellular module a profile (PDP context, 1..8) is a data connection the
modem dials. Here there is one interface, so:

- **Profile 1 is the interface.** ``activate(1)``/``start(1, ...)`` bring it up
  (``active(True)``) and wait for an address; ``deactivate(1)``/``stop(1)``
  take it down (``active(False)``). ``getInfo(1, ...)`` reports its address
  and DNS servers. Profiles 2..8 keep their settings but are never active, so
  activating them returns -1.
- **Settings are kept per profile** and saved to ``datacall.json`` (in
  ``/usr`` or the root of the board's filesystem; the current directory on the
  host), as QuecPython keeps them over a power cycle: the APN, user, password
  and authentication (``setPDPContext``, ``setApn``, ``recordApn``), the
  auto-activate and auto-reconnect flags, and DNS servers. An Ethernet or WiFi
  link has no APN, so those are stored and returned, not used.
- ``setDNSServer`` gives lwIP's resolver the primary server at once (for
  profile 1); the secondary is stored and reported by ``getInfo``.
- ``setCallback(fun)`` calls ``fun((profile, state))`` when the interface goes
  down (0) or up (1); see ``_usocket_net`` for what notices the change.

Return values and error codes are QuecPython's: 0 success, -1 failure (bad
arguments included), tuples for queries.
"""

import json as _json
import time

import _usocket_net

_PROFILE = 1  # the profile that is the interface
_MAX_PROFILE = 8
_ZERO4 = "0.0.0.0"
_ZERO6 = "::"
_FILE = "datacall.json"
# How long activate()/start() wait for the interface to get an address.
_ACTIVATE_MS = 10000
_MAX_FIELD = 64  # bytes of APN, user name or password QuecPython accepts

_settings = None  # {pid (int): {...}}, loaded from the file on first use
_async = 0


def _path():
    return _usocket_net.config_path(_FILE)


def _load():
    global _settings
    if _settings is None:
        _settings = {}
        try:
            with open(_path()) as f:
                saved = _json.load(f)
            for k, v in saved.items():
                _settings[int(k)] = v
        except (OSError, ValueError, TypeError, AttributeError):
            pass  # no file yet, or not ours: start from the defaults
    return _settings


def _save():
    data = {}
    for pid, v in _load().items():
        data[str(pid)] = v
    try:
        with open(_path(), "w") as f:
            f.write(_json.dumps(data))
        return True
    except OSError:
        return False


def _profile(pid):
    s = _load()
    p = s.get(pid)
    if p is None:
        p = s[pid] = {}
    return p


def _pid_ok(pid):
    return isinstance(pid, int) and 1 <= pid <= _MAX_PROFILE


def _context_ok(ip_type, apn, username, password, auth_type):
    if ip_type not in (0, 1, 2) or auth_type not in (0, 1, 2, 3):
        return False
    for s in (apn, username, password):
        if not isinstance(s, str) or len(s.encode()) > _MAX_FIELD:
            return False
    return True


def _store_context(pid, ip_type, apn, username, password, auth_type):
    # QuecPython's rule: credentials without an authentication method use CHAP,
    # and a method without credentials is dropped.
    if (username or password) and auth_type == 0:
        auth_type = 2
    elif not (username or password) and auth_type != 0:
        auth_type = 0
    p = _profile(pid)
    p["ctx"] = [ip_type, apn, username, password, auth_type]
    return 0 if _save() else -1


# --------------------------------------------------------------------------------
# PDP context settings


def setPDPContext(profileID, ipType, apn, username, password, authType):
    """Store the APN settings of ``profileID``; 0, or -1 on bad arguments."""
    if not _pid_ok(profileID) or not _context_ok(
        ipType, apn, username, password, authType
    ):
        return -1
    return _store_context(profileID, ipType, apn, username, password, authType)


def getPDPContext(profileID):
    """``(ipType, apn, username, password, authType)`` of ``profileID``, or -1."""
    if not _pid_ok(profileID):
        return -1
    ctx = _load().get(profileID, {}).get("ctx")
    if ctx is None:
        return (0, "", "", "", 0)
    return tuple(ctx)


def setApn(profileIdx, ipType, apn, username, password, authType, flag=0):
    """Older firmware's form: store the settings; ``flag=1`` also activates."""
    r = setPDPContext(profileIdx, ipType, apn, username, password, authType)
    if r == 0 and flag == 1:
        return activate(profileIdx)
    return r


def recordApn(profileIdx, ipType, apn, username, password, authType, flag=0):
    """Older firmware's boot-time record of the APN used for (re)connection."""
    return setPDPContext(profileIdx, ipType, apn, username, password, authType)


def getApn(simID, profileIdx=_PROFILE):
    """The stored APN of ``profileIdx`` (SIM 0 only); -1 on bad arguments."""
    if simID != 0 or not _pid_ok(profileIdx):
        return -1
    return getPDPContext(profileIdx)[1]


def _set_flag(pid, key, enable):
    if not _pid_ok(pid) or enable not in (0, 1, False, True):
        return -1
    _profile(pid)[key] = int(enable)
    return 0 if _save() else -1


def setAutoActivate(profileID, enable):
    """Store whether ``profileID`` comes up at power-on (1) or waits for
    ``activate()`` (0). The interface itself is brought up by the board's
    network setup; the flag is kept and returned by ``getAutoActivate``."""
    return _set_flag(profileID, "autoActivate", enable)


def setAutoConnect(profileID, enable):
    """Store whether ``profileID`` reconnects by itself after a drop. Link
    recovery is the interface driver's (DHCP renew, WiFi reassociation)."""
    return _set_flag(profileID, "autoConnect", enable)


def getAutoActivate(profileID):
    if not _pid_ok(profileID):
        return -1
    return _load().get(profileID, {}).get("autoActivate", int(profileID == _PROFILE))


def getAutoConnect(profileID):
    if not _pid_ok(profileID):
        return -1
    return _load().get(profileID, {}).get("autoConnect", int(profileID == _PROFILE))


def setDNSServer(profileID, simID, priDNS, secDNS):
    """Use ``priDNS`` (and record ``secDNS``) for ``profileID``; 0 or -1.

    For profile 1 the primary goes to lwIP's resolver at once. Both are kept
    and shown by ``getInfo``; they are applied again by ``activate()``.
    """
    if not _pid_ok(profileID) or simID != 0:
        return -1
    if not (_usocket_net.valid_ip4(priDNS) and _usocket_net.valid_ip4(secDNS)):
        return -1
    if profileID == _PROFILE and not _usocket_net.set_dns(priDNS):
        return -1
    _profile(profileID)["dns"] = [priDNS, secDNS]
    return 0 if _save() else -1


# Older firmware spelled it this way.
setDnsserver = setDNSServer


# --------------------------------------------------------------------------------
# Activation


def setAsynMode(mode):
    """1: ``start()``/``activate()`` return at once and the callback reports
    the result; 0 (default): they wait for the address. Returns 0 or -1."""
    global _async
    if mode not in (0, 1):
        return -1
    _async = mode
    return 0


def _wait_ready(ms):
    deadline = time.ticks_add(time.ticks_ms(), ms)
    while True:
        if _usocket_net.stage()[1]:
            return True
        if time.ticks_diff(deadline, time.ticks_ms()) <= 0:
            return False
        time.sleep_ms(50)


def activate(profileID):
    """Bring the interface up (profile 1); 0 when it has an address, else -1."""
    if not _pid_ok(profileID) or profileID != _PROFILE:
        return -1
    n = _usocket_net.nic()
    if n is None:
        return -1
    try:
        n.active(True)
    except OSError:
        return -1
    dns = _load().get(profileID, {}).get("dns")
    if dns:
        _usocket_net.set_dns(dns[0])
    if _async:
        return 0
    ok = _wait_ready(_ACTIVATE_MS)
    _usocket_net.poll()
    return 0 if ok else -1


def deactivate(profileID):
    """Take the interface down (profile 1); 0, or -1 on bad arguments."""
    if not _pid_ok(profileID):
        return -1
    if profileID != _PROFILE:
        return 0  # never active: nothing to take down
    n = _usocket_net.nic()
    if n is None:
        return -1
    try:
        n.active(False)
    except OSError:
        return -1
    _usocket_net.poll()
    return 0


def start(profileIdx, ipType, apn, username, password, authType):
    """Older firmware's dial: use these settings (not saved) and activate."""
    if not _pid_ok(profileIdx) or not _context_ok(
        ipType, apn, username, password, authType
    ):
        return -1
    return activate(profileIdx)


def stop(profileIdx, ipType=0):
    """Older firmware's hang-up: deactivate ``profileIdx``."""
    if ipType not in (0, 1, 2):
        return -1
    return deactivate(profileIdx)


# --------------------------------------------------------------------------------
# State


def _dns_pair(pid, dns1):
    dns = _load().get(pid, {}).get("dns")
    if dns:
        return dns1 or dns[0], dns[1]
    return dns1 or _ZERO4, _ZERO4


def _v4(n, pid, active):
    if not active:
        return [0, 0, _ZERO4, _ZERO4, _ZERO4]
    ip, _mask, _gw, dns = _usocket_net.ipv4(n)
    dns1, dns2 = _dns_pair(pid, dns)
    return [1, 0, ip, dns1, dns2]


def _v6(n, active):
    addr = None
    if active:
        try:
            addrs = n.ipconfig("addr6")
            if addrs:
                addr = addrs[0][0] if isinstance(addrs[0], tuple) else addrs[0]
        except (AttributeError, OSError, TypeError, ValueError):
            addr = None
    if addr is None:
        return [0, 0, _ZERO6, _ZERO6, _ZERO6]
    return [1, 0, addr, _ZERO6, _ZERO6]


def getInfo(profileIdx, ipType):
    """Data-call state of ``profileIdx``; -1 on bad arguments.

    ipType 0: ``(pid, 0, [state, reconnect, ip, dns1, dns2])``; 1: the same
    for IPv6; 2: ``(pid, 2, [IPv4 list], [IPv6 list])``. ``state`` is 1 when
    the interface is up with an address; ``reconnect`` is always 0.
    """
    if not _pid_ok(profileIdx) or ipType not in (0, 1, 2):
        return -1
    n = _usocket_net.nic()
    up = _usocket_net.poll() == 1 and profileIdx == _PROFILE
    if ipType == 0:
        return (profileIdx, 0, _v4(n, profileIdx, up))
    if ipType == 1:
        return (profileIdx, 1, _v6(n, up))
    return (profileIdx, 2, _v4(n, profileIdx, up), _v6(n, up))


def getPdpRange():
    """The profiles this board has: ``(1, 8)`` (QuecPython's ``dial`` module)."""
    return (1, _MAX_PROFILE)


def setCallback(fun):
    """Call ``fun((profile, state))`` when the interface goes down (0) or up (1).

    ``None`` removes the callback. Returns 0, or -1 if ``fun`` is not callable.
    """
    if fun is None:
        _usocket_net.watch(None)
        return 0
    if not callable(fun):
        return -1
    _usocket_net.watch(lambda state: fun((_PROFILE, state)))
    return 0


def poll():
    """Check the link now (reports changes to the callback); returns 1 up, 0 down."""
    return _usocket_net.poll()
