// What the port's network layer would provide modlwip on a board, for the
// benchmark firmware.

#include "hostnet.h"

// DNS address-family preference, set by network.ipconfig(prefer=...) on ports that
// build extmod/network_lwip.c; this firmware's `network` is boards/common/modnetwork.c,
// so it stays at that file's default: IPv4 first.
int mp_mod_network_prefer_dns_use_ip_version = 4;

// Ports that use modlwip start lwIP and their netif at boot (from main), and
// modlwip never starts them itself. usocket starts the bridge on first use; here it
// is started before main(), so that `import socket` (modlwip) works on its own, as
// on a board. usocket_hostnet_init() returns at once when called again.
__attribute__((constructor)) static void bench_start_network(void) {
    usocket_hostnet_init();
}
