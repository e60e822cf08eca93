# makefile() returns the socket itself: lines written to the echo server at port
# come back through its readline(), and closing the file closes the socket.
import socket

from fwtest import PEER, param, res

port = param("port")

s = socket.socket()
s.connect((PEER, port))
f = s.makefile("rwb", 0)
res("same", f is s)
f.write(b"line one\nline two\n")
res("l1", f.readline())
res("l2", f.readline())
f.close()
res("sta", s.getsocketsta())
