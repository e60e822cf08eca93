# ruff: noqa: F821  (freeze/include are provided by MicroPython's manifest loader)
# What boards/qemu freezes (its boot script, the usocket package; $(BOARD_DIR) is
# this directory, so its manifest can't be included as it is), and the
# instruction-count workload, run at boot by icount.c.
freeze("$(BOARD_DIR)/../qemu/modules")
include("$(BOARD_DIR)/../../frozen/manifest.py")
freeze("$(BOARD_DIR)/../../bench", "qemu_icount_guest.py")
