# A socket accepted from a non-blocking listener is blocking: its recv waits for
# data the client sends late. Prints "listening" when a client may connect to
# port 8100.
import socket

from fwtest import res, timed

s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("", 8100))
s.listen(2)
s.setblocking(False)
print("listening")
s.settimeout(10)
conn, addr = s.accept()
res("recv", timed(conn.recv, 5))
conn.close()
