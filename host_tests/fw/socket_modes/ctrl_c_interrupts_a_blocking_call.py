# Ctrl-C (KeyboardInterrupt) ends a blocking call (param "call": recv, accept,
# connect, recvfrom or sendall); the socket is still usable and closes. Prints
# "waiting" just before the call.
import socket
import time

from fwtest import PEER, param, res

call = param("call")
# An address nobody answers (the test network drops it; on a board, pass silent=).
silent = param("silent", "10.0.2.99")

if call in ("recv", "sendall"):
    # To a peer (param "port") that never reads nor sends.
    s = socket.socket()
    s.connect((PEER, param("port")))
if call == "recv":

    def f():
        s.recv(10)

elif call == "sendall":
    block = bytes(65536)

    def f():
        while True:
            s.sendall(block)

elif call == "accept":
    s = socket.socket()
    s.bind(("", 8101))
    s.listen(1)
    f = s.accept
elif call == "connect":
    s = socket.socket()

    def f():
        s.connect((silent, 80))

elif call == "recvfrom":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("", 0))

    def f():
        s.recvfrom(10)

else:
    raise ValueError("unknown call '" + call + "'")

print("waiting")
t = time.ticks_ms()
try:
    f()
    print("returned?!")
except KeyboardInterrupt:
    print("interrupted after", time.ticks_diff(time.ticks_ms(), t))
res("usable", s.getsocketsta() >= 0)
s.close()
res("closed", s.getsocketsta())
