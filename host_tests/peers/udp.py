"""UDP peers: an echo server."""

import threading

from .base import _JOIN_TIMEOUT, LOOPBACK, loopback_udp_socket

# --------------------------------------------------------------------------------------
# UDP echo


class UdpEchoServer:
    """UDP echo on 127.0.0.1: each datagram goes back to its sender unchanged.
    ``datagrams`` lists (payload, addr) as received; ``received`` counts bytes."""

    def __init__(self):
        self.datagrams = []
        self.received = 0
        self._stop = threading.Event()
        self._sock, self.port = loopback_udp_socket()
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
