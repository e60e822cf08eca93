# A TCP_CUSTOMIZE_PORT client bound to local port 40123 connects from it to the
# echo server at port.
import socket

from fwtest import PEER, param, res

port = param("port")

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.TCP_CUSTOMIZE_PORT)
s.bind(("", 40123))
s.connect((PEER, port))
res("local", s.getsockname())
s.sendall(b"custom")
res("echo", s.recv(6))
s.close()
