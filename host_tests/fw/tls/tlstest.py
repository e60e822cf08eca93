# Helpers of the TLS scripts in this directory (shipped beside them like fwtest):
# the test's https server is PEER, port param("port").
import socket

from fwtest import PEER, param


def url(path, host=PEER):
    return "https://" + host + ":" + str(param("port")) + path


def connect():
    # A plain TCP connection to the server, for the wrap_socket calls.
    s = socket.socket()
    s.settimeout(10)
    s.connect(socket.getaddrinfo(PEER, param("port"))[0][-1])
    return s


def get_over(t):
    # The status line of a GET over the TLS stream t, which it closes.
    t.write(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    line = t.read().split(b"\r\n")[0].decode()
    t.close()
    return line


def error_name(f):
    # The name of what f() raised, or None.
    try:
        f()
    except Exception as e:  # noqa: BLE001  (the exception is the result)
        return type(e).__name__
    return None
