// lwIP configuration for the QEMU target: NO_SYS=1, IPv4 on the LAN9118 Ethernet
// netif (ARP, static address) and the loopback interface (127.0.0.1), sized like a
// small microcontroller build (Pico class) rather than the host's.
// Same features the socket module uses elsewhere: TCP, UDP, raw, DNS, keepalive,
// SO_REUSEADDR, and the usage counters the tests read (qemu.lwip_stats()).
#ifndef USOCKET_QEMU_LWIPOPTS_H
#define USOCKET_QEMU_LWIPOPTS_H

#define NO_SYS                      1
#define SYS_LIGHTWEIGHT_PROT        0
#define LWIP_SOCKET                 0
#define LWIP_NETCONN                0
#define LWIP_NETIF_API              0

#define MEM_ALIGNMENT               4
#define MEM_SIZE                    (16 * 1024)
#define MEMP_NUM_PBUF               16
#define PBUF_POOL_SIZE              8
#define MEMP_NUM_TCP_PCB            8
#define MEMP_NUM_TCP_PCB_LISTEN     4
#define MEMP_NUM_UDP_PCB            6
#define MEMP_NUM_RAW_PCB            2
#define MEMP_NUM_TCP_SEG            32

#define LWIP_ARP                    1
#define LWIP_ETHERNET               1
#define ARP_TABLE_SIZE              4
#define ARP_QUEUEING                1
#define LWIP_IPV4                   1
#define LWIP_IPV6                   0
#define LWIP_ICMP                   1
#define LWIP_RAW                    1
#define LWIP_UDP                    1
#define LWIP_TCP                    1
#define LWIP_DHCP                   0
#define LWIP_AUTOIP                 0
#define LWIP_ACD                    0
#define LWIP_IGMP                   0
#define LWIP_DNS                    1
#define DNS_TABLE_SIZE              2
#define DNS_MAX_SERVERS             1

#define TCP_MSS                     1460
#define TCP_WND                     (4 * TCP_MSS)
#define TCP_SND_BUF                 (4 * TCP_MSS)
#define TCP_SND_QUEUELEN            16
#define TCP_QUEUE_OOSEQ             0
#define TCP_LISTEN_BACKLOG          1
#define LWIP_TCP_KEEPALIVE          1
#define SO_REUSE                    1

#define LWIP_HAVE_LOOPIF            1
#define LWIP_NETIF_LOOPBACK         1
#define LWIP_SINGLE_NETIF           0

#define LWIP_STATS                  1
#define MEM_STATS                   1
#define MEMP_STATS                  1
#define LWIP_STATS_DISPLAY          0
#define LINK_STATS                  0
#define IP_STATS                    0
#define TCP_STATS                   0
#define UDP_STATS                   0
#define ICMP_STATS                  0
#define SYS_STATS                   0
#define IPFRAG_STATS                0
#define LWIP_DEBUG                  0

// The ephemeral port range, with the lwIP 2.2.1 fix.
#include "../../modusocket/usocket_lwip_port_range.h"

#endif // USOCKET_QEMU_LWIPOPTS_H
