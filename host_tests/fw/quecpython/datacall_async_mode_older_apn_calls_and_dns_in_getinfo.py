# dataCall's asynchronous mode switch, the older APN calls (recordApn, setApn,
# getPDPContext), the profile range, deactivate/stop, and setDNSServer's servers
# as getInfo reports them.
import json

import dataCall

print("modes", dataCall.setAsynMode(1), dataCall.setAsynMode(2))
dataCall.deactivate(1)
print("async", dataCall.start(1, 0, "cmnet", "", "", 0))
dataCall.setAsynMode(0)
print(
    "record",
    dataCall.recordApn(2, 1, "private", "u", "p", 1, 1),
    json.dumps(dataCall.getPDPContext(2)),
)
print(
    "setApn",
    dataCall.setApn(1, 2, "cmnet", "", "", 1, 1),
    json.dumps(dataCall.getPDPContext(1)),
    dataCall.getInfo(1, 0)[2][0],
)
print("range", dataCall.getPdpRange(), dataCall.deactivate(3), dataCall.stop(1, 5))
print(
    "dns",
    dataCall.setDNSServer(1, 0, "10.0.2.2", "10.0.2.4"),
    json.dumps(dataCall.getInfo(1, 0)),
)
