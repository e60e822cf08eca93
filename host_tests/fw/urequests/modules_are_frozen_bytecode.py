# With the frozen entry removed from sys.path nothing of the package can be
# imported, so it does not come from the filesystem; with only '.frozen' every
# module loads, and says where from.
import sys

names = (
    "urequests",
    "requests",
    "ssl",
    "checkNet",
    "log",
    "dataCall",
    "request",
    "_usocket_net",
    "asyncio",
    "ussl",
    "_cabundle",
)
keep = sys.path[:]
sys.path[:] = [p for p in keep if p != ".frozen"]
for n in names:
    try:
        __import__(n)
        print("IMPORTED FROM FS", n)
    except ImportError:
        pass
sys.path[:] = [".frozen"]
for n in names:
    m = __import__(n)
    f = getattr(m, "__file__", "")
    print(n, "absolute" if f.startswith("/") else "frozen")
import requests
import urequests

print("alias", requests.get is urequests.get, urequests.__version__)
