// usocket port hooks for rp2 (RPI_PICO, and RPI_PICO_W through the same header):
// lwIP runs with NO_SYS=1, driven by the port from PendSV (a soft timer runs
// sys_check_timeouts, the netif driver delivers frames), so lwIP callbacks preempt
// the MicroPython thread, on either core.
#ifndef USOCKET_RP2_PORT_H
#define USOCKET_RP2_PORT_H

#include "hardware/sync.h"

// The port's lwIP lock (mpnetworkport.c): suspends PendSV, so no lwIP callback runs
// while we are inside the raw API. It nests, and with _thread it also excludes the
// other core.
void lwip_lock_acquire(void);
void lwip_lock_release(void);
#define USOCKET_LWIP_LOCK() lwip_lock_acquire()
#define USOCKET_LWIP_UNLOCK() lwip_lock_release()

// lwIP makes progress in the background: nothing to poll. Waiting is the default
// (mp_event_wait_ms: pending events, then WFE with a timeout); a callback sets the
// event flag so a WFE on either core returns at once.
#define USOCKET_EVENT_SIGNAL() __sev()

#endif // USOCKET_RP2_PORT_H
