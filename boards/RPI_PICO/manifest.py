# ruff: noqa: F821  (freeze/include are provided by MicroPython's manifest loader)
# What the rp2 port's stock manifest (ports/rp2/boards/manifest.py) freezes: its
# boot scripts (_boot.py mounts the filesystem) and four drivers, then the usocket
# package (which also freezes asyncio). The drivers need MPY_LIB_DIR pointing at a
# micropython-lib checkout; see ../stock_manifest.py.
freeze("$(PORT_DIR)/modules")
include(
    "$(BOARD_DIR)/../stock_manifest.py",
    packages=("onewire", "ds18x20", "dht", "neopixel"),
)
include("$(BOARD_DIR)/../../frozen/manifest.py")
