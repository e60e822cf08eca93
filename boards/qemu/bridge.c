// usocket-qemu-bridge: connects the QEMU target's Ethernet to the PC through the
// same libslirp set-up, safety filter and USOCKET_* knobs as the host firmware
// (boards/common/slirpnet.c). A host program, not firmware: `make qemu-bridge`
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
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "slirpnet.h"

#define BRIDGE_FRAME_MAX (4096)
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

static struct {
    Slirp *slirp;
    int qemu_fd;
    unsigned short dns_port;
    slirpnet_faults_t faults;
    uint64_t loss_state;
    bridge_queue_t to_slirp;
    bridge_queue_t to_qemu;
    slirpnet_glue_t glue;  // slirp's callbacks and timers
    slirpnet_pollfds_t pollfds;
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
    f->due_ms = slirpnet_now_ms() + bridge.faults.delay_ms;
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
    uint64_t now = slirpnet_now_ms();
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

// Fires one due slirp timer (0: look again at once), or returns the ms until the
// next one is due (-1: none armed).
static int bridge_run_timers(void) {
    if (slirpnet_timers_run(&bridge.glue, bridge.slirp, 1)) {
        return 0;
    }
    return (int)slirpnet_timers_left_ms(&bridge.glue, (int64_t)slirpnet_now_ms());
}

static int bridge_min_wait(int a, int b) {
    return a < 0 ? b : (b < 0 || a < b ? a : b);
}

static void bridge_serve(void) {
    for (;;) {
        int wait = bridge_min_wait(bridge_release_due(), bridge_run_timers());
        // Slot 0 is QEMU's stream; slirp's host sockets follow.
        bridge.pollfds.len = 0;
        if (slirpnet_pollfds_add(bridge.qemu_fd, SLIRP_POLL_IN, &bridge.pollfds) != 0) {
            fprintf(stderr, "usocket-qemu-bridge: out of memory\n");
            return;
        }
        uint32_t timeout = wait < 0 ? 1000 : (uint32_t)wait;
        slirp_pollfds_fill(bridge.slirp, &timeout, slirpnet_pollfds_add, &bridge.pollfds);
        int ret = poll(bridge.pollfds.fds, bridge.pollfds.len, (int)timeout);
        if (ret < 0 && errno != EINTR) {
            perror("usocket-qemu-bridge: poll");
            return;
        }
        slirp_pollfds_poll(bridge.slirp, ret < 0, slirpnet_pollfds_revents, &bridge.pollfds);
        if (ret > 0 && (bridge.pollfds.fds[0].revents & (POLLIN | POLLHUP | POLLERR)) && !bridge_read_qemu()) {
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
    slirpnet_glue_init(&bridge.glue, "usocket-qemu-bridge", bridge_slirp_send_packet);
    bridge.slirp = slirpnet_new(&bridge.glue);
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
