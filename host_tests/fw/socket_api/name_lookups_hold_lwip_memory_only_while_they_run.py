# Name lookups in a row, more than may be in flight at once, answered or not, all
# run, and leave lwIP's heap as it was before them.
import gc
import socket

import network
from fwtest import err, res

LAN = network.LAN()


def used():
    gc.collect()
    return LAN.stats()["mem_used"]


socket.getaddrinfo("10.0.2.2", 80)
base = used()
names = [
    "a.test.example",
    "b.test.example",
    "c.test.example",
    "d.test.example",
    "e.test.example",
    "nowhere.invalid",
]
res("found", [err(socket.getaddrinfo, n, 80) for n in names])
res("addr", socket.getaddrinfo("f.test.example", 80)[0][4])
res("left", used() == base)
