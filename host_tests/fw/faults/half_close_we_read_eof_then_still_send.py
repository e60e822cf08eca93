# The peer sends "hello" and shuts its write side: we read it, then EOF, then
# ENOTCONN, and can still send param("n") bytes; nothing leaks.
import socket
import time

from faulttest import leak_check, recv_until_error
from fwtest import PEER, err, param, pattern, res

port = param("port")
n = param("n")


def case():
    s = socket.socket()
    s.settimeout(5)
    s.connect((PEER, port))
    res("read", recv_until_error(s))
    # The end was reported: as on lwIP's socket layer, ENOTCONN from now on.
    res("again", err(s.recv, 10))
    s.sendall(pattern(n, 4))
    time.sleep_ms(200)
    s.close()


leak_check(case)
