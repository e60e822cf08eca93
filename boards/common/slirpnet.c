// What every bridge to the PC shares (slirpnet.h): libslirp with the firmware's
// address plan, the safety filter, the USOCKET_* environment, and slirp's
// callbacks, timers and poll() set. Moved here from hostnet.c so that the QEMU
// target's bridge program applies the same filter and reads the same variables
// as the host firmware: one bridge for every target.

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "slirpnet.h"

#define SLIRPNET_IPPROTO_ICMP6 (58)
#define SLIRPNET_ICMP6_ROUTER_SOLICIT (133)
#define SLIRPNET_ICMP6_NEIGHBOR_SOLICIT (135)
#define SLIRPNET_ICMP6_NEIGHBOR_ADVERT (136)

// Allowed destinations, in network byte order as they appear on the wire.
static const uint8_t slirpnet_ip4_host[4] = { 10, 0, 2, 2 };
static const uint8_t slirpnet_ip6_host[16] = { 0xfe, 0xc0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 };

uint16_t slirpnet_be16(const uint8_t *p) {
    return (uint16_t)((p[0] << 8) | p[1]);
}

/******************************************************************************/
// Safety filter: decides whether a frame the firmware sent may reach slirp.
//
// - IPv4: only to 10.0.2.2 (slirp maps it to 127.0.0.1, and the tests' DNS server
//   listens there). slirp would map any other address in 10.0.2.0/24 to loopback
//   too, and forward anything outside it to the real network: all dropped.
// - IPv6: only to fec0::2 (slirp maps it to ::1; it maps the rest of fec0::/64 to
//   loopback and forwards other prefixes). The one exception is neighbour
//   discovery (router/neighbour solicitations and neighbour adverts to link-local
//   or multicast addresses), which slirp answers itself and never forwards.
// - ARP: requests for 10.0.2.2 and announcements of our own address (slirp learns
//   our MAC from them), and replies (to slirp's own requests for 10.0.2.15). ARP
//   never leaves slirp, but dropping requests for other addresses makes a connect
//   to, say, 10.0.2.99 show up in dropped_filter instead of stalling silently.
// - Any other ethertype: dropped.

static bool slirpnet_arp_allowed(const uint8_t *arp, size_t len) {
    // htype(2) ptype(2) hlen(1) plen(1) oper(2) sha(6) spa(4) tha(6) tpa(4)
    if (len < 28 || slirpnet_be16(arp) != 1 || slirpnet_be16(arp + 2) != SLIRPNET_ETHTYPE_IPV4
        || arp[4] != 6 || arp[5] != 4) {
        return false;
    }
    uint16_t oper = slirpnet_be16(arp + 6);
    const uint8_t *spa = arp + 14;
    const uint8_t *tpa = arp + 24;
    if (oper == 2) {
        return true;
    }
    return oper == 1 && (memcmp(tpa, slirpnet_ip4_host, 4) == 0 || memcmp(spa, tpa, 4) == 0);
}

static bool slirpnet_ip4_allowed(const uint8_t *ip, size_t len) {
    if (len < 20 || (ip[0] >> 4) != 4) {
        return false;
    }
    return memcmp(ip + 16, slirpnet_ip4_host, 4) == 0;
}

static bool slirpnet_ip6_allowed(const uint8_t *ip, size_t len) {
    if (len < 40 || (ip[0] >> 4) != 6) {
        return false;
    }
    const uint8_t *dst = ip + 24;
    if (memcmp(dst, slirpnet_ip6_host, 16) == 0) {
        return true;
    }
    // Neighbour discovery: the ICMPv6 header directly follows the fixed header.
    bool dst_multicast = dst[0] == 0xff;
    bool dst_link_local = dst[0] == 0xfe && (dst[1] & 0xc0) == 0x80;
    if (ip[6] == SLIRPNET_IPPROTO_ICMP6 && len >= 41 && (dst_multicast || dst_link_local)) {
        uint8_t type = ip[40];
        return type == SLIRPNET_ICMP6_ROUTER_SOLICIT || type == SLIRPNET_ICMP6_NEIGHBOR_SOLICIT
               || type == SLIRPNET_ICMP6_NEIGHBOR_ADVERT;
    }
    return false;
}

bool slirpnet_frame_allowed(const uint8_t *frame, size_t len) {
    if (len < SLIRPNET_ETH_HLEN) {
        return false;
    }
    const uint8_t *payload = frame + SLIRPNET_ETH_HLEN;
    size_t payload_len = len - SLIRPNET_ETH_HLEN;
    switch (slirpnet_be16(frame + 12)) {
        case SLIRPNET_ETHTYPE_ARP:
            return slirpnet_arp_allowed(payload, payload_len);
        case SLIRPNET_ETHTYPE_IPV4:
            return slirpnet_ip4_allowed(payload, payload_len);
        case SLIRPNET_ETHTYPE_IPV6:
            return slirpnet_ip6_allowed(payload, payload_len);
        default:
            return false;
    }
}

uint64_t slirpnet_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t slirpnet_now_ms(void) {
    return slirpnet_now_ns() / 1000000u;
}

/******************************************************************************/
// slirp's callbacks, apart from send_packet.

static void slirpnet_guest_error(const char *msg, void *opaque) {
    slirpnet_glue_t *glue = opaque;
    fprintf(stderr, "%s: slirp: %s\n", glue->name, msg);
}

static int64_t slirpnet_clock_get_ns(void *opaque) {
    return (int64_t)slirpnet_now_ns();
}

void *slirpnet_timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque) {
    slirpnet_glue_t *glue = opaque;
    slirpnet_timer_t *t = malloc(sizeof(slirpnet_timer_t));
    if (t == NULL) {
        return NULL;
    }
    t->id = id;
    t->cb_opaque = cb_opaque;
    t->expire_ms = -1;
    t->next = glue->timers;
    glue->timers = t;
    return t;
}

static void slirpnet_timer_free(void *timer, void *opaque) {
    slirpnet_glue_t *glue = opaque;
    for (slirpnet_timer_t **t = &glue->timers; *t != NULL; t = &(*t)->next) {
        if (*t == timer) {
            *t = (*t)->next;
            free(timer);
            return;
        }
    }
}

// expire_time is in ms on the clock_get_ns clock (slirp adds its interval to
// clock_get_ns() / 1000000).
static void slirpnet_timer_mod(void *timer, int64_t expire_time, void *opaque) {
    if (timer != NULL) {
        ((slirpnet_timer_t *)timer)->expire_ms = expire_time < 0 ? 0 : expire_time;
    }
}

// slirp's descriptors are collected afresh by slirp_pollfds_fill on every poll,
// and nothing else waits on them, so there is nothing to register or wake.
static void slirpnet_poll_fd_nop(int fd, void *opaque) {
}

static void slirpnet_notify(void *opaque) {
}

void slirpnet_glue_init(slirpnet_glue_t *glue, const char *name, SlirpWriteCb send_packet) {
    glue->name = name;
    glue->timers = NULL;
    glue->callbacks = (SlirpCb) {
        .send_packet = send_packet,
        .guest_error = slirpnet_guest_error,
        .clock_get_ns = slirpnet_clock_get_ns,
        .timer_new = NULL,  // superseded by timer_new_opaque (SlirpConfig version 4)
        .timer_free = slirpnet_timer_free,
        .timer_mod = slirpnet_timer_mod,
        .register_poll_fd = slirpnet_poll_fd_nop,
        .unregister_poll_fd = slirpnet_poll_fd_nop,
        .notify = slirpnet_notify,
        .init_completed = NULL,
        .timer_new_opaque = slirpnet_timer_new_opaque,
    };
}

bool slirpnet_timers_run(slirpnet_glue_t *glue, Slirp *slirp, int budget) {
    int64_t now = (int64_t)slirpnet_now_ms();
    bool ran = false;
    // The budget guards against a handler re-arming its timer in the past.
    for (; budget > 0; --budget) {
        slirpnet_timer_t *t = glue->timers;
        while (t != NULL && !(t->expire_ms >= 0 && t->expire_ms <= now)) {
            t = t->next;
        }
        if (t == NULL) {
            break;
        }
        t->expire_ms = -1;
        slirp_handle_timer(slirp, t->id, t->cb_opaque);
        ran = true;
    }
    return ran;
}

int64_t slirpnet_timers_left_ms(const slirpnet_glue_t *glue, int64_t now_ms) {
    int64_t wait = -1;
    for (const slirpnet_timer_t *t = glue->timers; t != NULL; t = t->next) {
        if (t->expire_ms >= 0) {
            int64_t left = t->expire_ms > now_ms ? t->expire_ms - now_ms : 0;
            wait = wait < 0 || left < wait ? left : wait;
        }
    }
    return wait;
}

void slirpnet_timers_free(slirpnet_glue_t *glue) {
    while (glue->timers != NULL) {
        slirpnet_timer_t *t = glue->timers;
        glue->timers = t->next;
        free(t);
    }
}

/******************************************************************************/
// poll() sets.

int slirpnet_pollfds_add(int fd, int events, void *opaque) {
    slirpnet_pollfds_t *set = opaque;
    if (set->len == set->alloc) {
        size_t n = set->alloc == 0 ? 16 : set->alloc * 2;
        struct pollfd *p = realloc(set->fds, n * sizeof(struct pollfd));
        if (p == NULL) {
            // slirp treats -1 as "not polled this round"; it retries next round.
            return -1;
        }
        set->fds = p;
        set->alloc = n;
    }
    short pev = 0;
    pev |= (events & SLIRP_POLL_IN) ? POLLIN : 0;
    pev |= (events & SLIRP_POLL_OUT) ? POLLOUT : 0;
    pev |= (events & SLIRP_POLL_PRI) ? POLLPRI : 0;
    pev |= (events & SLIRP_POLL_ERR) ? POLLERR : 0;
    pev |= (events & SLIRP_POLL_HUP) ? POLLHUP : 0;
    set->fds[set->len] = (struct pollfd) { .fd = fd, .events = pev, .revents = 0 };
    return (int)set->len++;
}

int slirpnet_pollfds_revents(int idx, void *opaque) {
    const slirpnet_pollfds_t *set = opaque;
    if (idx < 0 || (size_t)idx >= set->len) {
        return 0;
    }
    short rev = set->fds[idx].revents;
    int events = 0;
    events |= (rev & POLLIN) ? SLIRP_POLL_IN : 0;
    events |= (rev & POLLOUT) ? SLIRP_POLL_OUT : 0;
    events |= (rev & POLLPRI) ? SLIRP_POLL_PRI : 0;
    events |= (rev & (POLLERR | POLLNVAL)) ? SLIRP_POLL_ERR : 0;
    events |= (rev & POLLHUP) ? SLIRP_POLL_HUP : 0;
    return events;
}

void slirpnet_pollfds_free(slirpnet_pollfds_t *set) {
    free(set->fds);
    set->fds = NULL;
    set->len = 0;
    set->alloc = 0;
}

/******************************************************************************/
// slirp.

Slirp *slirpnet_new(slirpnet_glue_t *glue) {
    SlirpConfig cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.version = 4;  // the newest libslirp 4.7 knows: adds disable_dhcp
    cfg.restricted = 0;  // the guest may reach the host; the filter decides where
    cfg.in_enabled = true;
    inet_pton(AF_INET, "10.0.2.0", &cfg.vnetwork);
    inet_pton(AF_INET, NETPLAN_IP4_MASK, &cfg.vnetmask);
    inet_pton(AF_INET, NETPLAN_IP4_HOST, &cfg.vhost);
    inet_pton(AF_INET, NETPLAN_IP4_SELF, &cfg.vdhcp_start);
    inet_pton(AF_INET, "10.0.2.3", &cfg.vnameserver);
    // slirp_new has no IPv6 defaults of its own: these are QEMU's.
    cfg.in6_enabled = true;
    inet_pton(AF_INET6, "fec0::", &cfg.vprefix_addr6);
    cfg.vprefix_len = 64;
    inet_pton(AF_INET6, NETPLAN_IP6_HOST, &cfg.vhost6);
    inet_pton(AF_INET6, "fec0::3", &cfg.vnameserver6);
    // The tests run their own DNS server on loopback; slirp's forwarder would use
    // the machine's resolver.
    cfg.disable_dns = true;
    cfg.disable_dhcp = true;
    cfg.disable_host_loopback = false;
    cfg.enable_emu = false;
    return slirp_new(&cfg, &glue->callbacks, glue);
}

// slirp listens on a forwarded host port with a backlog of 1, and accepts one
// connection per round. The PC's kernel drops further SYNs of a burst of clients
// meanwhile, and each of those clients retries after 1 s, then 3 s, 7 s... So,
// once the forwards exist, their listening sockets get the system's usual
// backlog (listen() again only changes it). Only host sockets change: lwIP's
// backlog is the firmware's own.
static void slirpnet_widen_hostfwd_backlogs(Slirp *slirp) {
    uint32_t timeout = 0;
    slirpnet_pollfds_t set = { .len = 0 };
    slirp_pollfds_fill(slirp, &timeout, slirpnet_pollfds_add, &set);
    for (size_t i = 0; i < set.len; ++i) {
        int listening = 0;
        socklen_t len = sizeof(listening);
        int fd = set.fds[i].fd;
        if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) == 0 && listening) {
            if (listen(fd, SOMAXCONN) != 0) {
                fprintf(stderr, "usocket hostnet: cannot widen a forwarded port's backlog: %s\n", strerror(errno));
            }
        }
    }
    slirpnet_pollfds_free(&set);
}

void slirpnet_add_hostfwds(Slirp *slirp) {
    const char *env = getenv("USOCKET_HOSTFWD");
    if (env == NULL || *env == '\0') {
        return;
    }
    char *list = strdup(env);
    if (list == NULL) {
        fprintf(stderr, "usocket hostnet: out of memory reading USOCKET_HOSTFWD\n");
        return;
    }
    struct in_addr host_addr = { .s_addr = htonl(INADDR_LOOPBACK) };
    struct in_addr guest_addr;
    inet_pton(AF_INET, NETPLAN_IP4_SELF, &guest_addr);
    char *save = NULL;
    for (char *entry = strtok_r(list, ",", &save); entry != NULL; entry = strtok_r(NULL, ",", &save)) {
        char proto[4];
        unsigned int host_port, guest_port;
        int consumed = 0;
        if (sscanf(entry, " %3[a-z]:%u:%u %n", proto, &host_port, &guest_port, &consumed) != 3
            || entry[consumed] != '\0'
            || (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0)
            || host_port == 0 || host_port > 65535 || guest_port == 0 || guest_port > 65535) {
            fprintf(stderr, "usocket hostnet: ignoring malformed USOCKET_HOSTFWD entry '%s'"
                " (expected tcp:HOSTPORT:GUESTPORT or udp:HOSTPORT:GUESTPORT)\n", entry);
            continue;
        }
        int is_udp = strcmp(proto, "udp") == 0;
        if (slirp_add_hostfwd(slirp, is_udp, host_addr, (int)host_port, guest_addr, (int)guest_port) < 0) {
            fprintf(stderr, "usocket hostnet: cannot forward %s 127.0.0.1:%u to port %u: %s\n",
                proto, host_port, guest_port, strerror(errno));
        }
    }
    free(list);
    slirpnet_widen_hostfwd_backlogs(slirp);
}

/******************************************************************************/
// The environment.

unsigned short slirpnet_env_dns_port(void) {
    const char *env = getenv("USOCKET_DNS_PORT");
    if (env != NULL && *env != '\0') {
        char *end;
        errno = 0;
        unsigned long port = strtoul(env, &end, 10);
        if (errno != 0 || *end != '\0' || port == 0 || port > 65535) {
            fprintf(stderr, "usocket hostnet: ignoring USOCKET_DNS_PORT '%s' (expected 1-65535)\n", env);
        } else {
            return (unsigned short)port;
        }
    }
    return 53;
}

void slirpnet_env_faults(slirpnet_faults_t *faults) {
    const char *env = getenv("USOCKET_NET_LOSS");
    faults->loss = 0.0;
    if (env != NULL && *env != '\0') {
        char *end;
        double loss = strtod(env, &end);
        if (*end != '\0' || !(loss >= 0.0 && loss <= 1.0)) {
            fprintf(stderr, "usocket hostnet: ignoring USOCKET_NET_LOSS '%s' (expected 0.0-1.0)\n", env);
        } else {
            faults->loss = loss;
        }
    }
    env = getenv("USOCKET_NET_DELAY_MS");
    faults->delay_ms = 0;
    if (env != NULL && *env != '\0') {
        char *end;
        errno = 0;
        unsigned long delay = strtoul(env, &end, 10);
        // Longer than a minute would only make every test time out.
        if (errno != 0 || *end != '\0' || *env == '-' || delay > 60000) {
            fprintf(stderr, "usocket hostnet: ignoring USOCKET_NET_DELAY_MS '%s' (expected 0-60000)\n", env);
        } else {
            faults->delay_ms = (unsigned int)delay;
        }
    }
}

uint64_t slirpnet_env_seed(void) {
    uint64_t seed = 0;
    const char *env = getenv("USOCKET_NET_SEED");
    char *end = NULL;
    if (env != NULL && *env != '\0') {
        errno = 0;
        seed = strtoull(env, &end, 0);
        if (errno != 0 || *end != '\0') {
            fprintf(stderr, "usocket hostnet: ignoring malformed USOCKET_NET_SEED '%s'\n", env);
            env = NULL;
        }
    } else {
        env = NULL;
    }
    if (env == NULL && getrandom(&seed, sizeof(seed), 0) != (ssize_t)sizeof(seed)) {
        // No entropy source: still different per run and per process.
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        seed = ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec) ^ ((uint64_t)getpid() << 32);
    }
    return seed;
}

uint64_t slirpnet_splitmix64(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

bool slirpnet_lose(uint64_t *state, double loss) {
    if (loss <= 0.0) {
        return false;
    }
    // 53 random bits -> uniform double in [0, 1).
    double r = (double)(slirpnet_splitmix64(state) >> 11) * (1.0 / 9007199254740992.0);
    return r < loss;
}
