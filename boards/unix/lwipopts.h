// lwIP options for the host (unix) firmware: NO_SYS=1, one Ethernet netif bridged to
// the PC through libslirp, driven from MicroPython's event-wait hook.
//
// The host can afford large windows and pools; board variants (boards/RPI_PICO,
// boards/ESP32_GENERIC) keep an MCU's small ones. Everything not set here is lwIP's
// default from lwip/opt.h.
#ifndef USOCKET_UNIX_LWIPOPTS_H
#define USOCKET_UNIX_LWIPOPTS_H

#define NO_SYS                      1
#define SYS_LIGHTWEIGHT_PROT        0
#define LWIP_SOCKET                 0
#define LWIP_NETCONN                0
#define LWIP_NETIF_API              0

// 64-bit hosts need 8-byte alignment for pbuf payloads and memp elements.
#define MEM_ALIGNMENT               8
#define MEM_SIZE                    (512 * 1024)
#define MEMP_NUM_PBUF               64
#define PBUF_POOL_SIZE              128
#define MEMP_NUM_TCP_PCB            32
#define MEMP_NUM_TCP_PCB_LISTEN     8
#define MEMP_NUM_UDP_PCB            16
#define MEMP_NUM_RAW_PCB            4
#define MEMP_NUM_TCP_SEG            256
#define MEMP_NUM_SYS_TIMEOUT        (LWIP_NUM_SYS_TIMEOUT_INTERNAL + 4)

// Protocols.
#define LWIP_ARP                    1
#define LWIP_ETHERNET               1
// Without ARP queueing the first packet to a new neighbour is dropped while ARP
// resolves (a 1 s retransmit on the first DNS query or SYN).
#define ARP_QUEUEING                1
// Packets held per neighbour while ARP resolves: a burst of UDP datagrams sent
// before the first answer would otherwise lose all but the last 3.
#define ARP_QUEUE_LEN               16
#define LWIP_IPV4                   1
#define LWIP_IPV6                   1
#define LWIP_IPV6_AUTOCONFIG        0
#define LWIP_IPV6_DHCP6             0
// No MLD: slirp never forwards multicast, so reports would only be dropped by the
// host netif's safety filter. Without MLD lwIP still accepts its solicited-node
// groups, which is all neighbour discovery with slirp needs.
#define LWIP_IPV6_MLD               0
// 64-bit hosts: reassembly bookkeeping (with 8-byte pointers) does not fit in the
// fragment header, and ip6_reass_tmr asserts on it every second without this.
#define IPV6_FRAG_COPYHEADER        1
#define LWIP_ICMP                   1
#define LWIP_RAW                    1
#define LWIP_UDP                    1
#define LWIP_TCP                    1
#define LWIP_DHCP                   0
#define LWIP_AUTOIP                 0
#define LWIP_ACD                    0
// IGMP, for IP_ADD_MEMBERSHIP/IP_DROP_MEMBERSHIP. slirp forwards no multicast and
// the safety filter drops the reports, but lwIP's membership decides what the
// firmware accepts, and with IP_MULTICAST_LOOP its own datagrams come back to it.
#define LWIP_IGMP                   1
#define LWIP_MULTICAST_TX_OPTIONS   1

// DNS through lwIP's resolver; the server is the slirp host alias, the port is set
// at start-up from USOCKET_DNS_PORT (the tests' own DNS server on loopback).
#define LWIP_DNS                    1
#define DNS_TABLE_SIZE              4
#define DNS_MAX_NAME_LENGTH         256
#define DNS_MAX_SERVERS             2
extern unsigned short usocket_hostnet_dns_port;
#define DNS_SERVER_PORT             (usocket_hostnet_dns_port)

// TCP: large windows so host throughput is limited by the module, not the stack.
#define TCP_MSS                     1460
#define TCP_WND                     (44 * TCP_MSS)
#define TCP_SND_BUF                 (44 * TCP_MSS)
#define TCP_SND_QUEUELEN            256
#define TCP_QUEUE_OOSEQ             1
#define TCP_LISTEN_BACKLOG          1
#define LWIP_TCP_KEEPALIVE          1
#define LWIP_SO_RCVBUF              0
#define SO_REUSE                    1
#define LWIP_WND_SCALE              1
#define TCP_RCV_SCALE               2
#define LWIP_TCP_TIMESTAMPS         0

#define LWIP_NETIF_STATUS_CALLBACK  1
#define LWIP_NETIF_LINK_CALLBACK    1
#define LWIP_NETIF_HOSTNAME         0
// 127.0.0.1 and the firmware's own address stay inside lwIP (a loopback netif and
// looped frames), as on a board: such traffic never reaches the bridge.
#define LWIP_SINGLE_NETIF           0
#define LWIP_HAVE_LOOPIF            1
#define LWIP_NETIF_LOOPBACK         1

#define LWIP_CHECKSUM_ON_COPY       1
#define CHECKSUM_CHECK_IP           1

// Counters read by the diagnostics call (pool usage, leaks).
#define LWIP_STATS                  1
#define MEM_STATS                   1
#define MEMP_STATS                  1
#define LWIP_STATS_DISPLAY          0
#define LINK_STATS                  1
#define IP_STATS                    0
#define TCP_STATS                   0
#define UDP_STATS                   0
#define ICMP_STATS                  0
#define SYS_STATS                   0
#define ETHARP_STATS                0
#define IP6_STATS                   0
#define ICMP6_STATS                 0
#define ND6_STATS                   0
#define MLD6_STATS                  0
#define IPFRAG_STATS                0
#define IP6_FRAG_STATS              0

#define LWIP_DEBUG                  0

// The ephemeral port range, with the lwIP 2.2.1 fix.
#include "../../modusocket/usocket_lwip_port_range.h"

#endif // USOCKET_UNIX_LWIPOPTS_H
