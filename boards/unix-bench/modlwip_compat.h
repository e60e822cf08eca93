// Forced into the compilation of extmod/modlwip.c only (mpconfigvariant.mk): what
// modlwip takes from a port's lwIP configuration and the host's lwipopts.h doesn't
// provide. The lwIP options stay those of boards/unix, so both socket modules run
// on exactly the same stack.
#ifndef USOCKET_BENCH_MODLWIP_COMPAT_H
#define USOCKET_BENCH_MODLWIP_COMPAT_H

#include "lwip/opt.h"
#include "lwip/err.h"
#include "lwip/ip4_addr.h"

// modlwip defines sys_arch_protect() for ports that build lwIP with
// SYS_LIGHTWEIGHT_PROT; the host runs lwIP on one thread without it, so lwIP never
// declares the type (and never calls the function).
#if !SYS_LIGHTWEIGHT_PROT
typedef u32_t sys_prot_t;
#endif

// modlwip's IP_ADD_MEMBERSHIP calls lwIP's IGMP API unconditionally; the host is
// built without IGMP (slirp forwards no multicast), so joining fails as lwIP would
// fail an unknown interface.
#if !LWIP_IGMP
static inline err_t igmp_joingroup(const ip4_addr_t *ifaddr, const ip4_addr_t *groupaddr) {
    (void)ifaddr;
    (void)groupaddr;
    return ERR_VAL;
}
static inline err_t igmp_leavegroup(const ip4_addr_t *ifaddr, const ip4_addr_t *groupaddr) {
    (void)ifaddr;
    (void)groupaddr;
    return ERR_VAL;
}
#endif

// The unix port's default listen() backlog is min(SOMAXCONN, 128), with SOMAXCONN
// from <sys/socket.h>, which modlwip doesn't include (and can't: its own MSG_*
// constants would clash). Linux's SOMAXCONN is above 128, so the default is 128.
#ifndef SOMAXCONN
#define SOMAXCONN (128)
#endif

#endif // USOCKET_BENCH_MODLWIP_COMPAT_H
