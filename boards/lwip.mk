# lwIP's sources for the boards whose port does not build lwIP itself (unix, qemu),
# included by their usocket_board.mk. Every file compiles to nothing when lwipopts.h
# turns its feature off, so one list serves an IPv4-only loopback build and the
# host's IPv4+IPv6 Ethernet one.
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
