// `network` for the host firmware: a LAN interface shaped like MicroPython's
// network.LAN on Ethernet ports (stm32, mimxrt, esp32), backed by the libslirp
// bridge in hostnet.c, plus a host-only diagnostics call, LAN().stats().
//
// Application code (checkNet, dataCall, user scripts) written for a board's
// network.LAN or network.WLAN runs unchanged: active(), isconnected(), status(),
// ifconfig(), ipconfig(), config('mac'). The differences, all because slirp is
// the whole "LAN":
// - The address is static (10.0.2.15/24, gateway 10.0.2.2, DNS 10.0.2.2); there
//   is no DHCP, so ifconfig('dhcp') and ipconfig(dhcp4=True) raise
//   OSError(EOPNOTSUPP).
// - Addresses may be changed as on a board, but frames to anything other than
//   the host alias are still dropped by the bridge's safety filter.
// - active(False) takes the link down (frames both ways are dropped and
//   counted); active(True) brings it back with the same addresses.
// - status() returns the numbers stm32's network.LAN returns: 0 (STAT_IDLE) link
//   down, 2 (STAT_NOIP) link up without an IPv4 address, 3 (STAT_GOT_IP) up with
//   an address.
// - irq(handler) schedules handler(lan) after each link or IPv4 address change,
//   the link event a board's driver raises (dataCall.setCallback uses it: the
//   unix port has no machine.Timer to poll with).

#include <string.h>

#include "py/runtime.h"
#include "py/mperrno.h"
#include "py/mphal.h"

#include "lwip/dns.h"
#include "lwip/ip_addr.h"
#include "lwip/netif.h"

#include "hostnet.h"
#include "usocket.h"

#if LWIP_IPV6
#include <arpa/inet.h>
#endif

#define NETWORK_LAN_STAT_IDLE (0)
#define NETWORK_LAN_STAT_NOIP (2)
#define NETWORK_LAN_STAT_GOT_IP (3)

// WLAN's constants with the rp2 (CYW43) port's values, which share 0 and 3 with
// the LAN codes above. Apps compare against the names, never the numbers.
#define NETWORK_WLAN_STAT_CONNECTING (1)
#define NETWORK_WLAN_STAT_CONNECT_FAIL (-1)
#define NETWORK_WLAN_STAT_NO_AP_FOUND (-2)
#define NETWORK_WLAN_STAT_WRONG_PASSWORD (-3)
#define NETWORK_WLAN_STA_IF (0)
#define NETWORK_WLAN_AP_IF (1)
#define NETWORK_WLAN_PM_NONE (0xa11140)
#define NETWORK_WLAN_PM_PERFORMANCE (0x111022)
#define NETWORK_WLAN_PM_POWERSAVE (0xa11c82)

typedef struct _network_lan_obj_t {
    mp_obj_base_t base;
} network_lan_obj_t;

extern const mp_obj_type_t network_lan_type;

// Every access to the netif, the DNS server and lwIP's counters holds lwIP's lock
// (the tcpip core lock in the threaded firmware, nothing otherwise). Values are
// copied out under it and turned into Python objects after: allocating may run
// the GC, whose finalizers (socket close) take the same lock.
#define LAN_LOCK() usocket_hostnet_lwip_lock()
#define LAN_UNLOCK() usocket_hostnet_lwip_unlock()

// There is one netif, so LAN() always returns this object.
static const network_lan_obj_t network_lan_obj = { { &network_lan_type } };

// The bridge's netif is lwIP's default (and only) one. OSError(ENODEV) if the
// bridge could not start (hostnet.c said why on stderr).
static struct netif *network_lan_netif(void) {
    if (!usocket_hostnet_initialised() || netif_default == NULL) {
        mp_raise_OSError(MP_ENODEV);
    }
    return netif_default;
}

static mp_obj_t network_lan_format_ip(const ip_addr_t *addr) {
    char str[IPADDR_STRLEN_MAX];
    ipaddr_ntoa_r(addr, str, sizeof(str));
    // lwIP writes IPv6 hex digits in upper case; Python (ipaddress, socket) and
    // RFC 5952 use lower case, so addresses compare equal to what scripts write.
    for (char *c = str; *c != '\0'; ++c) {
        if (*c >= 'A' && *c <= 'F') {
            *c += 'a' - 'A';
        }
    }
    return mp_obj_new_str_from_cstr(str);
}

static mp_obj_t network_lan_format_ip4(const ip4_addr_t *addr) {
    char str[IP4ADDR_STRLEN_MAX];
    ip4addr_ntoa_r(addr, str, sizeof(str));
    return mp_obj_new_str_from_cstr(str);
}

// Strict parsing: lwIP's ip4addr_aton follows inet_aton and takes "1.2.3" as
// 1.2.0.3, and its ip6addr_aton stops at the first bad character instead of
// failing, either of which would turn a typo into another address. IPv4 is parsed
// here (four decimal parts, 0-255, no leading zeros, as inet_pton does), so the
// module also builds where there is no C library (the QEMU target); IPv6 with the
// C library's inet_pton, only where lwIP has IPv6.
static bool network_lan_aton4(const char *str, ip4_addr_t *addr) {
    uint32_t value = 0;
    for (int part = 0; part < 4; ++part) {
        if (part > 0 && *str++ != '.') {
            return false;
        }
        unsigned int n = 0;
        int digits = 0;
        for (; *str >= '0' && *str <= '9'; ++str, ++digits) {
            n = n * 10 + (unsigned int)(*str - '0');
            if (digits == 3 || (digits == 1 && str[-1] == '0') || n > 255) {
                return false;
            }
        }
        if (digits == 0) {
            return false;
        }
        value = (value << 8) | n;
    }
    if (*str != '\0') {
        return false;
    }
    ip4_addr_set_u32(addr, lwip_htonl(value));
    return true;
}

#if LWIP_IPV6
static bool network_lan_aton6(const char *str, ip6_addr_t *addr) {
    struct in6_addr in6;
    if (inet_pton(AF_INET6, str, &in6) != 1) {
        return false;
    }
    memset(addr, 0, sizeof(*addr));
    memcpy(addr->addr, in6.s6_addr, sizeof(addr->addr));
    return true;
}
#endif

static void network_lan_parse_ip4(mp_obj_t str_in, ip4_addr_t *addr) {
    if (!network_lan_aton4(mp_obj_str_get_str(str_in), addr)) {
        mp_raise_ValueError(MP_ERROR_TEXT("invalid IPv4 address"));
    }
}

static int network_lan_status_code(struct netif *netif) {
    LAN_LOCK();
    int status = NETWORK_LAN_STAT_GOT_IP;
    if (!netif_is_up(netif) || !netif_is_link_up(netif)) {
        status = NETWORK_LAN_STAT_IDLE;
    } else if (ip4_addr_isany(netif_ip4_addr(netif))) {
        status = NETWORK_LAN_STAT_NOIP;
    }
    LAN_UNLOCK();
    return status;
}

static void network_lan_print(const mp_print_t *print, mp_obj_t self_in, mp_print_kind_t kind) {
    struct netif *netif = netif_default;
    if (!usocket_hostnet_initialised() || netif == NULL) {
        mp_printf(print, "<%q unavailable>", ((mp_obj_base_t *)MP_OBJ_TO_PTR(self_in))->type->name);
        return;
    }
    char str[IP4ADDR_STRLEN_MAX];
    LAN_LOCK();
    ip4addr_ntoa_r(netif_ip4_addr(netif), str, sizeof(str));
    LAN_UNLOCK();
    // Shared by WLAN: the same netif under the other name.
    qstr name = ((mp_obj_base_t *)MP_OBJ_TO_PTR(self_in))->type->name;
    mp_printf(print, "<%q %d %s>", name, network_lan_status_code(netif), str);
}

static mp_obj_t network_lan_make_new(const mp_obj_type_t *type, size_t n_args, size_t n_kw, const mp_obj_t *all_args) {
    // LAN() or LAN(0), as on ESP32 and stm32: there is one interface.
    mp_arg_check_num(n_args, n_kw, 0, 1, false);
    if (n_args == 1 && mp_obj_get_int(all_args[0]) != 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("invalid LAN interface identifier"));
    }
    // Starting the bridge here (as well as on the first socket) lets a script
    // check the network before it opens anything, as it would on a board.
    usocket_hostnet_init();
    if (!usocket_hostnet_initialised()) {
        mp_raise_OSError(MP_ENODEV);
    }
    return MP_OBJ_FROM_PTR(&network_lan_obj);
}

// The handler given to LAN().irq(), or None. A link or address change schedules
// it with MicroPython's scheduler, so it runs as ordinary Python at the next
// bytecode boundary or inside the next wait (time.sleep, a blocking socket call),
// as a board's link-change event would; never from an lwIP callback.
MP_REGISTER_ROOT_POINTER(mp_obj_t network_lan_irq_handler);

static void network_lan_notify(void) {
    mp_obj_t handler = MP_STATE_PORT(network_lan_irq_handler);
    if (handler != MP_OBJ_NULL && handler != mp_const_none) {
        // A full scheduler queue loses this one event; the next change reports the
        // state again, and the handler reads the state, not the event.
        mp_sched_schedule(handler, MP_OBJ_FROM_PTR(&network_lan_obj));
    }
}

static mp_obj_t network_lan_active(size_t n_args, const mp_obj_t *args) {
    network_lan_netif();
    if (n_args == 1) {
        return mp_obj_new_bool(usocket_hostnet_link_is_up());
    }
    bool up = mp_obj_is_true(args[1]);
    bool changed = up != usocket_hostnet_link_is_up();
    usocket_hostnet_set_link(up);
    if (changed) {
        network_lan_notify();
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(network_lan_active_obj, 1, 2, network_lan_active);

// irq(handler): handler(lan) is scheduled after every change of the link or of
// the IPv4 address; irq(None) removes it. Returns the previous handler.
static mp_obj_t network_lan_irq(mp_obj_t self_in, mp_obj_t handler) {
    if (handler != mp_const_none && !mp_obj_is_callable(handler)) {
        mp_raise_ValueError(MP_ERROR_TEXT("handler must be callable or None"));
    }
    mp_obj_t old = MP_STATE_PORT(network_lan_irq_handler);
    MP_STATE_PORT(network_lan_irq_handler) = handler;
    return old == MP_OBJ_NULL ? mp_const_none : old;
}
static MP_DEFINE_CONST_FUN_OBJ_2(network_lan_irq_obj, network_lan_irq);

static mp_obj_t network_lan_isconnected(mp_obj_t self_in) {
    return mp_obj_new_bool(network_lan_status_code(network_lan_netif()) == NETWORK_LAN_STAT_GOT_IP);
}
static MP_DEFINE_CONST_FUN_OBJ_1(network_lan_isconnected_obj, network_lan_isconnected);

static mp_obj_t network_lan_status(size_t n_args, const mp_obj_t *args) {
    struct netif *netif = network_lan_netif();
    if (n_args == 1) {
        return MP_OBJ_NEW_SMALL_INT(network_lan_status_code(netif));
    }
    mp_raise_ValueError(MP_ERROR_TEXT("unknown status param"));
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(network_lan_status_obj, 1, 2, network_lan_status);

// ifconfig() -> (ip, mask, gw, dns); ifconfig((ip, mask, gw, dns)) sets all four.
// MicroPython calls this form deprecated in favour of ipconfig(), but application
// code written for boards still uses it.
static mp_obj_t network_lan_ifconfig(size_t n_args, const mp_obj_t *args) {
    struct netif *netif = network_lan_netif();
    if (n_args == 1) {
        LAN_LOCK();
        ip4_addr_t ip = *netif_ip4_addr(netif);
        ip4_addr_t mask = *netif_ip4_netmask(netif);
        ip4_addr_t gw = *netif_ip4_gw(netif);
        ip_addr_t dns = *dns_getserver(0);
        LAN_UNLOCK();
        mp_obj_t tuple[4] = {
            network_lan_format_ip4(&ip),
            network_lan_format_ip4(&mask),
            network_lan_format_ip4(&gw),
            network_lan_format_ip(&dns),
        };
        return mp_obj_new_tuple(4, tuple);
    }
    if (args[1] == MP_OBJ_NEW_QSTR(MP_QSTR_dhcp)) {
        mp_raise_OSError(MP_EOPNOTSUPP);
    }
    mp_obj_t *items;
    mp_obj_get_array_fixed_n(args[1], 4, &items);
    // Parse everything before changing anything, so a bad entry changes nothing.
    ip4_addr_t ip, mask, gw, dns4;
    network_lan_parse_ip4(items[0], &ip);
    network_lan_parse_ip4(items[1], &mask);
    network_lan_parse_ip4(items[2], &gw);
    network_lan_parse_ip4(items[3], &dns4);
    // netif_set_addr (unlike writing the fields) also moves or aborts connections
    // bound to the old address.
    ip_addr_t dns;
    ip_addr_copy_from_ip4(dns, dns4);
    LAN_LOCK();
    netif_set_addr(netif, &ip, &mask, &gw);
    dns_setserver(0, &dns);
    LAN_UNLOCK();
    network_lan_notify();
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(network_lan_ifconfig_obj, 1, 2, network_lan_ifconfig);

// "a.b.c.d" (keeps the netmask), "a.b.c.d/prefix" or ("a.b.c.d", "mask").
static void network_lan_set_addr4(struct netif *netif, mp_obj_t value) {
    ip4_addr_t ip, mask;
    LAN_LOCK();
    ip4_addr_copy(mask, *netif_ip4_netmask(netif));
    LAN_UNLOCK();
    if (mp_obj_is_str(value)) {
        size_t len;
        const char *str = mp_obj_str_get_data(value, &len);
        char buf[IP4ADDR_STRLEN_MAX + 3];
        if (len >= sizeof(buf)) {
            mp_raise_ValueError(MP_ERROR_TEXT("invalid IPv4 address"));
        }
        memcpy(buf, str, len);
        buf[len] = '\0';
        char *slash = strchr(buf, '/');
        if (slash != NULL) {
            *slash = '\0';
            // One or two decimal digits, 0-32 (no C library on every port).
            const char *p = slash + 1;
            int prefix = 0;
            for (; *p >= '0' && *p <= '9' && p - slash <= 2; ++p) {
                prefix = prefix * 10 + (*p - '0');
            }
            if (*p != '\0' || p == slash + 1 || prefix > 32) {
                mp_raise_ValueError(MP_ERROR_TEXT("invalid prefix length"));
            }
            ip4_addr_set_u32(&mask, lwip_htonl(prefix == 0 ? 0 : 0xffffffffu << (32 - prefix)));
        }
        if (!network_lan_aton4(buf, &ip)) {
            mp_raise_ValueError(MP_ERROR_TEXT("invalid IPv4 address"));
        }
    } else {
        mp_obj_t *items;
        mp_obj_get_array_fixed_n(value, 2, &items);
        network_lan_parse_ip4(items[0], &ip);
        network_lan_parse_ip4(items[1], &mask);
    }
    LAN_LOCK();
    netif_set_addr(netif, &ip, &mask, netif_ip4_gw(netif));
    LAN_UNLOCK();
    network_lan_notify();
}

// ipconfig('key') reads one setting, ipconfig(key=value, ...) writes some, as in
// MicroPython's extmod/network_lwip.c.
static mp_obj_t network_lan_ipconfig(size_t n_args, const mp_obj_t *args, mp_map_t *kwargs) {
    struct netif *netif = network_lan_netif();
    if (kwargs->used == 0) {
        if (n_args != 2) {
            mp_raise_TypeError(MP_ERROR_TEXT("must query one param"));
        }
        switch (mp_obj_str_get_qstr(args[1])) {
            case MP_QSTR_addr4: {
                LAN_LOCK();
                ip4_addr_t ip = *netif_ip4_addr(netif);
                ip4_addr_t mask = *netif_ip4_netmask(netif);
                LAN_UNLOCK();
                mp_obj_t tuple[2] = {
                    network_lan_format_ip4(&ip),
                    network_lan_format_ip4(&mask),
                };
                return mp_obj_new_tuple(2, tuple);
            }
            case MP_QSTR_gw4: {
                LAN_LOCK();
                ip4_addr_t gw = *netif_ip4_gw(netif);
                LAN_UNLOCK();
                return network_lan_format_ip4(&gw);
            }
            #if LWIP_IPV6
            case MP_QSTR_addr6: {
                // (address, state, preferred lifetime, valid lifetime) per address,
                // the link-local one first; lifetimes are 0 (static).
                ip_addr_t addrs[LWIP_IPV6_NUM_ADDRESSES];
                u8_t states[LWIP_IPV6_NUM_ADDRESSES];
                LAN_LOCK();
                for (s8_t i = 0; i < LWIP_IPV6_NUM_ADDRESSES; i++) {
                    addrs[i] = *netif_ip_addr6(netif, i);
                    states[i] = netif_ip6_addr_state(netif, i);
                }
                LAN_UNLOCK();
                mp_obj_t list = mp_obj_new_list(0, NULL);
                for (s8_t i = 0; i < LWIP_IPV6_NUM_ADDRESSES; i++) {
                    if (ip6_addr_isvalid(states[i])) {
                        mp_obj_t tuple[4] = {
                            network_lan_format_ip(&addrs[i]),
                            MP_OBJ_NEW_SMALL_INT(states[i]),
                            MP_OBJ_NEW_SMALL_INT(0),
                            MP_OBJ_NEW_SMALL_INT(0),
                        };
                        mp_obj_list_append(list, mp_obj_new_tuple(4, tuple));
                    }
                }
                return list;
            }
            #endif
            case MP_QSTR_dhcp4:
            case MP_QSTR_has_dhcp4:
                return mp_const_false;
            default:
                mp_raise_ValueError(MP_ERROR_TEXT("unexpected key"));
        }
    }
    if (n_args != 1) {
        mp_raise_TypeError(MP_ERROR_TEXT("can't specify pos and kw args"));
    }
    for (size_t i = 0; i < kwargs->alloc; ++i) {
        if (!mp_map_slot_is_filled(kwargs, i)) {
            continue;
        }
        mp_map_elem_t *e = &kwargs->table[i];
        switch (mp_obj_str_get_qstr(e->key)) {
            case MP_QSTR_addr4:
                network_lan_set_addr4(netif, e->value);
                break;
            case MP_QSTR_gw4: {
                ip4_addr_t gw;
                network_lan_parse_ip4(e->value, &gw);
                LAN_LOCK();
                netif_set_gw(netif, &gw);
                LAN_UNLOCK();
                break;
            }
            case MP_QSTR_dhcp4:
                // slirp's DHCP server is disabled (the address is fixed).
                if (mp_obj_is_true(e->value)) {
                    mp_raise_OSError(MP_EOPNOTSUPP);
                }
                break;
            default:
                mp_raise_ValueError(MP_ERROR_TEXT("unexpected key"));
        }
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_KW(network_lan_ipconfig_obj, 1, network_lan_ipconfig);

static mp_obj_t network_lan_config(size_t n_args, const mp_obj_t *args, mp_map_t *kwargs) {
    network_lan_netif();
    if (kwargs->used != 0) {
        // Nothing is settable: the MAC is the one slirp has learned.
        mp_raise_ValueError(MP_ERROR_TEXT("unknown config param"));
    }
    if (n_args != 2) {
        mp_raise_TypeError(MP_ERROR_TEXT("must query one param"));
    }
    switch (mp_obj_str_get_qstr(args[1])) {
        case MP_QSTR_mac:
            return mp_obj_new_bytes(usocket_hostnet_mac(), 6);
        default:
            mp_raise_ValueError(MP_ERROR_TEXT("unknown config param"));
    }
}
static MP_DEFINE_CONST_FUN_OBJ_KW(network_lan_config_obj, 1, network_lan_config);

static void network_lan_stats_store(mp_obj_t dict, qstr key, uint32_t value) {
    mp_obj_dict_store(dict, MP_OBJ_NEW_QSTR(key), mp_obj_new_int_from_uint(value));
}

// Host-only diagnostics: frame counters from the bridge and lwIP's pool usage
// (modusocket/usocket_stats.c), so a test can prove that nothing left loopback and
// nothing leaked. Pool values are the number of elements in use now; 'memp_err'
// counts failed pool allocations.
static mp_obj_t network_lan_stats(mp_obj_t self_in) {
    network_lan_netif();
    usocket_hostnet_stats_t s;
    usocket_hostnet_get_stats(&s);
    mp_obj_t dict = mp_obj_new_dict(24);
    network_lan_stats_store(dict, MP_QSTR_frames_in, s.frames_in);
    network_lan_stats_store(dict, MP_QSTR_frames_out, s.frames_out);
    network_lan_stats_store(dict, MP_QSTR_dropped_filter, s.dropped_filter);
    network_lan_stats_store(dict, MP_QSTR_dropped_loss, s.dropped_loss);
    network_lan_stats_store(dict, MP_QSTR_dropped_link_down, s.dropped_link_down);
    network_lan_stats_store(dict, MP_QSTR_dropped_queue_full, s.dropped_queue_full);
    network_lan_stats_store(dict, MP_QSTR_queued, s.queued);
    network_lan_stats_store(dict, MP_QSTR_syn_held, s.syn_held);
    network_lan_stats_store(dict, MP_QSTR_dropped_syn_held, s.dropped_syn_held);
    usocket_lwip_stats(dict);
    return dict;
}
static MP_DEFINE_CONST_FUN_OBJ_1(network_lan_stats_obj, network_lan_stats);

// --- network.WLAN(network.STA_IF) ----------------------------------------------
//
// What ESP32 and Pico W apps expect of a board: a station interface. On the host
// it is the same netif as LAN() (there is one link, the slirp bridge), so both
// objects always agree. connect() brings the link up and disconnect() takes it
// down, like active(); the SSID and key are accepted and only remembered (config
// ('ssid')), because the host link has no access point to join.
//
// WLAN(AP_IF) is an access point that is never active, so the common start-up
// line `network.WLAN(network.AP_IF).active(False)` and code that looks for an
// active interface (WebREPL's) run unchanged: active() is False, active(False)
// does nothing, isconnected() is False, status() is STAT_IDLE, config('mac')
// answers; turning it on, and everything else, raises OSError(EOPNOTSUPP).

typedef struct _network_wlan_obj_t {
    mp_obj_base_t base;
    uint8_t itf;
} network_wlan_obj_t;

extern const mp_obj_type_t network_wlan_type;

static const network_wlan_obj_t network_wlan_objs[2] = {
    { { &network_wlan_type }, NETWORK_WLAN_STA_IF },
    { { &network_wlan_type }, NETWORK_WLAN_AP_IF },
};

static bool network_wlan_is_ap(mp_obj_t self_in) {
    return ((network_wlan_obj_t *)MP_OBJ_TO_PTR(self_in))->itf == NETWORK_WLAN_AP_IF;
}

// The AP interface only answers what an inactive one can.
static void network_wlan_sta_only(mp_obj_t self_in) {
    if (network_wlan_is_ap(self_in)) {
        mp_raise_OSError(MP_EOPNOTSUPP);
    }
}

// Settings that only a radio has: remembered so config() reads back what was set.
static struct {
    char ssid[33];  // 802.11 allows 32 bytes
    mp_int_t pm;
    mp_int_t reconnects;
    mp_int_t txpower;
} network_wlan_settings = { "", NETWORK_WLAN_PM_PERFORMANCE, -1, 20 };

static mp_obj_t network_wlan_make_new(const mp_obj_type_t *type, size_t n_args, size_t n_kw, const mp_obj_t *all_args) {
    mp_arg_check_num(n_args, n_kw, 0, 1, false);
    mp_int_t itf = n_args > 0 ? mp_obj_get_int(all_args[0]) : NETWORK_WLAN_STA_IF;
    if (itf != NETWORK_WLAN_STA_IF && itf != NETWORK_WLAN_AP_IF) {
        mp_raise_ValueError(MP_ERROR_TEXT("invalid WLAN interface identifier"));
    }
    network_lan_make_new(&network_lan_type, 0, 0, NULL);
    return MP_OBJ_FROM_PTR(&network_wlan_objs[itf]);
}

static void network_wlan_print(const mp_print_t *print, mp_obj_t self_in, mp_print_kind_t kind) {
    if (network_wlan_is_ap(self_in)) {
        mp_print_str(print, "<WLAN AP inactive>");
    } else {
        network_lan_print(print, self_in, kind);
    }
}

static mp_obj_t network_wlan_active(size_t n_args, const mp_obj_t *args) {
    if (!network_wlan_is_ap(args[0])) {
        return network_lan_active(n_args, args);
    }
    if (n_args == 1) {
        return mp_const_false;
    }
    if (mp_obj_is_true(args[1])) {
        mp_raise_OSError(MP_EOPNOTSUPP);
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(network_wlan_active_obj, 1, 2, network_wlan_active);

static mp_obj_t network_wlan_isconnected(mp_obj_t self_in) {
    return network_wlan_is_ap(self_in) ? mp_const_false : network_lan_isconnected(self_in);
}
static MP_DEFINE_CONST_FUN_OBJ_1(network_wlan_isconnected_obj, network_wlan_isconnected);

static mp_obj_t network_wlan_status(size_t n_args, const mp_obj_t *args) {
    if (network_wlan_is_ap(args[0]) && n_args == 1) {
        return MP_OBJ_NEW_SMALL_INT(NETWORK_LAN_STAT_IDLE);
    }
    network_wlan_sta_only(args[0]);
    return network_lan_status(n_args, args);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(network_wlan_status_obj, 1, 2, network_wlan_status);

static mp_obj_t network_wlan_ifconfig(size_t n_args, const mp_obj_t *args) {
    network_wlan_sta_only(args[0]);
    return network_lan_ifconfig(n_args, args);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(network_wlan_ifconfig_obj, 1, 2, network_wlan_ifconfig);

static mp_obj_t network_wlan_ipconfig(size_t n_args, const mp_obj_t *args, mp_map_t *kwargs) {
    network_wlan_sta_only(args[0]);
    return network_lan_ipconfig(n_args, args, kwargs);
}
static MP_DEFINE_CONST_FUN_OBJ_KW(network_wlan_ipconfig_obj, 1, network_wlan_ipconfig);

static void network_wlan_set_ssid(mp_obj_t ssid_in) {
    size_t len;
    const char *ssid = mp_obj_str_get_data(ssid_in, &len);
    if (len >= sizeof(network_wlan_settings.ssid)) {
        mp_raise_ValueError(MP_ERROR_TEXT("SSID longer than 32 bytes"));
    }
    memcpy(network_wlan_settings.ssid, ssid, len);
    network_wlan_settings.ssid[len] = '\0';
}

// connect([ssid, key, *, bssid=None]): the link comes up at once, so a loop that
// waits for isconnected() (or for status() to leave STAT_CONNECTING) ends on its
// first check.
static mp_obj_t network_wlan_connect(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args) {
    enum { ARG_ssid, ARG_key, ARG_bssid };
    static const mp_arg_t allowed_args[] = {
        { MP_QSTR_ssid, MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
        { MP_QSTR_key, MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
        { MP_QSTR_bssid, MP_ARG_KW_ONLY | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
    };
    network_wlan_sta_only(pos_args[0]);
    mp_arg_val_t args[MP_ARRAY_SIZE(allowed_args)];
    mp_arg_parse_all(n_args - 1, pos_args + 1, kw_args, MP_ARRAY_SIZE(allowed_args), allowed_args, args);
    network_lan_netif();
    if (args[ARG_ssid].u_obj != mp_const_none) {
        network_wlan_set_ssid(args[ARG_ssid].u_obj);
    }
    if (args[ARG_key].u_obj != mp_const_none) {
        // Checked as a board's driver would, then forgotten.
        mp_obj_str_get_str(args[ARG_key].u_obj);
    }
    usocket_hostnet_set_link(true);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_KW(network_wlan_connect_obj, 1, network_wlan_connect);

static mp_obj_t network_wlan_disconnect(mp_obj_t self_in) {
    network_wlan_sta_only(self_in);
    network_lan_netif();
    usocket_hostnet_set_link(false);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(network_wlan_disconnect_obj, network_wlan_disconnect);

static mp_obj_t network_wlan_config(size_t n_args, const mp_obj_t *args, mp_map_t *kwargs) {
    network_lan_netif();
    if (network_wlan_is_ap(args[0]) && !(kwargs->used == 0 && n_args == 2 && mp_obj_str_get_qstr(args[1]) == MP_QSTR_mac)) {
        mp_raise_OSError(MP_EOPNOTSUPP);
    }
    if (kwargs->used == 0) {
        if (n_args != 2) {
            mp_raise_TypeError(MP_ERROR_TEXT("must query one param"));
        }
        switch (mp_obj_str_get_qstr(args[1])) {
            case MP_QSTR_mac:
                return mp_obj_new_bytes(usocket_hostnet_mac(), 6);
            case MP_QSTR_ssid:
            case MP_QSTR_essid:
                return mp_obj_new_str_from_cstr(network_wlan_settings.ssid);
            case MP_QSTR_pm:
                return mp_obj_new_int(network_wlan_settings.pm);
            case MP_QSTR_reconnects:
                return mp_obj_new_int(network_wlan_settings.reconnects);
            case MP_QSTR_txpower:
                return mp_obj_new_int(network_wlan_settings.txpower);
            default:
                mp_raise_ValueError(MP_ERROR_TEXT("unknown config param"));
        }
    }
    if (n_args != 1) {
        mp_raise_TypeError(MP_ERROR_TEXT("can't specify pos and kw args"));
    }
    for (size_t i = 0; i < kwargs->alloc; ++i) {
        if (!mp_map_slot_is_filled(kwargs, i)) {
            continue;
        }
        mp_map_elem_t *e = &kwargs->table[i];
        switch (mp_obj_str_get_qstr(e->key)) {
            case MP_QSTR_ssid:
            case MP_QSTR_essid:
                network_wlan_set_ssid(e->value);
                break;
            case MP_QSTR_pm:
                network_wlan_settings.pm = mp_obj_get_int(e->value);
                break;
            case MP_QSTR_reconnects:
                network_wlan_settings.reconnects = mp_obj_get_int(e->value);
                break;
            case MP_QSTR_txpower:
                network_wlan_settings.txpower = mp_obj_get_int(e->value);
                break;
            default:
                mp_raise_ValueError(MP_ERROR_TEXT("unknown config param"));
        }
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_KW(network_wlan_config_obj, 1, network_wlan_config);

static const mp_rom_map_elem_t network_wlan_locals_dict_table[] = {
    { MP_ROM_QSTR(MP_QSTR_active), MP_ROM_PTR(&network_wlan_active_obj) },
    { MP_ROM_QSTR(MP_QSTR_connect), MP_ROM_PTR(&network_wlan_connect_obj) },
    { MP_ROM_QSTR(MP_QSTR_disconnect), MP_ROM_PTR(&network_wlan_disconnect_obj) },
    { MP_ROM_QSTR(MP_QSTR_isconnected), MP_ROM_PTR(&network_wlan_isconnected_obj) },
    { MP_ROM_QSTR(MP_QSTR_status), MP_ROM_PTR(&network_wlan_status_obj) },
    { MP_ROM_QSTR(MP_QSTR_ifconfig), MP_ROM_PTR(&network_wlan_ifconfig_obj) },
    { MP_ROM_QSTR(MP_QSTR_ipconfig), MP_ROM_PTR(&network_wlan_ipconfig_obj) },
    { MP_ROM_QSTR(MP_QSTR_config), MP_ROM_PTR(&network_wlan_config_obj) },
    { MP_ROM_QSTR(MP_QSTR_PM_NONE), MP_ROM_INT(NETWORK_WLAN_PM_NONE) },
    { MP_ROM_QSTR(MP_QSTR_PM_PERFORMANCE), MP_ROM_INT(NETWORK_WLAN_PM_PERFORMANCE) },
    { MP_ROM_QSTR(MP_QSTR_PM_POWERSAVE), MP_ROM_INT(NETWORK_WLAN_PM_POWERSAVE) },
};
static MP_DEFINE_CONST_DICT(network_wlan_locals_dict, network_wlan_locals_dict_table);

MP_DEFINE_CONST_OBJ_TYPE(
    network_wlan_type,
    MP_QSTR_WLAN,
    MP_TYPE_FLAG_NONE,
    make_new, network_wlan_make_new,
    print, network_wlan_print,
    locals_dict, &network_wlan_locals_dict
    );

// machine.unique_id() (added to the port's machine module by mpconfigvariant.h):
// the netif's MAC address, as on ESP32, where unique_id() is the base MAC.
static mp_obj_t usocket_machine_unique_id(void) {
    return mp_obj_new_bytes(usocket_hostnet_mac(), 6);
}
MP_DEFINE_CONST_FUN_OBJ_0(usocket_machine_unique_id_obj, usocket_machine_unique_id);

static const mp_rom_map_elem_t network_lan_locals_dict_table[] = {
    { MP_ROM_QSTR(MP_QSTR_active), MP_ROM_PTR(&network_lan_active_obj) },
    { MP_ROM_QSTR(MP_QSTR_isconnected), MP_ROM_PTR(&network_lan_isconnected_obj) },
    { MP_ROM_QSTR(MP_QSTR_status), MP_ROM_PTR(&network_lan_status_obj) },
    { MP_ROM_QSTR(MP_QSTR_ifconfig), MP_ROM_PTR(&network_lan_ifconfig_obj) },
    { MP_ROM_QSTR(MP_QSTR_ipconfig), MP_ROM_PTR(&network_lan_ipconfig_obj) },
    { MP_ROM_QSTR(MP_QSTR_config), MP_ROM_PTR(&network_lan_config_obj) },
    { MP_ROM_QSTR(MP_QSTR_stats), MP_ROM_PTR(&network_lan_stats_obj) },
    { MP_ROM_QSTR(MP_QSTR_irq), MP_ROM_PTR(&network_lan_irq_obj) },
};
static MP_DEFINE_CONST_DICT(network_lan_locals_dict, network_lan_locals_dict_table);

MP_DEFINE_CONST_OBJ_TYPE(
    network_lan_type,
    MP_QSTR_LAN,
    MP_TYPE_FLAG_NONE,
    make_new, network_lan_make_new,
    print, network_lan_print,
    locals_dict, &network_lan_locals_dict
    );

// network.ipconfig('dns') / network.ipconfig(dns='a.b.c.d'): the resolver's
// server, as in MicroPython's module-level ipconfig. Another server than 10.0.2.2
// is accepted, but the bridge drops the queries.
static mp_obj_t network_ipconfig(size_t n_args, const mp_obj_t *args, mp_map_t *kwargs) {
    if (kwargs->used == 0) {
        if (n_args != 1) {
            mp_raise_TypeError(MP_ERROR_TEXT("must query one param"));
        }
        if (mp_obj_str_get_qstr(args[0]) != MP_QSTR_dns) {
            mp_raise_ValueError(MP_ERROR_TEXT("unexpected key"));
        }
        LAN_LOCK();
        ip_addr_t dns = *dns_getserver(0);
        LAN_UNLOCK();
        return network_lan_format_ip(&dns);
    }
    if (n_args != 0) {
        mp_raise_TypeError(MP_ERROR_TEXT("can't specify pos and kw args"));
    }
    for (size_t i = 0; i < kwargs->alloc; ++i) {
        if (!mp_map_slot_is_filled(kwargs, i)) {
            continue;
        }
        mp_map_elem_t *e = &kwargs->table[i];
        if (mp_obj_str_get_qstr(e->key) != MP_QSTR_dns) {
            mp_raise_ValueError(MP_ERROR_TEXT("unexpected key"));
        }
        const char *str = mp_obj_str_get_str(e->value);
        ip_addr_t dns;
        bool ok;
        #if LWIP_IPV6
        if (strchr(str, ':') != NULL) {
            ok = network_lan_aton6(str, ip_2_ip6(&dns));
            IP_SET_TYPE_VAL(dns, IPADDR_TYPE_V6);
        } else
        #endif
        {
            ok = network_lan_aton4(str, ip_2_ip4(&dns));
            IP_SET_TYPE_VAL(dns, IPADDR_TYPE_V4);
        }
        if (!ok) {
            mp_raise_ValueError(MP_ERROR_TEXT("invalid DNS server address"));
        }
        LAN_LOCK();
        dns_setserver(0, &dns);
        LAN_UNLOCK();
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_KW(network_ipconfig_obj, 0, network_ipconfig);

static const mp_rom_map_elem_t network_module_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_network) },
    { MP_ROM_QSTR(MP_QSTR_LAN), MP_ROM_PTR(&network_lan_type) },
    { MP_ROM_QSTR(MP_QSTR_ipconfig), MP_ROM_PTR(&network_ipconfig_obj) },
    { MP_ROM_QSTR(MP_QSTR_STAT_IDLE), MP_ROM_INT(NETWORK_LAN_STAT_IDLE) },
    { MP_ROM_QSTR(MP_QSTR_STAT_NOIP), MP_ROM_INT(NETWORK_LAN_STAT_NOIP) },
    { MP_ROM_QSTR(MP_QSTR_STAT_GOT_IP), MP_ROM_INT(NETWORK_LAN_STAT_GOT_IP) },
    { MP_ROM_QSTR(MP_QSTR_WLAN), MP_ROM_PTR(&network_wlan_type) },
    { MP_ROM_QSTR(MP_QSTR_STA_IF), MP_ROM_INT(NETWORK_WLAN_STA_IF) },
    { MP_ROM_QSTR(MP_QSTR_AP_IF), MP_ROM_INT(NETWORK_WLAN_AP_IF) },
    { MP_ROM_QSTR(MP_QSTR_STAT_CONNECTING), MP_ROM_INT(NETWORK_WLAN_STAT_CONNECTING) },
    { MP_ROM_QSTR(MP_QSTR_STAT_CONNECT_FAIL), MP_ROM_INT(NETWORK_WLAN_STAT_CONNECT_FAIL) },
    { MP_ROM_QSTR(MP_QSTR_STAT_NO_AP_FOUND), MP_ROM_INT(NETWORK_WLAN_STAT_NO_AP_FOUND) },
    { MP_ROM_QSTR(MP_QSTR_STAT_WRONG_PASSWORD), MP_ROM_INT(NETWORK_WLAN_STAT_WRONG_PASSWORD) },
};
static MP_DEFINE_CONST_DICT(network_module_globals, network_module_globals_table);

const mp_obj_module_t network_module = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&network_module_globals,
};

MP_REGISTER_MODULE(MP_QSTR_network, network_module);
