"""dataCall: QuecPython's data-call info over the lwIP interface (frozen/dataCall.py)."""

from collections.abc import Callable
from typing import Any

# ipType 0/1: (pid, ip_type, [state, reconnect, ip, dns1, dns2]); ipType 2:
# (pid, 2, [IPv4 list], [IPv6 list]); -1 for bad arguments.
def getInfo(profileIdx: int, ipType: int) -> tuple[Any, ...] | int: ...

# ``fun((pid, state))`` on link down (0) / up (1); None removes it. 0, or -1.
def setCallback(fun: Callable[[tuple[int, int]], object] | None) -> int: ...

# Checks the link now; 1 up, 0 down.
def poll() -> int: ...
