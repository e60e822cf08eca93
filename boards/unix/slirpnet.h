// What every bridge to the PC shares: libslirp set up with the firmware's address
// plan, the safety filter, and the USOCKET_* environment (DNS port, forwarded
// ports, fault injection, seed). Plain C on libslirp, no lwIP, no MicroPython:
// compiled into the host firmware (hostnet.c, lwIP in the same process) and into
// the QEMU target's bridge program (boards/qemu/bridge.c, frames over a socket).
#ifndef USOCKET_UNIX_SLIRPNET_H
#define USOCKET_UNIX_SLIRPNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libslirp.h>

// Addresses inside the firmware.
#define SLIRPNET_IP4_SELF    "10.0.2.15"
#define SLIRPNET_IP4_MASK    "255.255.255.0"
#define SLIRPNET_IP4_HOST    "10.0.2.2"
#define SLIRPNET_IP6_SELF    "fec0::15"
#define SLIRPNET_IP6_HOST    "fec0::2"

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

// A slirp instance with the address plan, its DHCP server and DNS forwarder off,
// and the firmware free to reach the host (the filter decides where). NULL if
// slirp_new failed.
Slirp *slirpnet_new(const SlirpCb *callbacks, void *opaque);

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
