# Board glue for the host firmware, included by modusocket/micropython.mk: lwIP
# itself, the libslirp netif and the host-only `network` module.
USOCKET_BOARD_DIR := $(USOCKET_TOP)/boards/unix
LWIP_DIR ?= $(USOCKET_TOP)/deps/lwip

include $(USOCKET_TOP)/boards/lwip.mk
# hostnet.c (the slirp bridge), slirpnet.c (its filter and slirp set-up, shared
# with the QEMU bridge) and modnetwork.c (network.LAN) are compiled by the
# unix port itself, which builds every .c file in its VARIANT_DIR.

CFLAGS_USERMOD += -I$(USOCKET_BOARD_DIR) -I$(LWIP_DIR)/src/include -I/usr/include/slirp
CFLAGS_USERMOD += -DUSOCKET_PORT_HEADER='"usocket_port.h"'
LDFLAGS_USERMOD += -lslirp -lglib-2.0
