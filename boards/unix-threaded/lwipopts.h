// lwIP options for the threaded host firmware: those of boards/unix (one place for
// the shared ones), with lwIP in its own tcpip thread and the core lock, as on ESP32.
#ifndef USOCKET_UNIX_THREADED_LWIPOPTS_H
#define USOCKET_UNIX_THREADED_LWIPOPTS_H

#include "../unix/lwipopts.h"

#undef NO_SYS
#define NO_SYS                      0
// pbuf/memp pools are shared by the tcpip thread, the bridge and the Python threads.
#undef SYS_LIGHTWEIGHT_PROT
#define SYS_LIGHTWEIGHT_PROT        1
#define LWIP_TCPIP_CORE_LOCKING     1
// What the contrib sys_arch.c's protect functions return (its own arch/cc.h, which
// boards/unix/arch/cc.h replaces, would declare it).
typedef unsigned int sys_prot_t;
#define TCPIP_MBOX_SIZE             64
#define MEMP_NUM_TCPIP_MSG_INPKT    64
// Loopback frames are handed to the tcpip thread rather than polled.
#define LWIP_NETIF_LOOPBACK_MULTITHREADING 1

// Every raw-API call must hold the core lock (or run on the tcpip thread): lwIP
// asserts it, so a missing USOCKET_LWIP_LOCK aborts instead of racing silently.
void sys_check_core_locking(void);
#define LWIP_ASSERT_CORE_LOCKED()   sys_check_core_locking()

#endif // USOCKET_UNIX_THREADED_LWIPOPTS_H
