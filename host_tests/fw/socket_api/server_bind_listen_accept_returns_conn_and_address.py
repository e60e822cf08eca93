# A server on port 8000: its state and name while listening; accept() returns the
# connection and the client's address; it answers the client in upper case.
import socket

from fwtest import res

s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("", 8000))
s.listen(2)
res("sta_listen", s.getsocketsta())
res("name", s.getsockname())
print("listening")
s.settimeout(10)
conn, addr = s.accept()
res("addr", (type(addr).__name__, addr[0], type(addr[1]).__name__))
res("peername", conn.getpeername() == addr)
res("conn_sta", conn.getsocketsta())
conn.sendall(conn.recv(100).upper())
conn.close()
s.close()
