# A connection to the server at port (which never sends) idles in recv() without
# and then with keepalive on (1 s idle and interval): the errors, how many frames
# left meanwhile, and that it is still up.
import socket
import time

import network
from fwtest import PEER, err, param, res

LAN = network.LAN()
port = param("port")

# The firmware's own start-up traffic (IPv6 neighbour discovery) is over by then.
time.sleep(1)
s = socket.socket()
s.connect((PEER, port))
# connect() returns on the SYN-ACK; the handshake's last ACK may still be on its
# way to slirp where lwIP has its own thread (threaded firmware, ESP32).
time.sleep_ms(100)
s.settimeout(1.5)
before = LAN.stats()["frames_out"]
res("idle_without", err(s.recv, 10))
res("frames_without", LAN.stats()["frames_out"] - before)
s.setsockopt(socket.SOL_SOCKET, socket.TCP_KEEPALIVE, 2)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 1)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 2)
s.settimeout(3.5)
before = LAN.stats()["frames_out"]
res("idle_with", err(s.recv, 10))
res("probes", LAN.stats()["frames_out"] - before >= 2)
res("still_up", s.getsocketsta())
