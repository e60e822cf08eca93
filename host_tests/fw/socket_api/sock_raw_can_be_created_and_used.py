# A raw ICMP socket: it holds a raw pcb while open, sends an echo request to the
# PC, and gives the pcb back when closed.
import socket

import network
from fwtest import PEER, res

LAN = network.LAN()

r = socket.socket(socket.AF_INET, socket.SOCK_RAW, 1)  # ICMP
res("type", type(r).__name__)
res("raw_pcb", LAN.stats()["raw_pcb"])
# An ICMP echo request to the host alias (slirp answers pings it can't forward
# with nothing; sending must still succeed).
res("sent", r.sendto(b"\x08\x00\xf7\xff\x00\x00\x00\x00", (PEER, 0)))
res("sta", r.getsocketsta())
r.close()
res("raw_pcb_after", LAN.stats()["raw_pcb"])
