"""checkNet: QuecPython's wait-for-network helper (frozen/checkNet.py).

``(stage, state)``: stage 1 interface, 2 link up, 3 IP configured; state 1 OK,
0 timed out at that stage. ``(3, 1)`` means ready.
"""

def wait_network_connected(timeout_s: float = 60) -> tuple[int, int]: ...
def waitNetworkReady(timeout_s: float = 60) -> tuple[int, int]: ...

class CheckNetwork:
    project_name: str
    project_version: str
    PROJECT_NAME: str
    PROJECT_VERSION: str
    FIRMWARE_VERSION: str
    POWERON_REASON: int
    def __init__(self, project_name: str, project_version: str) -> None: ...
    def poweron_print_once(self) -> None: ...
    # 1 when any profile has an active IPv4 or IPv6 address, else 0.
    @staticmethod
    def check_datacall_status() -> int: ...
    def wait_network_connected(self, timeout_s: float = 60) -> tuple[int, int]: ...
