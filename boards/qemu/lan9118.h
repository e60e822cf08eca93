// The LAN9118 Ethernet controller of the MPS2-AN385 as an lwIP netif (lan9118.c).
#ifndef USOCKET_QEMU_LAN9118_H
#define USOCKET_QEMU_LAN9118_H

#include <stdbool.h>
#include <stdint.h>

#include "lwip/netif.h"

typedef struct _lan9118_stats_t {
    uint32_t frames_in;         // frames handed to lwIP
    uint32_t frames_out;        // frames written to the controller
    uint32_t dropped_link_down; // frames dropped while the link was down (both ways)
    uint32_t dropped_no_buffer; // received frames dropped for want of a pbuf
    uint32_t tx_errors;         // frames the controller reported as not sent
} lan9118_stats_t;

// Resets the controller and adds it as an lwIP netif with that address, link up.
// False if there is no LAN9118 (another machine than mps2-an385).
bool lan9118_init(struct netif *netif, const ip4_addr_t *addr, const ip4_addr_t *mask, const ip4_addr_t *gw);
// Hands received frames to lwIP; returns whether any frame was taken.
bool lan9118_poll(struct netif *netif);
void lan9118_set_link(struct netif *netif, bool up);
bool lan9118_link_is_up(void);
bool lan9118_phy_link(void);
void lan9118_get_stats(lan9118_stats_t *stats);

#endif // USOCKET_QEMU_LAN9118_H
