# The peer sends param("n") bytes and then a RST while we do not read: recv
# gives every byte first, then ECONNRESET; nothing leaks.
import socket
import time

from faulttest import leak_check
from fwtest import PEER, param, pattern, res

port = param("port")
n = param("n")


def recv_until_error(s):
    # (data, errno or None at EOF)
    got = bytearray()
    while True:
        try:
            b = s.recv(1000)
        except OSError as e:
            return bytes(got), e.args[0]
        if not b:
            return bytes(got), None
        got.extend(b)


def case():
    s = socket.socket()
    s.settimeout(5)
    s.connect((PEER, port))
    time.sleep(0.8)  # data and RST both arrive while nobody reads
    data, e = recv_until_error(s)
    res("got", (len(data), data == pattern(n, 3), e))
    s.close()


leak_check(case)
