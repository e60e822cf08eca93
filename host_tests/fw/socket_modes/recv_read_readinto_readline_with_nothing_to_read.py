# recv, read(n), read(), readinto and readline on a connection with nothing to
# read, in one mode (param "mode": "timeout" or "nonblocking"): each result or
# error, and how long the call took.
import socket

from fwtest import PEER, param, res, set_mode, timed

port = param("port")
mode = param("mode")

s = socket.socket()
s.connect((PEER, port))
set_mode(s, mode)
buf = bytearray(4)
calls = (
    ("recv", lambda: s.recv(4)),
    ("read", lambda: s.read(4)),
    ("read_all", lambda: s.read()),
    ("readinto", lambda: s.readinto(buf)),
    ("readline", lambda: s.readline()),
)
for name, f in calls:
    res(name, timed(f))
