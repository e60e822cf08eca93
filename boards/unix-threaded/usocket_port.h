// usocket port hooks for the threaded host firmware: lwIP (NO_SYS=0) runs in its
// own tcpip thread and the slirp bridge in another, so the hooks are the ESP32 ones:
// the tcpip core lock around raw-API calls, and a condition variable that lwIP
// callbacks (on the tcpip thread) signal and blocking calls wait on.
#ifndef USOCKET_UNIX_THREADED_PORT_H
#define USOCKET_UNIX_THREADED_PORT_H

#include "hostnet.h"
#include "lwip/tcpip.h"

// usocket_threaded.c.
void usocket_threaded_event_signal(void);
void usocket_threaded_event_wait(int timeout_ms);

#define USOCKET_PORT_INIT() usocket_hostnet_init()
#define USOCKET_LWIP_LOCK() LOCK_TCPIP_CORE()
#define USOCKET_LWIP_UNLOCK() UNLOCK_TCPIP_CORE()
// lwIP makes progress on its own threads.
#define USOCKET_EVENT_POLL() ((void)0)
#define USOCKET_EVENT_WAIT(timeout_ms) usocket_threaded_event_wait(timeout_ms)
#define USOCKET_EVENT_SIGNAL() usocket_threaded_event_signal()

#endif // USOCKET_UNIX_THREADED_PORT_H
