# bind() to a TCP port a listener holds, or a UDP port another socket holds: the
# error it raises.
import socket

from fwtest import err, res

a = socket.socket()
a.bind(("", 8123))
a.listen(1)
res("tcp", err(socket.socket().bind, ("", 8123)))
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("", 8124))
res("udp", err(socket.socket(socket.AF_INET, socket.SOCK_DGRAM).bind, ("", 8124)))
