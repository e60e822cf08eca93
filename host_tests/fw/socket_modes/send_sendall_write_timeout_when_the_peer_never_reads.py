# With a 0.3 s timeout and a peer that never reads, send, sendall and write raise
# ETIMEDOUT once the buffers are full; the connection stays up (state 4) and a
# non-blocking send then raises EAGAIN.
import socket

from fwtest import PEER, err, param, res, timed

port = param("port")

s = socket.socket()
s.connect((PEER, port))
s.settimeout(0.3)
block = bytes(65536)
total = 0
while total < 256 * 1024 * 1024:
    r, ms = timed(s.send, block)
    if isinstance(r, tuple):
        break
    total += r
res("send", (r, ms))
res("queued_something", total > 0)
res("sendall", timed(s.sendall, block))
res("write", timed(s.write, block))
res("sta", s.getsocketsta())
s.setblocking(False)
res("nonblocking_send", err(s.send, block))
