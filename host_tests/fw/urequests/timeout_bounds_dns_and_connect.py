# A name the DNS server never answers (the PC makes it silent): the GET's
# timeout (2 s) bounds the lookup; prints the exception and how long it took.
import time

import urequests
from fwtest import param
from reqtest import catch, out

url = "http://silent.example:" + str(param("port")) + "/"
t = time.ticks_ms()
e = catch(lambda: urequests.get(url, timeout=2))
out([e[0], time.ticks_diff(time.ticks_ms(), t)])
