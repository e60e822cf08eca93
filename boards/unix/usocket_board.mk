# Board glue for the host firmware, included by modusocket/micropython.mk: lwIP
# itself, the libslirp netif and the host-only `network` module.
USOCKET_BOARD_DIR := $(USOCKET_TOP)/boards/unix
LWIP_DIR ?= $(USOCKET_TOP)/deps/lwip

USOCKET_LWIP_SRC := \
	core/init.c core/def.c core/dns.c core/inet_chksum.c core/ip.c core/mem.c \
	core/memp.c core/netif.c core/pbuf.c core/raw.c core/stats.c core/sys.c \
	core/tcp.c core/tcp_in.c core/tcp_out.c core/timeouts.c core/udp.c \
	core/ipv4/acd.c core/ipv4/autoip.c core/ipv4/dhcp.c core/ipv4/etharp.c \
	core/ipv4/icmp.c core/ipv4/igmp.c core/ipv4/ip4_frag.c core/ipv4/ip4.c \
	core/ipv4/ip4_addr.c \
	core/ipv6/dhcp6.c core/ipv6/ethip6.c core/ipv6/icmp6.c core/ipv6/inet6.c \
	core/ipv6/ip6.c core/ipv6/ip6_addr.c core/ipv6/ip6_frag.c core/ipv6/mld6.c \
	core/ipv6/nd6.c \
	netif/ethernet.c

SRC_USERMOD_LIB_C += $(addprefix $(LWIP_DIR)/src/,$(USOCKET_LWIP_SRC))
# hostnet.c (the slirp bridge) and modnetwork.c (network.LAN) are compiled by the
# unix port itself, which builds every .c file in its VARIANT_DIR.

CFLAGS_USERMOD += -I$(USOCKET_BOARD_DIR) -I$(LWIP_DIR)/src/include -I/usr/include/slirp
CFLAGS_USERMOD += -DUSOCKET_PORT_HEADER='"usocket_port.h"'
LDFLAGS_USERMOD += -lslirp -lglib-2.0
