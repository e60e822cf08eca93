// usocket: a socket module for MicroPython on lwIP's raw API.
//
// This file holds the module object, name resolution (getaddrinfo, and the host
// names connect()/sendto() accept), address conversion and the blocking-wait loop
// shared by every socket method. The socket object is in usocket_socket.c.
#include <string.h>

#include "py/runtime.h"
#include "py/mperrno.h"
#include "py/mphal.h"
#include "py/objstr.h"
#include "py/parsenum.h"
#include "lwip/dns.h"
#include "lwip/mem.h"
#include "lwip/ip_addr.h"
#include "lwip/inet.h"
#include "usocket.h"

// --- Waiting ---------------------------------------------------------------------

bool usocket_wait_since(bool (*ready)(void *arg), void *arg, int32_t timeout_ms, usocket_since_t *since) {
    // Ready already: no need to service the stack, nor to read the clock (most
    // calls of a busy socket end here).
    if (ready(arg)) {
        return true;
    }
    if (!since->started) {
        since->started = true;
        since->start = mp_hal_ticks_ms();
    }
    mp_uint_t start = since->start;
    for (;;) {
        USOCKET_EVENT_POLL();
        if (ready(arg)) {
            return true;
        }
        int32_t wait_ms = USOCKET_MAX_WAIT_MS;
        if (timeout_ms >= 0) {
            mp_uint_t elapsed = mp_hal_ticks_ms() - start;
            if (elapsed >= (mp_uint_t)timeout_ms) {
                return false;
            }
            if ((mp_uint_t)timeout_ms - elapsed < (mp_uint_t)wait_ms) {
                wait_ms = timeout_ms - elapsed;
            }
        }
        // Ctrl-C and scheduled callbacks are handled here, between waits, so every
        // blocking call can be interrupted.
        mp_handle_pending(true);
        MP_THREAD_GIL_EXIT();
        USOCKET_EVENT_WAIT(wait_ms);
        MP_THREAD_GIL_ENTER();
    }
}

bool usocket_wait(bool (*ready)(void *arg), void *arg, int32_t timeout_ms) {
    usocket_since_t since = { 0, false };
    return usocket_wait_since(ready, arg, timeout_ms, &since);
}

// --- Name resolution ----------------------------------------------------------------

// A lookup outlives the Python call that started it when that call times out or is
// interrupted: lwIP calls back later. The result therefore goes to a slot in lwIP's
// heap (mem_malloc), never to the caller's stack or the GC heap, allocated only while
// a lookup runs; the callback frees a slot its caller abandoned. At most
// USOCKET_DNS_SLOTS lookups are in flight (abandoned ones count until lwIP answers).
#define USOCKET_DNS_SLOTS (4)

enum {
    DNS_SLOT_PENDING,
    DNS_SLOT_DONE,
    DNS_SLOT_FAILED,
    DNS_SLOT_ABANDONED,
};

typedef struct _usocket_dns_slot_t {
    volatile uint8_t state;
    ip_addr_t addr;
} usocket_dns_slot_t;

// Slots allocated, changed with lwIP's lock held.
static uint8_t usocket_dns_in_flight;

static void usocket_dns_slot_free(usocket_dns_slot_t *slot) {
    mem_free(slot);
    usocket_dns_in_flight -= 1;
}

// lwIP callback: records the answer only.
static void usocket_dns_found(const char *name, const ip_addr_t *ipaddr, void *arg) {
    usocket_dns_slot_t *slot = arg;
    (void)name;
    if (slot->state == DNS_SLOT_ABANDONED) {
        usocket_dns_slot_free(slot);
    } else if (ipaddr != NULL) {
        slot->addr = *ipaddr;
        slot->state = DNS_SLOT_DONE;
    } else {
        slot->state = DNS_SLOT_FAILED;
    }
    USOCKET_EVENT_SIGNAL();
}

static bool usocket_dns_ready(void *arg) {
    usocket_dns_slot_t *slot = arg;
    USOCKET_LWIP_LOCK();
    bool ready = slot->state != DNS_SLOT_PENDING;
    USOCKET_LWIP_UNLOCK();
    return ready;
}

static bool usocket_family_matches(int family, const ip_addr_t *ip) {
    if (family == USOCKET_AF_INET) {
        return IP_IS_V4(ip);
    }
    #if USOCKET_IPV6
    if (family == USOCKET_AF_INET6) {
        return IP_IS_V6(ip);
    }
    #endif
    return true;
}

void usocket_resolve(const char *host, int family, int32_t timeout_ms, ip_addr_t *ip) {
    if (host[0] == '\0') {
        // '' means any address, as in bind(('', port)).
        #if USOCKET_IPV6
        if (family == USOCKET_AF_INET6) {
            *ip = *IP6_ADDR_ANY;
            return;
        }
        #endif
        memset(ip, 0, sizeof(*ip)); // 0.0.0.0 (IPADDR_TYPE_V4 is 0)
        return;
    }
    if (ipaddr_aton(host, ip)) {
        // A numeric address needs no DNS.
        if (!usocket_family_matches(family, ip)) {
            mp_raise_OSError(MP_EAFNOSUPPORT);
        }
        return;
    }

    USOCKET_PORT_INIT();
    u8_t addrtype = LWIP_DNS_ADDRTYPE_IPV4;
    #if USOCKET_IPV6
    if (family == USOCKET_AF_INET6) {
        addrtype = LWIP_DNS_ADDRTYPE_IPV6;
    } else if (family == 0) {
        addrtype = LWIP_DNS_ADDRTYPE_IPV4_IPV6;
    }
    #endif

    USOCKET_LWIP_LOCK();
    usocket_dns_slot_t *slot = NULL;
    if (usocket_dns_in_flight < USOCKET_DNS_SLOTS) {
        slot = mem_malloc(sizeof(usocket_dns_slot_t));
    }
    err_t err = ERR_MEM;
    if (slot != NULL) {
        usocket_dns_in_flight += 1;
        slot->state = DNS_SLOT_PENDING;
        err = dns_gethostbyname_addrtype(host, &slot->addr, usocket_dns_found, slot, addrtype);
        if (err == ERR_OK) {
            // Answered from the cache: no callback comes.
            slot->state = DNS_SLOT_DONE;
        } else if (err != ERR_INPROGRESS) {
            // Refused at once: no callback comes either.
            usocket_dns_slot_free(slot);
        }
    }
    USOCKET_LWIP_UNLOCK();
    if (slot == NULL) {
        // Every slot is held by a lookup still in flight, or lwIP has no memory.
        mp_raise_OSError(USOCKET_EAI_AGAIN);
    }
    if (err != ERR_OK && err != ERR_INPROGRESS) {
        mp_raise_OSError(USOCKET_EAI_NONAME);
    }

    // A DNS lookup always has a bound, even for a blocking or non-blocking socket.
    int32_t wait_ms = (timeout_ms > 0 && timeout_ms < USOCKET_DNS_TIMEOUT_MS) ? timeout_ms : USOCKET_DNS_TIMEOUT_MS;
    nlr_buf_t nlr;
    bool interrupted = nlr_push(&nlr) != 0;
    if (!interrupted) {
        usocket_wait(usocket_dns_ready, slot, wait_ms);
        nlr_pop();
    }
    // Timed out or interrupted (Ctrl-C) while pending: the slot is left to the
    // callback.
    USOCKET_LWIP_LOCK();
    uint8_t state = slot->state;
    if (state == DNS_SLOT_PENDING) {
        slot->state = DNS_SLOT_ABANDONED;
    } else {
        *ip = slot->addr;
        usocket_dns_slot_free(slot);
    }
    USOCKET_LWIP_UNLOCK();
    if (interrupted) {
        nlr_jump(nlr.ret_val);
    }
    if (state == DNS_SLOT_PENDING) {
        mp_raise_OSError(USOCKET_EAI_AGAIN);
    }
    if (state != DNS_SLOT_DONE || !usocket_family_matches(family, ip)) {
        mp_raise_OSError(USOCKET_EAI_NONAME);
    }
}

// --- Addresses --------------------------------------------------------------------

void usocket_parse_address(mp_obj_t addr_in, int family, int32_t timeout_ms, ip_addr_t *ip, uint16_t *port) {
    size_t len;
    mp_obj_t *items;
    if (!mp_obj_is_type(addr_in, &mp_type_tuple) && !mp_obj_is_type(addr_in, &mp_type_list)) {
        mp_raise_ValueError(MP_ERROR_TEXT("address must be a (host, port) tuple or list"));
    }
    mp_obj_get_array(addr_in, &len, &items);
    if (len < 2 || len > 4) {
        mp_raise_ValueError(MP_ERROR_TEXT("address must be a (host, port) tuple or list"));
    }
    mp_int_t port_in = mp_obj_get_int(items[1]);
    if (port_in < 0 || port_in > 0xffff) {
        mp_raise_ValueError(MP_ERROR_TEXT("port must be 0-65535"));
    }
    const char *host = items[0] == mp_const_none ? "" : mp_obj_str_get_str(items[0]);
    usocket_resolve(host, family, timeout_ms, ip);
    *port = port_in;
}

// lwIP writes IPv6 hex digits in upper case; CPython and RFC 5952 use lower case,
// so addresses compare equal to what scripts write and to what CPython returns.
static mp_obj_t usocket_new_address_str(char *buf) {
    for (char *c = buf; *c != '\0'; ++c) {
        if (*c >= 'A' && *c <= 'F') {
            *c += 'a' - 'A';
        }
    }
    return mp_obj_new_str(buf, strlen(buf));
}

mp_obj_t usocket_format_address(const ip_addr_t *ip, uint16_t port) {
    char buf[IPADDR_STRLEN_MAX];
    ipaddr_ntoa_r(ip, buf, sizeof(buf));
    mp_obj_t host = usocket_new_address_str(buf);
    #if USOCKET_IPV6
    if (IP_IS_V6(ip)) {
        mp_obj_t t[4] = { host, MP_OBJ_NEW_SMALL_INT(port), MP_OBJ_NEW_SMALL_INT(0), MP_OBJ_NEW_SMALL_INT(0) };
        return mp_obj_new_tuple(4, t);
    }
    #endif
    mp_obj_t t[2] = { host, MP_OBJ_NEW_SMALL_INT(port) };
    return mp_obj_new_tuple(2, t);
}

// --- Module functions -----------------------------------------------------------------

// getaddrinfo(host, port, af=0, type=0, proto=0, flags=0)
static mp_obj_t usocket_getaddrinfo(size_t n_args, const mp_obj_t *args) {
    const char *host = args[0] == mp_const_none ? "0.0.0.0" : mp_obj_str_get_str(args[0]);
    mp_obj_t port_in = args[1];
    if (mp_obj_is_str(port_in)) {
        size_t len;
        const char *str = mp_obj_str_get_data(port_in, &len);
        port_in = mp_parse_num_integer(str, len, 10, NULL);
    }
    mp_int_t port = port_in == mp_const_none ? 0 : mp_obj_get_int(port_in);
    if (port < 0 || port > 0xffff) {
        mp_raise_ValueError(MP_ERROR_TEXT("port must be 0-65535"));
    }
    // af, type, proto (flags is accepted and ignored).
    mp_int_t opt[3] = { 0, 0, 0 };
    for (size_t i = 2; i < MIN(n_args, 5); ++i) {
        opt[i - 2] = mp_obj_get_int(args[i]);
    }
    mp_int_t family = opt[0];
    mp_int_t type = opt[1];
    mp_int_t proto = opt[2];
    if (family != 0 && family != USOCKET_AF_INET
        #if USOCKET_IPV6
        && family != USOCKET_AF_INET6
        #endif
        ) {
        mp_raise_OSError(USOCKET_EAI_FAMILY);
    }
    if (type == 0) {
        type = USOCKET_SOCK_STREAM;
    }
    if (proto == 0) {
        proto = type == USOCKET_SOCK_DGRAM ? USOCKET_IPPROTO_UDP : type == USOCKET_SOCK_STREAM ? USOCKET_IPPROTO_TCP : 0;
    }

    ip_addr_t ip;
    usocket_resolve(host, family, -1, &ip);

    mp_obj_t entry[5] = {
        MP_OBJ_NEW_SMALL_INT(IP_IS_V6(&ip) ? USOCKET_AF_INET6 : USOCKET_AF_INET),
        MP_OBJ_NEW_SMALL_INT(type),
        MP_OBJ_NEW_SMALL_INT(proto),
        MP_OBJ_NEW_QSTR(MP_QSTR_),
        usocket_format_address(&ip, port),
    };
    mp_obj_t tuple = mp_obj_new_tuple(5, entry);
    return mp_obj_new_list(1, &tuple);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(usocket_getaddrinfo_obj, 2, 6, usocket_getaddrinfo);

#if USOCKET_INET_PTON
static mp_obj_t usocket_inet_pton(mp_obj_t af_in, mp_obj_t str_in) {
    mp_int_t af = mp_obj_get_int(af_in);
    const char *str = mp_obj_str_get_str(str_in);
    if (af == USOCKET_AF_INET) {
        // lwIP's socket layer (lwip_inet_pton, what QuecPython and ESP-IDF scripts
        // run on) parses with ip4addr_aton: inet_aton's forms, so "1.2.3", octal
        // "01.2.3.4" and hex "0x7f.1" are accepted, as they are there.
        ip4_addr_t a;
        if (!ip4addr_aton(str, &a)) {
            mp_raise_OSError(MP_EINVAL);
        }
        return mp_obj_new_bytes((const byte *)&a.addr, 4);
    }
    #if USOCKET_IPV6
    if (af == USOCKET_AF_INET6) {
        ip6_addr_t a;
        if (!ip6addr_aton(str, &a)) {
            mp_raise_OSError(MP_EINVAL);
        }
        return mp_obj_new_bytes((const byte *)a.addr, 16);
    }
    #endif
    mp_raise_OSError(MP_EAFNOSUPPORT);
}
static MP_DEFINE_CONST_FUN_OBJ_2(usocket_inet_pton_obj, usocket_inet_pton);

static mp_obj_t usocket_inet_ntop(mp_obj_t af_in, mp_obj_t bin_in) {
    mp_int_t af = mp_obj_get_int(af_in);
    mp_buffer_info_t bufinfo;
    mp_get_buffer_raise(bin_in, &bufinfo, MP_BUFFER_READ);
    char buf[IPADDR_STRLEN_MAX];
    if (af == USOCKET_AF_INET && bufinfo.len == 4) {
        ip4_addr_t a;
        memcpy(&a.addr, bufinfo.buf, 4);
        ip4addr_ntoa_r(&a, buf, sizeof(buf));
    #if USOCKET_IPV6
    } else if (af == USOCKET_AF_INET6 && bufinfo.len == 16) {
        ip6_addr_t a;
        memset(&a, 0, sizeof(a));
        memcpy(a.addr, bufinfo.buf, 16);
        ip6addr_ntoa_r(&a, buf, sizeof(buf));
    #endif
    } else if (af != USOCKET_AF_INET && af != USOCKET_AF_INET6) {
        mp_raise_OSError(MP_EAFNOSUPPORT);
    } else {
        mp_raise_ValueError(MP_ERROR_TEXT("packed address has the wrong length"));
    }
    return usocket_new_address_str(buf);
}
static MP_DEFINE_CONST_FUN_OBJ_2(usocket_inet_ntop_obj, usocket_inet_ntop);
#endif

// Runs on first import: brings the port's network stack up.
static mp_obj_t usocket___init__(void) {
    USOCKET_PORT_INIT();
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_0(usocket___init___obj, usocket___init__);

// MP_DEFINE_STR_OBJ's object is writable (static RAM); a str's hash is only ever
// written when it is created, so a constant one can live in flash.
static const mp_obj_str_t usocket_version_obj = {{&mp_type_str}, 0, sizeof(USOCKET_VERSION) - 1, (const byte *)USOCKET_VERSION};

static const mp_rom_map_elem_t usocket_module_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_usocket) },
    { MP_ROM_QSTR(MP_QSTR___init__), MP_ROM_PTR(&usocket___init___obj) },
    { MP_ROM_QSTR(MP_QSTR___version__), MP_ROM_PTR(&usocket_version_obj) },
    { MP_ROM_QSTR(MP_QSTR_socket), MP_ROM_PTR(&usocket_socket_type) },
    { MP_ROM_QSTR(MP_QSTR_getaddrinfo), MP_ROM_PTR(&usocket_getaddrinfo_obj) },
    #if USOCKET_INET_PTON
    { MP_ROM_QSTR(MP_QSTR_inet_pton), MP_ROM_PTR(&usocket_inet_pton_obj) },
    { MP_ROM_QSTR(MP_QSTR_inet_ntop), MP_ROM_PTR(&usocket_inet_ntop_obj) },
    #endif

    { MP_ROM_QSTR(MP_QSTR_AF_INET), MP_ROM_INT(USOCKET_AF_INET) },
    { MP_ROM_QSTR(MP_QSTR_AF_INET6), MP_ROM_INT(USOCKET_AF_INET6) },
    { MP_ROM_QSTR(MP_QSTR_SOCK_STREAM), MP_ROM_INT(USOCKET_SOCK_STREAM) },
    { MP_ROM_QSTR(MP_QSTR_SOCK_DGRAM), MP_ROM_INT(USOCKET_SOCK_DGRAM) },
    { MP_ROM_QSTR(MP_QSTR_SOCK_RAW), MP_ROM_INT(USOCKET_SOCK_RAW) },
    { MP_ROM_QSTR(MP_QSTR_IPPROTO_IP), MP_ROM_INT(USOCKET_IPPROTO_IP) },
    { MP_ROM_QSTR(MP_QSTR_IPPROTO_TCP), MP_ROM_INT(USOCKET_IPPROTO_TCP) },
    { MP_ROM_QSTR(MP_QSTR_IPPROTO_UDP), MP_ROM_INT(USOCKET_IPPROTO_UDP) },
    #if USOCKET_QUECPYTHON
    { MP_ROM_QSTR(MP_QSTR_IPPROTO_TCP_SER), MP_ROM_INT(USOCKET_IPPROTO_TCP_SER) },
    { MP_ROM_QSTR(MP_QSTR_TCP_CUSTOMIZE_PORT), MP_ROM_INT(USOCKET_TCP_CUSTOMIZE_PORT) },
    #endif
    { MP_ROM_QSTR(MP_QSTR_SOL_SOCKET), MP_ROM_INT(USOCKET_SOL_SOCKET) },
    { MP_ROM_QSTR(MP_QSTR_SO_REUSEADDR), MP_ROM_INT(USOCKET_SO_REUSEADDR) },
    { MP_ROM_QSTR(MP_QSTR_SO_KEEPALIVE), MP_ROM_INT(USOCKET_SO_KEEPALIVE) },
    { MP_ROM_QSTR(MP_QSTR_SO_BROADCAST), MP_ROM_INT(USOCKET_SO_BROADCAST) },
    #if USOCKET_MULTICAST
    { MP_ROM_QSTR(MP_QSTR_IP_ADD_MEMBERSHIP), MP_ROM_INT(USOCKET_IP_ADD_MEMBERSHIP) },
    { MP_ROM_QSTR(MP_QSTR_IP_DROP_MEMBERSHIP), MP_ROM_INT(USOCKET_IP_DROP_MEMBERSHIP) },
    #endif
    #if USOCKET_MULTICAST && LWIP_MULTICAST_TX_OPTIONS
    { MP_ROM_QSTR(MP_QSTR_IP_MULTICAST_LOOP), MP_ROM_INT(USOCKET_IP_MULTICAST_LOOP) },
    #endif
    { MP_ROM_QSTR(MP_QSTR_TCP_NODELAY), MP_ROM_INT(USOCKET_TCP_NODELAY) },
    #if USOCKET_MSG_FLAGS
    { MP_ROM_QSTR(MP_QSTR_MSG_PEEK), MP_ROM_INT(USOCKET_MSG_PEEK) },
    { MP_ROM_QSTR(MP_QSTR_MSG_DONTWAIT), MP_ROM_INT(USOCKET_MSG_DONTWAIT) },
    #endif
    #if USOCKET_KEEPALIVE
    { MP_ROM_QSTR(MP_QSTR_TCP_KEEPALIVE), MP_ROM_INT(USOCKET_TCP_KEEPALIVE) },
    { MP_ROM_QSTR(MP_QSTR_TCP_KEEPIDLE), MP_ROM_INT(USOCKET_TCP_KEEPIDLE) },
    { MP_ROM_QSTR(MP_QSTR_TCP_KEEPINTVL), MP_ROM_INT(USOCKET_TCP_KEEPINTVL) },
    { MP_ROM_QSTR(MP_QSTR_TCP_KEEPCNT), MP_ROM_INT(USOCKET_TCP_KEEPCNT) },
    #endif
    #if USOCKET_SHUTDOWN
    { MP_ROM_QSTR(MP_QSTR_SHUT_RD), MP_ROM_INT(USOCKET_SHUT_RD) },
    { MP_ROM_QSTR(MP_QSTR_SHUT_WR), MP_ROM_INT(USOCKET_SHUT_WR) },
    { MP_ROM_QSTR(MP_QSTR_SHUT_RDWR), MP_ROM_INT(USOCKET_SHUT_RDWR) },
    #endif
};
static MP_DEFINE_CONST_DICT(usocket_module_globals, usocket_module_globals_table);

const mp_obj_module_t usocket_module = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&usocket_module_globals,
};

// One module, two names: apps written for QuecPython import usocket, MicroPython's
// asyncio, ssl and third-party libraries import socket.
MP_REGISTER_MODULE(MP_QSTR_usocket, usocket_module);
#if USOCKET_REGISTER_AS_SOCKET
MP_REGISTER_MODULE(MP_QSTR_socket, usocket_module);
#endif
