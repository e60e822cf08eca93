# checkNet: the power-on banner is printed once however often it is asked for;
# wait_network_connected (the class's, the module's and waitNetworkReady) returns
# (3, 1) when the network is up, and raises EINVAL for a timeout outside 1..3600 s.
import checkNet

c = checkNet.CheckNetwork("demo_project", "2.3.4")
c.poweron_print_once()
c.poweron_print_once()
print("result", c.wait_network_connected(10))
print("module", checkNet.wait_network_connected(), checkNet.waitNetworkReady(5))
for bad in (0, 3601, -1, 100000):
    try:
        checkNet.wait_network_connected(bad)
        print("accepted", bad)
    except OSError as e:
        print("EINVAL", bad, e.errno)
