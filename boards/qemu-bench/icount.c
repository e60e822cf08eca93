// The instruction-count firmware's own glue (boards/qemu-bench):
// - an instruction counter: under `qemu-system-arm -icount shift=0` the virtual
//   clock advances 1 ns per guest instruction, and the MPS2's timers count that
//   clock at 25 MHz, so one timer count is 40 instructions;
// - peers on lwIP's raw API, in C, so both socket modules talk to the same
//   server code and one Python thread is enough (a Python server in the same
//   thread could not answer while urequests blocks in a read);
// - at VM start, the semihosting command line as sys.argv and, when it names a
//   script, that frozen script run and QEMU stopped with its status. A run started
//   that way reads no input, so two runs execute the same instructions.
#include <stdlib.h>
#include <string.h>

#include "py/runtime.h"
#include "py/mperrno.h"
#include "py/objlist.h"
#include "shared/runtime/pyexec.h"

#include "lwip/tcp.h"
#include "lwip/udp.h"

void usocket_qemu_vm_init(void);
void usocket_qemu_lwip_init(void);

// --- Semihosting ---------------------------------------------------------------------
// SYS_GET_CMDLINE: what `-semihosting-config arg=...` gave QEMU, arguments joined by
// spaces (or the kernel's file name when there are none).
#define SEMIHOSTING_SYS_GET_CMDLINE (0x15)

static uint32_t icount_semihosting_call(uint32_t num, void *arg) {
    register uint32_t num_reg __asm__ ("r0") = num;
    register void *arg_reg __asm__ ("r1") = arg;
    __asm__ __volatile__ ("bkpt 0xAB" : "+r" (num_reg) : "r" (arg_reg) : "memory");
    return num_reg;
}

// --- Instruction counter -------------------------------------------------------------
// Timer 2 of the CMSDK dual timer (boards/qemu uses timer 1, prescaled, for the
// clock): 32-bit, free-running, no prescaler, so it wraps every 171 s of virtual
// time. Counts are accumulated in 64 bits at every read.
#define ICOUNT_PER_TIMER_COUNT (40) // 1 ns per instruction, 40 ns per count at 25 MHz
#define ICOUNT_TIMER_CTRL_ENABLE (1 << 7)
#define ICOUNT_TIMER_CTRL_32BIT (1 << 1)

typedef struct {
    volatile uint32_t load;
    volatile uint32_t value;
    volatile uint32_t ctrl;
    volatile uint32_t intclr;
} icount_timer_t;

#define ICOUNT_TIMER ((icount_timer_t *)0x40002020)

static struct {
    bool started;
    uint32_t last;
    uint64_t counts;
} icount_clock;

static uint64_t icount_now(void) {
    if (!icount_clock.started) {
        ICOUNT_TIMER->ctrl = 0;
        ICOUNT_TIMER->load = 0xffffffff;
        ICOUNT_TIMER->ctrl = ICOUNT_TIMER_CTRL_ENABLE | ICOUNT_TIMER_CTRL_32BIT;
        icount_clock.last = ICOUNT_TIMER->value;
        icount_clock.started = true;
    }
    uint32_t now = ICOUNT_TIMER->value;
    icount_clock.counts += icount_clock.last - now; // counts down
    icount_clock.last = now;
    return icount_clock.counts * ICOUNT_PER_TIMER_COUNT;
}

// count(): instructions executed since the first call, to 40 instructions.
static mp_obj_t icount_count(void) {
    return mp_obj_new_int_from_ull(icount_now());
}
static MP_DEFINE_CONST_FUN_OBJ_0(icount_count_obj, icount_count);

// spin(n): a loop of exactly 2 * n instructions (subs, bne), to check the counter
// against something of known length.
static mp_obj_t icount_spin(mp_obj_t n_in) {
    register uint32_t n __asm__ ("r0") = mp_obj_get_int(n_in);
    if (n > 0) {
        __asm__ __volatile__ ("1: subs %0, %0, #1\n bne 1b" : "+r" (n) : : "cc");
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(icount_spin_obj, icount_spin);

// --- Peers ---------------------------------------------------------------------------
// Servers on 127.0.0.1, called back by lwIP while a socket module services it
// (inside its blocking waits and, for usocket, after its writes). One connection per
// service at a time is all the workload makes, so their state is static.
#define ICOUNT_PORT_ECHO (7)    // TCP and UDP: sends back what it gets
#define ICOUNT_PORT_SINK (9)    // reads `bulk` bytes, answers "k", closes at EOF
#define ICOUNT_PORT_SOURCE (19) // at the first byte received, sends `bulk` bytes, closes
#define ICOUNT_PORT_HTTP (80)   // one GET per connection, a fixed answer, closes

// The peers' constant data is word-aligned: where the linker puts it moves with
// everything before it (file names in assertion messages, say), and copying or
// checksumming misaligned data takes other instructions.
static const char icount_http_answer[] __attribute__((aligned(4))) =
    "HTTP/1.1 200 OK\r\n"
    "Content-Type: text/plain\r\n"
    "Content-Length: 19\r\n"
    "Connection: close\r\n"
    "\r\n"
    "hello from the peer";

// What the source sends (no copy: lwIP refers to it).
static const uint8_t icount_source_data[TCP_MSS] __attribute__((aligned(4)));

static struct {
    bool started;
    uint32_t bulk;
    uint32_t sink_got;
    uint32_t source_left;
    bool source_started;
    uint8_t http_matched; // how much of "\r\n\r\n" the request ended with so far
} icount_peers;

// Every callback cleared first: lwIP may still call a closing pcb's.
static void icount_close(struct tcp_pcb *pcb) {
    tcp_arg(pcb, NULL);
    tcp_recv(pcb, NULL);
    tcp_sent(pcb, NULL);
    tcp_err(pcb, NULL);
    tcp_poll(pcb, NULL, 0);
    if (tcp_close(pcb) != ERR_OK) {
        tcp_abort(pcb);
    }
}

// Echo: every byte back as it arrives.
static err_t icount_echo_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err) {
    if (p == NULL) {
        icount_close(pcb);
        return ERR_OK;
    }
    if (tcp_sndbuf(pcb) < p->tot_len) {
        return ERR_MEM; // lwIP keeps it and offers it again
    }
    for (struct pbuf *q = p; q != NULL; q = q->next) {
        tcp_write(pcb, q->payload, q->len, TCP_WRITE_FLAG_COPY);
    }
    tcp_recved(pcb, p->tot_len);
    pbuf_free(p);
    tcp_output(pcb);
    return ERR_OK;
}

// Sink: counts, and says "k" when it has `bulk` bytes.
static err_t icount_sink_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err) {
    if (p == NULL) {
        icount_close(pcb);
        return ERR_OK;
    }
    icount_peers.sink_got += p->tot_len;
    tcp_recved(pcb, p->tot_len);
    pbuf_free(p);
    if (icount_peers.sink_got == icount_peers.bulk) {
        tcp_write(pcb, "k", 1, 0);
        tcp_output(pcb);
    }
    return ERR_OK;
}

// Source: as much as the send buffer and queue take, then more at every ACK.
static void icount_source_send(struct tcp_pcb *pcb) {
    while (icount_peers.source_left > 0) {
        u16_t n = LWIP_MIN(tcp_sndbuf(pcb), sizeof(icount_source_data));
        n = LWIP_MIN(n, icount_peers.source_left);
        if (n == 0 || tcp_write(pcb, icount_source_data, n, 0) != ERR_OK) {
            break;
        }
        icount_peers.source_left -= n;
    }
    if (icount_peers.source_left == 0) {
        icount_close(pcb); // the FIN follows the data
    } else {
        tcp_output(pcb);
    }
}

static err_t icount_source_sent(void *arg, struct tcp_pcb *pcb, u16_t len) {
    icount_source_send(pcb);
    return ERR_OK;
}

static err_t icount_source_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err) {
    if (p == NULL) {
        icount_close(pcb);
        return ERR_OK;
    }
    tcp_recved(pcb, p->tot_len);
    pbuf_free(p);
    if (!icount_peers.source_started) {
        icount_peers.source_started = true;
        tcp_sent(pcb, icount_source_sent);
        icount_source_send(pcb);
    }
    return ERR_OK;
}

// HTTP: reads up to the blank line that ends the request's head, answers, closes.
static err_t icount_http_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err) {
    if (p == NULL) {
        icount_close(pcb);
        return ERR_OK;
    }
    static const char end[] = "\r\n\r\n";
    bool done = false;
    for (struct pbuf *q = p; q != NULL && !done; q = q->next) {
        const char *c = q->payload;
        for (u16_t i = 0; i < q->len && !done; ++i) {
            uint8_t m = icount_peers.http_matched;
            m = c[i] == end[m] ? m + 1 : (c[i] == '\r' ? 1 : 0);
            icount_peers.http_matched = m;
            done = m == 4;
        }
    }
    tcp_recved(pcb, p->tot_len);
    pbuf_free(p);
    if (done) {
        tcp_write(pcb, icount_http_answer, sizeof(icount_http_answer) - 1, 0);
        icount_close(pcb);
    }
    return ERR_OK;
}

static err_t icount_accept(void *arg, struct tcp_pcb *pcb, err_t err) {
    if (err != ERR_OK || pcb == NULL) {
        return ERR_VAL;
    }
    tcp_recv_fn recv = (tcp_recv_fn)arg;
    if (recv == icount_sink_recv) {
        icount_peers.sink_got = 0;
    } else if (recv == icount_source_recv) {
        icount_peers.source_left = icount_peers.bulk;
        icount_peers.source_started = false;
    } else if (recv == icount_http_recv) {
        icount_peers.http_matched = 0;
    }
    tcp_nagle_disable(pcb);
    tcp_recv(pcb, recv);
    return ERR_OK;
}

static void icount_udp_echo(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr, u16_t port) {
    ip_addr_t to = *addr; // addr points into the datagram's header
    udp_sendto(pcb, p, &to, port);
    pbuf_free(p);
}

static void icount_listen(u16_t port, tcp_recv_fn recv) {
    struct tcp_pcb *pcb = tcp_new();
    if (pcb == NULL || tcp_bind(pcb, IP_ADDR_ANY, port) != ERR_OK) {
        mp_raise_OSError(MP_ENOMEM);
    }
    pcb = tcp_listen(pcb);
    tcp_arg(pcb, (void *)recv);
    tcp_accept(pcb, icount_accept);
}

// serve(bulk): starts the peers (once); the sink and the source move `bulk` bytes.
static mp_obj_t icount_serve(mp_obj_t bulk_in) {
    icount_peers.bulk = mp_obj_get_int(bulk_in);
    if (icount_peers.started) {
        return mp_const_none;
    }
    usocket_qemu_lwip_init();
    icount_listen(ICOUNT_PORT_ECHO, icount_echo_recv);
    icount_listen(ICOUNT_PORT_SINK, icount_sink_recv);
    icount_listen(ICOUNT_PORT_SOURCE, icount_source_recv);
    icount_listen(ICOUNT_PORT_HTTP, icount_http_recv);
    struct udp_pcb *udp = udp_new();
    if (udp == NULL || udp_bind(udp, IP_ADDR_ANY, ICOUNT_PORT_ECHO) != ERR_OK) {
        mp_raise_OSError(MP_ENOMEM);
    }
    udp_recv(udp, icount_udp_echo, NULL);
    icount_peers.started = true;
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(icount_serve_obj, icount_serve);

static const mp_rom_map_elem_t icount_module_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_icount) },
    { MP_ROM_QSTR(MP_QSTR_count), MP_ROM_PTR(&icount_count_obj) },
    { MP_ROM_QSTR(MP_QSTR_spin), MP_ROM_PTR(&icount_spin_obj) },
    { MP_ROM_QSTR(MP_QSTR_serve), MP_ROM_PTR(&icount_serve_obj) },
};
static MP_DEFINE_CONST_DICT(icount_module_globals, icount_module_globals_table);

const mp_obj_module_t icount_module = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&icount_module_globals,
};

MP_REGISTER_MODULE(MP_QSTR_icount, icount_module);

// DNS address-family preference, set by network.ipconfig(prefer=...) on ports that
// build extmod/network_lwip.c, which this one doesn't: IPv4 (modlwip reads it).
int mp_mod_network_prefer_dns_use_ip_version = 4;

// --- VM start --------------------------------------------------------------------------
void usocket_qemu_icount_vm_init(void) {
    usocket_qemu_vm_init();
    // Ports that use modlwip start lwIP at boot; usocket would start it itself.
    usocket_qemu_lwip_init();

    static char cmdline[256];
    struct {
        char *buf;
        uint32_t len;
    } block = { cmdline, sizeof(cmdline) - 1 };
    if (icount_semihosting_call(SEMIHOSTING_SYS_GET_CMDLINE, &block) != 0) {
        return;
    }
    cmdline[block.len] = '\0';
    for (char *arg = cmdline; *arg != '\0';) {
        size_t n = strcspn(arg, " ");
        if (n > 0) {
            mp_obj_list_append(mp_sys_argv, mp_obj_new_str(arg, n));
        }
        arg += n + (arg[n] == ' ');
    }
    size_t argc;
    mp_obj_t *argv;
    mp_obj_list_get(mp_sys_argv, &argc, &argv);
    size_t len;
    const char *script = argc > 0 ? mp_obj_str_get_data(argv[0], &len) : "";
    if (argc == 0 || len < 3 || strcmp(script + len - 3, ".py") != 0) {
        return; // no script: the REPL, as on boards/qemu
    }
    int ret = pyexec_frozen_module(script, false);
    exit(ret == 1 ? 0 : 1); // semihosting: QEMU exits with this status
}
