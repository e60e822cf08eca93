// usocket port hooks for the host (unix) firmware: lwIP runs with NO_SYS=1 on the
// MicroPython thread, serviced by the slirp bridge's poll loop (hostnet.c). Waiting
// means sleeping in poll() on slirp's host sockets, so a blocking socket call wakes
// as soon as the peer sends something.
//
// USOCKET_EVENT_POLL stays empty, as on RP2 and ESP32: what lwIP sends reaches the
// host at once from the netif's linkoutput (hostnet.c), so no write, sendto or
// close needs a bridge round for its output to leave, and every wait services the
// bridge through USOCKET_EVENT_WAIT.
#ifndef USOCKET_UNIX_PORT_H
#define USOCKET_UNIX_PORT_H

#include "hostnet.h"

#define USOCKET_PORT_INIT() usocket_hostnet_init()
#define USOCKET_EVENT_WAIT(timeout_ms) usocket_hostnet_poll(timeout_ms)

#endif // USOCKET_UNIX_PORT_H
