# Board glue for the QEMU target, included by modusocket/micropython.mk: lwIP with
# its loopback interface only, and qemu_board.c (clock, lwIP servicing, RAM disk,
# VM start/soft-reset hooks, the `qemu` module).
USOCKET_BOARD_DIR := $(USOCKET_TOP)/boards/qemu
LWIP_DIR ?= $(USOCKET_TOP)/deps/lwip

include $(USOCKET_TOP)/boards/lwip.mk
SRC_USERMOD_C += $(USOCKET_BOARD_DIR)/qemu_board.c

CFLAGS_USERMOD += -I$(USOCKET_BOARD_DIR) -I$(LWIP_DIR)/src/include
CFLAGS_USERMOD += -DUSOCKET_PORT_HEADER='"usocket_port.h"'
