# The peer sends param("n") bytes and then a RST while we do not read: recv
# gives every byte first, then ECONNRESET; nothing leaks.
import socket
import time

from faulttest import leak_check, recv_until_error
from fwtest import PEER, param, pattern, res

port = param("port")
n = param("n")


def case():
    s = socket.socket()
    s.settimeout(5)
    s.connect((PEER, port))
    time.sleep(0.8)  # data and RST both arrive while nobody reads
    data, e = recv_until_error(s, 1000)
    res("got", (len(data), data == pattern(n, 3), e))
    s.close()


leak_check(case)
