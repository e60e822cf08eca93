# getaddrinfo() of a name nobody knows: the (negative) error it raises.
import socket

from fwtest import err, res

res("unknown", err(socket.getaddrinfo, "no-such-host.invalid", 80))
