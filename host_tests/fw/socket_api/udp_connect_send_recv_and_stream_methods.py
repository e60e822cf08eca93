# A UDP socket connected to the echo server at port sends and receives with
# send/recv, write/read, sendall/recvfrom; unconnected, send() is refused.
import socket

from fwtest import PEER, err, param, res

port = param("port")

u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
res("send_unconnected", err(u.send, b"x"))
u.connect((PEER, port))
u.settimeout(5)
res("peer", u.getpeername())
res("send", u.send(b"connected"))
res("recv", u.recv(100))
res("write", u.write(b"stream"))
res("read", u.read(100))
u.sendall(b"all")
res("recvfrom", u.recvfrom(100))
