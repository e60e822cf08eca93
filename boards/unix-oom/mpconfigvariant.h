// The allocation-failure firmware (`make test-oom`, VARIANT=oom): the host firmware
// of boards/unix plus the `_oom` module (oom_inject.c), which makes the Nth
// allocation from lwIP's pools, lwIP's heap or MicroPython's heap fail once.
#include "../unix/mpconfigvariant.h"

#undef MICROPY_HW_BOARD_NAME
#define MICROPY_HW_BOARD_NAME "usocket host firmware (allocation failures)"
