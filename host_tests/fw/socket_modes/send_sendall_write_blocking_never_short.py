# On a blocking socket sendall, write and send (in a loop) each queue a whole
# 1 MiB block to a peer that is slow to read: sendall returns None, write the
# full count.
import socket

from fwtest import PEER, param, res, timed

port = param("port")

s = socket.socket()
s.connect((PEER, port))
block = bytes(1024 * 1024)
res("sendall", timed(s.sendall, block)[0])
res("write", timed(s.write, block)[0])
n = 0
while n < len(block):
    n += s.send(memoryview(block)[n:])
res("send_total", n)
s.close()
