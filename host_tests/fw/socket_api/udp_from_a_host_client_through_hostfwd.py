# A UDP server on port 9000: the datagram a client on the PC sent and where from;
# it answers in upper case.
import socket

from fwtest import res

u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("", 9000))
u.settimeout(10)
print("listening")
data, addr = u.recvfrom(100)
res("got", (data, addr[0]))
u.sendto(data.upper(), addr)
