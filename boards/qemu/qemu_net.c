// The QEMU target's Ethernet: the LAN9118 netif (lan9118.c) with the host
// firmware's address plan, and the interface boards/common/modnetwork.c (network.LAN,
// network.WLAN) is written against, boards/common/hostnet.h, implemented on it. So
// `network` is the same code on both targets; only what is under it differs: here
// a MAC driver and a wire, there libslirp in the same process.
//
// The firmware is 10.0.2.15/24 with the gateway and DNS server at 10.0.2.2, the PC
// as seen through the bridge that QEMU's network backend is connected to
// (boards/qemu/bridge.c; the plan is boards/common/netplan.h): it filters, forwards and injects faults as the host
// firmware's own bridge does. lwIP's loopback interface (127.0.0.1) stays.
#include <string.h>

#include "py/runtime.h"
#include "py/mphal.h"

#include "lwip/dns.h"
#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/timeouts.h"

#include "hostnet.h"
#include "lan9118.h"

static struct netif qemu_net_netif;
static bool qemu_net_started;  // lwIP started (with or without the controller)
static bool qemu_net_present;  // the controller answered

// lwIP has no deinit: it is started once, by the first socket or network.LAN(), and
// lives on across soft resets.
void usocket_hostnet_init(void) {
    if (qemu_net_started) {
        return;
    }
    lwip_init();  // also brings up the loopback interface, 127.0.0.1
    qemu_net_started = true;
    ip4_addr_t addr, mask, gw;
    ip4addr_aton(NETPLAN_IP4_SELF, &addr);
    ip4addr_aton(NETPLAN_IP4_MASK, &mask);
    ip4addr_aton(NETPLAN_IP4_HOST, &gw);
    if (lan9118_init(&qemu_net_netif, &addr, &mask, &gw)) {
        qemu_net_present = true;
        netif_set_default(&qemu_net_netif);
        ip_addr_t dns;
        ip_addr_copy_from_ip4(dns, gw);  // the PC answers DNS too
        dns_setserver(0, &dns);
    }
}

bool usocket_qemu_lwip_started(void) {
    return qemu_net_started;
}

bool usocket_hostnet_initialised(void) {
    return qemu_net_present;
}

void usocket_hostnet_deinit(void) {
}

// One service round: received frames to lwIP, then its loopback queue and timers.
// A board has no host sockets to sleep on, so timeout_ms is not waited here: the
// socket layer's wait loop calls this again until its own deadline.
void usocket_hostnet_poll(int timeout_ms) {
    (void)timeout_ms;
    if (!qemu_net_started) {
        return;
    }
    if (qemu_net_present) {
        lan9118_poll(&qemu_net_netif);
    }
    netif_poll_all();  // delivers what was sent to 127.0.0.1
    sys_check_timeouts();
}

void usocket_hostnet_delay_ms(unsigned int ms) {
    mp_hal_delay_ms(ms);
}

void usocket_hostnet_set_link(bool up) {
    if (qemu_net_present) {
        lan9118_set_link(&qemu_net_netif, up);
    }
}

bool usocket_hostnet_link_is_up(void) {
    return qemu_net_present && lan9118_link_is_up() && lan9118_phy_link();
}

// The counters a board can know: the filter, injected loss and queues are the
// bridge's, outside the machine, and read 0 here.
void usocket_hostnet_get_stats(usocket_hostnet_stats_t *stats) {
    memset(stats, 0, sizeof(*stats));
    lan9118_stats_t s;
    lan9118_get_stats(&s);
    stats->frames_in = s.frames_in;
    stats->frames_out = s.frames_out;
    stats->dropped_link_down = s.dropped_link_down;
}

// lwIP runs on the MicroPython thread only (NO_SYS=1): nothing to lock.
void usocket_hostnet_lwip_lock(void) {
}

void usocket_hostnet_lwip_unlock(void) {
}

const uint8_t *usocket_hostnet_mac(void) {
    return qemu_net_netif.hwaddr;
}
