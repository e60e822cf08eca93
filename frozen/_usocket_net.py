"""The network interface behind usocket, for checkNet and dataCall.

One code path for the host and for boards: ``network.LAN()`` is tried first
(the host firmware's slirp link, Ethernet boards), then
``network.WLAN(network.STA_IF)`` (Pico W, ESP32). An application with another
arrangement calls ``set_nic(obj)`` with any object that has ``active()``,
``isconnected()`` and ``ifconfig()``/``ipconfig()``.

The link-state watcher (dataCall.setCallback) is driven by ``poll()``: from a
1 s ``machine.Timer`` where the port has one (its callbacks are scheduled, so
they run as normal Python between bytecodes), and on every ``poll()`` call
that checkNet and dataCall make anyway. The unix port has no machine.Timer, so
on the host changes are reported at the next getInfo()/wait/poll call.
"""

_nic = None
_watcher = None
_last = None
_timer = None

# What a misconfigured or absent constructor raises on the ports we target
# (ESP32's LAN() without PHY arguments raises TypeError/ValueError).
_CTOR_ERRORS = (TypeError, ValueError, OSError, AttributeError, RuntimeError)


def set_nic(nic):
    """Use ``nic`` as the interface from now on (None: detect again)."""
    global _nic
    _nic = nic


def nic():
    """The interface, or None when the firmware has no usable one (stage 1)."""
    global _nic
    if _nic is None:
        try:
            import network
        except ImportError:
            return None
        if hasattr(network, "LAN"):
            try:
                _nic = network.LAN()
            except _CTOR_ERRORS:
                _nic = None
        if _nic is None and hasattr(network, "WLAN"):
            try:
                _nic = network.WLAN(network.STA_IF)
            except _CTOR_ERRORS:
                _nic = None
    return _nic


def link_up(n):
    """Stage 2: the interface is up (cable / association / slirp link)."""
    try:
        return bool(n.active())
    except OSError:
        return False


def ipv4(n):
    """(ip, netmask, gateway, dns) as strings; zeros when not configured."""
    try:
        cfg = n.ifconfig()
        return cfg[0], cfg[1], cfg[2], cfg[3]
    except (AttributeError, OSError):
        pass
    try:
        import network

        ip, mask = n.ipconfig("addr4")
        gw = n.ipconfig("gw4")
        dns = network.ipconfig("dns")
        return ip, mask, gw, dns
    except (AttributeError, OSError, TypeError, ValueError):
        return "0.0.0.0", "0.0.0.0", "0.0.0.0", "0.0.0.0"


def ip_ready(n):
    """Stage 3: the interface has a usable IPv4 address."""
    try:
        if not n.isconnected():
            return False
    except OSError:
        return False
    return ipv4(n)[0] not in ("0.0.0.0", "")


def stage():
    """(stage, ok): the first stage that is not reached, or (3, True)."""
    n = nic()
    if n is None:
        return 1, False
    if not link_up(n):
        return 2, False
    if not ip_ready(n):
        return 3, False
    return 3, True


def poll(*_):
    """Recompute the link state and tell watchers about a change.

    Returns the state (1 up, 0 down). Takes and ignores a Timer argument.
    """
    global _last
    state = 1 if stage()[1] else 0
    changed = _last is not None and state != _last
    _last = state
    if changed and _watcher is not None:
        _watcher(state)
    return state


def watch(fun):
    """Call ``fun(state)`` on every link up/down change (None: stop)."""
    global _timer, _last, _watcher
    _watcher = fun
    if fun is None:
        if _timer is not None:
            _timer.deinit()
            _timer = None
        return
    _last = None
    poll()  # the baseline: only later changes are reported
    if _timer is None:
        try:
            from machine import Timer

            _timer = Timer(-1)
            _timer.init(mode=Timer.PERIODIC, period=1000, callback=poll)
        except (ImportError, AttributeError, TypeError, ValueError, OSError):
            _timer = None
