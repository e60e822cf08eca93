// The benchmark firmware (`make bench`): the host firmware of boards/unix with
// MicroPython's own socket layer on lwIP, extmod/modlwip.c, compiled beside usocket.
// Both run on the same lwIP, with the same lwipopts.h and the same libslirp bridge,
// so a benchmark compares module against module. Here modlwip is `socket` (and
// `lwip`) and our module is only `usocket`.

// Everything the host firmware sets (boards/unix), then what differs.
#include "../unix/mpconfigvariant.h"

// Compiles extmod/modlwip.c (the port's extmod.mk lists it; it is empty without
// this). Its lock hooks (MICROPY_PY_LWIP_ENTER/REENTER/EXIT) stay empty, as ours
// are on this NO_SYS=1 host, and its waits (mp_event_wait_ms) run the
// MICROPY_EVENT_POLL_HOOK above, which services the bridge like our blocking calls.
#define MICROPY_PY_LWIP (1)

#undef MICROPY_HW_BOARD_NAME
#define MICROPY_HW_BOARD_NAME "usocket benchmark firmware (usocket + modlwip)"
