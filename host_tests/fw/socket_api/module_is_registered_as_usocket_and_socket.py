# usocket and socket are one module, named usocket; socket() makes a "socket".
import socket

import usocket
from fwtest import res

res("same", usocket is socket)
res("name", usocket.__name__)
res("type", type(socket.socket()).__name__)
