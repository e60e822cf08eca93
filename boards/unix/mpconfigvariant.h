// The host firmware: MicroPython's unix port, standard feature level, with usocket on
// lwIP bridged to the PC through libslirp (boards/unix/hostnet.c).

#define MICROPY_CONFIG_ROM_LEVEL (MICROPY_CONFIG_ROM_LEVEL_EXTRA_FEATURES)

// The port's common options are defined unconditionally: change them after this.
#include "variants/mpconfigvariant_common.h"

// Ctrl-C is raised from the event hooks, never by a jump out of the signal handler:
// that could leave lwIP or the slirp bridge half-way through an update.
#undef MICROPY_ASYNC_KBD_INTR
#define MICROPY_ASYNC_KBD_INTR (0)

// time.sleep() goes through mp_hal_delay_ms (below) so sleeping keeps the network
// stack serviced, as the background lwIP task does on a board.
#undef MICROPY_PY_TIME_CUSTOM_SLEEP
#undef MICROPY_PY_TIME_INCLUDEFILE
#define MICROPY_PY_TIME_INCLUDEFILE "modtime_host.inc"

// select.select() over usocket objects. The port turns it off in favour of its
// POSIX poll optimisations, which only help objects with a file descriptor; ours
// have none, so select/poll go through the event hooks below instead.
#undef MICROPY_PY_SELECT_POSIX_OPTIMISATIONS
#define MICROPY_PY_SELECT_POSIX_OPTIMISATIONS (0)
#undef MICROPY_PY_SELECT_SELECT
#define MICROPY_PY_SELECT_SELECT (1)

// lwIP runs on this thread (NO_SYS=1): every wait in MicroPython services it.
void usocket_hostnet_poll(int timeout_ms);
void usocket_hostnet_delay_ms(unsigned int ms);
#define MICROPY_INTERNAL_EVENT_HOOK usocket_hostnet_poll(0)
// select.poll(), asyncio and other waiting loops: sleep in poll() on slirp's sockets
// (woken by network traffic) instead of the port's fixed 0.5 ms usleep. The hook
// has no timeout argument, so a wait is at most 1 ms and the caller loops.
#define MICROPY_EVENT_POLL_HOOK \
    do { \
        mp_handle_pending(true); \
        usocket_hostnet_poll(1); \
    } while (0);
#define mp_hal_delay_ms(ms) usocket_hostnet_delay_ms(ms)
// Python that never waits (a non-blocking socket loop, asyncio with only
// sleep_ms(0) tasks) still moves the stack: every 64th backward jump, a service
// round if none ran in the last millisecond (hostnet.c, usocket_hostnet_vm_hook).
extern unsigned int usocket_hostnet_vm_countdown;
void usocket_hostnet_vm_hook(void);
#define MICROPY_VM_HOOK_LOOP \
    if (--usocket_hostnet_vm_countdown == 0) { \
        usocket_hostnet_vm_hook(); \
    }

// WebREPL's C part (_webrepl: the password prompt and file transfer over a
// websocket), as the rp2 and esp32 ports have it, so its handshake is tested on
// usocket's socket callback (setsockopt(SOL_SOCKET, 20, handler)).
#define MICROPY_PY_WEBREPL (1)

// machine.unique_id(), which WiFi apps use as a client id (boards/common/modnetwork.c).
// The port's machine module has no bare-metal functions; this adds the one.
extern const struct _mp_obj_fun_builtin_fixed_t usocket_machine_unique_id_obj;
#define MICROPY_PY_MACHINE_EXTRA_GLOBALS \
    { MP_ROM_QSTR(MP_QSTR_unique_id), MP_ROM_PTR(&usocket_machine_unique_id_obj) },

// Shown in the banner and in sys.implementation._machine.
#define MICROPY_HW_BOARD_NAME "usocket host firmware"
#define MICROPY_HW_MCU_NAME "lwIP 2.2.1 + libslirp"
