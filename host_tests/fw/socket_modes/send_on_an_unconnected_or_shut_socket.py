# Data calls on a socket that is not connected raise ENOTCONN; after
# shutdown(SHUT_WR) a send raises EPIPE, and after the peer's end of stream a
# second recv raises ENOTCONN.
import socket

from fwtest import PEER, err, param, res

port = param("port")

s = socket.socket()
res("send", err(s.send, b"x"))
res("sendall", err(s.sendall, b"x"))
res("write", err(s.write, b"x"))
res("recv", err(s.recv, 1))
res("read", err(s.read, 1))
res("peer", err(s.getpeername))
res("sendto_tcp", err(s.sendto, b"x", (PEER, 1)))
s.connect((PEER, port))
s.shutdown(socket.SHUT_WR)
res("after_shut", err(s.send, b"x"))
res("eof_after_shut", s.recv(1))
res("after_eof", err(s.recv, 1))
