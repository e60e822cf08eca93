# A QuecPython IPPROTO_TCP_SER server on port 8001: accept() returns
# (conn, ip, port); it sends the client b"quec".
import socket

from fwtest import res

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP_SER)
s.bind(("", 8001))
s.listen(0)
print("listening")
s.settimeout(10)
r = s.accept()
res("len", len(r))
conn, ip, port = r
res("kinds", (type(conn).__name__, ip, type(port).__name__))
conn.send(b"quec")
conn.close()
s.close()
