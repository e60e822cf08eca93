// The GIL-less threaded host firmware (`make unix VARIANT=nogil`): the threaded host
// firmware of boards/unix-threaded, whose Python threads run without a GIL
// (mpconfigvariant.mk), as on RP2. It exists to be run under ThreadSanitizer.
#include "../unix-threaded/mpconfigvariant.h"

#undef MICROPY_HW_BOARD_NAME
#define MICROPY_HW_BOARD_NAME "usocket host firmware (threaded, no GIL)"

// Two of the interpreter's features write one VM-wide variable from every thread,
// with no lock when there is no GIL: races of MicroPython's, by design, that
// ThreadSanitizer would report from the heart of the VM (mp_map_lookup,
// mp_execute_bytecode), where a suppression would hide races of ours too.
// They are off here instead; neither changes what a program computes.
// The cache of dict slot positions (py/map.c): a hint, checked before use.
#define MICROPY_OPT_MAP_LOOKUP_CACHE (0)
// sys.exc_info()'s record of the exception being handled (py/vm.c), which RP2's
// build does not have either.
#undef MICROPY_PY_SYS_EXC_INFO
#define MICROPY_PY_SYS_EXC_INFO (0)
