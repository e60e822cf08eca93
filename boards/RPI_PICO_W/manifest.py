# ruff: noqa: F821  (freeze/include are provided by MicroPython's manifest loader)
# What the stock RPI_PICO_W manifest freezes (the rp2 port's set, bundle-networking
# and aioble), then the usocket package (which also freezes asyncio). The
# micropython-lib packages need MPY_LIB_DIR pointing at a checkout; see
# ../stock_manifest.py.
freeze("$(PORT_DIR)/modules")
include(
    "$(BOARD_DIR)/../stock_manifest.py",
    packages=(
        "onewire",
        "ds18x20",
        "dht",
        "neopixel",
        # bundle-networking
        "mip",
        "ntptime",
        "ssl",
        "requests",
        "webrepl",
        "urequests",
        "aioble",
    ),
)
include("$(BOARD_DIR)/../../frozen/manifest.py")
