# A GET whose response is malformed (the PC's server sends it and closes):
# prints the exception that reading it raised.

import urequests
from fwtest import PEER, param
from reqtest import catch, out

url = "http://" + PEER + ":" + str(param("port")) + "/bad"
out(catch(lambda: urequests.get(url, timeout=5).content))
