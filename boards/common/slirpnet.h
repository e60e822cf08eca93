// What every bridge to the PC shares: libslirp set up with the firmware's address
// plan, the safety filter, the USOCKET_* environment (DNS port, forwarded ports,
// fault injection, seed), and the glue slirp asks of whoever runs it (clock,
// timers, callbacks, the poll() set). Plain C on libslirp, no lwIP, no MicroPython:
// compiled into the host firmware (hostnet.c, lwIP in the same process) and into
// the QEMU target's bridge program (boards/qemu/bridge.c, frames over a socket).
#ifndef USOCKET_UNIX_SLIRPNET_H
#define USOCKET_UNIX_SLIRPNET_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libslirp.h>

#include "netplan.h"

#define SLIRPNET_ETH_HLEN (14)
#define SLIRPNET_ETHTYPE_IPV4 (0x0800)
#define SLIRPNET_ETHTYPE_ARP (0x0806)
#define SLIRPNET_ETHTYPE_IPV6 (0x86dd)

// Fault injection, read from USOCKET_NET_LOSS and USOCKET_NET_DELAY_MS.
typedef struct _slirpnet_faults_t {
    double loss;           // drop probability per frame, each direction
    unsigned int delay_ms; // added to every frame, each direction
} slirpnet_faults_t;

// Whether a frame the firmware sent may reach slirp (the safety filter).
bool slirpnet_frame_allowed(const uint8_t *frame, size_t len);

uint16_t slirpnet_be16(const uint8_t *p);

// The CLOCK_MONOTONIC clock both bridges and slirp (clock_get_ns) go by.
uint64_t slirpnet_now_ns(void);
uint64_t slirpnet_now_ms(void);

// One slirp timer (libslirp 4.7 has only the IPv6 router-advertisement timer).
typedef struct _slirpnet_timer_t {
    struct _slirpnet_timer_t *next;
    SlirpTimerId id;
    void *cb_opaque;
    int64_t expire_ms;  // on the clock_get_ns clock; < 0 means not armed
} slirpnet_timer_t;

// What slirp's callbacks share with the bridge that runs slirp: the callbacks
// themselves (slirp keeps a pointer to them) and slirp's timers. Its address is
// the opaque pointer slirp passes to every callback.
typedef struct _slirpnet_glue_t {
    const char *name;  // how the bridge's messages on stderr begin
    SlirpCb callbacks;
    slirpnet_timer_t *timers;
} slirpnet_glue_t;

// Fills glue->callbacks: send_packet is the bridge's; the others are the ones
// below (clock, timers, slirp's errors on stderr, no-op poll-fd and notify).
// A bridge may replace any of them before slirpnet_new.
void slirpnet_glue_init(slirpnet_glue_t *glue, const char *name, SlirpWriteCb send_packet);

// SlirpCb.timer_new_opaque: a new, unarmed timer on glue->timers (opaque is the
// glue). NULL if out of memory: slirp does not check, and that timer is then
// never armed.
void *slirpnet_timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque);

// Fires up to `budget` armed timers that are due, each disarmed before its
// handler runs (a handler may re-arm it). Returns whether any fired.
bool slirpnet_timers_run(slirpnet_glue_t *glue, Slirp *slirp, int budget);

// Milliseconds from now_ms until the next armed timer is due (0 if one is due
// already), or -1 if none is armed.
int64_t slirpnet_timers_left_ms(const slirpnet_glue_t *glue, int64_t now_ms);

// Frees the timers slirp left (slirp_cleanup frees its own through timer_free).
void slirpnet_timers_free(slirpnet_glue_t *glue);

// A slirp instance with the address plan, its DHCP server and DNS forwarder off,
// and the firmware free to reach the host (the filter decides where), calling
// glue's callbacks. NULL if slirp_new failed.
Slirp *slirpnet_new(slirpnet_glue_t *glue);

// The descriptors of one poll() round: slirp_pollfds_fill adds slirp's host
// sockets through slirpnet_pollfds_add (opaque: the set), and slirp_pollfds_poll
// reads back through slirpnet_pollfds_revents. A bridge may add its own
// descriptors too. The array grows on demand and is kept between rounds.
typedef struct _slirpnet_pollfds_t {
    struct pollfd *fds;
    size_t len;
    size_t alloc;
} slirpnet_pollfds_t;

// SlirpAddPollCb: the index of the new entry, or -1 if out of memory, which
// slirp takes as "not polled this round" (it asks again next round).
int slirpnet_pollfds_add(int fd, int events, void *opaque);
// SlirpGetREventsCb: entry idx's revents as SLIRP_POLL_* bits.
int slirpnet_pollfds_revents(int idx, void *opaque);
void slirpnet_pollfds_free(slirpnet_pollfds_t *set);

// Adds USOCKET_HOSTFWD's forwards to slirp (malformed entries are reported on
// stderr and skipped), then gives their listening sockets the system's backlog.
void slirpnet_add_hostfwds(Slirp *slirp);

// USOCKET_DNS_PORT (default 53), USOCKET_NET_LOSS / _DELAY_MS, USOCKET_NET_SEED
// (a random seed if unset). Malformed values are reported and ignored.
unsigned short slirpnet_env_dns_port(void);
void slirpnet_env_faults(slirpnet_faults_t *faults);
uint64_t slirpnet_env_seed(void);

// splitmix64: one step of the stream *state.
uint64_t slirpnet_splitmix64(uint64_t *state);
// Whether to drop a frame: true with probability `loss`, drawn from *state.
bool slirpnet_lose(uint64_t *state, double loss);

#endif // USOCKET_UNIX_SLIRPNET_H
