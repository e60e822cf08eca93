"""UDP peers: an echo server."""

import socket
import threading

from .base import _JOIN_TIMEOUT, _POLL, LOOPBACK

# --------------------------------------------------------------------------------------
# UDP echo


class UdpEchoServer:
    """UDP echo on 127.0.0.1: each datagram goes back to its sender unchanged.
    ``datagrams`` lists (payload, addr) as received; ``received`` counts bytes."""

    def __init__(self):
        self.datagrams = []
        self.received = 0
        self._stop = threading.Event()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind((LOOPBACK, 0))
        self._sock.settimeout(_POLL)
        self.port = self._sock.getsockname()[1]
        self.address = (LOOPBACK, self.port)
        self._thread = threading.Thread(
            target=self._loop, name=f"udp-echo-{self.port}", daemon=True
        )
        self._thread.start()

    def _loop(self):
        while not self._stop.is_set():
            try:
                data, addr = self._sock.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                break
            self.datagrams.append((data, addr))
            self.received += len(data)
            try:
                self._sock.sendto(data, addr)
            except OSError:
                pass

    def close(self):
        """Stop the loop and close the socket."""
        self._stop.set()
        self._thread.join(_JOIN_TIMEOUT)
        self._sock.close()
