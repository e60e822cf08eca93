# 12 datagrams come back from the echo server at port while nobody reads: which
# ones the socket kept, what the next read raises, and that no pbuf is left.
import socket
import time

import network
from fwtest import PEER, param, res

LAN = network.LAN()
port = param("port")

u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(12):
    u.sendto(b"d%d" % i, (PEER, port))
    time.sleep(0.02)
# All 12 come back while nobody reads; the queue keeps the first 8.
time.sleep(0.5)
u.setblocking(False)
got = []
while True:
    try:
        got.append(u.recv(10))
    except OSError as e:
        res("then", e.args[0])
        break
res("got", got)
res("pbufs_left", LAN.stats()["pbuf"] + LAN.stats()["pbuf_pool"])
