# A peer that never reads: sendall (timeout 2 s) fills the buffers and raises
# ETIMEDOUT; close() returns at once, and the close linger frees the pcb.
import socket
import time

import network
from faulttest import leak_check
from fwtest import PEER, param, res

port = param("port")
LAN = network.LAN()


def case():
    s = socket.socket()
    s.settimeout(2)
    s.connect((PEER, port))
    buf = bytes(65536)
    sent = 0
    e = None
    while sent < 256 * 1024 * 1024:
        try:
            s.sendall(buf)
        except OSError as x:
            e = x.args[0]
            break
        sent += len(buf)
    res("sendall", e)
    res("sent_mb", sent // (1024 * 1024))
    res("held", LAN.stats()["tcp_pcb"])
    t = time.ticks_ms()
    s.close()
    res("close_ms", time.ticks_diff(time.ticks_ms(), t))
    while LAN.stats()["tcp_pcb"] and time.ticks_diff(time.ticks_ms(), t) < 15000:
        time.sleep_ms(50)
    res("freed_ms", time.ticks_diff(time.ticks_ms(), t))
    res("left", LAN.stats()["tcp_pcb"])


leak_check(case)
