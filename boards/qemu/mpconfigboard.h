// Configuration of the QEMU target (MP_CONFIGFILE, see mpconfigboard.mk): the qemu
// port's own settings, then what usocket needs on top of them.
#include <mpconfigport.h>

// A clock (boards/qemu/qemu_board.c) so time and socket timeouts work.
#undef MICROPY_PY_TIME
#define MICROPY_PY_TIME (1)

// Each VM start mounts the RAM disk and puts /lib before the frozen modules, so what
// `make deploy` copies there replaces the frozen copy without reflashing; each soft
// reset drops what the socket layer left in lwIP.
void usocket_qemu_vm_init(void);
void usocket_qemu_vm_deinit(void);
#define MICROPY_PORT_INIT_FUNC usocket_qemu_vm_init()
#define MICROPY_PORT_DEINIT_FUNC usocket_qemu_vm_deinit()
