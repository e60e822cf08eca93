// usocket-qemu-bridge: connects the QEMU target's Ethernet to the PC through the
// same libslirp set-up, safety filter and USOCKET_* knobs as the host firmware
// (boards/unix/slirpnet.c). A host program, not firmware: `make qemu-bridge`
// builds it and tools/qemu_run.py starts it before QEMU.
//
//   usocket-qemu-bridge SOCKET_PATH
//
// listens on the Unix socket SOCKET_PATH, prints "ready" on stdout, and serves the
// one QEMU that connects to it with `-netdev stream,addr.type=unix,...`: each frame
// on that stream is a 4-byte big-endian length and the frame. When QEMU goes away
// the bridge prints its counters as one JSON line on stdout and exits.
//
// Frames from the firmware go through the filter (anything not to 10.0.2.2 is
// dropped and counted), then fault injection (USOCKET_NET_LOSS, _DELAY_MS, _SEED,
// both directions), then to slirp. The firmware asks its DNS server at 10.0.2.2
// port 53, as a board asks its router; the bridge rewrites that port to
// USOCKET_DNS_PORT and back, so the tests' DNS server answers, never slirp's
// forwarder (disabled) and never the machine's resolver.
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "slirpnet.h"

#define BRIDGE_FRAME_MAX (4096)
#define BRIDGE_POLLFDS_MAX (1024)
#define BRIDGE_IPPROTO_UDP (17)
#define BRIDGE_DNS_PORT (53)

typedef struct _bridge_frame_t {
    struct _bridge_frame_t *next;
    uint64_t due_ms;
    size_t len;
    uint8_t data[];
} bridge_frame_t;

// Frames held back by USOCKET_NET_DELAY_MS: a FIFO, since every frame waits as long.
typedef struct _bridge_queue_t {
    bridge_frame_t *head;
    bridge_frame_t *tail;
} bridge_queue_t;

typedef struct _bridge_timer_t {
    struct _bridge_timer_t *next;
    SlirpTimerId id;
    void *cb_opaque;
    int64_t expire_ms;  // < 0: not armed
} bridge_timer_t;

static struct {
    Slirp *slirp;
    int qemu_fd;
    unsigned short dns_port;
    slirpnet_faults_t faults;
    uint64_t loss_state;
    bridge_queue_t to_slirp;
    bridge_queue_t to_qemu;
    bridge_timer_t *timers;
    struct pollfd fds[BRIDGE_POLLFDS_MAX];
    size_t nfds;
    // Bytes of the QEMU stream not yet a whole frame.
    uint8_t in[4 + BRIDGE_FRAME_MAX];
    size_t in_len;
    struct {
        unsigned long frames_in;       // to the firmware
        unsigned long frames_out;      // from the firmware, passed to slirp
        unsigned long dropped_filter;
        unsigned long dropped_loss;
        unsigned long dns_rewritten;
    } stats;
} bridge;

static uint64_t bridge_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/******************************************************************************/
// DNS port rewriting (IPv4 UDP between the firmware and 10.0.2.2).

// The UDP header of an IPv4 frame between 10.0.2.15 and 10.0.2.2, or NULL.
static uint8_t *bridge_udp_header(uint8_t *frame, size_t len) {
    if (len < SLIRPNET_ETH_HLEN + 20 || slirpnet_be16(frame + 12) != SLIRPNET_ETHTYPE_IPV4) {
        return NULL;
    }
    uint8_t *ip = frame + SLIRPNET_ETH_HLEN;
    size_t ihl = (size_t)(ip[0] & 0x0f) * 4;
    if ((ip[0] >> 4) != 4 || ip[9] != BRIDGE_IPPROTO_UDP || ihl < 20
        || len < SLIRPNET_ETH_HLEN + ihl + 8 || (slirpnet_be16(ip + 6) & 0x3fff) != 0) {
        return NULL;  // not UDP, or a fragment
    }
    return ip + ihl;
}

// Replaces the port at p (network order) and drops the UDP checksum, which IPv4
// makes optional: both stacks accept a zero checksum.
static void bridge_set_port(uint8_t *udp, size_t at, unsigned short port) {
    udp[at] = (uint8_t)(port >> 8);
    udp[at + 1] = (uint8_t)port;
    udp[6] = udp[7] = 0;
    bridge.stats.dns_rewritten += 1;
}

static void bridge_dns_out(uint8_t *frame, size_t len) {
    uint8_t *udp = bridge_udp_header(frame, len);
    if (udp != NULL && bridge.dns_port != BRIDGE_DNS_PORT && slirpnet_be16(udp + 2) == BRIDGE_DNS_PORT) {
        bridge_set_port(udp, 2, bridge.dns_port);
    }
}

static void bridge_dns_in(uint8_t *frame, size_t len) {
    uint8_t *udp = bridge_udp_header(frame, len);
    if (udp != NULL && bridge.dns_port != BRIDGE_DNS_PORT && slirpnet_be16(udp) == bridge.dns_port) {
        bridge_set_port(udp, 0, BRIDGE_DNS_PORT);
    }
}

/******************************************************************************/
// Both directions.

static void bridge_write_all(const uint8_t *buf, size_t len) {
    while (len > 0) {
        ssize_t n = write(bridge.qemu_fd, buf, len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return;  // QEMU is gone: the read side sees it and ends the loop
        }
        buf += n;
        len -= (size_t)n;
    }
}

static void bridge_to_qemu_now(const uint8_t *frame, size_t len) {
    uint8_t hdr[4] = { (uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len };
    bridge_write_all(hdr, 4);
    bridge_write_all(frame, len);
    bridge.stats.frames_in += 1;
}

static void bridge_queue(bridge_queue_t *q, const uint8_t *frame, size_t len) {
    bridge_frame_t *f = malloc(sizeof(bridge_frame_t) + len);
    if (f == NULL) {
        return;  // lost, as on a wire
    }
    f->next = NULL;
    f->due_ms = bridge_now_ms() + bridge.faults.delay_ms;
    f->len = len;
    memcpy(f->data, frame, len);
    if (q->tail != NULL) {
        q->tail->next = f;
    } else {
        q->head = f;
    }
    q->tail = f;
}

// A frame from the firmware: filter, faults, DNS port, then slirp.
static void bridge_from_qemu(uint8_t *frame, size_t len) {
    if (!slirpnet_frame_allowed(frame, len)) {
        bridge.stats.dropped_filter += 1;
        return;
    }
    if (slirpnet_lose(&bridge.loss_state, bridge.faults.loss)) {
        bridge.stats.dropped_loss += 1;
        return;
    }
    bridge_dns_out(frame, len);
    bridge.stats.frames_out += 1;
    if (bridge.faults.delay_ms > 0) {
        bridge_queue(&bridge.to_slirp, frame, len);
    } else {
        slirp_input(bridge.slirp, frame, (int)len);
    }
}

// slirp has a frame for the firmware.
static ssize_t bridge_slirp_send_packet(const void *buf, size_t len, void *opaque) {
    if (len > BRIDGE_FRAME_MAX) {
        return (ssize_t)len;
    }
    if (slirpnet_lose(&bridge.loss_state, bridge.faults.loss)) {
        bridge.stats.dropped_loss += 1;
        return (ssize_t)len;
    }
    uint8_t frame[BRIDGE_FRAME_MAX];
    memcpy(frame, buf, len);
    bridge_dns_in(frame, len);
    if (bridge.faults.delay_ms > 0) {
        bridge_queue(&bridge.to_qemu, frame, len);
    } else {
        bridge_to_qemu_now(frame, len);
    }
    return (ssize_t)len;
}

// Passes on the delayed frames that are due; returns ms until the next one (-1: none).
static int bridge_release_due(void) {
    uint64_t now = bridge_now_ms();
    bridge_queue_t *queues[2] = { &bridge.to_slirp, &bridge.to_qemu };
    int wait = -1;
    for (int i = 0; i < 2; ++i) {
        bridge_queue_t *q = queues[i];
        while (q->head != NULL && q->head->due_ms <= now) {
            bridge_frame_t *f = q->head;
            q->head = f->next;
            if (q->head == NULL) {
                q->tail = NULL;
            }
            if (q == &bridge.to_slirp) {
                slirp_input(bridge.slirp, f->data, (int)f->len);
            } else {
                bridge_to_qemu_now(f->data, f->len);
            }
            free(f);
        }
        if (q->head != NULL) {
            int left = (int)(q->head->due_ms - now);
            wait = wait < 0 || left < wait ? left : wait;
        }
    }
    return wait;
}

// Reads what QEMU sent; false once QEMU has closed the stream.
static bool bridge_read_qemu(void) {
    ssize_t n = read(bridge.qemu_fd, bridge.in + bridge.in_len, sizeof(bridge.in) - bridge.in_len);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
        return true;
    }
    if (n <= 0) {
        return false;
    }
    bridge.in_len += (size_t)n;
    size_t at = 0;
    while (bridge.in_len - at >= 4) {
        uint8_t *p = bridge.in + at;
        size_t len = ((size_t)p[0] << 24) | ((size_t)p[1] << 16) | ((size_t)p[2] << 8) | p[3];
        if (len > BRIDGE_FRAME_MAX) {
            fprintf(stderr, "usocket-qemu-bridge: bad frame length %zu from QEMU\n", len);
            return false;
        }
        if (bridge.in_len - at < 4 + len) {
            break;
        }
        bridge_from_qemu(p + 4, len);
        at += 4 + len;
    }
    memmove(bridge.in, bridge.in + at, bridge.in_len - at);
    bridge.in_len -= at;
    return true;
}

/******************************************************************************/
// slirp's callbacks.

static void bridge_slirp_guest_error(const char *msg, void *opaque) {
    fprintf(stderr, "usocket-qemu-bridge: slirp: %s\n", msg);
}

static int64_t bridge_slirp_clock_get_ns(void *opaque) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void *bridge_slirp_timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque) {
    bridge_timer_t *t = malloc(sizeof(bridge_timer_t));
    if (t != NULL) {
        t->id = id;
        t->cb_opaque = cb_opaque;
        t->expire_ms = -1;
        t->next = bridge.timers;
        bridge.timers = t;
    }
    return t;
}

static void bridge_slirp_timer_free(void *timer, void *opaque) {
    for (bridge_timer_t **t = &bridge.timers; *t != NULL; t = &(*t)->next) {
        if (*t == timer) {
            *t = (*t)->next;
            free(timer);
            return;
        }
    }
}

static void bridge_slirp_timer_mod(void *timer, int64_t expire_time, void *opaque) {
    if (timer != NULL) {
        ((bridge_timer_t *)timer)->expire_ms = expire_time < 0 ? 0 : expire_time;
    }
}

static void bridge_slirp_fd_nop(int fd, void *opaque) {
}

static void bridge_slirp_notify(void *opaque) {
}

static const SlirpCb bridge_slirp_callbacks = {
    .send_packet = bridge_slirp_send_packet,
    .guest_error = bridge_slirp_guest_error,
    .clock_get_ns = bridge_slirp_clock_get_ns,
    .timer_free = bridge_slirp_timer_free,
    .timer_mod = bridge_slirp_timer_mod,
    .register_poll_fd = bridge_slirp_fd_nop,
    .unregister_poll_fd = bridge_slirp_fd_nop,
    .notify = bridge_slirp_notify,
    .timer_new_opaque = bridge_slirp_timer_new_opaque,
};

static int bridge_slirp_add_poll(int fd, int events, void *opaque) {
    if (bridge.nfds == BRIDGE_POLLFDS_MAX) {
        return -1;  // not polled this round
    }
    short pev = 0;
    pev |= (events & SLIRP_POLL_IN) ? POLLIN : 0;
    pev |= (events & SLIRP_POLL_OUT) ? POLLOUT : 0;
    pev |= (events & SLIRP_POLL_PRI) ? POLLPRI : 0;
    bridge.fds[bridge.nfds] = (struct pollfd) { .fd = fd, .events = pev };
    return (int)bridge.nfds++;
}

static int bridge_slirp_get_revents(int idx, void *opaque) {
    if (idx < 1 || (size_t)idx >= bridge.nfds) {
        return 0;
    }
    short rev = bridge.fds[idx].revents;
    int events = 0;
    events |= (rev & POLLIN) ? SLIRP_POLL_IN : 0;
    events |= (rev & POLLOUT) ? SLIRP_POLL_OUT : 0;
    events |= (rev & POLLPRI) ? SLIRP_POLL_PRI : 0;
    events |= (rev & (POLLERR | POLLNVAL)) ? SLIRP_POLL_ERR : 0;
    events |= (rev & POLLHUP) ? SLIRP_POLL_HUP : 0;
    return events;
}

/******************************************************************************/

static int bridge_run_timers(void) {
    int64_t now = (int64_t)bridge_now_ms();
    int wait = -1;
    for (bridge_timer_t *t = bridge.timers; t != NULL; t = t->next) {
        if (t->expire_ms >= 0 && t->expire_ms <= now) {
            t->expire_ms = -1;
            slirp_handle_timer(bridge.slirp, t->id, t->cb_opaque);
            return 0;  // the list may have changed: look again next round
        }
        if (t->expire_ms >= 0) {
            int left = (int)(t->expire_ms - now);
            wait = wait < 0 || left < wait ? left : wait;
        }
    }
    return wait;
}

static int bridge_min_wait(int a, int b) {
    return a < 0 ? b : (b < 0 || a < b ? a : b);
}

static void bridge_serve(void) {
    for (;;) {
        int wait = bridge_min_wait(bridge_release_due(), bridge_run_timers());
        // Slot 0 is QEMU's stream; slirp's host sockets follow.
        bridge.fds[0] = (struct pollfd) { .fd = bridge.qemu_fd, .events = POLLIN };
        bridge.nfds = 1;
        uint32_t timeout = wait < 0 ? 1000 : (uint32_t)wait;
        slirp_pollfds_fill(bridge.slirp, &timeout, bridge_slirp_add_poll, NULL);
        int ret = poll(bridge.fds, bridge.nfds, (int)timeout);
        if (ret < 0 && errno != EINTR) {
            perror("usocket-qemu-bridge: poll");
            return;
        }
        slirp_pollfds_poll(bridge.slirp, ret < 0, bridge_slirp_get_revents, NULL);
        if (ret > 0 && (bridge.fds[0].revents & (POLLIN | POLLHUP | POLLERR)) && !bridge_read_qemu()) {
            return;
        }
    }
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: usocket-qemu-bridge SOCKET_PATH\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    int lst = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    if (lst < 0 || strlen(argv[1]) >= sizeof(addr.sun_path)) {
        fprintf(stderr, "usocket-qemu-bridge: cannot use socket path %s\n", argv[1]);
        return 1;
    }
    strcpy(addr.sun_path, argv[1]);
    unlink(argv[1]);
    if (bind(lst, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(lst, 1) != 0) {
        perror("usocket-qemu-bridge: listen");
        return 1;
    }
    bridge.dns_port = slirpnet_env_dns_port();
    slirpnet_env_faults(&bridge.faults);
    bridge.loss_state = slirpnet_env_seed() ^ 0x6c6f737373656564u;
    bridge.slirp = slirpnet_new(&bridge_slirp_callbacks, NULL);
    if (bridge.slirp == NULL) {
        fprintf(stderr, "usocket-qemu-bridge: slirp_new failed\n");
        return 1;
    }
    // Forwarded ports listen from now on: a PC client may connect before the
    // firmware runs; slirp holds the connection until the firmware answers.
    slirpnet_add_hostfwds(bridge.slirp);
    printf("ready\n");
    fflush(stdout);
    bridge.qemu_fd = accept(lst, NULL, NULL);
    close(lst);
    unlink(argv[1]);
    if (bridge.qemu_fd < 0) {
        perror("usocket-qemu-bridge: accept");
        return 1;
    }
    bridge_serve();
    printf("{\"frames_in\": %lu, \"frames_out\": %lu, \"dropped_filter\": %lu, \"dropped_loss\": %lu, "
        "\"dns_rewritten\": %lu}\n",
        bridge.stats.frames_in, bridge.stats.frames_out, bridge.stats.dropped_filter, bridge.stats.dropped_loss,
        bridge.stats.dns_rewritten);
    slirp_cleanup(bridge.slirp);
    return 0;
}
