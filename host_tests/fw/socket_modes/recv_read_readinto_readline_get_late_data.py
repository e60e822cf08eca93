# Data that arrives in pieces, in one mode (param "mode"): blocking and timeout
# (5 s) reads wait for what they asked for; non-blocking ones take what is there
# each time poll says the socket is readable.
import select
import socket

from fwtest import PEER, param, res, set_mode

port = param("port")
mode = param("mode")

s = socket.socket()
s.connect((PEER, port))
if mode == "timeout":
    s.settimeout(5)
else:
    set_mode(s, mode)
if mode == "nonblocking":
    p = select.poll()
    p.register(s, select.POLLIN)
    got = b""
    for i in range(50):
        if len(got) >= 20:
            break
        p.poll(5000)
        d = s.read(100)
        if d is None:
            continue
        got += d
    res("got", got)
else:
    res("recv", s.recv(100))
    res("read", s.read(5))
    res("readline", s.readline())
    buf = bytearray(5)
    res("readinto", (s.readinto(buf), bytes(buf)))
    res("readline2", s.readline())
