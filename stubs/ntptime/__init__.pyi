"""ntptime: QuecPython's NTP clock setting over UDP (frozen/ntptime.py)."""

# The server's name; QuecPython's default is "ntp.aliyun.com".
host: str
port: int

# 0, or -1 if ``ntp_host`` is not a non-empty str.
def sethost(ntp_host: str) -> int: ...

# UTC seconds since the port's epoch; raises OSError on failure.
def time(timeout: float = 10) -> int: ...

# Local time at UTC + ``timezone`` hours (-12..12) to the RTC; 0, or -1.
def settime(timezone: int = 0, use_rhost: int = 1, timeout: float = 10) -> int: ...

# The time set by the last settime() (utime.localtime() before any).
def localtime() -> tuple[int, int, int, int, int, int, int, int]: ...
