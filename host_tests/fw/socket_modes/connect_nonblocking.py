# A non-blocking connect: EINPROGRESS at once, EALREADY while it is under way, and
# no data calls meanwhile; poll reports POLLOUT once it is connected, and
# POLLOUT|POLLERR|POLLHUP when it was refused, after which connect raises the error.
import select
import socket

from fwtest import PEER, err, param, res, timed

port = param("port")
closed = param("closed")
# An address nobody answers (the test network drops it; on a board, pass silent=).
silent = param("silent", "10.0.2.99")

s = socket.socket()
s.setblocking(False)
res("start", timed(s.connect, (silent, 80)))
res("again", err(s.connect, (silent, 80)))
res("sta", s.getsocketsta())
res("recv", err(s.recv, 1))
res("send", err(s.send, b"x"))
res("read", s.read(1))
res("write", s.write(b"x"))
p = select.poll()
p.register(s, select.POLLOUT)
res("poll", p.poll(200))
s.close()

s = socket.socket()
s.setblocking(False)
res("ok_start", err(s.connect, (PEER, port)))
p = select.poll()
p.register(s, select.POLLOUT)
res("ok_poll", [ev for _, ev in p.poll(5000)])
res("ok_again", err(s.connect, (PEER, port)))
res("ok_sta", s.getsocketsta())
res("ok_send", s.send(b"ping"))
p.modify(s, select.POLLIN)
p.poll(5000)
res("ok_recv", s.recv(10))

s = socket.socket()
s.setblocking(False)
res("refused_start", err(s.connect, (PEER, closed)))
p = select.poll()
p.register(s, select.POLLOUT)
res("refused_poll", [ev for _, ev in p.poll(5000)])
res("refused_again", err(s.connect, (PEER, closed)))
