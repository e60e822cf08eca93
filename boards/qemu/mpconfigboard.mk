# The QEMU target: MicroPython's qemu port for the MPS2-AN385 machine (Cortex-M3),
# built by `make qemu` with BOARD_DIR pointing here. It runs the same usocket sources
# as the boards, cross-compiled, on lwIP's loopback interface (QEMU's LAN9118 has no
# driver), with a RAM filesystem mounted at boot so `make deploy` has a /lib to
# write to. The tests start it with its console on a pty (host_tests/test_qemu.py).

# The machine, CPU flags and linker script of the port's own MPS2_AN385 board.
include $(TOP)/ports/qemu/boards/MPS2_AN385/mpconfigboard.mk

# Our configuration on top of the port's (mpconfigboard.h includes mpconfigport.h).
CFLAGS += -DMP_CONFIGFILE='"$(BOARD_DIR)/mpconfigboard.h"'

# littlefs v2 for the RAM disk (extmod.mk adds the sources and the define).
MICROPY_VFS_LFS2 = 1

# Picked up by modusocket/micropython.mk: lwIP, the clock, the RAM disk, the hooks.
USOCKET_BOARD_MK := $(BOARD_DIR)/usocket_board.mk

# The port's linker script, plus a rule for libgcc's unwinding tables.
LDSCRIPT = $(BOARD_DIR)/mps2.ld

# Ctrl-C while a program waits (qemu_board.c): the port's UART read is wrapped.
LDFLAGS += -Wl,--wrap=uart_rx_chr
# qemu.gc_peak() (qemu_board.c): the live heap after each collection.
LDFLAGS += -Wl,--wrap=gc_collect_end
