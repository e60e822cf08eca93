# Runs at every VM start on the QEMU target (MICROPY_PORT_INIT_FUNC). Mounts the
# RAM disk at / (formatting it on the first boot; it is static RAM, so files survive
# soft reset) and searches /lib before the frozen modules, so a module copied there
# by `make deploy` replaces its frozen copy without reflashing.
import sys

import qemu
import vfs

_disk = qemu.RAMDisk()
try:
    vfs.mount(vfs.VfsLfs2(_disk), "/")
except OSError:
    vfs.VfsLfs2.mkfs(_disk)
    vfs.mount(vfs.VfsLfs2(_disk), "/")
sys.path.insert(1, "/lib")
del _disk, sys, qemu, vfs
