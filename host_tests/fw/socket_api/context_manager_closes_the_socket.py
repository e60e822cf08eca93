# `with socket.socket() as s` gives the socket, which works inside the block (an
# echo through the echo server at port) and is closed after it.
import socket

from fwtest import PEER, err, param, res

port = param("port")

with socket.socket() as s:
    res("enter_returns_socket", type(s).__name__)
    s.connect((PEER, port))
    s.sendall(b"ping")
    res("echo", s.recv(4))
    res("inside", s.getsocketsta())
res("after", s.getsocketsta())
res("send_after", err(s.send, b"x"))
