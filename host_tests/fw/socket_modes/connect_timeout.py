# A connect with a timeout: to an address that never answers it raises ETIMEDOUT
# once the timeout is over and leaves no pcb behind (state 0); with a longer
# timeout it connects to a listening port and gets ECONNREFUSED from a closed one.
import socket

from fwtest import PEER, param, res, timed

port = param("port")
closed = param("closed")
# An address nobody answers (the test network drops it; on a board, pass silent=).
silent = param("silent", "10.0.2.99")

s = socket.socket()
s.settimeout(0.3)
res("silent", timed(s.connect, (silent, 80)))
res("silent_sta", s.getsocketsta())
s = socket.socket()
s.settimeout(5)
res("ok", timed(s.connect, (PEER, port))[0])
s = socket.socket()
s.settimeout(5)
res("refused", timed(s.connect, (PEER, closed))[0])
