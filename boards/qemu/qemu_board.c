// Board glue of the QEMU target (MPS2-AN385: Cortex-M3, 4 MiB RAM, CMSDK UART and
// timers). What the qemu port lacks and usocket needs:
// - a clock: the CMSDK dual timer, free-running, for ticks, time.sleep, socket
//   timeouts and lwIP's sys_now(), and the date: the PC's, read at power-on through
//   semihosting, as a board's RTC (certificate checks need one);
// - lwIP, started by the first socket (qemu_net.c: the LAN9118 Ethernet netif and
//   the loopback one) and serviced (received frames, loopback queue, timers) by the
//   socket layer's wait loop and by time.sleep;
// - a RAM disk in static memory, so files survive soft reset, mounted by the frozen
//   _boot.py at every VM start (MICROPY_PORT_INIT_FUNC);
// - the soft-reset hook (MICROPY_PORT_DEINIT_FUNC): the VM's sockets were closed by
//   their finalisers; what they left closing in lwIP is aborted and flushed;
// - the `qemu` module: RAMDisk, and lwip_stats() for the tests.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "py/gc.h"
#include "py/runtime.h"
#include "py/mperrno.h"
#include "py/mphal.h"
#include "extmod/vfs.h"
#include "shared/runtime/pyexec.h"
#include "shared/timeutils/timeutils.h"

#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/timeouts.h"
#include "usocket.h"

#include "hostnet.h"

// --- Clock ---------------------------------------------------------------------------
// Timer 1 of the CMSDK APB dual timer, 32-bit, free-running (wraps from 0 to
// 0xffffffff), clocked at 25 MHz / 256: one count is 10.24 us (256/25) and the
// counter wraps every 12 hours. Elapsed counts are turned into microseconds and
// milliseconds on every read, with 32-bit divisions only (the linker script has no
// room for libgcc's 64-bit division), so the clock is monotonic for as long as it
// is read at least once a wrap. Started once: soft reset does not restart it.
#define QEMU_TIMER_CTRL_ENABLE (1 << 7)
#define QEMU_TIMER_CTRL_PRESCALE_256 (2 << 2)
#define QEMU_TIMER_CTRL_32BIT (1 << 1)

typedef struct {
    volatile uint32_t load;
    volatile uint32_t value;
    volatile uint32_t ctrl;
    volatile uint32_t intclr;
} qemu_dualtimer_t;

#define QEMU_DUALTIMER1 ((qemu_dualtimer_t *)0x40002000)
#define QEMU_DUALTIMER2 ((qemu_dualtimer_t *)0x40002020)
#define QEMU_TIMER_CTRL_PERIODIC (1 << 6)

// Timer 2 runs periodically every 10 ms, with its interrupt off, only so that QEMU
// always has a timer due soon. QEMU's main loop, which delivers console input,
// otherwise sleeps until its next timer once the UART's one-byte buffer was full;
// with a network backend attached it then missed the guest emptying the buffer and
// never read the console again (seen with QEMU 7.2: input stopped after the first
// line in half the boots). The wake-ups cost the host a little, the guest nothing.
#define QEMU_WAKE_TICKS (25000000 / 100)

// The date. The MPS2-AN385 has no RTC, but QEMU runs this firmware with semihosting
// on (the port's startup code uses it, and exits QEMU through it), and semihosting's
// SYS_TIME is the PC's time in seconds since 1970. Read once when the clock starts,
// it plays the part of a board's RTC set before power-on: time.time(), file times
// and mbedTLS's certificate validity checks count from it.
#define QEMU_SEMIHOSTING_SYS_TIME (0x11)

uint32_t usocket_qemu_semihosting(uint32_t op, void *arg) {
    register uint32_t r0 __asm__ ("r0") = op;
    register void *r1 __asm__ ("r1") = arg;
    __asm__ __volatile__ ("bkpt 0xab" : "+r" (r0) : "r" (r1) : "memory");
    return r0;
}

static struct {
    bool started;
    uint32_t boot_time; // the PC's time at power-on, seconds since 1970
    uint32_t last; // counter value at the previous read
    uint32_t rem;  // count * 256 not yet a whole microsecond (in 1/25 us)
    uint64_t us;
    uint32_t us_rem; // microseconds not yet a whole millisecond
    uint32_t ms;   // wraps, as ticks_ms does
} qemu_clock;

static void qemu_clock_start(void) {
    if (qemu_clock.started) {
        return;
    }
    QEMU_DUALTIMER1->ctrl = 0;
    QEMU_DUALTIMER1->load = 0xffffffff;
    QEMU_DUALTIMER1->ctrl = QEMU_TIMER_CTRL_ENABLE | QEMU_TIMER_CTRL_PRESCALE_256 | QEMU_TIMER_CTRL_32BIT;
    qemu_clock.last = QEMU_DUALTIMER1->value;
    qemu_clock.boot_time = usocket_qemu_semihosting(QEMU_SEMIHOSTING_SYS_TIME, NULL);
    qemu_clock.started = true;
    QEMU_DUALTIMER2->ctrl = 0;
    QEMU_DUALTIMER2->load = QEMU_WAKE_TICKS;
    QEMU_DUALTIMER2->ctrl = QEMU_TIMER_CTRL_ENABLE | QEMU_TIMER_CTRL_PERIODIC | QEMU_TIMER_CTRL_32BIT;
}

static void qemu_clock_update(void) {
    qemu_clock_start();
    uint32_t now = QEMU_DUALTIMER1->value;
    uint32_t counts = qemu_clock.last - now; // counts down
    qemu_clock.last = now;
    // counts * 256 / 25 microseconds, keeping the remainder.
    uint32_t rem = qemu_clock.rem + (counts % 25) * 256;
    uint64_t us = (uint64_t)(counts / 25) * 256 + rem / 25;
    qemu_clock.rem = rem % 25;
    qemu_clock.us += us;
    // The same microseconds in whole milliseconds.
    for (; us >= 1000000000; us -= 1000000000) {
        qemu_clock.ms += 1000000;
    }
    uint32_t us_total = qemu_clock.us_rem + (uint32_t)us;
    qemu_clock.ms += us_total / 1000;
    qemu_clock.us_rem = us_total % 1000;
}

mp_uint_t mp_hal_ticks_ms(void) {
    qemu_clock_update();
    return qemu_clock.ms;
}

mp_uint_t mp_hal_ticks_us(void) {
    qemu_clock_update();
    return (mp_uint_t)qemu_clock.us;
}

mp_uint_t mp_hal_ticks_cpu(void) {
    return mp_hal_ticks_us();
}

// Nanoseconds since the port's epoch (2000, as on the boards).
uint64_t mp_hal_time_ns(void) {
    qemu_clock_update();
    uint64_t boot_s = (uint64_t)(qemu_clock.boot_time - TIMEUTILS_SECONDS_1970_TO_2000);
    return boot_s * 1000000000 + qemu_clock.us * 1000;
}

// Seconds since 1970 (mbedtls_port.c).
uint32_t usocket_qemu_unix_time(void) {
    qemu_clock_update();
    return qemu_clock.boot_time + (uint32_t)(qemu_clock.us / 1000000);
}

void mp_hal_delay_us(mp_uint_t us) {
    mp_uint_t start = mp_hal_ticks_us();
    while (mp_hal_ticks_us() - start < us) {
    }
}

// time.sleep: keeps lwIP serviced, so loopback traffic and TCP timers progress
// while the application sleeps, and runs scheduled callbacks.
void mp_hal_delay_ms(mp_uint_t ms) {
    mp_uint_t start = mp_hal_ticks_ms();
    do {
        usocket_qemu_lwip_poll();
        mp_handle_pending(true);
    } while (mp_hal_ticks_ms() - start < ms);
}

// lwIP's clock (NO_SYS=1).
uint32_t sys_now(void) {
    return mp_hal_ticks_ms();
}

// lwIP's random numbers (ports, sequence numbers, DNS ids): xorshift32, seeded from
// the clock at the first call.
unsigned int usocket_qemu_rand(void) {
    static uint32_t state;
    if (state == 0) {
        state = mp_hal_ticks_us() | 1;
    }
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return state;
}

void usocket_qemu_lwip_assert(const char *msg, const char *file, int line) {
    mp_printf(&mp_plat_print, "lwIP assertion \"%s\" failed at %s:%d\n", msg, file, line);
    exit(1);
}

// --- lwIP ----------------------------------------------------------------------------
// Started and serviced in qemu_net.c (the Ethernet netif and the loopback one).
void usocket_qemu_lwip_init(void) {
    usocket_hostnet_init();
}

// Re-entry guard: a service round can run Python-free lwIP callbacks only, but the
// VM hook must not start one from inside another (time.sleep within a poll).
static bool qemu_lwip_in_poll;

void usocket_qemu_check_ctrl_c(void);

void usocket_qemu_lwip_poll(void) {
    usocket_qemu_check_ctrl_c();
    if (!qemu_lwip_in_poll) {
        qemu_lwip_in_poll = true;
        usocket_hostnet_poll(0);
        qemu_lwip_in_poll = false;
    }
}

#define QEMU_VM_HOOK_JUMPS (256)
unsigned int usocket_qemu_vm_countdown = QEMU_VM_HOOK_JUMPS;

void usocket_qemu_vm_hook(void) {
    usocket_qemu_vm_countdown = QEMU_VM_HOOK_JUMPS;
    usocket_qemu_lwip_poll();
}

// --- VM start and soft reset --------------------------------------------------------
// What qemu.gc_peak() reports (below), from the start of this VM.
static size_t qemu_gc_peak;

void usocket_qemu_vm_init(void) {
    qemu_gc_peak = 0;
    qemu_clock_start();
    pyexec_frozen_module("_boot.py", false);
}

void usocket_qemu_vm_deinit(void) {
    if (!usocket_qemu_lwip_started()) {
        return;
    }
    usocket_deinit();
    // The aborts' RSTs, and segments still in flight, sit in the loopback queue:
    // deliver them now so their buffers are freed before the next VM starts. Each
    // turn can queue at most an answer to what it delivered, so a few suffice.
    for (int i = 0; i < 4; ++i) {
        usocket_qemu_lwip_poll();
    }
}

// --- RAM disk ------------------------------------------------------------------------
// 128 KiB of static RAM as a block device for vfs.VfsLfs2 (the extended protocol:
// reads and writes at an offset within a block). There is one disk, so RAMDisk()
// always returns the same object.
#define QEMU_RAMDISK_BLOCK_SIZE (512)
#define QEMU_RAMDISK_BLOCKS (256)

static uint8_t qemu_ramdisk[QEMU_RAMDISK_BLOCKS * QEMU_RAMDISK_BLOCK_SIZE] __attribute__((aligned(4)));

typedef struct _qemu_ramdisk_obj_t {
    mp_obj_base_t base;
} qemu_ramdisk_obj_t;

extern const mp_obj_type_t qemu_ramdisk_type;
static const qemu_ramdisk_obj_t qemu_ramdisk_obj = { { &qemu_ramdisk_type } };

static mp_obj_t qemu_ramdisk_make_new(const mp_obj_type_t *type, size_t n_args, size_t n_kw, const mp_obj_t *args) {
    mp_arg_check_num(n_args, n_kw, 0, 0, false);
    return MP_OBJ_FROM_PTR(&qemu_ramdisk_obj);
}

// The disk bytes [block * size + offset, + len): OSError(EIO) if outside the disk.
static uint8_t *qemu_ramdisk_at(size_t n_args, const mp_obj_t *args, mp_buffer_info_t *buf, mp_uint_t flags) {
    mp_get_buffer_raise(args[2], buf, flags);
    mp_int_t block = mp_obj_get_int(args[1]);
    mp_int_t offset = n_args > 3 ? mp_obj_get_int(args[3]) : 0;
    if (block < 0 || block >= QEMU_RAMDISK_BLOCKS || offset < 0 || offset > QEMU_RAMDISK_BLOCK_SIZE
        || buf->len > sizeof(qemu_ramdisk) - (size_t)(block * QEMU_RAMDISK_BLOCK_SIZE + offset)) {
        mp_raise_OSError(MP_EIO);
    }
    return qemu_ramdisk + block * QEMU_RAMDISK_BLOCK_SIZE + offset;
}

static mp_obj_t qemu_ramdisk_readblocks(size_t n_args, const mp_obj_t *args) {
    mp_buffer_info_t buf;
    uint8_t *at = qemu_ramdisk_at(n_args, args, &buf, MP_BUFFER_WRITE);
    memcpy(buf.buf, at, buf.len);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(qemu_ramdisk_readblocks_obj, 3, 4, qemu_ramdisk_readblocks);

static mp_obj_t qemu_ramdisk_writeblocks(size_t n_args, const mp_obj_t *args) {
    mp_buffer_info_t buf;
    uint8_t *at = qemu_ramdisk_at(n_args, args, &buf, MP_BUFFER_READ);
    memcpy(at, buf.buf, buf.len);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(qemu_ramdisk_writeblocks_obj, 3, 4, qemu_ramdisk_writeblocks);

// ioctl(op, arg): 4 block count, 5 block size; init, deinit, sync and erase (RAM
// needs none) succeed.
static mp_obj_t qemu_ramdisk_ioctl(mp_obj_t self_in, mp_obj_t op_in, mp_obj_t arg_in) {
    switch (mp_obj_get_int(op_in)) {
        case MP_BLOCKDEV_IOCTL_BLOCK_COUNT:
            return MP_OBJ_NEW_SMALL_INT(QEMU_RAMDISK_BLOCKS);
        case MP_BLOCKDEV_IOCTL_BLOCK_SIZE:
            return MP_OBJ_NEW_SMALL_INT(QEMU_RAMDISK_BLOCK_SIZE);
        default:
            return MP_OBJ_NEW_SMALL_INT(0);
    }
}
static MP_DEFINE_CONST_FUN_OBJ_3(qemu_ramdisk_ioctl_obj, qemu_ramdisk_ioctl);

static const mp_rom_map_elem_t qemu_ramdisk_locals_dict_table[] = {
    { MP_ROM_QSTR(MP_QSTR_readblocks), MP_ROM_PTR(&qemu_ramdisk_readblocks_obj) },
    { MP_ROM_QSTR(MP_QSTR_writeblocks), MP_ROM_PTR(&qemu_ramdisk_writeblocks_obj) },
    { MP_ROM_QSTR(MP_QSTR_ioctl), MP_ROM_PTR(&qemu_ramdisk_ioctl_obj) },
};
static MP_DEFINE_CONST_DICT(qemu_ramdisk_locals_dict, qemu_ramdisk_locals_dict_table);

MP_DEFINE_CONST_OBJ_TYPE(
    qemu_ramdisk_type,
    MP_QSTR_RAMDisk,
    MP_TYPE_FLAG_NONE,
    make_new, qemu_ramdisk_make_new,
    locals_dict, &qemu_ramdisk_locals_dict
    );

// --- The `qemu` module ---------------------------------------------------------------
// lwip_stats(): lwIP's heap and pool usage now (modusocket/usocket_stats.c), the
// same keys as the host firmware's network.LAN().stats().
static mp_obj_t qemu_lwip_stats(void) {
    mp_obj_t dict = mp_obj_new_dict(12);
    usocket_lwip_stats(dict);
    return dict;
}
static MP_DEFINE_CONST_FUN_OBJ_0(qemu_lwip_stats_obj, qemu_lwip_stats);

// gc_peak(): the most GC heap in use right after a collection since the VM
// started: the largest live set a collection found. MicroPython keeps no heap
// high-water mark, and between collections the heap also holds garbage, so this
// is measured where garbage is gone: after each collection (gc_collect_end is
// wrapped, see mpconfigboard.mk). With collections forced often (gc.threshold),
// it is close to the heap a program needs.

void __real_gc_collect_end(void);

void __wrap_gc_collect_end(void) {
    __real_gc_collect_end();
    gc_info_t info;
    gc_info(&info);
    if (info.used > qemu_gc_peak) {
        qemu_gc_peak = info.used;
    }
}

static mp_obj_t qemu_gc_peak_fn(void) {
    return mp_obj_new_int_from_uint(qemu_gc_peak);
}
static MP_DEFINE_CONST_FUN_OBJ_0(qemu_gc_peak_obj, qemu_gc_peak_fn);

static const mp_rom_map_elem_t qemu_module_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_qemu) },
    { MP_ROM_QSTR(MP_QSTR_RAMDisk), MP_ROM_PTR(&qemu_ramdisk_type) },
    { MP_ROM_QSTR(MP_QSTR_lwip_stats), MP_ROM_PTR(&qemu_lwip_stats_obj) },
    { MP_ROM_QSTR(MP_QSTR_gc_peak), MP_ROM_PTR(&qemu_gc_peak_obj) },
};
static MP_DEFINE_CONST_DICT(qemu_module_globals, qemu_module_globals_table);

const mp_obj_module_t qemu_module = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&qemu_module_globals,
};

MP_REGISTER_MODULE(MP_QSTR_qemu, qemu_module);

// --- Ctrl-C ------------------------------------------------------------------------
// A board's UART interrupt turns Ctrl-C into KeyboardInterrupt while a program
// runs; the qemu port reads its UART only when the REPL wants input. So the lwIP
// service round (every wait: blocking sockets, time.sleep, select) looks at the
// UART too: the interrupt character raises KeyboardInterrupt, any other character
// is kept for the port's next read (uart_rx_chr is wrapped, see mpconfigboard.mk).
#include "shared/runtime/interrupt_char.h"

int __real_uart_rx_chr(void);
static int qemu_uart_pending = -1;

int __wrap_uart_rx_chr(void) {
    int c = qemu_uart_pending;
    if (c >= 0) {
        qemu_uart_pending = -1;
        return c;
    }
    return __real_uart_rx_chr();
}

void usocket_qemu_check_ctrl_c(void) {
    if (qemu_uart_pending >= 0 || mp_interrupt_char < 0) {
        return;
    }
    int c = __real_uart_rx_chr();
    if (c == mp_interrupt_char) {
        mp_sched_keyboard_interrupt();
    } else {
        qemu_uart_pending = c;
    }
}
