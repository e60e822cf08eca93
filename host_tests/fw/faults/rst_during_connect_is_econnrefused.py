# A connect to a port nobody listens on (param "port"): the RST gives
# ECONNREFUSED at once; nothing leaks (fwtest.leak_check).
import socket
import time

from faulttest import leak_check
from fwtest import PEER, err, param, res

port = param("port")


def case():
    s = socket.socket()
    s.settimeout(5)
    t = time.ticks_ms()
    res("connect", err(s.connect, (PEER, port)))
    res("fast", time.ticks_diff(time.ticks_ms(), t) < 3000)
    s.close()


leak_check(case)
