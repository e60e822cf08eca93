# A server on port 8002 closes its one connection first (TIME_WAIT on the port):
# the pcbs left, and whether a new server binds the port without and with
# SO_REUSEADDR.
import socket
import time

import network
from fwtest import err, res

LAN = network.LAN()


def serve(reuse):
    s = socket.socket()
    if reuse:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("", 8002))
    s.listen(1)
    return s


s = serve(True)
print("listening")
s.settimeout(10)
conn, _ = s.accept()
conn.send(b"bye")
conn.close()  # we close first: TIME_WAIT on port 8002
s.close()
time.sleep(0.3)
res("tw_pcbs", LAN.stats()["tcp_pcb"])
res("without", err(serve, False))
res("with", err(serve, True))
