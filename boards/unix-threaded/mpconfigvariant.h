// The threaded host firmware (`make unix VARIANT=threaded`): the host firmware of
// boards/unix with Python threads, and lwIP (NO_SYS=0) in its own tcpip thread with
// core locking, as on ESP32. The slirp bridge runs in a thread of its own
// (boards/unix/hostnet.c, threaded mode), so nothing on the MicroPython side has to
// service the stack.

// Everything the host firmware sets (boards/unix), then what differs.
#include "../unix/mpconfigvariant.h"

// Nothing to service from MicroPython's waits: the port's defaults (a GIL-free
// short sleep) apply again.
#undef MICROPY_INTERNAL_EVENT_HOOK
#undef MICROPY_EVENT_POLL_HOOK
#undef mp_hal_delay_ms
#undef MICROPY_VM_HOOK_LOOP

#undef MICROPY_HW_BOARD_NAME
#define MICROPY_HW_BOARD_NAME "usocket host firmware (threaded)"
#undef MICROPY_HW_MCU_NAME
#define MICROPY_HW_MCU_NAME "lwIP 2.2.1 (tcpip thread) + libslirp"
