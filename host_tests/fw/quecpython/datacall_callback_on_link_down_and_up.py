# dataCall.setCallback: a function is accepted (0), anything else refused (-1);
# a link down and up is reported as (1, 0) then (1, 1) at the next dataCall call;
# after setCallback(None) nothing more is reported.
import dataCall
import network

events = []
print("set", dataCall.setCallback(lambda args: events.append(args)))
print("bad", dataCall.setCallback(42))
dataCall.poll()  # no change yet: nothing reported
lan = network.LAN()
lan.active(False)
dataCall.getInfo(1, 0)  # any check notices the change
lan.active(True)
dataCall.poll()
print("events", events)
print("clear", dataCall.setCallback(None))
lan.active(False)
dataCall.poll()
lan.active(True)
print("after", events)
