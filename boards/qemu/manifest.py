# ruff: noqa: F821  (freeze/include are provided by MicroPython's manifest loader)
# The QEMU target's boot script and the usocket package. No require():
# micropython-lib is in no registry.
freeze("$(BOARD_DIR)/modules")
include("$(BOARD_DIR)/../../frozen/manifest.py")
