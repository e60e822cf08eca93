# The instruction-count firmware (`make qemu-bench`): the QEMU target of boards/qemu
# (MPS2-AN385, Cortex-M3, usocket on lwIP's loopback interface) with MicroPython's own
# socket layer, extmod/modlwip.c, compiled beside usocket on the same lwIP and the
# same lwipopts.h, as boards/unix-bench does on the host. Here modlwip is `socket`
# (and `lwip`), ours is only `usocket`. icount.c adds the instruction counter, the
# in-firmware peers and the boot-time run of bench/qemu_icount_guest.py.

# Everything of boards/qemu: the port's MPS2_AN385 board, littlefs, our config file
# and usocket glue (found in this directory, where they include boards/qemu's), but
# not its `tls` module: no workload uses TLS.
USOCKET_QEMU_TLS = 0
include $(BOARD_DIR)/../qemu/mpconfigboard.mk

# boards/qemu's linker script (its mpconfigboard.mk names it relative to BOARD_DIR).
LDSCRIPT = $(BOARD_DIR)/../qemu/mps2.ld

# What modlwip takes from a port's lwIP configuration and boards/qemu's lwipopts.h
# doesn't give it (the same gaps as on the host, see that header).
$(BUILD)/extmod/modlwip.o: CFLAGS += -include $(BOARD_DIR)/../unix-bench/modlwip_compat.h
