"""The network interface behind usocket, for checkNet and dataCall.

One code path for the host and for boards: ``network.LAN()`` is tried first
(the host firmware's slirp link, Ethernet boards), then
``network.WLAN(network.STA_IF)`` (Pico W, ESP32). An application with another
arrangement calls ``set_nic(obj)`` with any object that has ``active()``,
``isconnected()`` and ``ifconfig()``/``ipconfig()``.

The link-state watcher (dataCall.setCallback) is driven by ``poll()``, which
compares the state with the last one seen and reports a change. It runs:

- from the interface's own ``irq(handler)`` where it has one (the host
  firmware's LAN: a link or address change schedules the handler, which runs
  as ordinary Python at the next bytecode boundary or inside ``time.sleep`` /
  a blocking socket call);
- else from a 1 s ``machine.Timer`` where the port has one (its callbacks are
  scheduled too);
- and on every call checkNet and dataCall make anyway.

Python never runs inside an lwIP callback.
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
        n = nic()
        if n is not None and hasattr(n, "irq"):
            n.irq(None)
        if _timer is not None:
            _timer.deinit()
            _timer = None
        return
    _last = None
    poll()  # the baseline: only later changes are reported
    n = nic()
    if n is not None and hasattr(n, "irq"):
        n.irq(poll)
        return
    if _timer is None:
        try:
            from machine import Timer

            _timer = Timer(-1)
            _timer.init(mode=Timer.PERIODIC, period=1000, callback=poll)
        except (ImportError, AttributeError, TypeError, ValueError, OSError):
            _timer = None


def config_path(name):
    """Where a helper keeps its settings file ``name``.

    QuecPython keeps them in ``/usr``; a board whose filesystem has ``/usr``
    uses it, other boards the filesystem's root. The host firmware runs on the
    PC's filesystem, so there it is the current directory.
    """
    import os
    import sys

    if sys.platform in ("linux", "darwin"):
        return name
    try:
        os.stat("/usr")
        return "/usr/" + name
    except OSError:
        return "/" + name


def valid_ip4(s):
    """True when ``s`` is a dotted-quad IPv4 address."""
    if not isinstance(s, str):
        return False
    parts = s.split(".")
    if len(parts) != 4:
        return False
    for p in parts:
        if not p.isdigit() or len(p) > 3 or int(p) > 255:
            return False
    return True


def set_dns(primary):
    """Give lwIP's resolver ``primary`` as its server; True when applied."""
    try:
        import network

        network.ipconfig(dns=primary)
        return True
    except (ImportError, AttributeError, TypeError, ValueError, OSError):
        pass
    n = nic()
    try:
        ip, mask, gw, _dns = n.ifconfig()
        n.ifconfig((ip, mask, gw, primary))
        return True
    except (AttributeError, TypeError, ValueError, OSError):
        return False
