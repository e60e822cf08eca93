"""QuecPython's ``dataCall`` (cellular data call info) over an lwIP interface.

A QuecPython profile (PDP context) maps to the one interface usocket runs on:
profile 1 reports it, profiles 2..8 exist but are never activated.

``getInfo(pid, ip_type)`` returns, as on QuecPython::

    ip_type 0 (IPv4): (pid, 0, [state, reconnect, ip, dns1, dns2])
    ip_type 1 (IPv6): (pid, 1, [state, reconnect, ip6, dns1, dns2])
    ip_type 2 (both): (pid, 2, [IPv4 list], [IPv6 list])

``state`` is 1 when the link is up with an address; ``reconnect`` is always 0
(there is no modem redial). Bad arguments return -1, as QuecPython does.

``setCallback(fun)`` registers ``fun(args)`` with ``args = (pid, state)``
(QuecPython passes one tuple) for link down (0) / up (1); it returns 0.
How changes are noticed is described in ``_usocket_net``: a 1 s
``machine.Timer`` where the port has one, and otherwise at the next
``getInfo()``, ``checkNet`` wait or explicit ``dataCall.poll()``.
"""

import _usocket_net

_PROFILE = 1
_MAX_PROFILE = 8
_ZERO4 = "0.0.0.0"
_ZERO6 = "::"


def _v4(n, active):
    if not active:
        return [0, 0, _ZERO4, _ZERO4, _ZERO4]
    ip, _mask, _gw, dns = _usocket_net.ipv4(n)
    return [1, 0, ip, dns or _ZERO4, _ZERO4]


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
    """Data-call information for ``profileIdx`` (1..8); -1 on bad arguments."""
    if not isinstance(profileIdx, int) or not 1 <= profileIdx <= _MAX_PROFILE:
        return -1
    if ipType not in (0, 1, 2):
        return -1
    n = _usocket_net.nic()
    up = _usocket_net.poll() == 1 and profileIdx == _PROFILE
    if ipType == 0:
        return (profileIdx, 0, _v4(n, up))
    if ipType == 1:
        return (profileIdx, 1, _v6(n, up))
    return (profileIdx, 2, _v4(n, up), _v6(n, up))


def setCallback(fun):
    """Call ``fun((pid, state))`` when the link goes down (0) or up (1).

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
