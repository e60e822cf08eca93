# dataCall.getInfo as JSON lines: profile 1 (IPv4, and IPv4+IPv6) has the
# firmware's address and DNS server; another profile is inactive; bad arguments
# give -1; with the link down profile 1 is inactive too.
import json

import dataCall
import network


def show(tag, v):
    print(tag, json.dumps(v))


show("v4", dataCall.getInfo(1, 0))
show("both", dataCall.getInfo(1, 2))
show("other", dataCall.getInfo(2, 0))
show("bad", [dataCall.getInfo(0, 0), dataCall.getInfo(9, 0), dataCall.getInfo(1, 3)])
network.LAN().active(False)
show("down", dataCall.getInfo(1, 0))
network.LAN().active(True)
