# Three listeners (ports 8120-8122) get keepalive options before listen(), after
# it, or not at all; each accepted connection then idles in recv(): the error,
# how many frames (probes) left meanwhile, and its state.
import socket
import time

import network
from fwtest import err, res

LAN = network.LAN()


def keep(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 1)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 3)


def serve(port, when):
    s = socket.socket()
    s.bind(("", port))
    if when == "before":
        keep(s)
    s.listen(1)
    if when == "after":
        keep(s)
    return s


names = ("before", "after", "plain")
ls = [serve(8120 + i, name) for i, name in enumerate(names)]
print("listening")
conns = []
for s in ls:
    s.settimeout(10)
    conns.append(s.accept()[0])
# The firmware's start-up traffic and the handshakes' last frames are over by then.
time.sleep(1)
# One at a time, the plain one last: probes would count in another's window.
for name, c in zip(names, conns):
    c.settimeout(3.5)
    before = LAN.stats()["frames_out"]
    res(name + "_idle", err(c.recv, 10))
    res(name + "_frames", LAN.stats()["frames_out"] - before)
    res(name + "_state", c.getsocketsta())
    c.close()
    # Its FIN and the peer's are exchanged before the next window.
    time.sleep(0.5)
