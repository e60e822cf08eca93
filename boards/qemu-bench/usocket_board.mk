# Board glue of the instruction-count firmware, included by modusocket/micropython.mk:
# boards/qemu's glue unchanged (lwIP with the loopback interface, its lwipopts.h,
# qemu_board.c), plus icount.c.
include $(USOCKET_TOP)/boards/qemu/usocket_board.mk
SRC_USERMOD_C += $(USOCKET_TOP)/boards/qemu-bench/icount.c

# modlwip owns `socket` in this firmware.
CFLAGS_USERMOD += -DUSOCKET_REGISTER_AS_SOCKET=0
