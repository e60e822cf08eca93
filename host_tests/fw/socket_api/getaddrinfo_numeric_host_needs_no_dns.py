# getaddrinfo() of numeric addresses (v4, v6, None for any), which need no DNS:
# what each gives.
import socket

from fwtest import res

res("plain", socket.getaddrinfo("10.0.2.2", 80))
res("str_port", socket.getaddrinfo("10.0.2.2", "8080"))
res("none_host", socket.getaddrinfo(None, 80))
res("v6", socket.getaddrinfo("fec0::2", 80))
