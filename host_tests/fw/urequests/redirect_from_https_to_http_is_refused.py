# A Session with credentials, verifying the https server with its CA (param
# "ca", DER), is redirected to plain http: InsecureRedirect, naming the target,
# and nothing is sent there.
import urequests
from fwtest import param
from reqtest import catch, out

with urequests.Session(headers={"Authorization": "Bearer S"}, verify=param("ca")) as s:
    out(catch(lambda: s.get(param("url"), timeout=10)))
