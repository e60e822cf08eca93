# urequests' rule for dropping credentials on a redirect, for each (from, to)
# pair of param("cases"): True where they are dropped.
import json

from fwtest import param
from urequests import _URL, _strips_credentials


def out(x):
    print("R " + json.dumps(x))


out([_strips_credentials(_URL(a), _URL(b)) for a, b, _ in param("cases")])
