# A write that a 0.5 s timeout ends part-way returns the count it queued (more
# than 0, less than asked); the next write raises ETIMEDOUT. The 24 MiB buffer
# needs a large heap (the host firmware's -X heapsize=40M).
import socket

from fwtest import PEER, param, res, timed

port = param("port")

s = socket.socket()
s.connect((PEER, port))
s.settimeout(0.5)
big = bytes(24 * 1024 * 1024)
n, ms = timed(s.write, big)
res("partial", 0 < n < len(big))
res("next", timed(s.write, big)[0])
