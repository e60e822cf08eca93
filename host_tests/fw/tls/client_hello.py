# Starts a TLS handshake with a peer that only records the ClientHello and closes:
# what the test compares is the client random mbedTLS sent, drawn from the
# firmware's entropy source.
import socket

try:
    import tls  # noqa: F401
except ImportError:
    print("SKIP")
    raise SystemExit

import ssl

from fwtest import PEER, param, res

s = socket.socket()
s.settimeout(10)
s.connect(socket.getaddrinfo(PEER, param("port"))[0][-1])
try:
    ssl.wrap_socket(s, server_hostname="test.example")
    res("handshake", "done")
except Exception as e:  # noqa: BLE001  (the peer closes: any error is expected)
    res("handshake", type(e).__name__)
