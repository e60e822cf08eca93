# Non-blocking, to a peer that never reads: once the buffers are full, send and
# sendall raise EAGAIN at once, write returns None, and poll says not writable.
import select
import socket
import time

from fwtest import PEER, param, res, timed

port = param("port")

s = socket.socket()
s.connect((PEER, port))
s.setblocking(False)
block = bytes(65536)
total = 0
short = 0
while total < 256 * 1024 * 1024:
    r, ms = timed(s.send, block)
    if isinstance(r, tuple):
        # lwIP's buffer is full for now. Where lwIP runs in its own thread
        # (threaded firmware, ESP32) the stack keeps moving data to the peer's
        # receive buffer meanwhile: full means no room appears for a while.
        time.sleep_ms(300)
        r, ms = timed(s.send, block)
        if isinstance(r, tuple):
            break
    short += r < len(block)
    total += r
res("send", (r, ms))
res("queued", total > 0)
res("sendall", timed(s.sendall, block))
res("write", timed(s.write, block))
p = select.poll()
p.register(s, select.POLLOUT)
res("poll", p.poll(200))
