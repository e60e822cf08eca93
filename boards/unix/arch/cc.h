// lwIP architecture header for the host (unix) build: gcc on Linux, NO_SYS=1.
#ifndef USOCKET_UNIX_ARCH_CC_H
#define USOCKET_UNIX_ARCH_CC_H

#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <sys/time.h>

// libslirp.h pulls in <netinet/in.h>, which already provides htons() and friends.
#define LWIP_DONT_PROVIDE_BYTEORDER_FUNCTIONS 1
#define LWIP_TIMEVAL_PRIVATE 0
#define LWIP_ERRNO_STDINCLUDE 1

// Randomness for ports, ISNs and DNS ids comes from the bridge (seeded once from
// the OS, or from USOCKET_NET_SEED for reproducible runs).
unsigned int usocket_hostnet_rand(void);
#define LWIP_RAND() ((u32_t)usocket_hostnet_rand())

// An assertion inside the stack is a bug in us or in lwIP: stop loudly.
#define LWIP_PLATFORM_ASSERT(x) do { \
        fprintf(stderr, "lwIP assertion \"%s\" failed at %s:%d\n", x, __FILE__, __LINE__); \
        abort(); \
} while (0)

#endif // USOCKET_UNIX_ARCH_CC_H
