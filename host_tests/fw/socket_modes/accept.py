# accept in one mode (param "mode"): before anyone connects it times out (timeout)
# or raises EAGAIN (nonblocking, where poll then waits for the client); then it
# returns the client's connection. accept on a socket that is not listening: EINVAL.
# Prints "listening" when a client may connect to port 8100.
import socket

from fwtest import err, param, res, set_mode, timed

mode = param("mode")

s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("", 8100))
s.listen(2)
set_mode(s, mode)
res("not_listening", err(socket.socket().accept))
if mode != "blocking":
    # Nobody has connected yet.
    res("empty", timed(s.accept))
print("listening")
if mode == "nonblocking":
    import select

    p = select.poll()
    p.register(s, select.POLLIN)
    res("poll", [ev for _, ev in p.poll(10000)])
if mode == "timeout":
    s.settimeout(10)
(conn, addr), ms = timed(s.accept)
res("accepted", (type(conn).__name__, addr[0], ms))
res("conn_mode", conn.recv(5))
conn.close()
