# recv(n) returns at most n bytes of what has arrived, recv of a larger size the
# rest, and recv(0) an empty bytes. The peer sends 5000 bytes at once.
import socket
import time

from fwtest import PEER, param, res

port = param("port")

s = socket.socket()
s.connect((PEER, port))
time.sleep(0.3)
res("first", len(s.recv(1000)))
res("rest", len(s.recv(100000)))
res("zero", s.recv(0))
