// Configuration of the instruction-count firmware (MP_CONFIGFILE): boards/qemu's,
// then modlwip and the boot-time workload run.
#include "../qemu/mpconfigboard.h"

// Compiles extmod/modlwip.c (the port's extmod.mk lists it; it is empty without this).
#define MICROPY_PY_LWIP (1)

// modlwip's blocking calls and select/poll wait in mp_event_wait_ms(), which runs
// this hook: the same lwIP servicing (loopback queue, timers) that usocket's own
// wait loop does on this target (USOCKET_EVENT_WAIT in boards/qemu/usocket_port.h).
// Without it modlwip would wait forever for segments nobody delivers. If
// boards/qemu defines the hook itself, its definition is used.
#ifndef MICROPY_INTERNAL_EVENT_HOOK
void usocket_qemu_lwip_poll(void);
#define MICROPY_INTERNAL_EVENT_HOOK usocket_qemu_lwip_poll()
#endif

// Each VM start: boards/qemu's (RAM disk), then lwIP started for modlwip (ports
// that use modlwip start it at boot) and, when QEMU was given a script name as its
// semihosting command line, that frozen script run and QEMU stopped (icount.c).
void usocket_qemu_icount_vm_init(void);
#undef MICROPY_PORT_INIT_FUNC
#define MICROPY_PORT_INIT_FUNC usocket_qemu_icount_vm_init()

#undef MICROPY_HW_BOARD_NAME
#define MICROPY_HW_BOARD_NAME "mps2-an385, usocket instruction-count firmware (usocket + modlwip)"
