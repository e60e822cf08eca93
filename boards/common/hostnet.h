// The host netif: lwIP's Ethernet netif bridged to the PC through libslirp.
//
// Frames lwIP sends reach slirp from lwIP's linkoutput at once; frames slirp sends
// wait in a queue drained only from usocket_hostnet_poll(), so lwIP is never
// entered from inside a slirp callback (hostnet.c says why this is safe). Every frame
// lwIP sends that is not addressed to the slirp host alias (or the tests' DNS
// server, reached through the same alias) is dropped and counted.
#ifndef USOCKET_UNIX_HOSTNET_H
#define USOCKET_UNIX_HOSTNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netplan.h"

typedef struct _usocket_hostnet_stats_t {
    uint32_t frames_in;          // frames delivered from slirp to lwIP
    uint32_t frames_out;         // frames lwIP sent that reached slirp
    uint32_t dropped_filter;     // frames lwIP sent to a forbidden destination
    uint32_t dropped_loss;       // frames dropped by USOCKET_NET_LOSS (both ways)
    uint32_t dropped_link_down;  // frames dropped while network.LAN().active(False)
    uint32_t queued;             // frames waiting in either queue right now
    uint32_t dropped_queue_full; // frames dropped because their queue was full
    uint32_t syn_held;           // SYNs held for a listener whose backlog was full
    uint32_t dropped_syn_held;   // held SYNs dropped because too many were held
} usocket_hostnet_stats_t;

// Creates slirp and the netif on first call (reads the USOCKET_* environment);
// later calls do nothing. Safe to call from any module's import.
void usocket_hostnet_init(void);
bool usocket_hostnet_initialised(void);
// Frees slirp, the netif and every queued frame (interpreter exit).
void usocket_hostnet_deinit(void);

// Services both stacks: drains the frame queues, runs due lwIP and slirp timers, and
// waits up to timeout_ms (0 = don't wait) in poll() on slirp's host sockets for
// something to happen. Returns early once any frame moved or a timer ran. Never
// raises, never runs Python code.
void usocket_hostnet_poll(int timeout_ms);

// mp_hal_delay_ms for the host firmware: sleeps while keeping the stack serviced
// and pending exceptions (Ctrl-C) raised.
void usocket_hostnet_delay_ms(unsigned int ms);

// Link control for network.LAN().active(): down drops frames both ways and sets the
// netif link down; up restores it.
void usocket_hostnet_set_link(bool up);
bool usocket_hostnet_link_is_up(void);

void usocket_hostnet_get_stats(usocket_hostnet_stats_t *stats);

// Exclusive access to lwIP for callers outside the socket module (network.LAN):
// the tcpip core lock where lwIP has its own thread (NO_SYS=0), nothing otherwise.
void usocket_hostnet_lwip_lock(void);
void usocket_hostnet_lwip_unlock(void);
const uint8_t *usocket_hostnet_mac(void);

#endif // USOCKET_UNIX_HOSTNET_H
