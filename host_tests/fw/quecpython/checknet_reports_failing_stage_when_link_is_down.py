# checkNet with the link down waits its whole timeout and reports the stage that
# failed, (2, 0) with the time it took; with the link up again, (3, 1).
import time

import checkNet
import network

lan = network.LAN()
lan.active(False)
t = time.ticks_ms()
r = checkNet.wait_network_connected(2)
print("down", r, time.ticks_diff(time.ticks_ms(), t))
lan.active(True)
print("up", checkNet.wait_network_connected(10))
