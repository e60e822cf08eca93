# ruff: noqa: F821  (freeze/include are provided by MicroPython's manifest loader)
# What the esp32 port's stock manifest (ports/esp32/boards/manifest.py) freezes, then
# the usocket package (which also freezes asyncio). The micropython-lib packages
# need MPY_LIB_DIR pointing at a checkout; see ../stock_manifest.py.
freeze("$(PORT_DIR)/modules")
include(
    "$(BOARD_DIR)/../stock_manifest.py",
    packages=(
        # bundle-networking
        "mip",
        "ntptime",
        "ssl",
        "requests",
        "webrepl",
        "urequests",
        # the port's own list
        "aioespnow",
        "dht",
        "ds18x20",
        "neopixel",
        "onewire",
        "umqtt.robust",
        "umqtt.simple",
        "upysh",
    ),
)
include("$(BOARD_DIR)/../../frozen/manifest.py")
