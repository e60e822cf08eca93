# 12 UDP sockets join a multicast group: lwIP's heap grows; once 4 have left it, 4
# are closed and 4 collected by the GC, it is back where it was.
import gc
import socket

import network
from fwtest import res

LAN = network.LAN()
mreq = bytes([239, 1, 2, 5, 10, 0, 2, 15])


def used():
    gc.collect()
    return LAN.stats()["mem_used"]


socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(12)]
base = used()
for s in socks:
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
res("joined", used() > base)
for s in socks[:4]:
    s.setsockopt(socket.IPPROTO_IP, socket.IP_DROP_MEMBERSHIP, mreq)
for s in socks[4:8]:
    s.close()
socks = socks[:8]
res("left", used() == base)
