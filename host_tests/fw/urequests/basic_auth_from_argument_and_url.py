# Basic auth from auth= and from the URL's percent-encoded user info (the PC
# checks the Authorization headers and that Host carries no user info).

import urequests
from fwtest import PEER, param

hostport = PEER + ":" + str(param("port"))
urequests.get("http://" + hostport + "/echo", auth=("user", "p:ss"), timeout=10)
urequests.get("http://al%40ice:s%20cret@" + hostport + "/echo", timeout=10)
