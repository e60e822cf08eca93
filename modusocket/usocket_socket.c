// The usocket socket object: TCP, UDP and raw sockets on lwIP's raw API, with
// MicroPython's stream protocol.
//
// lwIP callbacks only record state: they queue pbufs, store an errno, set flags and
// signal the port's event hook. They never allocate on the GC heap and never run
// Python code. The only raw-API calls they make are on their own pcb, where lwIP
// allows it: acknowledging data dropped after shutdown(SHUT_RD), and giving a
// connection closed both ways back to lwIP. Everything else happens in the
// methods, on the MicroPython thread, with the port's lwIP lock held around
// raw-API calls.
//
// Lifetime: a pcb belongs to exactly one socket until usocket_tcp_let_go() clears
// its callbacks and hands it to lwIP to finish the close, with a bound
// (USOCKET_CLOSE_LINGER_MS) after which it is aborted.
#include <string.h>

#include "py/runtime.h"
#include "py/stream.h"
#include "py/mperrno.h"
#include "py/mphal.h"
#include "lwip/tcp.h"
#include "lwip/udp.h"
#include "lwip/raw.h"
#include "lwip/igmp.h"
#include "lwip/mem.h"
#include "lwip/priv/tcp_priv.h"
#include "usocket.h"

// Received TCP data is kept as one pbuf chain whose length is a u16; lwIP never
// lets the peer send more than the window, so the window must fit.
#if TCP_WND > 0xffff
#error "usocket keeps unread TCP data in one pbuf chain: TCP_WND must be at most 65535"
#endif

enum {
    USOCKET_STATE_NEW,          // pcb allocated, nothing else done
    USOCKET_STATE_BOUND,        // bind() done
    USOCKET_STATE_LISTENING,    // listen() done (TCP)
    USOCKET_STATE_CONNECTING,   // connect() in progress (TCP)
    USOCKET_STATE_CONNECTED,    // connected (TCP) or has a default peer (UDP)
    USOCKET_STATE_DEAD,         // the connection ended with an error; pcb is gone
    USOCKET_STATE_CLOSED,       // close() called
};

// A connection lwIP accepted that Python has not accepted yet. Its pcb's arg points
// at the slot, so the slot's address must not change: slots live in a fixed ring.
typedef struct _usocket_pending_t {
    struct tcp_pcb *pcb;        // NULL once lwIP freed it (RST before accept)
    bool fin;                   // the peer already closed its side
} usocket_pending_t;

// A received datagram's source. It is written in front of the payload, in the room
// the IP and UDP headers leave there (or in a pbuf chained in front where there is
// none), so a socket's queue is a ring of pbuf pointers only: the datagram is not
// copied until it is read.
typedef struct _usocket_dgram_src_t {
    ip_addr_t addr;
    uint16_t port;
} usocket_dgram_src_t;

#define USOCKET_DGRAM_SRC_LEN (sizeof(usocket_dgram_src_t))

// The TCP options a connection pcb has and a listening one has no room for: a
// struct tcp_pcb_listen ends before the flags and keepalive fields, and writing
// them there overruns it. A listener keeps them with its queue instead, and every
// connection accepted from it gets them, as on Linux.
typedef struct _usocket_tcp_opts_t {
    #if USOCKET_KEEPALIVE
    u32_t keep_idle;            // ms
    u32_t keep_intvl;           // ms
    u32_t keep_cnt;             // probes
    #endif
    u32_t nodelay;              // a flag
} usocket_tcp_opts_t;

// A listening socket's queue: the options above, then a ring of q_size pending
// connections.
typedef struct _usocket_listen_t {
    usocket_tcp_opts_t opts;
    usocket_pending_t pending[];
} usocket_listen_t;

typedef struct _usocket_membership_t usocket_membership_t;

typedef struct _usocket_obj_t {
    mp_obj_base_t base;
    // The byte-sized fields first: Cortex-M0's byte loads and stores reach only 31
    // bytes into a struct, and every method reads some of them.
    uint8_t type;
    uint8_t family;
    uint8_t state;
    // How reads see the stream's end (usocket_rd_end_errno). Written by the methods
    // only, so in a byte of their own: the bit-fields further down share theirs with
    // flags that lwIP's callbacks write.
    bool rd_closed : 1;         // lwIP's receive mailbox would be closed: FIN read, SHUT_RD
    bool rd_marker_gone : 1;    // the error's mailbox marker was read, or never posted
    bool rd_pending_gone : 1;   // the error as the netconn's pending error was reported
    bool wr_reported : 1;       // a write reported the error that ended the connection
    uint8_t q_head;
    uint8_t q_len;
    uint8_t q_size;
    bool peer_fin : 1;          // the peer sent FIN (see usocket_rd_end_errno)
    bool quec_server : 1;       // created with IPPROTO_TCP_SER: accept() returns 3 items
    bool shut_rd : 1;           // shutdown(SHUT_RD): arrivals dropped, reads raise ENOTCONN
    bool shut_wr : 1;           // shutdown(SHUT_WR): our FIN is queued, writes fail
    bool handed_over : 1;       // both sides closed: the pcb was given back to lwIP
    int16_t error;              // errno that ended the connection, 0 if none
    // TCP: bytes read from rx but not yet given back to lwIP's window (tcp_recved);
    // never more than an MSS, and 0 whenever rx is empty (usocket_dequeue).
    uint16_t rx_unacked;
    int32_t timeout_ms;         // -1 blocking, 0 non-blocking, else the timeout
    union {
        struct tcp_pcb *tcp;
        struct udp_pcb *udp;
        #if USOCKET_RAW
        struct raw_pcb *raw;
        #endif
        void *any;
    } pcb;
    // TCP: received data not yet read, as lwIP delivered it (no copy).
    struct pbuf *rx;
    #if USOCKET_CALLBACK
    // setsockopt(SOL_SOCKET, 20, handler): scheduled when data, a FIN, an error or
    // a connection to accept arrives; MP_OBJ_NULL if none.
    mp_obj_t callback;
    #endif
    // Listening TCP: pending connections; UDP/raw: received datagrams. A ring of
    // q_size slots allocated once (listen()/socket()), so callbacks never allocate.
    union {
        usocket_listen_t *lst;
        struct pbuf **dgram;
    } q;
    #if USOCKET_MULTICAST
    // UDP: the multicast groups joined (a list in lwIP's heap), NULL if none.
    usocket_membership_t *groups;
    #endif
} usocket_obj_t;

// A stream method call in progress (see usocket_stream_call), on the calling
// thread's stack. It is a node of that thread's own list of nlr jump callbacks
// (MP_STATE_THREAD(nlr_jump_callback_top)), so a thread finds its calls with no
// shared state and no lock (RP2 runs threads on both cores without a GIL), and an
// exception that unwinds the call takes the node off the list. Sockets need no
// room for calls.
typedef struct _usocket_call_t {
    nlr_jump_callback_node_t node;
    usocket_obj_t *s;
    bool moved;                 // data was read or written in this call
} usocket_call_t;

// lwIP's callbacks change a socket's state (on the tcpip thread where lwIP has one)
// while a method may read it without the lock (the closed check, early tests before
// a wait). Single-byte atomic accesses keep those reads race-free; what must agree
// with the pcb or the received data is still read under the lock.
static MP_ALWAYSINLINE inline uint8_t usocket_state(const usocket_obj_t *s) {
    return __atomic_load_n(&s->state, __ATOMIC_RELAXED);
}

static MP_ALWAYSINLINE inline void usocket_state_set(usocket_obj_t *s, uint8_t state) {
    __atomic_store_n(&s->state, state, __ATOMIC_RELAXED);
}

// shutdown()'s flags: constant false in a build without it (USOCKET_SHUTDOWN), so
// the code that handles them goes too.
#define USOCKET_SHUT_RD_DONE(s) (USOCKET_SHUTDOWN && (s)->shut_rd)
#define USOCKET_SHUT_WR_DONE(s) (USOCKET_SHUTDOWN && (s)->shut_wr)

static u8_t usocket_ip_type(const usocket_obj_t *s) {
    #if USOCKET_IPV6
    if (s->family == USOCKET_AF_INET6) {
        return IPADDR_TYPE_V6;
    }
    #endif
    return IPADDR_TYPE_V4;
}

// Reads and writes the options of a connection pcb (never a listening one).
static MP_NOINLINE void usocket_tcp_opts_get(const struct tcp_pcb *pcb, usocket_tcp_opts_t *o) {
    #if USOCKET_KEEPALIVE
    o->keep_idle = pcb->keep_idle;
    #if LWIP_TCP_KEEPALIVE
    o->keep_intvl = pcb->keep_intvl;
    o->keep_cnt = pcb->keep_cnt;
    #endif
    #endif
    o->nodelay = tcp_nagle_disabled(pcb);
}

static MP_NOINLINE void usocket_tcp_opts_set(struct tcp_pcb *pcb, const usocket_tcp_opts_t *o) {
    #if USOCKET_KEEPALIVE
    pcb->keep_idle = o->keep_idle;
    #if LWIP_TCP_KEEPALIVE
    pcb->keep_intvl = o->keep_intvl;
    pcb->keep_cnt = o->keep_cnt;
    #endif
    #endif
    if (o->nodelay) {
        tcp_nagle_disable(pcb);
    } else {
        tcp_nagle_enable(pcb);
    }
}

// The ring slot i places after the head of the socket's queue (no division: the
// MCUs this runs on may have none).
static size_t usocket_q_slot(const usocket_obj_t *s, size_t i) {
    i += s->q_head;
    return i >= s->q_size ? i - s->q_size : i;
}

// Takes the head slot off the queue.
static void usocket_q_pop(usocket_obj_t *s) {
    s->q_head = usocket_q_slot(s, 1);
    s->q_len -= 1;
}

// --- lwIP callbacks (record state only) ------------------------------------------

// Something happened to s: wakes a thread waiting on the stack, and schedules the
// socket's Python callback if it has one. That runs later, between bytecodes or in
// a wait, never inside lwIP: mp_sched_schedule only queues it.
static MP_NOINLINE void usocket_notify(usocket_obj_t *s) {
    #if USOCKET_CALLBACK
    if (s->callback != MP_OBJ_NULL) {
        mp_sched_schedule(s->callback, MP_OBJ_FROM_PTR(s));
    }
    #endif
    USOCKET_EVENT_SIGNAL();
}

#if USOCKET_SHUTDOWN
static MP_NOINLINE bool usocket_tcp_handover(usocket_obj_t *s);
#endif

static err_t usocket_tcp_recv_cb(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err) {
    usocket_obj_t *s = arg;
    if (p == NULL) {
        s->peer_fin = true;
        #if USOCKET_SHUTDOWN
        // Our FIN went out earlier (shutdown(SHUT_WR)): nothing more can pass either
        // way, and lwIP finishes the connection by itself from here.
        if (s->shut_wr && usocket_tcp_handover(s)) {
            usocket_notify(s);
            return ERR_ABRT;
        }
        #endif
    } else if (USOCKET_SHUT_RD_DONE(s)) {
        // After shutdown(SHUT_RD) arrivals are dropped, but acknowledged and the
        // window kept open, as Linux does: the peer is not stalled.
        tcp_recved(pcb, p->tot_len);
        pbuf_free(p);
        return ERR_OK;
    } else if (s->rx == NULL) {
        s->rx = p;
    } else {
        pbuf_cat(s->rx, p);
    }
    usocket_notify(s);
    return ERR_OK;
}

static err_t usocket_tcp_sent_cb(void *arg, struct tcp_pcb *pcb, u16_t len) {
    USOCKET_EVENT_SIGNAL();
    return ERR_OK;
}

// lwIP has already freed the pcb when this runs.
static void usocket_tcp_err_cb(void *arg, err_t err) {
    usocket_obj_t *s = arg;
    if (usocket_state(s) == USOCKET_STATE_CONNECTING) {
        // A RST answering our SYN is a refusal; running out of SYN retries is a
        // timeout.
        s->error = err == ERR_RST ? MP_ECONNREFUSED : err == ERR_ABRT ? MP_ETIMEDOUT : usocket_errno_from_lwip(err);
    } else {
        s->error = usocket_errno_from_lwip(err);
    }
    s->pcb.tcp = NULL;
    usocket_state_set(s, USOCKET_STATE_DEAD);
    usocket_notify(s);
}

static err_t usocket_tcp_connected_cb(void *arg, struct tcp_pcb *pcb, err_t err) {
    usocket_obj_t *s = arg;
    usocket_state_set(s, USOCKET_STATE_CONNECTED);
    USOCKET_EVENT_SIGNAL();
    return ERR_OK;
}

// A pending connection receives data before Python accepts it: refuse it, and lwIP
// keeps it as the pcb's refused_data until accept() installs the real callbacks.
static err_t usocket_pending_recv_cb(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err) {
    if (p != NULL) {
        return ERR_MEM;
    }
    ((usocket_pending_t *)arg)->fin = true;
    return ERR_OK;
}

static void usocket_pending_err_cb(void *arg, err_t err) {
    ((usocket_pending_t *)arg)->pcb = NULL;
    USOCKET_EVENT_SIGNAL();
}

static err_t usocket_tcp_accept_cb(void *arg, struct tcp_pcb *newpcb, err_t err) {
    usocket_obj_t *s = arg;
    if (err != ERR_OK || newpcb == NULL) {
        return ERR_VAL;
    }
    if (s->q_len >= s->q_size) {
        // Beyond the backlog. Only reached without TCP_LISTEN_BACKLOG: refuse with
        // a RST.
        tcp_abort(newpcb);
        return ERR_ABRT;
    }
    usocket_pending_t *slot = &s->q.lst->pending[usocket_q_slot(s, s->q_len)];
    slot->pcb = newpcb;
    slot->fin = false;
    s->q_len += 1;
    // The connection counts against the listener's backlog until accept() takes
    // it, so once backlog connections wait, lwIP ignores new SYNs (the clients
    // retry, as with a full queue on Linux) instead of this callback resetting
    // them: a burst of clients is delayed, not refused.
    tcp_backlog_delayed(newpcb);
    tcp_arg(newpcb, slot);
    tcp_recv(newpcb, usocket_pending_recv_cb);
    tcp_err(newpcb, usocket_pending_err_cb);
    usocket_notify(s);
    return ERR_OK;
}

static void usocket_dgram_push(usocket_obj_t *s, struct pbuf *p, const ip_addr_t *addr, u16_t port) {
    if (s->q_len >= s->q_size) {
        // A full queue drops the newest datagram, as a full socket buffer does.
        pbuf_free(p);
        return;
    }
    if (p->tot_len > 0xffff - USOCKET_DGRAM_SRC_LEN) {
        // Only a raw socket's reassembled IP packet comes this close to 64 KiB.
        pbuf_free(p);
        return;
    }
    if (pbuf_add_header(p, USOCKET_DGRAM_SRC_LEN) != 0) {
        struct pbuf *h = pbuf_alloc(PBUF_RAW, USOCKET_DGRAM_SRC_LEN, PBUF_RAM);
        if (h == NULL) {
            pbuf_free(p);
            return;
        }
        pbuf_cat(h, p);
        p = h;
    }
    usocket_dgram_src_t src;
    src.addr = *addr;
    src.port = port;
    pbuf_take(p, &src, USOCKET_DGRAM_SRC_LEN);
    s->q.dgram[usocket_q_slot(s, s->q_len)] = p;
    s->q_len += 1;
    usocket_notify(s);
}

static void usocket_udp_recv_cb(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr, u16_t port) {
    usocket_dgram_push(arg, p, addr, port);
}

#if USOCKET_RAW
static u8_t usocket_raw_recv_cb(void *arg, struct raw_pcb *pcb, struct pbuf *p, const ip_addr_t *addr) {
    usocket_dgram_push(arg, p, addr, 0);
    return 1;
}
#endif

// --- Helpers --------------------------------------------------------------------

// Makes a connection pcb s's: the socket's callbacks, s as their argument.
static MP_NOINLINE void usocket_tcp_attach(usocket_obj_t *s, struct tcp_pcb *pcb) {
    tcp_arg(pcb, s);
    tcp_recv(pcb, usocket_tcp_recv_cb);
    tcp_sent(pcb, usocket_tcp_sent_cb);
    tcp_err(pcb, usocket_tcp_err_cb);
    s->pcb.tcp = pcb;
}

// Every lwIP pcb, a listening one too, starts with the IP_PCB fields: the local and
// remote addresses and so_options.
struct usocket_ip_pcb {
    IP_PCB;
};

static usocket_obj_t *usocket_get(mp_obj_t self_in) {
    usocket_obj_t *s = MP_OBJ_TO_PTR(self_in);
    if (usocket_state(s) == USOCKET_STATE_CLOSED) {
        mp_raise_OSError(MP_EBADF);
    }
    return s;
}

static void usocket_tcp_detach(struct tcp_pcb *pcb) {
    tcp_arg(pcb, NULL);
    if (pcb->state == LISTEN) {
        tcp_accept(pcb, NULL);
    } else {
        tcp_recv(pcb, NULL);
        tcp_sent(pcb, NULL);
        tcp_err(pcb, NULL);
        tcp_poll(pcb, NULL, 0);
    }
}

// Polled on a pcb the socket has let go of, once USOCKET_CLOSE_LINGER_MS have passed
// (the poll interval was set to it and the poll timer restarted): the close did
// not complete in time, so the pcb is aborted rather than left to lwIP's much
// longer retransmission limits.
static err_t usocket_tcp_linger_poll_cb(void *arg, struct tcp_pcb *pcb) {
    tcp_abort(pcb);
    return ERR_ABRT;
}

// Gives a (non-listening) pcb to lwIP to close gracefully: queued data and FIN are
// sent, and lwIP frees the pcb when the close completes. The socket's callbacks
// are cleared first; arg stays as given and is only ever compared, never
// dereferenced (lwIP has no callback left to pass it to). Returns true if lwIP
// could not close it and it had to be aborted instead: a pcb never outlives its
// socket unowned.
static bool usocket_tcp_let_go(struct tcp_pcb *pcb, void *arg) {
    usocket_tcp_detach(pcb);
    tcp_arg(pcb, arg);
    // tcp_poll counts in TCP_SLOW_INTERVAL ticks, at most 255 of them.
    u32_t ticks = USOCKET_CLOSE_LINGER_MS / TCP_SLOW_INTERVAL;
    tcp_poll(pcb, usocket_tcp_linger_poll_cb, (u8_t)(ticks < 1 ? 1 : ticks > 255 ? 255 : ticks));
    pcb->polltmr = 0;
    if (tcp_close(pcb) != ERR_OK) {
        tcp_abort(pcb);
        return true;
    }
    return false;
}

// A pcb lwIP is still finishing (connected or in TIME_WAIT) that a socket let go
// of: the one socket s handed over (usocket_tcp_handover), or with s NULL any of
// them (they all carry usocket_tcp_linger_poll_cb). NULL if there is none (lwIP
// freed it).
static struct tcp_pcb *usocket_tcp_find(const usocket_obj_t *s) {
    struct tcp_pcb *pcb = tcp_active_pcbs;
    bool tw = false;
    for (;;) {
        for (; pcb != NULL; pcb = pcb->next) {
            if (s != NULL ? pcb->callback_arg == s : pcb->poll == usocket_tcp_linger_poll_cb) {
                return pcb;
            }
        }
        if (tw) {
            return NULL;
        }
        // Then the connections in TIME_WAIT.
        pcb = tcp_tw_pcbs;
        tw = true;
    }
}

// Soft reset (see usocket.h). Every pcb a socket let go of carries
// usocket_tcp_linger_poll_cb, in TIME_WAIT too (lwIP keeps a pcb's callbacks when it
// moves there), which tells ours from any other lwIP user's. tcp_abort sends a RST
// to a peer still connected and frees the pcb, its queued segments and buffers.
void usocket_deinit(void) {
    USOCKET_LWIP_LOCK();
    // tcp_abort unlinks the pcb, so search again from the start after each one.
    struct tcp_pcb *pcb;
    while ((pcb = usocket_tcp_find(NULL)) != NULL) {
        tcp_abort(pcb);
    }
    USOCKET_LWIP_UNLOCK();
}

// Both directions are finished: our FIN was sent (shutdown(SHUT_WR)) and the peer's
// arrived. lwIP completes the close on its own (CLOSING, LAST_ACK, TIME_WAIT) and
// frees a TIME_WAIT pcb without calling back, so the socket must let go of the pcb
// now. The pcb keeps the socket's address as its arg so getsocketsta() can still
// report its state. Received data stays readable. Returns true if the pcb was
// aborted (a callback must then return ERR_ABRT).
#if USOCKET_SHUTDOWN
static bool usocket_tcp_handover(usocket_obj_t *s) {
    struct tcp_pcb *pcb = s->pcb.tcp;
    s->pcb.tcp = NULL;
    usocket_state_set(s, USOCKET_STATE_DEAD);
    s->handed_over = true;
    return usocket_tcp_let_go(pcb, s);
}
#endif


static void usocket_free_queue(usocket_obj_t *s) {
    for (; s->q_len > 0; usocket_q_pop(s)) {
        if (s->type == USOCKET_SOCK_STREAM) {
            struct tcp_pcb *pcb = s->q.lst->pending[s->q_head].pcb;
            if (pcb != NULL) {
                usocket_tcp_detach(pcb);
                tcp_abort(pcb);
            }
        } else {
            pbuf_free(s->q.dgram[s->q_head]);
        }
    }
}

#if USOCKET_MULTICAST
// IGMP memberships belong to lwIP's netifs, not to pcbs: each UDP socket keeps a
// list of what it joined, so that close() leaves its groups, as lwIP's sockets.c
// does. The entries are in lwIP's heap (mem_malloc), allocated on IP_ADD_MEMBERSHIP:
// no static table, nothing for a socket that never joins. Accessed with lwIP's lock
// held.
struct _usocket_membership_t {
    usocket_membership_t *next;
    ip4_addr_t group;
    ip4_addr_t itf;
};

// Joins or leaves a group for s and records it. Returns lwIP's error.
static err_t usocket_membership(usocket_obj_t *s, bool join, const ip4_addr_t *group, const ip4_addr_t *itf) {
    for (usocket_membership_t **link = &s->groups; *link != NULL; link = &(*link)->next) {
        usocket_membership_t *m = *link;
        if (ip4_addr_eq(&m->group, group) && ip4_addr_eq(&m->itf, itf)) {
            if (join) {
                return ERR_VAL;  // already a member (EINVAL, as lwIP's sockets say)
            }
            // group and itf may point into m (closing a socket): leave, then free.
            err_t err = igmp_leavegroup(itf, group);
            *link = m->next;
            mem_free(m);
            return err;
        }
    }
    if (!join) {
        return ERR_VAL;  // not a member
    }
    usocket_membership_t *m = mem_malloc(sizeof(usocket_membership_t));
    if (m == NULL) {
        return ERR_MEM;
    }
    err_t err = igmp_joingroup(itf, group);
    if (err != ERR_OK) {
        mem_free(m);
        return err;
    }
    ip4_addr_copy(m->group, *group);
    ip4_addr_copy(m->itf, *itf);
    m->next = s->groups;
    s->groups = m;
    return ERR_OK;
}
#endif

// Frees the pcb, queued pbufs and pending connections. Called with the lock held.
static void usocket_release(usocket_obj_t *s) {
    // Pending connections or datagrams (a connected TCP socket has no queue).
    usocket_free_queue(s);
    if (s->type == USOCKET_SOCK_STREAM) {
        if (s->pcb.tcp != NULL) {
            struct tcp_pcb *pcb = s->pcb.tcp;
            if (pcb->state == LISTEN) {
                usocket_tcp_detach(pcb);
                tcp_close(pcb);
            } else {
                usocket_tcp_let_go(pcb, NULL);
            }
        } else if (USOCKET_SHUTDOWN && s->handed_over) {
            // The socket's address is about to become meaningless.
            struct tcp_pcb *pcb = usocket_tcp_find(s);
            if (pcb != NULL) {
                tcp_arg(pcb, NULL);
            }
        }
    } else {
        if (s->pcb.any != NULL) {
            #if USOCKET_RAW
            if (s->type == USOCKET_SOCK_RAW) {
                raw_remove(s->pcb.raw);
            } else
            #endif
            {
                udp_remove(s->pcb.udp);
            }
        }
    }
    if (s->rx != NULL) {
        pbuf_free(s->rx);
        s->rx = NULL;
    }
    s->pcb.any = NULL;
    #if USOCKET_CALLBACK
    s->callback = MP_OBJ_NULL;
    #endif
    #if USOCKET_MULTICAST
    // Leaves every group s joined.
    while (s->groups != NULL) {
        usocket_membership_t *m = s->groups;
        usocket_membership(s, false, &m->group, &m->itf);
    }
    #endif
}

// Raises the error that ended the connection, or the given errno.
MP_NORETURN static void usocket_raise_state(usocket_obj_t *s, int fallback) {
    mp_raise_OSError(s->error != 0 ? s->error : fallback);
}

// What a read gets once the received data is used up, as on lwIP's socket layer
// (what QuecPython and the ESP32 port run on; docs/socket-semantics.md has the
// table, with the lwIP function behind each row), modelled with three flags:
// lwIP's receive mailbox closes when the FIN is read (or on SHUT_RD); an error that
// ends the connection is posted to the mailbox as a marker if it is still open,
// and kept as the netconn's pending error until a read (or write) reports it.
// 0: EOF.
static int usocket_rd_end_errno(const usocket_obj_t *s) {
    if (s->error != 0 && (!s->rd_marker_gone || !s->rd_pending_gone)) {
        return s->error;
    }
    if (!s->rd_closed && s->peer_fin) {
        return 0;
    }
    return MP_ENOTCONN;
}

// A read method returned b'' (errcode 0) or raised errcode: if that reported the
// stream's end, the mailbox marker or pending error it came from is used up. The
// stream protocol's read leaves them alone, so py/stream.c's loops and a TLS layer
// above may see EOF more than once; only what the application is given counts.
// Returns errcode.
static int usocket_rd_reported(usocket_obj_t *s, int errcode) {
    bool ended = s->rd_closed || s->error != 0 || s->peer_fin;
    if (s->type != USOCKET_SOCK_STREAM || !ended || errcode != usocket_rd_end_errno(s)) {
        return errcode;
    }
    if (errcode == 0) {
        // An error arriving from now on finds the mailbox closed: no marker.
        s->rd_closed = true;
        s->rd_marker_gone = true;
    } else if (errcode == s->error && !s->rd_marker_gone) {
        s->rd_marker_gone = true;
    } else if (errcode == s->error) {
        s->rd_pending_gone = true;
    }
    return errcode;
}

// Writes report the error that ended the connection once, then EPIPE, as on Linux.
// Reporting it takes the pending error from the reads too, as lwIP's write does
// (lwip_netconn_do_write calls netconn_err()).
static MP_NOINLINE int usocket_wr_reported(usocket_obj_t *s, int errcode) {
    if (errcode != 0 && errcode == s->error) {
        s->wr_reported = true;
        s->rd_pending_gone = true;
    }
    return errcode;
}

// --- Readiness predicates for usocket_wait --------------------------------------------

// Something for usocket_dequeue: a pending connection or a datagram, TCP data or
// the stream's end, or the socket lost its pcb (the connection ended, or another
// thread closed the socket).
// With the lock held: poll() reports the same.
static bool usocket_readable_locked(const usocket_obj_t *s) {
    return s->rx != NULL || s->q_len > 0 || s->peer_fin || USOCKET_SHUT_RD_DONE(s) || s->pcb.any == NULL;
}

static bool usocket_tcp_writable_locked(const usocket_obj_t *s) {
    return s->pcb.tcp == NULL
           || (tcp_sndbuf(s->pcb.tcp) > 0 && tcp_sndqueuelen(s->pcb.tcp) < TCP_SND_QUEUELEN);
}

static bool usocket_readable(void *arg) {
    USOCKET_LWIP_LOCK();
    bool r = usocket_readable_locked(arg);
    USOCKET_LWIP_UNLOCK();
    return r;
}

static bool usocket_tcp_writable(void *arg) {
    USOCKET_LWIP_LOCK();
    bool r = usocket_tcp_writable_locked(arg);
    USOCKET_LWIP_UNLOCK();
    return r;
}

static bool usocket_not_connecting(void *arg) {
    usocket_obj_t *s = arg;
    USOCKET_LWIP_LOCK();
    bool r = usocket_state(s) != USOCKET_STATE_CONNECTING;
    USOCKET_LWIP_UNLOCK();
    return r;
}

// For a write that lwIP had no memory for: has the socket's send queue shrunk
// (the peer ACKed data), or the connection ended?
typedef struct _usocket_queue_wait_t {
    usocket_obj_t *s;
    u16_t queued;
} usocket_queue_wait_t;

static bool usocket_tcp_queue_shrunk(void *arg) {
    usocket_queue_wait_t *w = arg;
    USOCKET_LWIP_LOCK();
    bool r = w->s->pcb.tcp == NULL || tcp_sndqueuelen(w->s->pcb.tcp) < w->queued;
    USOCKET_LWIP_UNLOCK();
    return r;
}

// s's own address (local) or its connected peer's, as an address tuple; ('0.0.0.0',
// 0) where there is none: a raw socket has no ports, a connection that ended has no
// pcb, and only a connected socket has a peer (a listening pcb has no remote port).
static MP_NOINLINE mp_obj_t usocket_addr(usocket_obj_t *s, bool local) {
    ip_addr_t ip;
    uint16_t port = 0;
    memset(&ip, 0, sizeof(ip));
    USOCKET_LWIP_LOCK();
    struct usocket_ip_pcb *pcb = s->pcb.any;
    if (pcb != NULL && s->type != USOCKET_SOCK_RAW && (local || usocket_state(s) == USOCKET_STATE_CONNECTED)) {
        ip = *(local ? &pcb->local_ip : &pcb->remote_ip);
        if (s->type == USOCKET_SOCK_STREAM) {
            port = local ? s->pcb.tcp->local_port : s->pcb.tcp->remote_port;
        } else {
            port = local ? s->pcb.udp->local_port : s->pcb.udp->remote_port;
        }
    }
    USOCKET_LWIP_UNLOCK();
    return usocket_format_address(&ip, port);
}

// The errno for a wait that ran out: ETIMEDOUT with a timeout, EAGAIN without one.
static int usocket_wait_errno(const usocket_obj_t *s) {
    return s->timeout_ms == 0 ? MP_EAGAIN : MP_ETIMEDOUT;
}

// --- Data transfer (shared by methods and the stream protocol) ------------------------

// usocket_dequeue's flags.
#define USOCKET_DQ_PEEK (USOCKET_MSG_PEEK)          // leave what was read queued
#if USOCKET_MSG_FLAGS
#define USOCKET_DQ_DONTWAIT (USOCKET_MSG_DONTWAIT)  // don't wait, whatever the socket's mode
// recv()'s flags: what it accepts, and the ones a datagram socket sees.
#define USOCKET_RECV_FLAGS (USOCKET_MSG_PEEK | USOCKET_MSG_DONTWAIT)
#else
#define USOCKET_DQ_DONTWAIT (0)
#define USOCKET_RECV_FLAGS (0)
#endif
#define USOCKET_DQ_ACCEPT (0x04)    // take a pending connection (into item->conn)
#define USOCKET_DQ_LINE (0x08)      // TCP: stop after the first '\n'

// What usocket_dequeue took, besides TCP data.
typedef struct _usocket_item_t {
    usocket_obj_t *conn;        // accept: the new socket, which gets the connection
    struct pbuf *p;             // UDP/raw: the datagram (its source in front), now the caller's
    mp_uint_t avail;            // TCP: bytes that were queued before this read
} usocket_item_t;

// Makes an accepted connection c's: installs its callbacks and the options the
// listener s keeps. Called with the lock held.
static void usocket_tcp_adopt(usocket_obj_t *c, const usocket_obj_t *s, struct tcp_pcb *pcb, bool fin) {
    tcp_backlog_accepted(pcb);
    usocket_tcp_attach(c, pcb);
    c->peer_fin = fin;
    usocket_tcp_opts_set(pcb, &s->q.lst->opts);
    usocket_state_set(c, USOCKET_STATE_CONNECTED);
    // Data that arrived before accept() was refused and kept by lwIP: deliver it
    // now rather than at the next TCP timer.
    if (pcb->refused_data != NULL) {
        tcp_process_refused_data(pcb);
    }
}

// The one way anything leaves a socket's receive side (recv, recvfrom, accept and
// the stream reads): waits within the socket's timeout until there is something,
// then takes it under the lwIP lock, checking again first: another thread blocked
// on the same socket may have been woken by the same arrival and taken it, and
// then this one waits again. Takes
// - with USOCKET_DQ_ACCEPT, the oldest pending connection, for item->conn;
// - on UDP and raw sockets, the oldest datagram, into item (a reference with
//   USOCKET_DQ_PEEK);
// - on TCP, up to len bytes of the stream into buf (0 at the stream's end, which
//   is never used up here: see usocket_rd_reported).
// Returns the count (a datagram's length), or MP_STREAM_ERROR with *errcode.
static mp_uint_t usocket_dequeue(usocket_obj_t *s, void *buf, mp_uint_t len, uint8_t flags, usocket_item_t *item, int *errcode) {
    uint8_t state = usocket_state(s);
    bool listening = state == USOCKET_STATE_LISTENING;
    if (listening != ((flags & USOCKET_DQ_ACCEPT) != 0)) {
        *errcode = listening ? MP_ENOTCONN : MP_EINVAL;
        return MP_STREAM_ERROR;
    }
    if (s->type == USOCKET_SOCK_STREAM && (state == USOCKET_STATE_NEW || state == USOCKET_STATE_BOUND)) {
        *errcode = MP_ENOTCONN;
        return MP_STREAM_ERROR;
    }
    // Most calls find something queued (a line is read one byte a call): they
    // neither wait nor read the clock. A timeout runs from the first wait.
    int32_t timeout_ms = (flags & USOCKET_DQ_DONTWAIT) ? 0 : s->timeout_ms;
    usocket_since_t since = { 0, false };
    for (;;) {
        if (!usocket_wait_since(usocket_readable, s, timeout_ms, &since)) {
            *errcode = timeout_ms == 0 ? MP_EAGAIN : MP_ETIMEDOUT;
            return MP_STREAM_ERROR;
        }
        mp_uint_t n = 0;
        bool retry = false;
        *errcode = 0;
        USOCKET_LWIP_LOCK();
        if (usocket_state(s) == USOCKET_STATE_CLOSED) {
            *errcode = MP_EBADF;
        } else if (listening || s->type != USOCKET_SOCK_STREAM) {
            retry = s->q_len == 0;
            if (!retry && listening) {
                usocket_pending_t *slot = &s->q.lst->pending[s->q_head];
                struct tcp_pcb *pcb = slot->pcb;
                slot->pcb = NULL;
                usocket_q_pop(s);
                if (pcb != NULL) {
                    usocket_tcp_adopt(item->conn, s, pcb, slot->fin);
                } else {
                    // That connection was reset before it was accepted: take the next.
                    retry = true;
                }
            } else if (!retry) {
                struct pbuf *p = s->q.dgram[s->q_head];
                item->p = p;
                n = p->tot_len - USOCKET_DGRAM_SRC_LEN;
                if (flags & USOCKET_RECV_FLAGS & USOCKET_DQ_PEEK) {
                    pbuf_ref(p);
                } else {
                    usocket_q_pop(s);
                }
            }
        } else if (s->rx != NULL && !USOCKET_SHUT_RD_DONE(s)) {
            struct pbuf *p = s->rx;
            item->avail = p->tot_len;
            n = MIN(len, p->tot_len);
            if (flags & USOCKET_DQ_LINE) {
                // readline: up to the first '\n' of the first pbuf, or all of it.
                const char *nl = memchr(p->payload, '\n', MIN(n, p->len));
                n = nl != NULL ? (mp_uint_t)(nl - (const char *)p->payload) + 1 : MIN(n, p->len);
            }
            // Most reads come from the first pbuf: copy and trim it directly.
            if (n <= p->len) {
                memcpy(buf, p->payload, n);
            } else {
                pbuf_copy_partial(p, buf, n, 0);
            }
            if (!(flags & USOCKET_DQ_PEEK)) {
                if (n < p->len) {
                    pbuf_remove_header(p, n);
                } else {
                    s->rx = pbuf_free_header(p, n);
                }
                // The window opens once everything queued was read, or by an MSS
                // at least (lwIP only announces a larger change anyway): not a
                // tcp_recved for every small read.
                mp_uint_t unacked = s->rx_unacked + n;
                if (s->rx != NULL && unacked < TCP_MSS) {
                    s->rx_unacked = unacked;
                } else {
                    s->rx_unacked = 0;
                    if (s->pcb.tcp != NULL) {
                        tcp_recved(s->pcb.tcp, unacked);
                    }
                }
            }
        } else if (usocket_state(s) == USOCKET_STATE_CONNECTING) {
            // Nothing can have arrived before the connection is up.
            retry = true;
        } else {
            item->avail = 0;
            *errcode = usocket_rd_end_errno(s);
        }
        USOCKET_LWIP_UNLOCK();
        if (*errcode != 0) {
            return MP_STREAM_ERROR;
        }
        if (!retry) {
            return n;
        }
    }
}

// Copies up to len bytes of a dequeued datagram into buf and frees it.
static MP_NOINLINE mp_uint_t usocket_dgram_copy(struct pbuf *p, void *buf, mp_uint_t len) {
    len = MIN(len, p->tot_len - USOCKET_DGRAM_SRC_LEN);
    pbuf_copy_partial(p, buf, len, USOCKET_DGRAM_SRC_LEN);
    USOCKET_LWIP_LOCK();
    pbuf_free(p);
    USOCKET_LWIP_UNLOCK();
    return len;
}

// A dequeued datagram as a bytes object of at most len bytes; the datagram is
// freed even when there is no memory for the bytes.
static mp_obj_t usocket_dgram_bytes(struct pbuf *p, mp_uint_t len) {
    len = MIN(len, p->tot_len - USOCKET_DGRAM_SRC_LEN);
    vstr_t vstr;
    vstr.buf = m_new_maybe(char, len + 1);
    if (vstr.buf == NULL) {
        USOCKET_LWIP_LOCK();
        pbuf_free(p);
        USOCKET_LWIP_UNLOCK();
        m_malloc_fail(len + 1);
    }
    vstr.alloc = len + 1;
    vstr.fixed_buf = false;
    vstr.len = usocket_dgram_copy(p, vstr.buf, len);
    return mp_obj_new_bytes_from_vstr(&vstr);
}

// Queues up to len bytes once there is room. Returns the count queued.
static mp_uint_t usocket_tcp_write(usocket_obj_t *s, const void *buf, mp_uint_t len, int *errcode) {
    #if USOCKET_SHUTDOWN
    // Under the lock: the flag shares its byte with flags lwIP's callbacks write.
    USOCKET_LWIP_LOCK();
    bool shut_wr = s->shut_wr;
    USOCKET_LWIP_UNLOCK();
    if (shut_wr) {
        *errcode = MP_EPIPE;
        return MP_STREAM_ERROR;
    }
    #endif
    if (usocket_state(s) != USOCKET_STATE_CONNECTED && usocket_state(s) != USOCKET_STATE_DEAD) {
        *errcode = (usocket_state(s) == USOCKET_STATE_CONNECTING && s->timeout_ms == 0) ? MP_EAGAIN : MP_ENOTCONN;
        return MP_STREAM_ERROR;
    }
    if (len == 0) {
        return 0;
    }
    bool nomem = false;  // lwIP had no memory for this write, first at nomem_since
    mp_uint_t nomem_since = 0;
    for (;;) {
        if (!usocket_wait(usocket_tcp_writable, s, s->timeout_ms)) {
            *errcode = usocket_wait_errno(s);
            return MP_STREAM_ERROR;
        }
        USOCKET_LWIP_LOCK();
        struct tcp_pcb *pcb = s->pcb.tcp;
        if (pcb == NULL) {
            USOCKET_LWIP_UNLOCK();
            // The connection ended: with its error, or EPIPE once that was reported.
            *errcode = s->error != 0 && !s->wr_reported ? s->error : MP_EPIPE;
            return MP_STREAM_ERROR;
        }
        // At most what the send buffer and the segment queue have room for (a
        // copied segment is one pbuf of the queue), so lwIP takes all of it.
        mp_uint_t n = MIN(len, tcp_sndbuf(pcb));
        n = MIN(n, (mp_uint_t)(TCP_SND_QUEUELEN - tcp_sndqueuelen(pcb)) * tcp_mss(pcb));
        u16_t queued = tcp_sndqueuelen(pcb);
        err_t err = tcp_write(pcb, buf, n, TCP_WRITE_FLAG_COPY);
        if (err == ERR_OK) {
            tcp_output(pcb);
        }
        USOCKET_LWIP_UNLOCK();
        if (err == ERR_OK) {
            // On a port whose stack only runs when polled, let the segments leave
            // now: the script may next block outside the socket layer (stdin, say).
            USOCKET_EVENT_POLL();
            return n;
        }
        if (err != ERR_MEM) {
            *errcode = usocket_errno_from_lwip(err);
            return MP_STREAM_ERROR;
        }
        // lwIP is out of segments or buffers. Our own unacknowledged data frees
        // some when the peer ACKs it: wait for that unless we may not wait.
        if (s->timeout_ms == 0) {
            *errcode = MP_EAGAIN;
            return MP_STREAM_ERROR;
        }
        usocket_queue_wait_t w = { s, queued };
        int32_t wait_ms = s->timeout_ms;
        if (queued == 0) {
            // Nothing of ours to be ACKed: memory frees elsewhere. lwIP's socket
            // layer treats ERR_MEM as temporary for a blocking write and retries
            // from its poll callback (lwip_netconn_do_writemore) until the send
            // timeout: retry at that interval, within this call's timeout.
            mp_uint_t now = mp_hal_ticks_ms();
            if (!nomem) {
                nomem = true;
                nomem_since = now;
            }
            mp_uint_t elapsed = now - nomem_since;
            if (wait_ms >= 0 && elapsed >= (mp_uint_t)wait_ms) {
                *errcode = MP_ETIMEDOUT;
                return MP_STREAM_ERROR;
            }
            if (wait_ms < 0 || (mp_uint_t)wait_ms - elapsed > USOCKET_TCP_MEM_RETRY_MS) {
                wait_ms = USOCKET_TCP_MEM_RETRY_MS;
            } else {
                wait_ms -= elapsed;
            }
        }
        if (!usocket_wait(usocket_tcp_queue_shrunk, &w, wait_ms) && queued != 0) {
            *errcode = MP_ETIMEDOUT;
            return MP_STREAM_ERROR;
        }
    }
}

// Sends one datagram to addr (NULL: the connected peer).
static MP_NOINLINE mp_uint_t usocket_dgram_write(usocket_obj_t *s, const void *buf, mp_uint_t len, const ip_addr_t *addr, uint16_t port, int *errcode) {
    if (len > 0xffff - 8 - 40) {
        // Too big for one datagram: EMSGSIZE, as lwip_sendto and Linux say.
        *errcode = USOCKET_EMSGSIZE;
        return MP_STREAM_ERROR;
    }
    if (addr == NULL && usocket_state(s) != USOCKET_STATE_CONNECTED) {
        *errcode = MP_ENOTCONN;
        return MP_STREAM_ERROR;
    }
    USOCKET_LWIP_LOCK();
    struct pbuf *p = pbuf_alloc(PBUF_TRANSPORT, len, PBUF_RAM);
    err_t err = ERR_MEM;
    if (p != NULL) {
        pbuf_take(p, buf, len);
        #if USOCKET_RAW
        if (s->type == USOCKET_SOCK_RAW) {
            err = addr != NULL ? raw_sendto(s->pcb.raw, p, addr) : raw_send(s->pcb.raw, p);
        } else
        #endif
        {
            err = addr != NULL ? udp_sendto(s->pcb.udp, p, addr, port) : udp_send(s->pcb.udp, p);
        }
        pbuf_free(p);
    }
    USOCKET_LWIP_UNLOCK();
    if (err != ERR_OK) {
        *errcode = usocket_errno_from_lwip(err);
        return MP_STREAM_ERROR;
    }
    USOCKET_EVENT_POLL();
    return len;
}

// --- Constructor, close, finaliser ---------------------------------------------------

// A new socket object: blocking, no pcb, and closed until it has one, so the
// finaliser has nothing to do.
static usocket_obj_t *usocket_new(const mp_obj_type_t *type, uint8_t stype, uint8_t family) {
    usocket_obj_t *s = mp_obj_malloc_with_finaliser(usocket_obj_t, type);
    memset((byte *)s + sizeof(mp_obj_base_t), 0, sizeof(*s) - sizeof(mp_obj_base_t));
    s->timeout_ms = -1;
    s->type = stype;
    s->family = family;
    usocket_state_set(s, USOCKET_STATE_CLOSED);
    return s;
}

// Raises unless socket() supports the family, type and protocol.
static MP_NOINLINE void usocket_check_kind(mp_int_t family, mp_int_t stype, mp_int_t proto) {
    if (family != USOCKET_AF_INET
        #if USOCKET_IPV6
        && family != USOCKET_AF_INET6
        #endif
        ) {
        mp_raise_OSError(MP_EAFNOSUPPORT);
    }
    if (stype == USOCKET_SOCK_STREAM) {
        if (proto != 0 && proto != USOCKET_IPPROTO_TCP
            #if USOCKET_QUECPYTHON
            && proto != USOCKET_IPPROTO_TCP_SER && proto != USOCKET_TCP_CUSTOMIZE_PORT
            #endif
            ) {
            mp_raise_OSError(USOCKET_EPROTONOSUPPORT);
        }
    } else if (stype == USOCKET_SOCK_DGRAM) {
        if (proto != 0 && proto != USOCKET_IPPROTO_UDP) {
            mp_raise_OSError(USOCKET_EPROTONOSUPPORT);
        }
    #if USOCKET_RAW
    } else if (stype == USOCKET_SOCK_RAW) {
        if (proto < 0 || proto > 255) {
            mp_raise_OSError(USOCKET_EPROTONOSUPPORT);
        }
    #endif
    } else {
        mp_raise_OSError(USOCKET_EPROTONOSUPPORT);
    }
}

// Gives a new socket its pcb (and a datagram socket its receive queue).
static MP_NOINLINE void usocket_open(usocket_obj_t *s, mp_int_t proto) {
    uint8_t stype = s->type;
    if (stype != USOCKET_SOCK_STREAM) {
        s->q.dgram = m_new0(struct pbuf *, USOCKET_UDP_QUEUE_LEN);
        s->q_size = USOCKET_UDP_QUEUE_LEN;
    }

    USOCKET_LWIP_LOCK();
    if (stype == USOCKET_SOCK_STREAM) {
        struct tcp_pcb *pcb = tcp_new_ip_type(usocket_ip_type(s));
        if (pcb != NULL) {
            usocket_tcp_attach(s, pcb);
        }
    #if USOCKET_RAW
    } else if (stype == USOCKET_SOCK_RAW) {
        struct raw_pcb *pcb = raw_new_ip_type(usocket_ip_type(s), proto);
        if (pcb != NULL) {
            raw_recv(pcb, usocket_raw_recv_cb, s);
        }
        s->pcb.raw = pcb;
    #endif
    } else {
        struct udp_pcb *pcb = udp_new_ip_type(usocket_ip_type(s));
        if (pcb != NULL) {
            udp_recv(pcb, usocket_udp_recv_cb, s);
        }
        s->pcb.udp = pcb;
    }
    USOCKET_LWIP_UNLOCK();
    if (s->pcb.any == NULL) {
        mp_raise_OSError(MP_ENOMEM);
    }
    usocket_state_set(s, USOCKET_STATE_NEW);
}

static mp_obj_t usocket_socket_make_new(const mp_obj_type_t *type, size_t n_args, size_t n_kw, const mp_obj_t *args) {
    mp_arg_check_num(n_args, n_kw, 0, 3, false);
    // socket(af=AF_INET, type=SOCK_STREAM, proto=0)
    mp_int_t kind[3] = { USOCKET_AF_INET, USOCKET_SOCK_STREAM, 0 };
    for (size_t i = 0; i < n_args; ++i) {
        kind[i] = mp_obj_get_int(args[i]);
    }
    mp_int_t family = kind[0];
    mp_int_t stype = kind[1];
    mp_int_t proto = kind[2];

    usocket_check_kind(family, stype, proto);
    USOCKET_PORT_INIT();
    usocket_obj_t *s = usocket_new(type, stype, family);
    s->quec_server = USOCKET_QUECPYTHON && stype == USOCKET_SOCK_STREAM && proto == USOCKET_IPPROTO_TCP_SER;
    usocket_open(s, proto);
    return MP_OBJ_FROM_PTR(s);
}

static void usocket_close(usocket_obj_t *s) {
    if (usocket_state(s) == USOCKET_STATE_CLOSED) {
        return;
    }
    USOCKET_LWIP_LOCK();
    usocket_release(s);
    usocket_state_set(s, USOCKET_STATE_CLOSED);
    USOCKET_LWIP_UNLOCK();
    // Other threads blocked on the socket wake and raise EBADF.
    USOCKET_EVENT_SIGNAL();
    // The FIN (or RST) leaves now rather than at the next wait.
    USOCKET_EVENT_POLL();
}

static mp_obj_t usocket_socket_close(mp_obj_t self_in) {
    usocket_close(MP_OBJ_TO_PTR(self_in));
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(usocket_socket_close_obj, usocket_socket_close);

// --- Methods -------------------------------------------------------------------------

// bind() and connect(): binds s's pcb to the address addr_in names, or connects it
// there (a datagram socket only records its default peer), and moves s to state;
// raises lwIP's error.
static MP_NOINLINE void usocket_pcb_address(usocket_obj_t *s, mp_obj_t addr_in, bool connect, uint8_t state) {
    ip_addr_t ip;
    uint16_t port;
    usocket_parse_address(addr_in, s->family, s->timeout_ms, &ip, &port);
    USOCKET_LWIP_LOCK();
    err_t err;
    if (s->type == USOCKET_SOCK_STREAM) {
        err = connect ? tcp_connect(s->pcb.tcp, &ip, port, usocket_tcp_connected_cb) : tcp_bind(s->pcb.tcp, &ip, port);
    #if USOCKET_RAW
    } else if (s->type == USOCKET_SOCK_RAW) {
        err = connect ? raw_connect(s->pcb.raw, &ip) : raw_bind(s->pcb.raw, &ip);
    #endif
    } else {
        err = connect ? udp_connect(s->pcb.udp, &ip, port) : udp_bind(s->pcb.udp, &ip, port);
    }
    if (err == ERR_OK) {
        usocket_state_set(s, state);
    }
    USOCKET_LWIP_UNLOCK();
    if (err != ERR_OK) {
        usocket_raise_lwip(err);
    }
}

static mp_obj_t usocket_socket_bind(mp_obj_t self_in, mp_obj_t addr_in) {
    usocket_obj_t *s = usocket_get(self_in);
    if (usocket_state(s) != USOCKET_STATE_NEW) {
        mp_raise_OSError(MP_EINVAL);
    }
    usocket_pcb_address(s, addr_in, false, USOCKET_STATE_BOUND);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_2(usocket_socket_bind_obj, usocket_socket_bind);

static mp_obj_t usocket_socket_listen(size_t n_args, const mp_obj_t *args) {
    usocket_obj_t *s = usocket_get(args[0]);
    if (s->type != USOCKET_SOCK_STREAM) {
        mp_raise_OSError(MP_EOPNOTSUPP);
    }
    if (usocket_state(s) == USOCKET_STATE_LISTENING) {
        return mp_const_none;
    }
    if (usocket_state(s) != USOCKET_STATE_NEW && usocket_state(s) != USOCKET_STATE_BOUND) {
        mp_raise_OSError(MP_EINVAL);
    }
    mp_int_t backlog = n_args > 1 ? mp_obj_get_int(args[1]) : 2;
    if (backlog < 0) {
        backlog = 0;
    }
    // Even a backlog of 0 lets one connection wait, as on Linux.
    mp_int_t size = MAX(1, MIN(backlog, USOCKET_ACCEPT_QUEUE_MAX));
    // Allocate before lwIP frees the original pcb, so a MemoryError leaves the
    // socket as it was.
    size_t lst_bytes = sizeof(usocket_listen_t) + size * sizeof(usocket_pending_t);
    usocket_listen_t *lst = (usocket_listen_t *)m_new0(uint8_t, lst_bytes);

    USOCKET_LWIP_LOCK();
    err_t err = ERR_OK;
    if (usocket_state(s) == USOCKET_STATE_NEW) {
        // listen() without bind() listens on an ephemeral port of any address.
        const ip_addr_t *any = IP4_ADDR_ANY;
        #if USOCKET_IPV6
        if (usocket_ip_type(s) == IPADDR_TYPE_V6) {
            any = IP6_ADDR_ANY;
        }
        #endif
        err = tcp_bind(s->pcb.tcp, any, 0);
    }
    struct tcp_pcb *lpcb = NULL;
    if (err == ERR_OK) {
        // What was set on the socket so far, for the connections it accepts.
        usocket_tcp_opts_get(s->pcb.tcp, &lst->opts);
        lpcb = tcp_listen_with_backlog_and_err(s->pcb.tcp, (u8_t)size, &err);
    }
    if (lpcb != NULL) {
        s->pcb.tcp = lpcb;
        s->q.lst = lst;
        s->q_size = size;
        usocket_state_set(s, USOCKET_STATE_LISTENING);
        tcp_arg(lpcb, s);
        tcp_accept(lpcb, usocket_tcp_accept_cb);
    }
    USOCKET_LWIP_UNLOCK();
    if (lpcb == NULL) {
        m_del(uint8_t, lst, lst_bytes);
        usocket_raise_lwip(err);
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(usocket_socket_listen_obj, 1, 2, usocket_socket_listen);

static mp_obj_t usocket_socket_accept(mp_obj_t self_in) {
    usocket_obj_t *s = usocket_get(self_in);
    // The new object exists before a connection is taken off the queue, so a
    // MemoryError can't lose a connection.
    usocket_obj_t *c = usocket_new(&usocket_socket_type, USOCKET_SOCK_STREAM, s->family);

    usocket_item_t item = { .conn = c };
    int errcode;
    if (usocket_dequeue(s, NULL, 0, USOCKET_DQ_ACCEPT, &item, &errcode) == MP_STREAM_ERROR) {
        mp_raise_OSError(errcode);
    }

    mp_obj_t addr = usocket_addr(c, false);
    mp_obj_t t[3] = { MP_OBJ_FROM_PTR(c), addr, MP_OBJ_NULL };
    bool quec_server = USOCKET_QUECPYTHON && s->quec_server;
    if (quec_server) {
        // QuecPython returns (conn, ip, port) from its TCP server sockets.
        mp_obj_t *a = ((mp_obj_tuple_t *)MP_OBJ_TO_PTR(addr))->items;
        t[1] = a[0];
        t[2] = a[1];
    }
    return mp_obj_new_tuple(quec_server ? 3 : 2, t);
}
static MP_DEFINE_CONST_FUN_OBJ_1(usocket_socket_accept_obj, usocket_socket_accept);

static mp_obj_t usocket_socket_connect(mp_obj_t self_in, mp_obj_t addr_in) {
    usocket_obj_t *s = usocket_get(self_in);
    bool tcp = s->type == USOCKET_SOCK_STREAM;
    switch (tcp ? usocket_state(s) : USOCKET_STATE_NEW) {
        case USOCKET_STATE_CONNECTED:
            mp_raise_OSError(MP_EISCONN);
        case USOCKET_STATE_CONNECTING:
            mp_raise_OSError(MP_EALREADY);
        case USOCKET_STATE_LISTENING:
            // A listener is past the unconnected state: lwIP's lwip_netconn_do_connect
            // answers ERR_ISCONN for any state but NETCONN_NONE, as Linux does.
            mp_raise_OSError(MP_EISCONN);
        case USOCKET_STATE_DEAD:
            usocket_raise_state(s, MP_ECONNABORTED);
    }

    usocket_pcb_address(s, addr_in, true, tcp ? USOCKET_STATE_CONNECTING : USOCKET_STATE_CONNECTED);
    if (!tcp) {
        return mp_const_none;
    }
    if (s->timeout_ms == 0) {
        // Completes in the background; poll() reports WR when connected, ERR/HUP if not.
        mp_raise_OSError(MP_EINPROGRESS);
    }
    if (!usocket_wait(usocket_not_connecting, s, s->timeout_ms)) {
        // Give up on the attempt: the pcb goes, the socket is left unusable.
        USOCKET_LWIP_LOCK();
        if (s->pcb.tcp != NULL) {
            usocket_tcp_detach(s->pcb.tcp);
            tcp_abort(s->pcb.tcp);
            s->pcb.tcp = NULL;
        }
        s->error = MP_ETIMEDOUT;
        usocket_state_set(s, USOCKET_STATE_DEAD);
        USOCKET_LWIP_UNLOCK();
        mp_raise_OSError(MP_ETIMEDOUT);
    }
    if (usocket_state(s) != USOCKET_STATE_CONNECTED) {
        usocket_raise_state(s, MP_ECONNABORTED);
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_2(usocket_socket_connect_obj, usocket_socket_connect);

static mp_uint_t usocket_send_common(usocket_obj_t *s, const void *buf, mp_uint_t len, int *errcode) {
    if (s->type == USOCKET_SOCK_STREAM) {
        return usocket_tcp_write(s, buf, len, errcode);
    }
    return usocket_dgram_write(s, buf, len, NULL, 0, errcode);
}

// send() queues what there is room for and returns the count. sendall() on TCP
// (all) goes on until everything is queued and returns None; a datagram is always
// sent whole, so there it is send().
static mp_obj_t usocket_send_impl(mp_obj_t self_in, mp_obj_t buf_in, bool all) {
    usocket_obj_t *s = usocket_get(self_in);
    mp_buffer_info_t bufinfo;
    mp_get_buffer_raise(buf_in, &bufinfo, MP_BUFFER_READ);
    all = all && s->type == USOCKET_SOCK_STREAM;
    const byte *p = bufinfo.buf;
    mp_uint_t left = bufinfo.len;
    for (;;) {
        if (all && left == 0) {
            return mp_const_none;
        }
        int errcode;
        mp_uint_t n = usocket_send_common(s, p, left, &errcode);
        if (n == MP_STREAM_ERROR) {
            mp_raise_OSError(usocket_wr_reported(s, errcode));
        }
        if (!all) {
            return mp_obj_new_int_from_uint(n);
        }
        p += n;
        left -= n;
    }
}

static mp_obj_t usocket_socket_send(mp_obj_t self_in, mp_obj_t buf_in) {
    return usocket_send_impl(self_in, buf_in, false);
}
static MP_DEFINE_CONST_FUN_OBJ_2(usocket_socket_send_obj, usocket_socket_send);

static mp_obj_t usocket_socket_sendall(mp_obj_t self_in, mp_obj_t buf_in) {
    return usocket_send_impl(self_in, buf_in, true);
}
static MP_DEFINE_CONST_FUN_OBJ_2(usocket_socket_sendall_obj, usocket_socket_sendall);

// recv(bufsize[, flags]) / recvfrom(bufsize[, flags]): flags MSG_PEEK (the data
// stays queued) and MSG_DONTWAIT (this one call is non-blocking, whatever the
// socket's mode). Waits first, then allocates only what will be returned, so
// recv(65536) on a small message doesn't take 64 KiB of heap.
static mp_obj_t usocket_recv_common(size_t n_args, const mp_obj_t *args, bool with_addr) {
    usocket_obj_t *s = usocket_get(args[0]);
    mp_int_t len = mp_obj_get_int(args[1]);
    mp_int_t flags = n_args > 2 ? mp_obj_get_int(args[2]) : 0;
    if (flags & ~USOCKET_RECV_FLAGS) {
        mp_raise_OSError(MP_EINVAL);
    }
    if (len < 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("negative buffer size"));
    }
    int errcode;
    usocket_dgram_src_t from;
    usocket_item_t item;
    mp_obj_t data;
    if (s->type == USOCKET_SOCK_STREAM) {
        // Wait with a zero-length read, then size the buffer to the data at hand
        // (another thread may take some in between: then this is a short read).
        // recv(0) waits for nothing and takes nothing.
        item.avail = 0;
        if (len > 0 && usocket_dequeue(s, NULL, 0, flags | USOCKET_DQ_PEEK, &item, &errcode) == MP_STREAM_ERROR) {
            mp_raise_OSError(usocket_rd_reported(s, errcode));
        }
        vstr_t vstr;
        vstr_init_len(&vstr, MIN((mp_uint_t)len, item.avail));
        mp_uint_t n = vstr.len == 0 ? 0 : usocket_dequeue(s, vstr.buf, vstr.len, flags, &item, &errcode);
        if (n == MP_STREAM_ERROR) {
            vstr_clear(&vstr);
            mp_raise_OSError(usocket_rd_reported(s, errcode));
        }
        if (n == 0 && len > 0) {
            usocket_rd_reported(s, 0);
        }
        vstr.len = n;
        data = mp_obj_new_bytes_from_vstr(&vstr);
        if (!with_addr) {
            return data;
        }
        mp_obj_t t[2] = { data, usocket_addr(s, false) };
        return mp_obj_new_tuple(2, t);
    } else {
        if (usocket_dequeue(s, NULL, 0, flags, &item, &errcode) == MP_STREAM_ERROR) {
            mp_raise_OSError(errcode);
        }
        pbuf_copy_partial(item.p, &from, USOCKET_DGRAM_SRC_LEN, 0);
        data = usocket_dgram_bytes(item.p, len);
    }
    if (!with_addr) {
        return data;
    }
    mp_obj_t t[2] = { data, usocket_format_address(&from.addr, from.port) };
    return mp_obj_new_tuple(2, t);
}

static mp_obj_t usocket_socket_recv(size_t n_args, const mp_obj_t *args) {
    return usocket_recv_common(n_args, args, false);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(usocket_socket_recv_obj, 2, 3, usocket_socket_recv);

static mp_obj_t usocket_socket_recvfrom(size_t n_args, const mp_obj_t *args) {
    return usocket_recv_common(n_args, args, true);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(usocket_socket_recvfrom_obj, 2, 3, usocket_socket_recvfrom);

static mp_obj_t usocket_socket_sendto(mp_obj_t self_in, mp_obj_t buf_in, mp_obj_t addr_in) {
    usocket_obj_t *s = usocket_get(self_in);
    if (s->type == USOCKET_SOCK_STREAM) {
        mp_raise_OSError(usocket_state(s) == USOCKET_STATE_CONNECTED ? MP_EISCONN : MP_ENOTCONN);
    }
    mp_buffer_info_t bufinfo;
    mp_get_buffer_raise(buf_in, &bufinfo, MP_BUFFER_READ);
    ip_addr_t ip;
    uint16_t port;
    usocket_parse_address(addr_in, s->family, s->timeout_ms, &ip, &port);
    int errcode;
    mp_uint_t n = usocket_dgram_write(s, bufinfo.buf, bufinfo.len, &ip, port, &errcode);
    if (n == MP_STREAM_ERROR) {
        mp_raise_OSError(errcode);
    }
    return mp_obj_new_int_from_uint(n);
}
static MP_DEFINE_CONST_FUN_OBJ_3(usocket_socket_sendto_obj, usocket_socket_sendto);

static mp_obj_t usocket_socket_settimeout(mp_obj_t self_in, mp_obj_t timeout_in) {
    usocket_obj_t *s = usocket_get(self_in);
    if (timeout_in == mp_const_none) {
        s->timeout_ms = -1;
        return mp_const_none;
    }
    #if MICROPY_PY_BUILTINS_FLOAT
    mp_float_t t = mp_obj_get_float(timeout_in);
    if (t < 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("timeout must be None or >= 0"));
    }
    mp_float_t ms = t * MICROPY_FLOAT_CONST(1000.0);
    s->timeout_ms = ms > MICROPY_FLOAT_CONST(2147483647.0) ? -1 : (int32_t)ms;
    if (s->timeout_ms == 0 && t > 0) {
        // A sub-millisecond timeout is still a timeout, not non-blocking mode.
        s->timeout_ms = 1;
    }
    #else
    mp_int_t t = mp_obj_get_int(timeout_in);
    if (t < 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("timeout must be None or >= 0"));
    }
    s->timeout_ms = t * 1000;
    #endif
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_2(usocket_socket_settimeout_obj, usocket_socket_settimeout);

static mp_obj_t usocket_socket_setblocking(mp_obj_t self_in, mp_obj_t flag_in) {
    usocket_obj_t *s = usocket_get(self_in);
    s->timeout_ms = mp_obj_is_true(flag_in) ? -1 : 0;
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_2(usocket_socket_setblocking_obj, usocket_socket_setblocking);

// The options whose value is an int, table-driven: the level and number of each,
// and what it sets. A bit of a pcb's so_options (its number is the bit: any socket
// type, every pcb has them), or a field of usocket_tcp_opts_t (TCP only) that takes
// 1 to max units (QuecPython's TCP_KEEPALIVE is in minutes and also turns
// keepalive on, TCP_KEEPIDLE and TCP_KEEPINTVL are in seconds, as on Linux), or
// any int as a flag where max is 0.
#define USOCKET_OPT_SOF (0xff)

typedef struct _usocket_int_opt_t {
    uint16_t level;
    uint8_t opt;
    uint8_t offset;             // in usocket_tcp_opts_t, or USOCKET_OPT_SOF
    uint32_t max;
    uint32_t unit;
} usocket_int_opt_t;

#define USOCKET_TCP_OPT(level, opt, field, max, unit) \
    { level, opt, offsetof(usocket_tcp_opts_t, field), max, unit }

static const usocket_int_opt_t usocket_int_opts[] = {
    { USOCKET_SOL_SOCKET, USOCKET_SO_REUSEADDR, USOCKET_OPT_SOF, 0, 0 },
    { USOCKET_SOL_SOCKET, USOCKET_SO_KEEPALIVE, USOCKET_OPT_SOF, 0, 0 },
    { USOCKET_SOL_SOCKET, USOCKET_SO_BROADCAST, USOCKET_OPT_SOF, 0, 0 },
    USOCKET_TCP_OPT(USOCKET_IPPROTO_TCP, USOCKET_TCP_NODELAY, nodelay, 0, 0),
    #if USOCKET_KEEPALIVE
    USOCKET_TCP_OPT(USOCKET_SOL_SOCKET, USOCKET_TCP_KEEPALIVE, keep_idle, 120, 60 * 1000),
    USOCKET_TCP_OPT(USOCKET_IPPROTO_TCP, USOCKET_TCP_KEEPALIVE, keep_idle, 120, 60 * 1000),
    USOCKET_TCP_OPT(USOCKET_IPPROTO_TCP, USOCKET_TCP_KEEPIDLE, keep_idle, 0x7fffffff / 1000, 1000),
    #if LWIP_TCP_KEEPALIVE
    USOCKET_TCP_OPT(USOCKET_IPPROTO_TCP, USOCKET_TCP_KEEPINTVL, keep_intvl, 0x7fffffff / 1000, 1000),
    USOCKET_TCP_OPT(USOCKET_IPPROTO_TCP, USOCKET_TCP_KEEPCNT, keep_cnt, 255, 1),
    #endif
    #endif
};

// The options whose value is not an int (a callback, a struct ip_mreq) and the
// multicast ones. Returns false for any other option.
static bool usocket_setsockopt_modlwip(usocket_obj_t *s, mp_int_t level, mp_int_t opt, mp_obj_t value) {
    #if USOCKET_CALLBACK
    if (opt == USOCKET_SO_CALLBACK && (level == USOCKET_SOL_SOCKET || level == 1)) {
        // modlwip takes option 20 at any level; WebREPL passes its SOL_SOCKET (1
        // there).
        if (value != mp_const_none && !mp_obj_is_callable(value)) {
            mp_raise_TypeError(MP_ERROR_TEXT("callback must be callable or None"));
        }
        USOCKET_LWIP_LOCK();
        s->callback = value == mp_const_none ? MP_OBJ_NULL : value;
        USOCKET_LWIP_UNLOCK();
        return true;
    }
    #endif
    #if USOCKET_MULTICAST
    if (level != USOCKET_IPPROTO_IP) {
        return false;
    }
    if (opt == USOCKET_IP_ADD_MEMBERSHIP || opt == USOCKET_IP_DROP_MEMBERSHIP) {
        // struct ip_mreq: the group, then the interface (0.0.0.0: every one).
        mp_buffer_info_t bufinfo;
        mp_get_buffer_raise(value, &bufinfo, MP_BUFFER_READ);
        if (bufinfo.len != 2 * sizeof(ip4_addr_t)) {
            mp_raise_ValueError(MP_ERROR_TEXT("ip_mreq must be 8 bytes: group, interface"));
        }
        if (s->type != USOCKET_SOCK_DGRAM) {
            mp_raise_OSError(MP_EOPNOTSUPP);
        }
        ip4_addr_t mreq[2];
        memcpy(mreq, bufinfo.buf, sizeof(mreq));
        if (!ip4_addr_ismulticast(&mreq[0])) {
            mp_raise_OSError(MP_EINVAL);
        }
        USOCKET_LWIP_LOCK();
        err_t err = usocket_membership(s, opt == USOCKET_IP_ADD_MEMBERSHIP, &mreq[0], &mreq[1]);
        USOCKET_LWIP_UNLOCK();
        if (err != ERR_OK) {
            usocket_raise_lwip(err);
        }
        return true;
    }
    #if LWIP_MULTICAST_TX_OPTIONS
    if (opt == USOCKET_IP_MULTICAST_LOOP) {
        // Whether our own multicast datagrams are also delivered to this host's
        // members of the group (on by default on Linux, off in lwIP).
        if (s->type != USOCKET_SOCK_DGRAM) {
            mp_raise_OSError(MP_EOPNOTSUPP);
        }
        bool on = mp_obj_is_true(value);
        USOCKET_LWIP_LOCK();
        if (s->pcb.udp != NULL) {
            if (on) {
                udp_set_flags(s->pcb.udp, UDP_FLAGS_MULTICAST_LOOP);
            } else {
                udp_clear_flags(s->pcb.udp, UDP_FLAGS_MULTICAST_LOOP);
            }
        }
        USOCKET_LWIP_UNLOCK();
        return true;
    }
    #endif
    #endif
    return false;
}

static mp_obj_t usocket_socket_setsockopt(size_t n_args, const mp_obj_t *args) {
    usocket_obj_t *s = usocket_get(args[0]);
    mp_int_t level = mp_obj_get_int(args[1]);
    mp_int_t opt = mp_obj_get_int(args[2]);
    if (usocket_setsockopt_modlwip(s, level, opt, args[3])) {
        return mp_const_none;
    }
    mp_int_t val;
    mp_buffer_info_t bufinfo;
    if (mp_get_buffer(args[3], &bufinfo, MP_BUFFER_READ)) {
        // The documents allow a bytes-like value: for these int options, a C int
        // in native byte order, as CPython passes it to setsockopt(2).
        int32_t v;
        if (bufinfo.len != sizeof(v)) {
            mp_raise_OSError(MP_EINVAL);
        }
        memcpy(&v, bufinfo.buf, sizeof(v));
        val = v;
    } else {
        // An int or a bool; anything else is a TypeError.
        val = mp_obj_get_int(args[3]);
    }
    const usocket_int_opt_t *o = usocket_int_opts;
    while (o->level != level || o->opt != opt) {
        if (++o == usocket_int_opts + MP_ARRAY_SIZE(usocket_int_opts)) {
            mp_raise_OSError(MP_EINVAL);
        }
    }
    bool is_tcp = s->type == USOCKET_SOCK_STREAM;
    if (o->offset != USOCKET_OPT_SOF) {
        if (!is_tcp || (o->max != 0 && (val < 1 || (mp_uint_t)val > o->max))) {
            mp_raise_OSError(MP_EINVAL);
        }
        val = o->max != 0 ? val * o->unit : val != 0;
    }
    USOCKET_LWIP_LOCK();
    // A connection that ended has no pcb left to set.
    struct usocket_ip_pcb *ip_pcb = s->pcb.any;
    if (o->offset == USOCKET_OPT_SOF || (USOCKET_KEEPALIVE && opt == USOCKET_TCP_KEEPALIVE)) {
        u8_t sof = o->offset == USOCKET_OPT_SOF ? opt : SOF_KEEPALIVE;
        if (ip_pcb != NULL && (val || sof != opt)) {
            ip_set_option(ip_pcb, sof);
        } else if (ip_pcb != NULL) {
            ip_reset_option(ip_pcb, sof);
        }
    }
    if (o->offset != USOCKET_OPT_SOF) {
        // The TCP options: a listener's own copy, or a connection pcb's, read,
        // changed and written back.
        if (usocket_state(s) == USOCKET_STATE_LISTENING) {
            *(u32_t *)((byte *)&s->q.lst->opts + o->offset) = val;
        } else if (s->pcb.tcp != NULL) {
            usocket_tcp_opts_t opts;
            usocket_tcp_opts_get(s->pcb.tcp, &opts);
            *(u32_t *)((byte *)&opts + o->offset) = val;
            usocket_tcp_opts_set(s->pcb.tcp, &opts);
        }
    }
    USOCKET_LWIP_UNLOCK();
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(usocket_socket_setsockopt_obj, 4, 4, usocket_socket_setsockopt);

#if USOCKET_SHUTDOWN
// shutdown(how): SHUT_WR sends FIN after the queued data (the peer reads EOF) while
// this side can still receive; after SHUT_RD reads raise ENOTCONN, as on lwIP's
// socket layer. CPython's API, and the only way to see FIN_WAIT_1/FIN_WAIT_2/
// TIME_WAIT from getsocketsta().
static mp_obj_t usocket_socket_shutdown(mp_obj_t self_in, mp_obj_t how_in) {
    usocket_obj_t *s = usocket_get(self_in);
    mp_int_t how = mp_obj_get_int(how_in);
    if (how < USOCKET_SHUT_RD || how > USOCKET_SHUT_RDWR) {
        mp_raise_OSError(MP_EINVAL);
    }
    if (s->type != USOCKET_SOCK_STREAM) {
        mp_raise_OSError(MP_EOPNOTSUPP);
    }
    if (usocket_state(s) != USOCKET_STATE_CONNECTED && usocket_state(s) != USOCKET_STATE_DEAD) {
        mp_raise_OSError(MP_ENOTCONN);
    }
    err_t err = ERR_OK;
    USOCKET_LWIP_LOCK();
    struct tcp_pcb *pcb = s->pcb.tcp;
    if (how != USOCKET_SHUT_WR && !s->shut_rd) {
        s->shut_rd = true;
        // As lwIP's socket layer drops the receive mailbox: a pending error is
        // reported once, then every read raises ENOTCONN.
        s->rd_closed = true;
        s->rd_marker_gone = true;
        if (s->rx != NULL) {
            if (pcb != NULL) {
                tcp_recved(pcb, s->rx->tot_len + s->rx_unacked);
            }
            pbuf_free(s->rx);
            s->rx = NULL;
            s->rx_unacked = 0;
        }
    }
    if (how != USOCKET_SHUT_RD && !s->shut_wr && pcb != NULL) {
        err = tcp_shutdown(pcb, 0, 1);
        if (err == ERR_OK) {
            s->shut_wr = true;
            if (s->peer_fin) {
                usocket_tcp_handover(s);
            }
        }
    }
    USOCKET_LWIP_UNLOCK();
    if (err != ERR_OK) {
        usocket_raise_lwip(err);
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_2(usocket_socket_shutdown_obj, usocket_socket_shutdown);
#endif

static mp_obj_t usocket_socket_makefile(size_t n_args, const mp_obj_t *args) {
    // The socket is its own unbuffered binary stream.
    return args[0];
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(usocket_socket_makefile_obj, 1, 3, usocket_socket_makefile);

#if USOCKET_QUECPYTHON
// QuecPython: the lwIP TCP state number (0 CLOSED .. 10 TIME_WAIT), -1 once closed.
static mp_obj_t usocket_socket_getsocketsta(mp_obj_t self_in) {
    usocket_obj_t *s = MP_OBJ_TO_PTR(self_in);
    if (usocket_state(s) == USOCKET_STATE_CLOSED) {
        return MP_OBJ_NEW_SMALL_INT(-1);
    }
    if (s->type != USOCKET_SOCK_STREAM) {
        return MP_OBJ_NEW_SMALL_INT(0);
    }
    USOCKET_LWIP_LOCK();
    struct tcp_pcb *pcb = s->pcb.tcp;
    if (pcb == NULL && USOCKET_SHUTDOWN && s->handed_over) {
        // Closed both ways after shutdown(): lwIP is finishing the connection
        // (TIME_WAIT usually) and the state is still worth reporting.
        pcb = usocket_tcp_find(s);
    }
    mp_int_t state = pcb != NULL ? (mp_int_t)pcb->state : CLOSED;
    USOCKET_LWIP_UNLOCK();
    return MP_OBJ_NEW_SMALL_INT(state);
}
static MP_DEFINE_CONST_FUN_OBJ_1(usocket_socket_getsocketsta_obj, usocket_socket_getsocketsta);
#endif

static mp_obj_t usocket_name(mp_obj_t self_in, bool local) {
    usocket_obj_t *s = usocket_get(self_in);
    if (!local && (s->type == USOCKET_SOCK_RAW || usocket_state(s) != USOCKET_STATE_CONNECTED)) {
        mp_raise_OSError(MP_ENOTCONN);
    }
    return usocket_addr(s, local);
}

static mp_obj_t usocket_socket_getsockname(mp_obj_t self_in) {
    return usocket_name(self_in, true);
}
static MP_DEFINE_CONST_FUN_OBJ_1(usocket_socket_getsockname_obj, usocket_socket_getsockname);

static mp_obj_t usocket_socket_getpeername(mp_obj_t self_in) {
    return usocket_name(self_in, false);
}
static MP_DEFINE_CONST_FUN_OBJ_1(usocket_socket_getpeername_obj, usocket_socket_getpeername);

// --- Stream protocol and the stream methods -------------------------------------------
//
// read, readinto, readline and write are py/stream.c's, over the protocol functions
// below, as in modlwip. usocket_stream_call adds one rule of ours: when a timeout or
// an error ends a method call that already moved data, the call returns that data
// (or the count written) and the error is the next call's. The protocol functions
// see that such a call is in progress and end it with EAGAIN, which py/stream.c
// answers by returning what was done; a datagram socket's read stops after one
// datagram the same way.

// Marks a node of the jump-callback list as a usocket_call_t; an unwinding
// exception has nothing more to undo.
static void usocket_call_node(void *node) {
    (void)node;
}

// The innermost call in progress on this socket in this thread, or NULL.
static usocket_call_t *usocket_call_find(usocket_obj_t *s) {
    nlr_jump_callback_node_t *node = MP_STATE_THREAD(nlr_jump_callback_top);
    while (node != NULL && (node->fun != usocket_call_node || ((usocket_call_t *)node)->s != s)) {
        node = node->prev;
    }
    return (usocket_call_t *)node;
}

// Ends a protocol read or write (n: its result) inside a method call: what the
// application is given is counted as reported (usocket_rd_reported), and an error
// after data moved becomes EAGAIN (see above).
static mp_uint_t usocket_call_result(usocket_obj_t *s, usocket_call_t *call, mp_uint_t n, int *errcode, bool read) {
    if (call == NULL) {
        return n;
    }
    if (n == MP_STREAM_ERROR && call->moved) {
        *errcode = MP_EAGAIN;
    } else if (n == MP_STREAM_ERROR) {
        *errcode = read ? usocket_rd_reported(s, *errcode) : usocket_wr_reported(s, *errcode);
    } else if (n > 0) {
        call->moved = true;
    } else if (read && !call->moved) {
        usocket_rd_reported(s, 0);
    }
    return n;
}

static mp_uint_t usocket_stream_read(mp_obj_t self_in, void *buf, mp_uint_t size, int *errcode) {
    usocket_obj_t *s = MP_OBJ_TO_PTR(self_in);
    usocket_call_t *call = usocket_call_find(s);
    usocket_item_t item;
    mp_uint_t n;
    if (s->type == USOCKET_SOCK_STREAM) {
        // One chunk at a time: py/stream.c loops for the no-short-reads rule.
        n = usocket_dequeue(s, buf, MIN(size, 0xffff), 0, &item, errcode);
    } else if (call != NULL && call->moved) {
        *errcode = MP_EAGAIN;
        return MP_STREAM_ERROR;
    } else {
        n = usocket_dequeue(s, NULL, 0, 0, &item, errcode);
        if (n != MP_STREAM_ERROR) {
            n = usocket_dgram_copy(item.p, buf, size);
        }
    }
    return usocket_call_result(s, call, n, errcode, true);
}

static mp_uint_t usocket_stream_write(mp_obj_t self_in, const void *buf, mp_uint_t size, int *errcode) {
    usocket_obj_t *s = MP_OBJ_TO_PTR(self_in);
    mp_uint_t n = MP_STREAM_ERROR;
    if (usocket_state(s) == USOCKET_STATE_CLOSED) {
        *errcode = MP_EBADF;
    } else {
        n = usocket_send_common(s, buf, size, errcode);
    }
    return usocket_call_result(s, usocket_call_find(s), n, errcode, false);
}

// Runs one of py/stream.c's methods as a call of this socket (see above).
static mp_obj_t usocket_stream_call(mp_fun_var_t fn, size_t n_args, const mp_obj_t *args) {
    usocket_call_t call;
    call.s = usocket_get(args[0]);
    call.moved = false;
    nlr_push_jump_callback(&call.node, usocket_call_node);
    mp_obj_t ret = fn(n_args, args);
    // fn took off every node it added: this call's is on top again.
    nlr_pop_jump_callback(false);
    return ret;
}

static mp_obj_t usocket_socket_read(size_t n_args, const mp_obj_t *args) {
    return usocket_stream_call(mp_stream_read_obj.fun.var, n_args, args);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(usocket_socket_read_obj, 1, 2, usocket_socket_read);

#if USOCKET_QUECPYTHON
// QuecPython's documents call read() without a size readall().
static mp_obj_t usocket_socket_readall(mp_obj_t self_in) {
    return usocket_stream_call(mp_stream_read_obj.fun.var, 1, &self_in);
}
static MP_DEFINE_CONST_FUN_OBJ_1(usocket_socket_readall_obj, usocket_socket_readall);
#endif

static mp_obj_t usocket_socket_readinto(size_t n_args, const mp_obj_t *args) {
    return usocket_stream_call(mp_stream_readinto_obj.fun.var, n_args, args);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(usocket_socket_readinto_obj, 2, 3, usocket_socket_readinto);

#if USOCKET_READLINE
// py/stream.c's readline reads a byte per call of the protocol; on a TCP socket this
// one takes the line from the received data a run at a time, up to its '\n', with
// the same results: None if a non-blocking call finds nothing, what was read if the
// stream ends or a timeout or error comes after some of the line.
static mp_obj_t usocket_readline_fn(size_t n_args, const mp_obj_t *args) {
    usocket_obj_t *s = MP_OBJ_TO_PTR(args[0]);
    if (s->type != USOCKET_SOCK_STREAM) {
        return mp_stream_unbuffered_readline_obj.fun.var(n_args, args);
    }
    mp_int_t max_size = n_args > 1 ? mp_obj_get_int(args[1]) : -1;
    usocket_call_t *call = usocket_call_find(s);
    vstr_t vstr;
    vstr_init(&vstr, 64);
    while (max_size < 0 || vstr.len < (size_t)max_size) {
        // Into the room the buffer has, doubled when full: a limit (urequests
        // passes a few KiB) is not allocated up front.
        if (vstr.len == vstr.alloc) {
            vstr_hint_size(&vstr, vstr.alloc);
        }
        mp_uint_t want = MIN(vstr.alloc - vstr.len, 0xffff);
        if (max_size >= 0) {
            want = MIN(want, (size_t)max_size - vstr.len);
        }
        usocket_item_t item;
        int errcode;
        mp_uint_t n = usocket_dequeue(s, vstr.buf + vstr.len, want, USOCKET_DQ_LINE, &item, &errcode);
        n = usocket_call_result(s, call, n, &errcode, true);
        if (n == MP_STREAM_ERROR) {
            if (!mp_is_nonblocking_error(errcode)) {
                mp_raise_OSError(errcode);
            }
            if (vstr.len == 0) {
                return mp_const_none;
            }
            break;
        }
        if (n == 0) {
            break;
        }
        vstr.len += n;
        if (vstr.buf[vstr.len - 1] == '\n') {
            break;
        }
    }
    return mp_obj_new_bytes_from_vstr(&vstr);
}
#else
#define usocket_readline_fn (mp_stream_unbuffered_readline_obj.fun.var)
#endif
static mp_obj_t usocket_socket_readline(size_t n_args, const mp_obj_t *args) {
    return usocket_stream_call(usocket_readline_fn, n_args, args);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(usocket_socket_readline_obj, 1, 2, usocket_socket_readline);

static mp_obj_t usocket_socket_write(size_t n_args, const mp_obj_t *args) {
    return usocket_stream_call(mp_stream_write_obj.fun.var, n_args, args);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(usocket_socket_write_obj, 2, 4, usocket_socket_write);

static mp_uint_t usocket_stream_ioctl(mp_obj_t self_in, mp_uint_t request, uintptr_t arg, int *errcode) {
    usocket_obj_t *s = MP_OBJ_TO_PTR(self_in);
    if (request == MP_STREAM_CLOSE) {
        usocket_close(s);
        return 0;
    }
    if (request != MP_STREAM_POLL) {
        *errcode = MP_EINVAL;
        return MP_STREAM_ERROR;
    }
    if (usocket_state(s) == USOCKET_STATE_CLOSED) {
        return MP_STREAM_POLL_NVAL;
    }
    // select/poll call this in their loop: let the stack make progress.
    USOCKET_EVENT_POLL();
    USOCKET_LWIP_LOCK();
    // What a read would not wait for: a pending connection or a datagram, data or
    // the stream's end, or (a connection that ended) the error. Nothing yet while
    // connecting or before connect().
    mp_uint_t ret = usocket_readable_locked(s) ? MP_STREAM_POLL_RD : 0;
    if (s->type != USOCKET_SOCK_STREAM) {
        ret |= MP_STREAM_POLL_WR;
    } else {
        switch (usocket_state(s)) {
            case USOCKET_STATE_LISTENING:
            case USOCKET_STATE_CONNECTING:
                break;
            case USOCKET_STATE_CONNECTED:
                if (usocket_tcp_writable_locked(s)) {
                    ret |= MP_STREAM_POLL_WR;
                }
                if (s->peer_fin) {
                    ret |= MP_STREAM_POLL_HUP;
                }
                break;
            case USOCKET_STATE_DEAD:
                // Writable too (the error), so a waiter of either kind wakes and
                // sees what happened.
                ret |= MP_STREAM_POLL_WR | MP_STREAM_POLL_HUP;
                // For good, as lwIP's socket layer keeps its error event.
                if (s->error != 0) {
                    ret |= MP_STREAM_POLL_ERR;
                }
                break;
            default:
                // Not connected: writing would fail at once, so it doesn't block.
                ret |= MP_STREAM_POLL_WR | MP_STREAM_POLL_HUP;
                break;
        }
    }
    USOCKET_LWIP_UNLOCK();
    // ERR and HUP are reported whether asked for or not, as poll(2) does.
    return ret & (arg | MP_STREAM_POLL_ERR | MP_STREAM_POLL_HUP);
}

static void usocket_socket_print(const mp_print_t *print, mp_obj_t self_in, mp_print_kind_t kind) {
    usocket_obj_t *s = MP_OBJ_TO_PTR(self_in);
    mp_printf(print, "<socket family=%d type=%d state=%d>", s->family, s->type, usocket_state(s));
}

static const mp_rom_map_elem_t usocket_socket_locals_dict_table[] = {
    { MP_ROM_QSTR(MP_QSTR___del__), MP_ROM_PTR(&usocket_socket_close_obj) },
    { MP_ROM_QSTR(MP_QSTR___enter__), MP_ROM_PTR(&mp_identity_obj) },
    { MP_ROM_QSTR(MP_QSTR___exit__), MP_ROM_PTR(&mp_stream___exit___obj) },
    { MP_ROM_QSTR(MP_QSTR_close), MP_ROM_PTR(&usocket_socket_close_obj) },
    { MP_ROM_QSTR(MP_QSTR_bind), MP_ROM_PTR(&usocket_socket_bind_obj) },
    { MP_ROM_QSTR(MP_QSTR_listen), MP_ROM_PTR(&usocket_socket_listen_obj) },
    { MP_ROM_QSTR(MP_QSTR_accept), MP_ROM_PTR(&usocket_socket_accept_obj) },
    { MP_ROM_QSTR(MP_QSTR_connect), MP_ROM_PTR(&usocket_socket_connect_obj) },
    { MP_ROM_QSTR(MP_QSTR_send), MP_ROM_PTR(&usocket_socket_send_obj) },
    { MP_ROM_QSTR(MP_QSTR_sendall), MP_ROM_PTR(&usocket_socket_sendall_obj) },
    { MP_ROM_QSTR(MP_QSTR_recv), MP_ROM_PTR(&usocket_socket_recv_obj) },
    { MP_ROM_QSTR(MP_QSTR_sendto), MP_ROM_PTR(&usocket_socket_sendto_obj) },
    { MP_ROM_QSTR(MP_QSTR_recvfrom), MP_ROM_PTR(&usocket_socket_recvfrom_obj) },
    { MP_ROM_QSTR(MP_QSTR_setsockopt), MP_ROM_PTR(&usocket_socket_setsockopt_obj) },
    { MP_ROM_QSTR(MP_QSTR_settimeout), MP_ROM_PTR(&usocket_socket_settimeout_obj) },
    { MP_ROM_QSTR(MP_QSTR_setblocking), MP_ROM_PTR(&usocket_socket_setblocking_obj) },
    { MP_ROM_QSTR(MP_QSTR_makefile), MP_ROM_PTR(&usocket_socket_makefile_obj) },
    #if USOCKET_QUECPYTHON
    { MP_ROM_QSTR(MP_QSTR_getsocketsta), MP_ROM_PTR(&usocket_socket_getsocketsta_obj) },
    #endif
    { MP_ROM_QSTR(MP_QSTR_getsockname), MP_ROM_PTR(&usocket_socket_getsockname_obj) },
    { MP_ROM_QSTR(MP_QSTR_getpeername), MP_ROM_PTR(&usocket_socket_getpeername_obj) },
    #if USOCKET_SHUTDOWN
    { MP_ROM_QSTR(MP_QSTR_shutdown), MP_ROM_PTR(&usocket_socket_shutdown_obj) },
    #endif
    { MP_ROM_QSTR(MP_QSTR_read), MP_ROM_PTR(&usocket_socket_read_obj) },
    #if USOCKET_QUECPYTHON
    { MP_ROM_QSTR(MP_QSTR_readall), MP_ROM_PTR(&usocket_socket_readall_obj) },
    #endif
    { MP_ROM_QSTR(MP_QSTR_readinto), MP_ROM_PTR(&usocket_socket_readinto_obj) },
    { MP_ROM_QSTR(MP_QSTR_readline), MP_ROM_PTR(&usocket_socket_readline_obj) },
    { MP_ROM_QSTR(MP_QSTR_write), MP_ROM_PTR(&usocket_socket_write_obj) },
};
static MP_DEFINE_CONST_DICT(usocket_socket_locals_dict, usocket_socket_locals_dict_table);

static const mp_stream_p_t usocket_socket_stream_p = {
    .read = usocket_stream_read,
    .write = usocket_stream_write,
    .ioctl = usocket_stream_ioctl,
};

MP_DEFINE_CONST_OBJ_TYPE(
    usocket_socket_type,
    MP_QSTR_socket,
    MP_TYPE_FLAG_NONE,
    make_new, usocket_socket_make_new,
    print, usocket_socket_print,
    protocol, &usocket_socket_stream_p,
    locals_dict, &usocket_socket_locals_dict
    );
