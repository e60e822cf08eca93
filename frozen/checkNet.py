"""QuecPython's ``checkNet``: wait until the network can carry traffic.

    import checkNet
    checknet = checkNet.CheckNetwork("my_project", "1.0.0")
    checknet.poweron_print_once()
    stage, state = checknet.wait_network_connected(30)
    if (stage, state) == (3, 1):
        ...

The stages follow QuecPython's meaning mapped onto an lwIP interface (a
cellular module's SIM / registration / PDP context have no equivalent here):

    1  interface present  (network.LAN() on the host, WLAN STA on WiFi boards)
    2  link up            (``active()``: cable, association, slirp link)
    3  IP configured      (``isconnected()`` and an address other than 0.0.0.0)

``(3, 1)`` means ready; on timeout the result is ``(failing stage, 0)``.
``timeout_s`` must be within 1..3600 seconds, else
``OSError(EINVAL, "timeout_s should be in [1, 3600]s!")``: QuecPython's message,
with the errno added.

``CheckNetwork.check_datacall_status()`` is QuecPython's too: 1 when any
profile's IPv4 or IPv6 state in ``dataCall.getInfo(pid, 2)`` is 1, else 0.
"""

import sys
import time

import _usocket_net

_EINVAL = 22
# Checking the interface is cheap; 100 ms keeps the wait responsive without
# spinning (the sleep also lets the host's lwIP poll hook run).
_POLL_MS = 100

_printed = False


def wait_network_connected(timeout_s=60):
    """Block until the network is ready or ``timeout_s`` seconds pass.

    Returns ``(stage, state)``; see the module docstring.
    """
    if not 1 <= timeout_s <= 3600:
        raise OSError(_EINVAL, "timeout_s should be in [1, 3600]s!")
    deadline = time.ticks_add(time.ticks_ms(), int(timeout_s * 1000))
    while True:
        stage, ok = _usocket_net.stage()
        _usocket_net.poll()  # lets dataCall callbacks see changes meanwhile
        if ok:
            return 3, 1
        if time.ticks_diff(deadline, time.ticks_ms()) <= 0:
            return stage, 0
        time.sleep_ms(_POLL_MS)


# QuecPython's newer name for the same call.
waitNetworkReady = wait_network_connected


def _firmware():
    impl = sys.implementation
    version = ".".join(str(v) for v in impl.version[:3])
    machine = getattr(impl, "_machine", "")
    return f"{impl.name} {version} {machine}".strip()


def _poweron_reason():
    try:
        import machine

        return machine.reset_cause()
    except (ImportError, AttributeError):
        return 0


class CheckNetwork:
    def __init__(self, project_name, project_version):
        self.project_name = self.PROJECT_NAME = project_name
        self.project_version = self.PROJECT_VERSION = project_version
        self.FIRMWARE_VERSION = _firmware()
        self.POWERON_REASON = _poweron_reason()

    def poweron_print_once(self):
        """Print the project and firmware banner, once per boot."""
        global _printed
        if _printed:
            return
        _printed = True
        n = _usocket_net.nic()
        bar = "=" * 50
        print(bar)
        print(f"PROJECT_NAME     : {self.PROJECT_NAME}")
        print(f"PROJECT_VERSION  : {self.PROJECT_VERSION}")
        print(f"FIRMWARE_VERSION : {self.FIRMWARE_VERSION}")
        print(f"POWERON_REASON   : {self.POWERON_REASON}")
        # Where QuecPython shows the SIM card, the interface usocket runs on.
        print("NETWORK          : {}".format(type(n).__name__ if n else "none"))
        print(bar)

    @staticmethod
    def check_datacall_status():
        """1 when any profile has an active IPv4 or IPv6 address, else 0."""
        import dataCall

        first, last = dataCall.getPdpRange()
        for pid in range(first, last + 1):
            info = dataCall.getInfo(pid, 2)
            if info != -1 and (info[2][0] == 1 or info[3][0] == 1):
                return 1
        return 0

    def wait_network_connected(self, timeout_s=60):
        return wait_network_connected(timeout_s)
