# urequests' rule for dropping credentials on a redirect, for each (from, to)
# pair of param("cases"): True where they are dropped.

from fwtest import param
from reqtest import out
from urequests import _URL, _strips_credentials

out([_strips_credentials(_URL(a), _URL(b)) for a, b, _ in param("cases")])
