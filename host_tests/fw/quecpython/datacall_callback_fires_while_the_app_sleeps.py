# The dataCall callback runs while the application sleeps, with no dataCall call
# after the link changes; after setCallback(None) it no longer runs.
import time

import dataCall
import network

events = []
dataCall.setCallback(lambda args: events.append(args))
lan = network.LAN()
lan.active(False)
time.sleep_ms(50)
print("down", events)
lan.active(True)
time.sleep_ms(50)
print("up", events)
dataCall.setCallback(None)
lan.active(False)
time.sleep_ms(50)
lan.active(True)
time.sleep_ms(50)
print("after", events)
