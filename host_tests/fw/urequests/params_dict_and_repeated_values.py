# params= as a dict: a list value repeats the key, None leaves it out (the PC
# checks the query string).

import urequests
from fwtest import PEER, param

base = "http://" + PEER + ":" + str(param("port"))
urequests.get(base + "/echo", params={"k": [1, 2], "skip": None}, timeout=10)
