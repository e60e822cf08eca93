# Board glue for the host firmware, included by modusocket/micropython.mk: lwIP
# itself, the libslirp netif and the host-only `network` module.
USOCKET_BOARD_DIR := $(USOCKET_TOP)/boards/unix
LWIP_DIR ?= $(USOCKET_TOP)/deps/lwip

include $(USOCKET_TOP)/boards/lwip.mk
# hostnet.c (the slirp bridge) is compiled by the unix port itself, which builds
# every .c file in its VARIANT_DIR. boards/common has what the QEMU target shares:
# slirpnet.c (the filter and slirp set-up, also in the QEMU bridge), modnetwork.c
# (network.LAN, on hostnet.h's interface) and the address plan (netplan.h).
SRC_USERMOD_C += $(USOCKET_TOP)/boards/common/slirpnet.c $(USOCKET_TOP)/boards/common/modnetwork.c

CFLAGS_USERMOD += -I$(USOCKET_BOARD_DIR) -I$(USOCKET_TOP)/boards/common
CFLAGS_USERMOD += -I$(LWIP_DIR)/src/include -I/usr/include/slirp
CFLAGS_USERMOD += -DUSOCKET_PORT_HEADER='"usocket_port.h"'
LDFLAGS_USERMOD += -lslirp -lglib-2.0
