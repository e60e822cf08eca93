# With a 0.3 s timeout, read(n), readinto and readline return the part that came
# before the peer went quiet, and the next call raises ETIMEDOUT. The peer sends
# "12345", "abc" and "no newline", 1.5 s apart.
import socket
import time

from fwtest import PEER, param, res, timed

port = param("port")

s = socket.socket()
s.connect((PEER, port))
t0 = time.ticks_ms()


def at(ms):
    # Sleeps until ms after the connection was made.
    time.sleep_ms(max(0, ms - time.ticks_diff(time.ticks_ms(), t0)))


s.settimeout(0.3)
res("read", s.read(100))  # "12345" at 0 s, then 0.3 s of nothing
res("read_next", timed(s.read, 100)[0])  # nothing until 1.5 s
at(1700)
buf = bytearray(100)
res("readinto", (s.readinto(buf), bytes(buf[:3])))  # "abc" came at 1.5 s
at(3200)
res("readline", s.readline())  # "no newline" came at 3 s
res("readline_next", timed(s.readline)[0])
