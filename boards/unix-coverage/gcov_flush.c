// The coverage firmware's gcov flush: tests kill server firmwares they no longer
// need (SIGKILL, which skips gcov's write at exit), so the counters are merged into
// the .gcda files every COV_FLUSH_MS from the event hooks, then reset. gcov locks
// each .gcda file while it merges, so parallel firmwares add up correctly.
#include "py/mphal.h"

#define COV_FLUSH_MS (250)

void __gcov_dump(void);
void __gcov_reset(void);
void usocket_cov_flush_tick(void);

void usocket_cov_flush_tick(void) {
    static mp_uint_t last;
    mp_uint_t now = mp_hal_ticks_ms();
    if (now - last >= COV_FLUSH_MS) {
        last = now;
        __gcov_dump();
        __gcov_reset();
    }
}
