# ruff: noqa: F821  (freeze/include are provided by MicroPython's manifest loader)
# The port's own frozen modules (_boot.py and the filesystem set-up among them) and
# the usocket package (which also freezes asyncio). No require(): micropython-lib is
# in no registry.
freeze("$(PORT_DIR)/modules")
include("$(BOARD_DIR)/../../frozen/manifest.py")
