# A listener on port 8003 with one connection pending is collected by the GC:
# the pcbs held before, and after (the pending connection is aborted with it).
import gc
import socket
import time

import network
from fwtest import res

LAN = network.LAN()


def listen():
    s = socket.socket()
    s.bind(("", 8003))
    s.listen(2)
    return s


s = listen()
print("listening")
t = time.ticks_ms()
while LAN.stats()["tcp_pcb"] < 1 and time.ticks_diff(time.ticks_ms(), t) < 5000:
    time.sleep(0.05)
res("pending", LAN.stats()["tcp_pcb"])
s = None
gc.collect()
gc.collect()
time.sleep(0.2)
st = LAN.stats()
res("after", (st["tcp_pcb"], st["tcp_pcb_listen"]))
