# Board glue for the QEMU target, included by modusocket/micropython.mk: lwIP with
# its loopback interface only, and qemu_board.c (clock, lwIP servicing, RAM disk,
# VM start/soft-reset hooks, the `qemu` module).
USOCKET_BOARD_DIR := $(USOCKET_TOP)/boards/qemu
LWIP_DIR ?= $(USOCKET_TOP)/deps/lwip

USOCKET_LWIP_SRC := \
	core/init.c core/def.c core/dns.c core/inet_chksum.c core/ip.c core/mem.c \
	core/memp.c core/netif.c core/pbuf.c core/raw.c core/stats.c core/sys.c \
	core/tcp.c core/tcp_in.c core/tcp_out.c core/timeouts.c core/udp.c \
	core/ipv4/icmp.c core/ipv4/ip4.c core/ipv4/ip4_addr.c core/ipv4/ip4_frag.c

SRC_USERMOD_LIB_C += $(addprefix $(LWIP_DIR)/src/,$(USOCKET_LWIP_SRC))
SRC_USERMOD_C += $(USOCKET_BOARD_DIR)/qemu_board.c

CFLAGS_USERMOD += -I$(USOCKET_BOARD_DIR) -I$(LWIP_DIR)/src/include
CFLAGS_USERMOD += -DUSOCKET_PORT_HEADER='"usocket_port.h"'
