# A TCP client's send, sendall, write, recv, read, readline and readinto against
# the server at port (which answers "abc" + what it got + two lines + ten digits
# and closes), then what reads give at and after the end.
import socket

from fwtest import PEER, err, param, res

port = param("port")

s = socket.socket()
s.connect([PEER, port])  # a list works as well as a tuple
res("send", s.send(b"hello"))
res("sendall", s.sendall(b" "))
res("write", s.write(b"world!"))
res("recv", s.recv(3))
res("read", s.read(12))
res("readline", s.readline())
res("readline2", s.readline())
buf = bytearray(8)
res("readinto", (s.readinto(buf, 4), bytes(buf[:4])))
res("readinto_all", (s.readinto(buf), bytes(buf)))
res("eof_recv", s.recv(10))
# The end was reported: as on lwIP's socket layer, later reads raise ENOTCONN.
res("eof_read", err(s.read))
s.close()
