# ruff: noqa: F821  (metadata/include/module are provided by MicroPython's manifest loader)
# Frozen Python of the usocket package, compiled to bytecode into the firmware.
# Passed to the firmware build as FROZEN_MANIFEST, so it names everything that is
# frozen: our modules plus MicroPython's asyncio, which the unix variants normally
# freeze (ports/unix/variants/standard/manifest.py) and which would otherwise be
# lost. Nothing here may require() micropython-lib: it is in no registry.

metadata(
    version="0.1.0",
    description="urequests HTTP client, ssl over tls, QuecPython-style "
    "checkNet/log/dataCall/request/ntptime helpers and umqtt MQTT client for the usocket module",
)

include("$(MPY_DIR)/extmod/asyncio")

module("urequests.py")
module("requests.py")
module("ssl.py")
module("_usocket_net.py")
module("checkNet.py")
module("log.py")
module("dataCall.py")
module("request.py")
module("ntptime.py")
module("ussl.py")
# QuecPython's MQTT client as the package umqtt (its __init__), so micropython-lib's
# umqtt.simple/umqtt.robust can live in the same package: see umqtt/__init__.py.
package("umqtt")

# The CA bundle (tools/cabundle.py writes it; `make unix` names it here). A build
# without it freezes no bundle: only the device's certs/ directory is trusted.
_ca_bundle = __import__("os").environ.get("USOCKET_CA_BUNDLE")
if _ca_bundle:
    module("_cabundle.py", base_path=_ca_bundle.rpartition("/")[0])
