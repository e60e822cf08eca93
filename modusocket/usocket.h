// Internal interface of the usocket module (not a public API).
#ifndef USOCKET_H
#define USOCKET_H

#include "py/obj.h"
#include "lwip/opt.h"
#include "lwip/ip_addr.h"
#include "lwip/ip.h"
#include "lwip/err.h"
#include "usocket_config.h"

// Constants with the values the contract fixes.
#define USOCKET_AF_INET (2)
#define USOCKET_AF_INET6 (10)
#define USOCKET_SOCK_STREAM (1)
#define USOCKET_SOCK_DGRAM (2)
#define USOCKET_SOCK_RAW (3)
#define USOCKET_IPPROTO_IP (0)
#define USOCKET_IPPROTO_TCP (6)
#define USOCKET_IPPROTO_UDP (17)
#define USOCKET_IPPROTO_TCP_SER (7)      // QuecPython: a TCP server socket
#define USOCKET_TCP_CUSTOMIZE_PORT (8)   // QuecPython: a TCP client that binds first
#define USOCKET_SOL_SOCKET (0xfff)
#define USOCKET_SO_REUSEADDR (SOF_REUSEADDR)
#define USOCKET_SO_KEEPALIVE (SOF_KEEPALIVE)
#define USOCKET_SO_BROADCAST (SOF_BROADCAST)
#define USOCKET_TCP_NODELAY (0x01)
#define USOCKET_TCP_KEEPALIVE (0x02)     // QuecPython: idle time in minutes
#define USOCKET_TCP_KEEPIDLE (0x03)
#define USOCKET_TCP_KEEPINTVL (0x04)
#define USOCKET_TCP_KEEPCNT (0x05)
// Options with the numbers MicroPython's own lwIP socket module (modlwip) gives
// them, so code written for RP2 and ESP32 firmware runs unchanged: a callback run
// (scheduled, never inside lwIP) when a socket may be read or accepted, as WebREPL
// sets it with setsockopt(SOL_SOCKET, 20, handler); IGMP membership, the value
// being the group's and the interface's IPv4 addresses (struct ip_mreq). Multicast
// loop has lwIP's own sockets number (modlwip has none).
#define USOCKET_SO_CALLBACK (20)
#define USOCKET_IP_ADD_MEMBERSHIP (0x400)
#define USOCKET_IP_DROP_MEMBERSHIP (0x401)
#define USOCKET_IP_MULTICAST_LOOP (7)
#define USOCKET_SHUT_RD (0)
#define USOCKET_SHUT_WR (1)
#define USOCKET_SHUT_RDWR (2)

// recv()/recvfrom() flags, as lwIP and modlwip number them.
#define USOCKET_MSG_PEEK (0x01)
#define USOCKET_MSG_DONTWAIT (0x02)

// errno values MicroPython's mperrno.h does not name: the C library's where the port
// raises the C library's numbers (newlib's differ from Linux's: 123 and 122 on ESP32,
// RP2 and QEMU), else the Linux numbers MicroPython's internal table uses.
#if MICROPY_USE_INTERNAL_ERRNO
#define USOCKET_EPROTONOSUPPORT (93)
#define USOCKET_EMSGSIZE (90)
#else
#include <errno.h>
#define USOCKET_EPROTONOSUPPORT (EPROTONOSUPPORT)
#define USOCKET_EMSGSIZE (EMSGSIZE)
#endif

// getaddrinfo failures are negative, as MicroPython documents (EAI_* values).
#define USOCKET_EAI_NONAME (-2)
#define USOCKET_EAI_AGAIN (-3)
#define USOCKET_EAI_FAMILY (-6)

extern const mp_obj_type_t usocket_socket_type;

// usocket_errno.c: the one lwIP err_t → errno table.
int usocket_errno_from_lwip(err_t err);
MP_NORETURN void usocket_raise_lwip(err_t err);

// modusocket.c: addresses and name resolution shared by the socket methods.
// Parses (host, port[, flowinfo, scopeid]) as a tuple or list; host may be a name,
// resolved through lwIP's DNS within timeout_ms (-1: the module's DNS bound).
void usocket_parse_address(mp_obj_t addr_in, int family, int32_t timeout_ms, ip_addr_t *ip, uint16_t *port);
mp_obj_t usocket_format_address(const ip_addr_t *ip, uint16_t port);
// Resolves host into *ip (numeric forms without DNS); raises OSError on failure.
void usocket_resolve(const char *host, int family, int32_t timeout_ms, ip_addr_t *ip);

// Waiting: polls the stack and sleeps in the port's event wait until ready(arg) is
// true or timeout_ms passes (0: don't wait, -1: no limit). Returns true if ready.
// Raises KeyboardInterrupt and other pending exceptions.
bool usocket_wait(bool (*ready)(void *arg), void *arg, int32_t timeout_ms);
// The same, with the timeout running from since, which the first wait of a call
// starts: a call that waits again (another thread took what woke it) waits only
// for what is left of its timeout.
typedef struct _usocket_since_t {
    mp_uint_t start;
    bool started;
} usocket_since_t;
bool usocket_wait_since(bool (*ready)(void *arg), void *arg, int32_t timeout_ms, usocket_since_t *since);

// usocket_socket.c: at a soft reset, after the VM's sockets were finalised, aborts
// the pcbs they handed to lwIP to close (still closing or in TIME_WAIT), so nothing
// the old VM made outlives it. A port calls it from its soft-reset path.
void usocket_deinit(void);

// usocket_stats.c: stores lwIP's usage counters (heap, pools, failed allocations)
// into dict, for a board's diagnostics call (USOCKET_STATS).
#if USOCKET_STATS
void usocket_lwip_stats(mp_obj_t dict);
#endif

#endif // USOCKET_H
