// Build options and port hooks of the usocket module.
//
// Every option is #ifndef + default + a note on what it costs. A board overrides
// them in the header named by USOCKET_PORT_HEADER (a quoted include path passed on
// the compiler command line by the board's build glue), which is read first.
// The core never names a target: everything target-specific is one of the hooks
// below, and each defaults to the behaviour of a single-threaded NO_SYS port.
#ifndef USOCKET_CONFIG_H
#define USOCKET_CONFIG_H

#ifdef USOCKET_PORT_HEADER
#include USOCKET_PORT_HEADER
#endif

// --- Port hooks -----------------------------------------------------------------

// Brings the network stack up (idempotent). Called when usocket is imported and
// before the first socket is created. Ports whose stack is up at boot leave it empty.
#ifndef USOCKET_PORT_INIT
#define USOCKET_PORT_INIT() ((void)0)
#endif

// Takes/releases exclusive access to the lwIP core around every raw-API call.
// Empty where lwIP only ever runs on the MicroPython thread (NO_SYS=1 ports that
// poll it); LOCK_TCPIP_CORE()/UNLOCK_TCPIP_CORE() where lwIP has its own thread;
// the port's lwIP lock where lwIP runs from an interrupt or background task.
#ifndef USOCKET_LWIP_LOCK
#define USOCKET_LWIP_LOCK() ((void)0)
#define USOCKET_LWIP_UNLOCK() ((void)0)
#endif

// Lets the stack make progress without waiting: called before each readiness check
// of a blocking call. Ports that run lwIP in the background leave it empty.
#ifndef USOCKET_EVENT_POLL
#define USOCKET_EVENT_POLL() ((void)0)
#endif

// Sleeps until a network event, or until timeout_ms ms pass (-1: no limit). Called
// from the blocking loops with the lwIP lock released; pending MicroPython events
// (Ctrl-C, scheduled callbacks) are handled by the core before each wait, so the
// hook only has to sleep. It may return early at any time.
#ifndef USOCKET_EVENT_WAIT
#define USOCKET_EVENT_WAIT(timeout_ms) mp_event_wait_ms((timeout_ms) < 0 ? 1 : (timeout_ms))
#endif

// Wakes a thread sleeping in USOCKET_EVENT_WAIT. Called from lwIP callbacks after a
// socket's state changed; must not allocate or run Python code.
#ifndef USOCKET_EVENT_SIGNAL
#define USOCKET_EVENT_SIGNAL() ((void)0)
#endif

// --- Options --------------------------------------------------------------------

// Longest single wait inside a blocking call, in ms: bounds how late a socket notices
// a state change on ports whose USOCKET_EVENT_WAIT cannot be woken by
// USOCKET_EVENT_SIGNAL. No flash or RAM cost.
#ifndef USOCKET_MAX_WAIT_MS
#define USOCKET_MAX_WAIT_MS (100)
#endif

// How often a blocking TCP write that lwIP had no memory for, with nothing of its
// own queued, tries again: lwIP's socket layer retries from its poll callback,
// every NETCONN_TCP_POLL_INTERVAL (2) ticks of the 500 ms TCP timer.
#ifndef USOCKET_TCP_MEM_RETRY_MS
#define USOCKET_TCP_MEM_RETRY_MS (1000)
#endif

// Received UDP datagrams kept per socket before new ones are dropped. Each slot is one
// pbuf pointer of GC heap (4 bytes on a 32-bit MCU): a datagram's source address is
// kept in its pbuf, in the room its headers leave.
#ifndef USOCKET_UDP_QUEUE_LEN
#define USOCKET_UDP_QUEUE_LEN (8)
#endif

// Most connections accepted by lwIP but not yet by Python, per listening socket
// (listen(backlog) asks for up to this many). With lwIP's TCP_LISTEN_BACKLOG, the
// waiting connections count against lwIP's backlog, so further SYNs are ignored
// and the clients retry until accept() makes room, as on Linux; without it, a
// connection beyond the queue is refused with a RST. Each slot is one pointer and
// a flag of RAM.
#ifndef USOCKET_ACCEPT_QUEUE_MAX
#define USOCKET_ACCEPT_QUEUE_MAX (8)
#endif

// How long close() lets a TCP connection send its queued data and FIN before the pcb
// is aborted, in ms. The pcb stays allocated (lwIP memory) at most this long after
// close.
#ifndef USOCKET_CLOSE_LINGER_MS
#define USOCKET_CLOSE_LINGER_MS (10000)
#endif

// Timeout for getaddrinfo's DNS lookup when the socket layer has no timeout to
// apply, in ms. getaddrinfo never waits longer than this.
#ifndef USOCKET_DNS_TIMEOUT_MS
#define USOCKET_DNS_TIMEOUT_MS (10000)
#endif

// AF_INET6 sockets and addresses (needs LWIP_IPV6). `make size` prints what each
// feature option costs in flash.
#ifndef USOCKET_IPV6
#define USOCKET_IPV6 (LWIP_IPV6)
#endif

// SOCK_RAW sockets (needs LWIP_RAW).
#ifndef USOCKET_RAW
#define USOCKET_RAW (LWIP_RAW)
#endif

// IP_ADD_MEMBERSHIP/IP_DROP_MEMBERSHIP (needs LWIP_IGMP) and IP_MULTICAST_LOOP (also
// needs LWIP_MULTICAST_TX_OPTIONS). A socket's memberships take 12 bytes of lwIP heap
// each while it holds them (32-bit MCU), and every socket one pointer of GC heap.
#ifndef USOCKET_MULTICAST
#define USOCKET_MULTICAST (LWIP_IGMP)
#endif

// setsockopt(SOL_SOCKET, 20, handler): modlwip's option for a callback when a socket
// has something to read or accept, which WebREPL uses (needs MICROPY_ENABLE_SCHEDULER).
// One pointer of GC heap per socket.
#ifndef USOCKET_CALLBACK
#define USOCKET_CALLBACK (MICROPY_ENABLE_SCHEDULER)
#endif

// shutdown() and SHUT_RD/SHUT_WR/SHUT_RDWR: a half-close (FIN sent, reading goes
// on) and reads refused, with lwIP's socket-layer results. Off, close() is the only
// way to end a connection. No RAM cost.
#ifndef USOCKET_SHUTDOWN
#define USOCKET_SHUTDOWN (1)
#endif

// recv()/recvfrom() flags MSG_PEEK and MSG_DONTWAIT. Off, any flags but 0 raise
// EINVAL. No RAM cost.
#ifndef USOCKET_MSG_FLAGS
#define USOCKET_MSG_FLAGS (1)
#endif

// The TCP keepalive tuning options TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT and
// QuecPython's TCP_KEEPALIVE (idle minutes). SO_KEEPALIVE itself stays, with
// lwIP's default timings. 12 bytes of GC heap per listening socket.
#ifndef USOCKET_KEEPALIVE
#define USOCKET_KEEPALIVE (1)
#endif

// QuecPython's socket calls that neither CPython nor modlwip has: getsocketsta(),
// readall(), and the IPPROTO_TCP_SER (accept() returns (conn, ip, port)) and
// TCP_CUSTOMIZE_PORT protocols. Frozen umqtt uses getsocketsta(). No RAM cost.
#ifndef USOCKET_QUECPYTHON
#define USOCKET_QUECPYTHON (1)
#endif

// readline() on a TCP socket takes the line from the received data a run of bytes at
// a time, up to its '\n', and grows its buffer with the line. Off, it is
// py/stream.c's, with the same results: one byte per call of the stream protocol,
// the limit allocated first (several times the instructions per line). No RAM cost.
#ifndef USOCKET_READLINE
#define USOCKET_READLINE (1)
#endif

// inet_pton() and inet_ntop(). No RAM cost.
#ifndef USOCKET_INET_PTON
#define USOCKET_INET_PTON (1)
#endif

// usocket_lwip_stats(), lwIP's heap and pool counters for a board's diagnostics
// call (the host's network.LAN().stats(), the QEMU target's qemu.lwip_stats()).
// Needs LWIP_STATS, MEM_STATS and MEMP_STATS; no RAM cost. A board whose own
// module does not call it can leave it on: the linker drops it unused.
#ifndef USOCKET_STATS
#define USOCKET_STATS (LWIP_STATS && MEM_STATS && MEMP_STATS)
#endif

// Also registers the module as `socket`, so asyncio, ssl and third-party libraries
// use it. 0 where another socket module must keep that name (the benchmark firmware,
// where MicroPython's modlwip is `socket`). No flash or RAM cost either way.
#ifndef USOCKET_REGISTER_AS_SOCKET
#define USOCKET_REGISTER_AS_SOCKET (1)
#endif

// The package version reported by usocket.__version__.
#define USOCKET_VERSION "0.1.0"

#endif // USOCKET_CONFIG_H
