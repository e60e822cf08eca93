# getaddrinfo() of a name the test's DNS server knows (device.test).
import socket

from fwtest import res

res("ai", socket.getaddrinfo("device.test", 80))
