# Sockets nobody refers to any more (6 TCP connections the server at port has
# closed, 6 bound UDP sockets, 6 listeners) are closed by the GC's finaliser:
# lwIP's pcb counts before, while held and after.
import gc
import socket
import time

import network
from fwtest import PEER, param, res

LAN = network.LAN()
port = param("port")


def make(n):
    socks = []
    for i in range(n):
        s = socket.socket()
        s.connect((PEER, port))
        socks.append(s)
    for s in socks:
        s.settimeout(5)
        s.recv(1)  # EOF: the peer closed
    for i in range(n):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("", 0))
        socks.append(u)
        listener = socket.socket()
        listener.bind(("", 0))
        listener.listen(2)
        socks.append(listener)
    st = LAN.stats()
    res("held", (st["tcp_pcb"], st["udp_pcb"], st["tcp_pcb_listen"]))


def deep(n, f):
    # Made deep in the stack, so no stale pointer to a socket is left where the
    # conservative GC scans once this has returned.
    return deep(n - 1, f) if n else f()


gc.collect()
base = LAN.stats()
deep(20, lambda: make(6))
# The same depth again, making nothing: overwrites what make() left on the stack.
deep(24, lambda: None)
# Nothing refers to the sockets any more: collecting them closes them.
gc.collect()
gc.collect()
time.sleep(0.3)
st = LAN.stats()
res("base", (base["tcp_pcb"], base["udp_pcb"], base["tcp_pcb_listen"]))
res("after", (st["tcp_pcb"], st["udp_pcb"], st["tcp_pcb_listen"]))
