# A blocking connect: returns None, then the socket is connected (state 4); a
# second connect raises EISCONN; a port nobody listens on raises ECONNREFUSED.
import socket

from fwtest import PEER, err, param, res

port = param("port")
closed = param("closed")

s = socket.socket()
res("connect", s.connect((PEER, port)))
res("sta", s.getsocketsta())
res("again", err(s.connect, (PEER, port)))
res("refused", err(socket.socket().connect, (PEER, closed)))
