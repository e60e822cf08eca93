# We send and shut our write side; the peer reads to our FIN, then aborts:
# recv raises ECONNRESET; nothing leaks.
import socket

from faulttest import leak_check
from fwtest import PEER, err, param, res

port = param("port")


def case():
    s = socket.socket()
    s.settimeout(5)
    s.connect((PEER, port))
    s.sendall(b"last words")
    s.shutdown(socket.SHUT_WR)
    res("recv", err(s.recv, 10))
    s.close()


leak_check(case)
