# A GET to a closed port and one to a name that does not exist: prints what
# each raised.

import urequests
from fwtest import PEER
from reqtest import catch, out

out(catch(lambda: urequests.get("http://" + PEER + ":1/", timeout=5)))
out(catch(lambda: urequests.get("http://nxdomain.invalid/", timeout=5)))
