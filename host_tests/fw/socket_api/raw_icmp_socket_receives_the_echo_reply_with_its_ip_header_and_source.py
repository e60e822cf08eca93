# A ping of the PC through a raw ICMP socket: recvfrom() gives the reply whole, IP
# header first, and its sender; MSG_PEEK leaves the next reply to recv().
import socket

from fwtest import PEER, res


def checksum(b):
    s = 0
    for i in range(0, len(b), 2):
        s += (b[i] << 8) + b[i + 1]
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


ping = bytearray(b"\x08\x00\x00\x00\x12\x34\x00\x01hello!")
c = checksum(ping)
ping[2], ping[3] = c >> 8, c & 0xFF
r = socket.socket(socket.AF_INET, socket.SOCK_RAW, 1)
r.settimeout(5)
r.sendto(ping, (PEER, 0))
data, addr = r.recvfrom(200)
res("addr", addr)
res("ip", (data[0] >> 4, (data[0] & 15) * 4, data[9], bytes(data[12:16])))
res("icmp", (data[20], bytes(data[24:])))
r.sendto(ping, (PEER, 0))
res("peek", r.recv(200, socket.MSG_PEEK) == r.recv(200))
r.close()
