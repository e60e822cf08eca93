// The host netif: one lwIP Ethernet interface bridged to the PC through libslirp.
//
// lwIP (NO_SYS=1) and slirp both run on the MicroPython thread. A frame lwIP sends
// goes to slirp_input() from its linkoutput, at once, as a NIC puts it on the wire:
// slirp only queues what it produces and never calls into lwIP, so neither stack
// sees itself re-entered. Frames from slirp to lwIP wait in a bounded FIFO queue,
// drained only from usocket_hostnet_poll(), so lwIP is never entered from inside
// a slirp callback. (The lwIP-to-slirp direction is queued too while
// USOCKET_NET_DELAY_MS holds frames back, and in threaded mode.)
//
// Every frame lwIP sends passes the safety filter (slirpnet.c, shared with the QEMU
// target's bridge) before it is queued:
// slirp turns a guest connection to any address into a real host connection, so
// the filter is what keeps the firmware on this machine's loopback.
//
// Fault injection (USOCKET_NET_LOSS / _DELAY_MS / _SEED) is applied at the same
// boundary, per frame and per direction.
//
// The only MicroPython dependencies are in usocket_hostnet_delay_ms() and
// hostnet_mp_pending() at the end; the rest is plain C on lwIP and libslirp.
//
// Threaded mode (lwIP built with NO_SYS=0, boards/unix-threaded): lwIP runs in its
// own tcpip thread (which also runs its timers and loopback), and a bridge thread
// runs the same service loop for slirp, which only that thread ever touches. The
// bridge enters lwIP with the core lock held; lwIP's linkoutput (on whichever
// thread holds the core lock) queues under hostnet_mutex and wakes the bridge
// through an eventfd in its poll set. Lock order: core lock, then hostnet_mutex,
// which is a leaf lock (nothing is called while holding it).

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// First: it pulls in <netinet/in.h>, which lwIP must not redefine (see arch/cc.h).
#include <libslirp.h>
#include "slirpnet.h"

#include "lwip/init.h"
#include "lwip/dns.h"
#include "lwip/etharp.h"
#include "lwip/ethip6.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/stats.h"
#include "lwip/timeouts.h"
#include "lwip/tcp.h"
#include "lwip/priv/tcp_priv.h"
#include "netif/ethernet.h"

#define HOSTNET_THREADED (!NO_SYS)

#if HOSTNET_THREADED
#include <pthread.h>
#include <sys/eventfd.h>
#include "lwip/tcpip.h"
#endif

#include "py/runtime.h"
#include "py/mphal.h"

#include "hostnet.h"

// Frames waiting in each direction. A burst is bounded by the TCP windows (44
// segments each way) plus ARP/ND, so hitting this means a stack stopped draining.
#define HOSTNET_QUEUE_LEN (512)

// SYNs held back for listeners whose backlog is full (see hostnet_hold_syn).
// Each is one client of a burst; beyond this many the oldest is dropped, which
// leaves that client to slirp's own SYN retransmission.
#define HOSTNET_HELD_SYN_MAX (256)

// Largest frame either side may produce: slirp and lwIP both use a 1500-byte MTU,
// but slirp's MRU is configurable, so leave headroom rather than truncate.
#define HOSTNET_FRAME_MAX (4096)

// Locally administered, so it can never clash with a real NIC's address.
static const uint8_t hostnet_mac_addr[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x15 };

typedef struct _hostnet_frame_t {
    uint64_t due_ms;  // delivery time: enqueue time + USOCKET_NET_DELAY_MS
    size_t len;
    uint8_t data[];
} hostnet_frame_t;

// A ring of frame pointers; frames are malloc'ed, never on the MicroPython heap,
// because slirp's send_packet can run while the GC heap is being collected.
typedef struct _hostnet_queue_t {
    hostnet_frame_t *frames[HOSTNET_QUEUE_LEN];
    size_t head;
    size_t count;
} hostnet_queue_t;

typedef struct _hostnet_t {
    Slirp *slirp;
    struct netif netif;
    bool netif_added;
    bool link_up;
    bool in_poll;  // reentrancy guard for usocket_hostnet_poll
    uint64_t serviced_ms;  // when the last service round started

    hostnet_queue_t to_slirp;  // lwIP -> slirp
    hostnet_queue_t to_lwip;   // slirp -> lwIP
    // SYNs for a full listener, oldest first (only the servicing thread touches it).
    hostnet_frame_t *held_syn[HOSTNET_HELD_SYN_MAX];
    size_t held_syn_len;

    // slirp's callbacks and timers (only the servicing thread touches them).
    slirpnet_glue_t glue;

    // slirp_pollfds_fill's fds, grown on demand and kept between polls.
    slirpnet_pollfds_t pollfds;
    uint64_t slirp_clock_ms;  // when slirp last read its clock (slirp_pollfds_poll)

    // Fault injection, fixed at init.
    double loss;
    unsigned int delay_ms;

    usocket_hostnet_stats_t stats;
} hostnet_t;

static hostnet_t hostnet;

#if HOSTNET_THREADED
// Guards the queues, the counters, link_up and the loss RNG: everything both the
// bridge thread and the threads that hold the lwIP core lock touch.
static pthread_mutex_t hostnet_mutex = PTHREAD_MUTEX_INITIALIZER;
// Serialises init/deinit: several Python threads may create their first socket at once.
static pthread_mutex_t hostnet_init_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_t hostnet_bridge;
static int hostnet_wake_fd = -1;
static bool hostnet_bridge_stop;  // accessed with __atomic builtins
#define HOSTNET_ENTER() pthread_mutex_lock(&hostnet_mutex)
#define HOSTNET_EXIT() pthread_mutex_unlock(&hostnet_mutex)
#define HOSTNET_LWIP_ENTER() LOCK_TCPIP_CORE()
#define HOSTNET_LWIP_EXIT() UNLOCK_TCPIP_CORE()
#else
// lwIP and slirp share the MicroPython thread: nothing to lock.
#define HOSTNET_ENTER() ((void)0)
#define HOSTNET_EXIT() ((void)0)
#define HOSTNET_LWIP_ENTER() ((void)0)
#define HOSTNET_LWIP_EXIT() ((void)0)
#endif

// Increments one of hostnet.stats' counters.
static void hostnet_count(uint32_t *counter) {
    HOSTNET_ENTER();
    *counter += 1;
    HOSTNET_EXIT();
}

void usocket_hostnet_lwip_lock(void) {
    HOSTNET_LWIP_ENTER();
}

void usocket_hostnet_lwip_unlock(void) {
    HOSTNET_LWIP_EXIT();
}

// Used by lwipopts.h as DNS_SERVER_PORT: lwIP reads it for every query.
unsigned short usocket_hostnet_dns_port = 53;

/******************************************************************************/
// Time and randomness.

#if !HOSTNET_THREADED
// lwIP's clock for NO_SYS=1 timeouts. It wraps after 49 days, which lwIP handles.
// (With NO_SYS=0 the contrib sys_arch provides it.)
u32_t sys_now(void) {
    return (u32_t)slirpnet_now_ms();
}
#endif

// Two independent splitmix64 streams: one for lwIP (ports, ISNs, DNS ids) and one
// for loss decisions, so that with a fixed seed the loss pattern does not depend
// on how many random numbers lwIP happened to draw.
static struct {
    bool seeded;
    uint64_t lwip_state;
    uint64_t loss_state;
} hostnet_rng;

static void hostnet_seed_once(void) {
    if (hostnet_rng.seeded) {
        return;
    }
    hostnet_rng.seeded = true;
    uint64_t seed = slirpnet_env_seed();
    hostnet_rng.lwip_state = seed ^ 0x6c77697072616e64u;
    hostnet_rng.loss_state = seed ^ 0x6c6f737373656564u;
}

unsigned int usocket_hostnet_rand(void) {
    hostnet_seed_once();
    return (unsigned int)(slirpnet_splitmix64(&hostnet_rng.lwip_state) >> 32);
}

/******************************************************************************/
// Frame queues.

// The queue helpers below take hostnet_mutex themselves; callers never hold it.

static hostnet_frame_t *hostnet_queue_peek(hostnet_queue_t *q) {
    return q->count > 0 ? q->frames[q->head] : NULL;
}

static hostnet_frame_t *hostnet_queue_pop_locked(hostnet_queue_t *q) {
    if (q->count == 0) {
        return NULL;
    }
    hostnet_frame_t *f = q->frames[q->head];
    q->frames[q->head] = NULL;
    q->head = (q->head + 1) % HOSTNET_QUEUE_LEN;
    q->count -= 1;
    return f;
}

// Removes and returns the head frame if it is due at `now`. Peek and pop are one
// step so that a concurrent flush (link down) cannot free a frame being moved.
static hostnet_frame_t *hostnet_queue_pop_due(hostnet_queue_t *q, uint64_t now) {
    HOSTNET_ENTER();
    hostnet_frame_t *f = hostnet_queue_peek(q);
    f = (f != NULL && f->due_ms <= now) ? hostnet_queue_pop_locked(q) : NULL;
    HOSTNET_EXIT();
    return f;
}

// Milliseconds until the head frame is due (0 if due now), or UINT64_MAX if empty.
static uint64_t hostnet_queue_head_left(hostnet_queue_t *q, uint64_t now) {
    HOSTNET_ENTER();
    hostnet_frame_t *f = hostnet_queue_peek(q);
    uint64_t left = f == NULL ? UINT64_MAX : (f->due_ms > now ? f->due_ms - now : 0);
    HOSTNET_EXIT();
    return left;
}

// Takes ownership of f: it is queued, or freed and counted if the queue is full.
// Called with hostnet_mutex held.
static void hostnet_queue_push_locked(hostnet_queue_t *q, hostnet_frame_t *f) {
    if (q->count == HOSTNET_QUEUE_LEN) {
        hostnet.stats.dropped_queue_full += 1;
        free(f);
        return;
    }
    q->frames[(q->head + q->count) % HOSTNET_QUEUE_LEN] = f;
    q->count += 1;
}

// Called with hostnet_mutex held.
static size_t hostnet_queue_flush_locked(hostnet_queue_t *q) {
    size_t n = 0;
    hostnet_frame_t *f;
    while ((f = hostnet_queue_pop_locked(q)) != NULL) {
        free(f);
        n += 1;
    }
    return n;
}

static hostnet_frame_t *hostnet_frame_new(size_t len) {
    hostnet_frame_t *f = malloc(sizeof(hostnet_frame_t) + len);
    if (f != NULL) {
        f->len = len;
        // Fixed delay per frame keeps each queue in FIFO order.
        f->due_ms = slirpnet_now_ms() + hostnet.delay_ms;
    }
    return f;
}

/******************************************************************************/
// lwIP side.

#if !HOSTNET_THREADED
static bool hostnet_slirp_round(uint32_t timeout);

// Hands a frame lwIP sent straight to slirp, from inside lwIP's output path. That
// is safe one way only: slirp never calls into lwIP (its send_packet callback only
// queues), so lwIP is not re-entered, and slirp is never inside a call of its own
// here (lwIP only sends from our code or its timers, never from a slirp callback).
// slirp writes the payload to the host socket in the same call when the socket
// takes it, so output leaves at once whatever the script does next (blocks on
// stdin, say), as it does from a board's NIC, with no service round per write.
static void hostnet_to_slirp_now(const uint8_t *data, size_t len) {
    uint64_t now = slirpnet_now_ms();
    // As in hostnet_drain: slirp stamps new UDP sockets with the clock it last
    // read, so refresh a stale reading before input that may create one.
    if (now - hostnet.slirp_clock_ms > 1000) {
        hostnet_slirp_round(0);
    }
    hostnet.stats.frames_out += 1;
    slirp_input(hostnet.slirp, data, (int)len);
}
#endif

// netif->linkoutput: called by lwIP with a frame to send. Filters it, then hands it
// to slirp at once (NO_SYS=1, no injected delay) or queues it for the service loop
// (the bridge thread owns slirp in threaded mode; a delay must keep frames in order).
static err_t hostnet_linkoutput(struct netif *netif, struct pbuf *p) {
    if (p->tot_len > HOSTNET_FRAME_MAX) {
        // Cannot happen with a 1500-byte MTU; refuse rather than truncate.
        hostnet_count(&hostnet.stats.dropped_filter);
        return ERR_OK;
    }
    #if !HOSTNET_THREADED
    if (hostnet.slirp != NULL && hostnet.delay_ms == 0 && hostnet.to_slirp.count == 0) {
        // A frame in one pbuf goes as it is (slirp copies it); a chain is gathered
        // first. The buffer is not re-entered: slirp never calls back into lwIP.
        static uint8_t gather[HOSTNET_FRAME_MAX];
        const uint8_t *data = p->payload;
        if (p->len != p->tot_len) {
            pbuf_copy_partial(p, gather, p->tot_len, 0);
            data = gather;
        }
        if (!slirpnet_frame_allowed(data, p->tot_len)) {
            hostnet.stats.dropped_filter += 1;
        } else if (!hostnet.link_up) {
            hostnet.stats.dropped_link_down += 1;
        } else if (slirpnet_lose(&hostnet_rng.loss_state, hostnet.loss)) {
            hostnet.stats.dropped_loss += 1;
        } else {
            LINK_STATS_INC(link.xmit);
            hostnet_to_slirp_now(data, p->tot_len);
        }
        return ERR_OK;
    }
    #endif
    hostnet_frame_t *f = hostnet_frame_new(p->tot_len);
    if (f == NULL) {
        LINK_STATS_INC(link.memerr);
        return ERR_MEM;
    }
    pbuf_copy_partial(p, f->data, p->tot_len, 0);
    bool queued = false;
    HOSTNET_ENTER();
    if (!slirpnet_frame_allowed(f->data, f->len)) {
        hostnet.stats.dropped_filter += 1;
        free(f);
    } else if (!hostnet.link_up) {
        hostnet.stats.dropped_link_down += 1;
        free(f);
    } else if (slirpnet_lose(&hostnet_rng.loss_state, hostnet.loss)) {
        hostnet.stats.dropped_loss += 1;
        free(f);
    } else {
        LINK_STATS_INC(link.xmit);
        hostnet_queue_push_locked(&hostnet.to_slirp, f);
        queued = true;
    }
    HOSTNET_EXIT();
    #if HOSTNET_THREADED
    if (queued) {
        // The bridge thread may be asleep in poll(): wake it to pass the frame on.
        uint64_t one = 1;
        if (write(hostnet_wake_fd, &one, sizeof(one)) < 0) {
            // EAGAIN: the counter is already non-zero, so the bridge wakes anyway.
        }
    }
    #else
    (void)queued;
    #endif
    // A wire does not report what happens after the frame leaves the NIC.
    return ERR_OK;
}

static err_t hostnet_netif_init(struct netif *netif) {
    netif->name[0] = 'e';
    netif->name[1] = 'n';
    netif->mtu = 1500;
    netif->hwaddr_len = ETH_HWADDR_LEN;
    memcpy(netif->hwaddr, hostnet_mac_addr, ETH_HWADDR_LEN);
    // No MLD: slirp never forwards multicast, so there is no router to report to.
    netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET | NETIF_FLAG_IGMP;
    netif->output = etharp_output;
    netif->output_ip6 = ethip6_output;
    netif->linkoutput = hostnet_linkoutput;
    return ERR_OK;
}

// Hands one frame from slirp to lwIP. A full pbuf pool (the application is not
// reading) falls back to the heap, then drops the frame as a real NIC would.
static void hostnet_deliver_to_lwip(hostnet_frame_t *f) {
    HOSTNET_LWIP_ENTER();
    struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)f->len, PBUF_POOL);
    if (p == NULL) {
        p = pbuf_alloc(PBUF_RAW, (u16_t)f->len, PBUF_RAM);
    }
    if (p == NULL) {
        LINK_STATS_INC(link.memerr);
        LINK_STATS_INC(link.drop);
        HOSTNET_LWIP_EXIT();
        return;
    }
    pbuf_take(p, f->data, (u16_t)f->len);
    hostnet_count(&hostnet.stats.frames_in);
    LINK_STATS_INC(link.recv);
    if (hostnet.netif.input(p, &hostnet.netif) != ERR_OK) {
        pbuf_free(p);
    }
    HOSTNET_LWIP_EXIT();
}

/******************************************************************************/
// Bursts of incoming connections.
//
// slirp accepts a PC client's connection on its host socket at once (the client's
// connect() has returned), then sends the SYN on to lwIP. A listener whose backlog
// is full ignores that SYN (lwIP's TCP_LISTEN_BACKLOG), as Linux does, so the
// connection waits for slirp to retransmit it: after 3 s, then 6 s, then 12 s,
// and slirp gives up after 75 s. A PC's own TCP retries after 1 s. With a burst
// of clients and asyncio's backlog of 5, that made servers stall for seconds.
//
// So the bridge holds such a SYN back instead of passing it to a listener that
// would drop it, and delivers it as soon as the listener has room again (Python
// accepted a connection). The same goes for a SYN lwIP would drop for want of a
// tcp_pcb (a burst larger than MEMP_NUM_TCP_PCB): it waits until one is freed. lwIP's semantics are unchanged: a listener still has
// at most `backlog` connections waiting, and no connection is refused. The
// bridge only stands in for a client that retries the moment it may succeed.
// Everything else (a SYN to a port nobody listens on, a retransmitted SYN of a
// connection lwIP already has) goes through at once.

typedef struct _hostnet_tcp_syn_t {
    bool v6;
    const uint8_t *src;  // 4 or 16 bytes
    const uint8_t *dst;
    uint16_t src_port;
    uint16_t dst_port;
} hostnet_tcp_syn_t;

// Whether frame f is a TCP SYN without ACK (a connection request); fills *syn.
static bool hostnet_parse_syn(const hostnet_frame_t *f, hostnet_tcp_syn_t *syn) {
    if (f->len < SLIRPNET_ETH_HLEN) {
        return false;
    }
    const uint8_t *ip = f->data + SLIRPNET_ETH_HLEN;
    size_t len = f->len - SLIRPNET_ETH_HLEN;
    const uint8_t *tcp;
    uint16_t ethertype = slirpnet_be16(f->data + 12);
    if (ethertype == SLIRPNET_ETHTYPE_IPV4 && len >= 20 && (ip[0] >> 4) == 4 && ip[9] == 6) {
        size_t ihl = (size_t)(ip[0] & 0x0f) * 4;
        if (ihl < 20 || len < ihl + 20) {
            return false;
        }
        syn->v6 = false;
        syn->src = ip + 12;
        syn->dst = ip + 16;
        tcp = ip + ihl;
    } else if (ethertype == SLIRPNET_ETHTYPE_IPV6 && len >= 60 && (ip[0] >> 4) == 6 && ip[6] == 6) {
        // slirp sends no extension headers: TCP follows the fixed header.
        syn->v6 = true;
        syn->src = ip + 8;
        syn->dst = ip + 24;
        tcp = ip + 40;
    } else {
        return false;
    }
    uint8_t flags = tcp[13];
    syn->src_port = slirpnet_be16(tcp);
    syn->dst_port = slirpnet_be16(tcp + 2);
    return (flags & 0x02) != 0 && (flags & 0x10) == 0;  // SYN, not ACK
}

// Whether lwIP has no tcp_pcb to give a new connection: the pool is used up and
// tcp_alloc() would find nothing to recycle (TIME_WAIT, LAST_ACK, CLOSING; it
// also takes pcbs of a lower priority, which we never set). Called with lwIP's
// lock held. Without pool statistics (or with pools on the heap) lwIP decides.
static bool hostnet_tcp_pcb_pool_exhausted(void) {
    #if MEMP_STATS && !MEMP_MEM_MALLOC
    const struct stats_mem *pool = lwip_stats.memp[MEMP_TCP_PCB];
    if (pool->used < pool->avail || tcp_tw_pcbs != NULL) {
        return false;
    }
    for (struct tcp_pcb *pcb = tcp_active_pcbs; pcb != NULL; pcb = pcb->next) {
        if (pcb->state == LAST_ACK || pcb->state == CLOSING) {
            return false;
        }
    }
    return true;
    #else
    return false;
    #endif
}

// Whether lwIP would drop this SYN now: the listener it goes to (an exact address
// match first, then one on any address, as tcp_input chooses) has its backlog
// full, or there is no pcb for the connection. Called with lwIP's lock held.
static bool hostnet_syn_would_be_dropped(const hostnet_tcp_syn_t *syn) {
    ip_addr_t dst;
    if (syn->v6) {
        IP_ADDR6(&dst, 0, 0, 0, 0);
        memcpy(ip_2_ip6(&dst)->addr, syn->dst, 16);
        ip6_addr_clear_zone(ip_2_ip6(&dst));
    } else {
        uint32_t a;
        memcpy(&a, syn->dst, 4);
        ip_addr_set_ip4_u32_val(dst, a);
    }
    struct tcp_pcb_listen *any = NULL;
    for (struct tcp_pcb_listen *lpcb = tcp_listen_pcbs.listen_pcbs; lpcb != NULL; lpcb = lpcb->next) {
        if (lpcb->local_port != syn->dst_port) {
            continue;
        }
        if (ip_addr_eq(&lpcb->local_ip, &dst)) {
            return lpcb->accepts_pending >= lpcb->backlog || hostnet_tcp_pcb_pool_exhausted();
        }
        if (ip_addr_isany(&lpcb->local_ip)
            && (IP_IS_ANY_TYPE_VAL(lpcb->local_ip) || IP_GET_TYPE(&lpcb->local_ip) == IP_GET_TYPE(&dst))) {
            any = lpcb;
        }
    }
    return any != NULL && (any->accepts_pending >= any->backlog || hostnet_tcp_pcb_pool_exhausted());
}

// Whether a SYN of that connection (same source and destination port) is held.
static bool hostnet_syn_same_connection(const hostnet_tcp_syn_t *a, const hostnet_tcp_syn_t *b) {
    return a->v6 == b->v6 && a->src_port == b->src_port && a->dst_port == b->dst_port
           && memcmp(a->src, b->src, a->v6 ? 16 : 4) == 0;
}

// Holds f (a SYN lwIP would drop). A retransmission replaces the SYN it repeats.
static void hostnet_hold_syn(hostnet_frame_t *f, const hostnet_tcp_syn_t *syn) {
    for (size_t i = 0; i < hostnet.held_syn_len; ++i) {
        hostnet_tcp_syn_t other;
        if (hostnet_parse_syn(hostnet.held_syn[i], &other) && hostnet_syn_same_connection(syn, &other)) {
            free(hostnet.held_syn[i]);
            hostnet.held_syn[i] = f;
            return;
        }
    }
    if (hostnet.held_syn_len == HOSTNET_HELD_SYN_MAX) {
        free(hostnet.held_syn[0]);
        memmove(&hostnet.held_syn[0], &hostnet.held_syn[1], (HOSTNET_HELD_SYN_MAX - 1) * sizeof(hostnet_frame_t *));
        hostnet.held_syn_len -= 1;
        hostnet_count(&hostnet.stats.dropped_syn_held);
    }
    hostnet.held_syn[hostnet.held_syn_len++] = f;
    hostnet_count(&hostnet.stats.syn_held);
}

// Delivers the held SYNs whose listener has room now (or is gone: lwIP then
// answers with a RST, as for any closed port), oldest first. Returns whether any
// was delivered.
static bool hostnet_release_held_syns(void) {
    bool any = false;
    size_t kept = 0;
    for (size_t i = 0; i < hostnet.held_syn_len; ++i) {
        hostnet_frame_t *f = hostnet.held_syn[i];
        hostnet_tcp_syn_t syn;
        HOSTNET_LWIP_ENTER();
        bool wait = hostnet_parse_syn(f, &syn) && hostnet_syn_would_be_dropped(&syn);
        HOSTNET_LWIP_EXIT();
        if (wait) {
            hostnet.held_syn[kept++] = f;
        } else {
            hostnet_deliver_to_lwip(f);
            free(f);
            any = true;
        }
    }
    hostnet.held_syn_len = kept;
    return any;
}

// Hands f to lwIP, or holds it if it is a SYN for a full listener. Takes ownership.
static void hostnet_deliver_or_hold(hostnet_frame_t *f) {
    hostnet_tcp_syn_t syn;
    if (hostnet_parse_syn(f, &syn)) {
        HOSTNET_LWIP_ENTER();
        bool wait = hostnet_syn_would_be_dropped(&syn);
        HOSTNET_LWIP_EXIT();
        if (wait) {
            hostnet_hold_syn(f, &syn);
            return;
        }
    }
    hostnet_deliver_to_lwip(f);
    free(f);
}

static void hostnet_free_held_syns(void) {
    for (size_t i = 0; i < hostnet.held_syn_len; ++i) {
        free(hostnet.held_syn[i]);
    }
    hostnet.held_syn_len = 0;
}

/******************************************************************************/
// slirp side: callbacks.

// slirp has a frame for the guest: queue a copy (slirp reuses its buffer).
static ssize_t hostnet_slirp_send_packet(const void *buf, size_t len, void *opaque) {
    HOSTNET_ENTER();
    if (!hostnet.link_up) {
        hostnet.stats.dropped_link_down += 1;
    } else if (len > HOSTNET_FRAME_MAX) {
        LINK_STATS_INC(link.lenerr);
    } else if (slirpnet_lose(&hostnet_rng.loss_state, hostnet.loss)) {
        hostnet.stats.dropped_loss += 1;
    } else {
        hostnet_frame_t *f = hostnet_frame_new(len);
        if (f == NULL) {
            LINK_STATS_INC(link.memerr);
        } else {
            memcpy(f->data, buf, len);
            hostnet_queue_push_locked(&hostnet.to_lwip, f);
        }
    }
    HOSTNET_EXIT();
    // Dropped frames are reported as sent: slirp's TCP recovers like on a wire.
    return (ssize_t)len;
}

// slirpnet's timer_new_opaque, reporting what slirp does not check.
static void *hostnet_slirp_timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque) {
    void *t = slirpnet_timer_new_opaque(id, cb_opaque, opaque);
    if (t == NULL) {
        // Its only timer (IPv6 RAs) is then never armed.
        fprintf(stderr, "usocket hostnet: out of memory for a slirp timer\n");
    }
    return t;
}

/******************************************************************************/
// The service loop.

// One slirp round: collect its host sockets, wait up to timeout ms in poll(), let
// it read/write what is ready (and run its TCP timers). Returns whether poll()
// was interrupted by a signal.
static bool hostnet_slirp_round(uint32_t timeout) {
    hostnet.pollfds.len = 0;
    // slirp shortens the timeout for its own TCP timers (down to 2 ms).
    slirp_pollfds_fill(hostnet.slirp, &timeout, slirpnet_pollfds_add, &hostnet.pollfds);
    #if HOSTNET_THREADED
    // lwIP queues frames from other threads: its wake-up ends the sleep.
    int wake_idx = slirpnet_pollfds_add(hostnet_wake_fd, SLIRP_POLL_IN, &hostnet.pollfds);
    #endif
    int ret = poll(hostnet.pollfds.fds, hostnet.pollfds.len, (int)timeout);
    bool interrupted = ret < 0 && errno == EINTR;
    #if HOSTNET_THREADED
    if (ret > 0 && wake_idx >= 0 && (hostnet.pollfds.fds[wake_idx].revents & POLLIN)) {
        uint64_t count;
        if (read(hostnet_wake_fd, &count, sizeof(count)) < 0) {
            // EAGAIN: already consumed; nothing to do.
        }
    }
    #endif
    slirp_pollfds_poll(hostnet.slirp, ret < 0, slirpnet_pollfds_revents, &hostnet.pollfds);
    hostnet.slirp_clock_ms = slirpnet_now_ms();
    return interrupted;
}

// Moves every frame that is due, both ways, alternating so neither side starves.
// Frames the stacks emit while handling these are queued and, unless delayed,
// moved in the same call. Returns whether any frame moved.
static bool hostnet_drain(void) {
    bool moved = false;
    uint64_t now = slirpnet_now_ms();
    // slirp reads its clock only in slirp_pollfds_poll, and stamps each new UDP
    // socket with an expiry relative to that reading. Input after a long time
    // without a round (or before the first) would create a socket that has
    // already expired, and the reply (a DNS answer, say) would be lost.
    if (hostnet_queue_head_left(&hostnet.to_slirp, now) == 0 && now - hostnet.slirp_clock_ms > 1000) {
        hostnet_slirp_round(0);
    }
    moved |= hostnet_release_held_syns();
    for (;;) {
        bool any = false;
        hostnet_frame_t *f = hostnet_queue_pop_due(&hostnet.to_slirp, now);
        if (f != NULL) {
            hostnet_count(&hostnet.stats.frames_out);
            slirp_input(hostnet.slirp, f->data, (int)f->len);
            free(f);
            any = true;
        }
        f = hostnet_queue_pop_due(&hostnet.to_lwip, now);
        if (f != NULL) {
            hostnet_deliver_or_hold(f);
            any = true;
        }
        if (!any) {
            return moved;
        }
        moved = true;
    }
}

// How long poll() may sleep: up to wait_ms, but no later than the next lwIP
// timeout, slirp timer or delayed frame.
static uint32_t hostnet_sleep_ms(uint32_t wait_ms) {
    uint64_t now = slirpnet_now_ms();
    #if !HOSTNET_THREADED
    // (In threaded mode lwIP's timers are the tcpip thread's business.)
    uint32_t lwip_ms = sys_timeouts_sleeptime();
    if (lwip_ms < wait_ms) {
        wait_ms = lwip_ms;
    }
    #endif
    int64_t timer_ms = slirpnet_timers_left_ms(&hostnet.glue, (int64_t)now);
    if (timer_ms >= 0 && (uint64_t)timer_ms < wait_ms) {
        wait_ms = (uint32_t)timer_ms;
    }
    hostnet_queue_t *queues[2] = { &hostnet.to_slirp, &hostnet.to_lwip };
    for (size_t i = 0; i < 2; ++i) {
        uint64_t left = hostnet_queue_head_left(queues[i], now);
        if (left < wait_ms) {
            wait_ms = (uint32_t)left;
        }
    }
    return wait_ms;
}

#if !HOSTNET_THREADED
static bool hostnet_mp_pending(void);
#endif

// One round: move frames, run timers, wait in poll() on slirp's host sockets
// (not at all if something already happened), let slirp read/write them, move
// the frames that produced. Returns whether anything happened.
// Delivers frames lwIP looped back to itself (127.0.0.1, its own address): with
// NO_SYS=1 nothing else does. Returns whether there were any.
#if !HOSTNET_THREADED
static bool hostnet_poll_loopback(void) {
    bool any = false;
    struct netif *netif;
    NETIF_FOREACH(netif) {
        any |= netif->loop_first != NULL;
    }
    if (any) {
        netif_poll_all();
    }
    return any;
}
#endif

static bool hostnet_service_once(uint32_t wait_ms) {
    hostnet.serviced_ms = slirpnet_now_ms();
    bool progress = hostnet_drain();
    #if !HOSTNET_THREADED
    // With NO_SYS=0 the tcpip thread runs lwIP's timers and loopback itself.
    progress |= hostnet_poll_loopback();
    if (sys_timeouts_sleeptime() == 0) {
        progress = true;
    }
    sys_check_timeouts();
    #endif
    // Every armed slirp timer that is due (the budget guards against a handler
    // re-arming in the past).
    progress |= slirpnet_timers_run(&hostnet.glue, hostnet.slirp, 16);
    progress |= hostnet_drain();

    uint32_t timeout = progress ? 0 : hostnet_sleep_ms(wait_ms);
    #if !HOSTNET_THREADED
    if (timeout > 0 && hostnet_mp_pending()) {
        // A signal (Ctrl-C) arrived before we got to poll(): don't sleep through it.
        timeout = 0;
        progress = true;
    }
    #endif
    if (hostnet_slirp_round(timeout)) {
        // Let the caller see the signal (mp_handle_pending) promptly.
        progress = true;
    }
    progress |= hostnet_drain();
    return progress;
}

#if HOSTNET_THREADED

// The bridge thread: the service loop, forever. Signals go to the MicroPython
// thread (Ctrl-C), never here.
static void *hostnet_bridge_main(void *arg) {
    (void)arg;
    while (!__atomic_load_n(&hostnet_bridge_stop, __ATOMIC_ACQUIRE)) {
        hostnet_service_once(1000);
    }
    return NULL;
}

// The bridge thread services the stacks: nothing to do on the caller's thread.
void usocket_hostnet_poll(int timeout_ms) {
    (void)timeout_ms;
}

#else

void usocket_hostnet_poll(int timeout_ms) {
    if (hostnet.slirp == NULL || hostnet.in_poll) {
        return;
    }
    hostnet.in_poll = true;
    uint64_t deadline = slirpnet_now_ms() + (timeout_ms > 0 ? (uint64_t)timeout_ms : 0);
    for (;;) {
        uint64_t now = slirpnet_now_ms();
        uint64_t left = deadline > now ? deadline - now : 0;
        if (hostnet_service_once(left > INT32_MAX ? INT32_MAX : (uint32_t)left) || left == 0) {
            break;
        }
    }
    hostnet.in_poll = false;
}

// The VM's backward-jump hook (mpconfigvariant.h): Python that never waits still
// moves the stack. A board's lwIP runs from an interrupt or its own task whatever
// Python does; here nothing runs it unless something services the bridge, and a
// script that only spins (a non-blocking connect() followed by write() until it
// stops raising EAGAIN, asyncio with only sleep_ms(0) tasks, whose poll(0) with
// nothing registered never reaches a socket) would never see its connection
// complete. The countdown keeps the clock read off most jumps; a round is only
// run when none ran in the last millisecond, so code that waits anyway (every
// blocking call, select with sockets registered) pays nothing but the check.
#define HOSTNET_VM_HOOK_JUMPS (64)
#define HOSTNET_VM_HOOK_PERIOD_MS (1)

unsigned int usocket_hostnet_vm_countdown = HOSTNET_VM_HOOK_JUMPS;

void usocket_hostnet_vm_hook(void) {
    usocket_hostnet_vm_countdown = HOSTNET_VM_HOOK_JUMPS;
    if (hostnet.slirp == NULL || hostnet.in_poll) {
        return;
    }
    if (slirpnet_now_ms() - hostnet.serviced_ms >= HOSTNET_VM_HOOK_PERIOD_MS) {
        usocket_hostnet_poll(0);
    }
}

#endif

/******************************************************************************/
// Public API.

static bool hostnet_start_slirp(void) {
    slirpnet_glue_init(&hostnet.glue, "usocket hostnet", hostnet_slirp_send_packet);
    hostnet.glue.callbacks.timer_new_opaque = hostnet_slirp_timer_new_opaque;
    hostnet.slirp = slirpnet_new(&hostnet.glue);
    if (hostnet.slirp == NULL) {
        return false;
    }
    hostnet_slirp_round(0);
    return true;
}

static void hostnet_start_netif(void) {
    ip4_addr_t addr, mask, gw;
    ip4addr_aton(NETPLAN_IP4_SELF, &addr);
    ip4addr_aton(NETPLAN_IP4_MASK, &mask);
    ip4addr_aton(NETPLAN_IP4_HOST, &gw);
    netif_add(&hostnet.netif, &addr, &mask, &gw, NULL, hostnet_netif_init, ethernet_input);
    hostnet.netif_added = true;

    // Static addresses, marked preferred straight away: duplicate detection is
    // pointless on a link whose only other node is slirp, and would hold back
    // every IPv6 connection for a second.
    netif_create_ip6_linklocal_address(&hostnet.netif, 1);
    netif_ip6_addr_set_state(&hostnet.netif, 0, IP6_ADDR_PREFERRED);
    ip6_addr_t addr6;
    ip6addr_aton(NETPLAN_IP6_SELF, &addr6);
    s8_t idx;
    if (netif_add_ip6_address(&hostnet.netif, &addr6, &idx) == ERR_OK) {
        netif_ip6_addr_set_state(&hostnet.netif, idx, IP6_ADDR_PREFERRED);
    }

    netif_set_default(&hostnet.netif);
    hostnet.link_up = true;
    netif_set_up(&hostnet.netif);
    netif_set_link_up(&hostnet.netif);

    ip_addr_t dns;
    ipaddr_aton(NETPLAN_IP4_HOST, &dns);
    dns_setserver(0, &dns);
}

// At exit the stack dies with the interpreter, where a board's would go on sending
// what close() queued. Give the host's the same chance, within a bound, so a script
// that writes, closes and exits still delivers its data and FIN. The interpreter
// has closed every socket (gc_sweep_all) before atexit handlers run.
#define HOSTNET_EXIT_LINGER_MS (2000)

static bool hostnet_tcp_busy(void) {
    bool busy = false;
    HOSTNET_LWIP_ENTER();
    for (struct tcp_pcb *pcb = tcp_active_pcbs; pcb != NULL; pcb = pcb->next) {
        if (pcb->unsent != NULL || pcb->unacked != NULL) {
            busy = true;
            break;
        }
    }
    HOSTNET_LWIP_EXIT();
    uint64_t now = slirpnet_now_ms();
    return busy || hostnet_queue_head_left(&hostnet.to_slirp, now) != UINT64_MAX
           || hostnet_queue_head_left(&hostnet.to_lwip, now) != UINT64_MAX;
}

static void hostnet_atexit(void) {
    if (hostnet.slirp == NULL || hostnet.in_poll) {
        return;
    }
    uint64_t deadline = slirpnet_now_ms() + HOSTNET_EXIT_LINGER_MS;
    // A few quiet rounds after the last ACK let slirp write to the host sockets.
    for (int quiet = 0; quiet < 3 && slirpnet_now_ms() < deadline;) {
        quiet = hostnet_tcp_busy() ? 0 : quiet + 1;
        #if HOSTNET_THREADED
        // The bridge and tcpip threads do the work; just give them the time.
        poll(NULL, 0, 5);
        #else
        usocket_hostnet_poll(5);
        #endif
    }
    usocket_hostnet_deinit();
}

#if HOSTNET_THREADED
static void hostnet_tcpip_started(void *arg) {
    sys_sem_signal((sys_sem_t *)arg);
}
#endif

#if HOSTNET_THREADED
#define HOSTNET_INIT_ENTER() pthread_mutex_lock(&hostnet_init_mutex)
#define HOSTNET_INIT_EXIT() pthread_mutex_unlock(&hostnet_init_mutex)
#else
#define HOSTNET_INIT_ENTER() ((void)0)
#define HOSTNET_INIT_EXIT() ((void)0)
#endif

static void hostnet_init_locked(void) {
    static bool lwip_started = false;
    if (hostnet.slirp != NULL) {
        return;
    }
    hostnet_seed_once();
    usocket_hostnet_dns_port = slirpnet_env_dns_port();
    slirpnet_faults_t faults;
    slirpnet_env_faults(&faults);
    hostnet.loss = faults.loss;
    hostnet.delay_ms = faults.delay_ms;
    if (!lwip_started) {
        // lwIP has no deinit: its pools and timers live for the whole process.
        #if HOSTNET_THREADED
        hostnet_wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (hostnet_wake_fd < 0) {
            fprintf(stderr, "usocket hostnet: eventfd failed; the network is unavailable\n");
            return;
        }
        sys_sem_t started;
        sys_sem_new(&started, 0);
        tcpip_init(hostnet_tcpip_started, &started);
        sys_sem_wait(&started);
        sys_sem_free(&started);
        #else
        lwip_init();
        #endif
        lwip_started = true;
        atexit(hostnet_atexit);
    }
    if (!hostnet_start_slirp()) {
        fprintf(stderr, "usocket hostnet: slirp_new failed; the network is unavailable\n");
        return;
    }
    slirpnet_add_hostfwds(hostnet.slirp);
    HOSTNET_LWIP_ENTER();
    hostnet_start_netif();
    HOSTNET_LWIP_EXIT();
    #if HOSTNET_THREADED
    // From here on slirp belongs to the bridge thread.
    __atomic_store_n(&hostnet_bridge_stop, false, __ATOMIC_RELEASE);
    if (pthread_create(&hostnet_bridge, NULL, hostnet_bridge_main, NULL) != 0) {
        fprintf(stderr, "usocket hostnet: cannot start the bridge thread\n");
    }
    #endif
}

void usocket_hostnet_init(void) {
    HOSTNET_INIT_ENTER();
    hostnet_init_locked();
    HOSTNET_INIT_EXIT();
}

bool usocket_hostnet_initialised(void) {
    HOSTNET_INIT_ENTER();
    bool up = hostnet.slirp != NULL;
    HOSTNET_INIT_EXIT();
    return up;
}

void usocket_hostnet_deinit(void) {
    HOSTNET_INIT_ENTER();
    if (hostnet.slirp == NULL) {
        HOSTNET_INIT_EXIT();
        return;
    }
    #if HOSTNET_THREADED
    __atomic_store_n(&hostnet_bridge_stop, true, __ATOMIC_RELEASE);
    uint64_t one = 1;
    if (write(hostnet_wake_fd, &one, sizeof(one)) < 0) {
        // EAGAIN: the bridge is woken already.
    }
    pthread_join(hostnet_bridge, NULL);
    #endif
    if (hostnet.netif_added) {
        HOSTNET_LWIP_ENTER();
        netif_remove(&hostnet.netif);
        HOSTNET_LWIP_EXIT();
        hostnet.netif_added = false;
    }
    // Frees slirp's timers through timer_free and closes its host sockets.
    slirp_cleanup(hostnet.slirp);
    hostnet.slirp = NULL;
    HOSTNET_ENTER();
    hostnet_queue_flush_locked(&hostnet.to_slirp);
    hostnet_queue_flush_locked(&hostnet.to_lwip);
    hostnet.link_up = false;
    HOSTNET_EXIT();
    hostnet_free_held_syns();
    slirpnet_timers_free(&hostnet.glue);
    slirpnet_pollfds_free(&hostnet.pollfds);
    HOSTNET_INIT_EXIT();
}

void usocket_hostnet_set_link(bool up) {
    if (!usocket_hostnet_initialised()) {
        return;
    }
    // The core lock first (lock order), so that link changes are serialised too.
    HOSTNET_LWIP_ENTER();
    HOSTNET_ENTER();
    bool changed = up != hostnet.link_up;
    hostnet.link_up = up;
    if (changed && !up) {
        // Frames already on the wire are lost with the link.
        size_t n = hostnet_queue_flush_locked(&hostnet.to_slirp) + hostnet_queue_flush_locked(&hostnet.to_lwip);
        hostnet.stats.dropped_link_down += (uint32_t)n;
    }
    HOSTNET_EXIT();
    // lwIP may send (and so call hostnet_linkoutput) from these: hostnet_mutex is free.
    if (changed && up) {
        netif_set_link_up(&hostnet.netif);
    } else if (changed) {
        netif_set_link_down(&hostnet.netif);
    }
    HOSTNET_LWIP_EXIT();
}

bool usocket_hostnet_link_is_up(void) {
    if (!usocket_hostnet_initialised()) {
        return false;
    }
    HOSTNET_ENTER();
    bool up = hostnet.link_up;
    HOSTNET_EXIT();
    return up;
}

void usocket_hostnet_get_stats(usocket_hostnet_stats_t *stats) {
    HOSTNET_ENTER();
    *stats = hostnet.stats;
    stats->queued = (uint32_t)(hostnet.to_slirp.count + hostnet.to_lwip.count);
    HOSTNET_EXIT();
}

const uint8_t *usocket_hostnet_mac(void) {
    return hostnet_mac_addr;
}

/******************************************************************************/
// MicroPython-facing part (NO_SYS=1 only: with lwIP in its own thread the port's
// own mp_hal_delay_ms is used, and nothing needs servicing).

#if !HOSTNET_THREADED

// Whether a signal handler or interrupt has scheduled something for the VM
// (Ctrl-C sets mp_pending_exception), so a wait should end now.
static bool hostnet_mp_pending(void) {
    if (MP_STATE_MAIN_THREAD(mp_pending_exception) != MP_OBJ_NULL) {
        return true;
    }
    #if MICROPY_ENABLE_SCHEDULER
    if (MP_STATE_VM(sched_state) == MP_SCHED_PENDING) {
        return true;
    }
    #endif
    return false;
}

// mp_hal_delay_ms: sleeping services the stack, as lwIP's background task does on
// a board, and Ctrl-C still interrupts it.
void usocket_hostnet_delay_ms(unsigned int ms) {
    uint64_t deadline = slirpnet_now_ms() + ms;
    for (;;) {
        mp_handle_pending(true);
        uint64_t now = slirpnet_now_ms();
        if (now >= deadline) {
            break;
        }
        uint64_t left = deadline - now;
        if (hostnet.slirp != NULL && !hostnet.in_poll) {
            usocket_hostnet_poll(left > INT32_MAX ? INT32_MAX : (int)left);
        } else {
            // No network (or called from inside the poll loop): plain sleep in
            // short steps so that a signal is noticed soon.
            poll(NULL, 0, left > 10 ? 10 : (int)left);
        }
    }
}

#endif
