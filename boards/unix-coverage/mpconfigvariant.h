// The coverage firmware (`make coverage`, VARIANT=coverage): the host firmware of
// boards/unix with
//  - usocket's C sources and the slirp bridge compiled with gcov (usocket_board.mk),
//    their counters written out every COV_FLUSH_MS while the firmware runs
//    (gcov_flush.c), so a firmware that a test kills still counts;
//  - sys.settrace, which tools/coverage_report.py uses to record the frozen Python's
//    lines.
#include "../unix/mpconfigvariant.h"

#define MICROPY_PY_SYS_SETTRACE (1)

// The host firmware's event hooks, plus the periodic gcov flush.
void usocket_cov_flush_tick(void);
#undef MICROPY_INTERNAL_EVENT_HOOK
#define MICROPY_INTERNAL_EVENT_HOOK \
    do { \
        usocket_hostnet_poll(0); \
        usocket_cov_flush_tick(); \
    } while (0)
#undef MICROPY_EVENT_POLL_HOOK
#define MICROPY_EVENT_POLL_HOOK \
    do { \
        mp_handle_pending(true); \
        usocket_hostnet_poll(1); \
        usocket_cov_flush_tick(); \
    } while (0);

#undef MICROPY_HW_BOARD_NAME
#define MICROPY_HW_BOARD_NAME "usocket host firmware (coverage)"
