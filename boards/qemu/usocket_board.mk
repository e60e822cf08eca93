# Board glue for the QEMU target, included by modusocket/micropython.mk: lwIP, the
# LAN9118 Ethernet driver (lan9118.c) and its netif (qemu_net.c), the host
# firmware's `network` module (boards/common/modnetwork.c, on qemu_net.c),
# qemu_board.c (clock, lwIP servicing, RAM disk, VM start/soft-reset hooks, the
# `qemu` module), and mbedtls_port.c (entropy and time for the `tls` module; empty
# without it).
USOCKET_BOARD_DIR := $(USOCKET_TOP)/boards/qemu
LWIP_DIR ?= $(USOCKET_TOP)/deps/lwip

include $(USOCKET_TOP)/boards/lwip.mk
SRC_USERMOD_C += $(USOCKET_BOARD_DIR)/qemu_board.c $(USOCKET_BOARD_DIR)/qemu_net.c
SRC_USERMOD_C += $(USOCKET_BOARD_DIR)/lan9118.c $(USOCKET_TOP)/boards/common/modnetwork.c
SRC_USERMOD_C += $(USOCKET_BOARD_DIR)/mbedtls_port.c

CFLAGS_USERMOD += -I$(USOCKET_BOARD_DIR) -I$(USOCKET_TOP)/boards/common -I$(LWIP_DIR)/src/include
CFLAGS_USERMOD += -DUSOCKET_PORT_HEADER='"usocket_port.h"'
