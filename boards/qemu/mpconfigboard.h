// Configuration of the QEMU target (MP_CONFIGFILE, see mpconfigboard.mk): the qemu
// port's own settings, then what usocket needs on top of them.
#include <mpconfigport.h>

// A clock (boards/qemu/qemu_board.c) so time and socket timeouts work.
#undef MICROPY_PY_TIME
#define MICROPY_PY_TIME (1)

// mbedTLS (the `tls` module, see mpconfigboard.mk) allocates from the GC heap, as on
// the boards: m_tracked_calloc keeps its blocks reachable.
#ifdef MICROPY_SSL_MBEDTLS
#define MICROPY_TRACKED_ALLOC (1)
#endif

// Each VM start mounts the RAM disk and puts /lib before the frozen modules, so what
// `make deploy` copies there replaces the frozen copy without reflashing; each soft
// reset drops what the socket layer left in lwIP.
void usocket_qemu_vm_init(void);
void usocket_qemu_vm_deinit(void);
#define MICROPY_PORT_INIT_FUNC usocket_qemu_vm_init()
#define MICROPY_PORT_DEINIT_FUNC usocket_qemu_vm_deinit()

// select.poll()/select.select() over sockets, as the boards have them (the qemu
// port turns the module off: it has nothing to wait on without a network).
#undef MICROPY_PY_SELECT
#define MICROPY_PY_SELECT (1)
#undef MICROPY_PY_SELECT_SELECT
#define MICROPY_PY_SELECT_SELECT (1)

// asyncio's C core (_asyncio), as ESP32 and RP2 builds have it: the frozen asyncio
// package leaves out its pure-Python twin and does not import without it.
#undef MICROPY_PY_ASYNCIO
#define MICROPY_PY_ASYNCIO (1)

// Every wait in MicroPython (select.poll, scheduled waits) services the LAN9118
// and lwIP, as lwIP's background task does on a board (qemu_board.c).
void usocket_qemu_lwip_poll(void);
#define MICROPY_INTERNAL_EVENT_HOOK usocket_qemu_lwip_poll()
// Python that never waits (a non-blocking socket loop) still moves the stack: a
// service round every 256 backward jumps.
extern unsigned int usocket_qemu_vm_countdown;
void usocket_qemu_vm_hook(void);
#define MICROPY_VM_HOOK_LOOP \
    if (--usocket_qemu_vm_countdown == 0) { \
        usocket_qemu_vm_hook(); \
    }
