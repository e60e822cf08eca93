# The GIL-less threaded host firmware: boards/unix-threaded (lwIP in its tcpip thread,
# core locking, the slirp bridge in its own thread) with Python threads running
# without a GIL, as RP2 runs them on its two cores. Used as VARIANT_DIR by the
# top-level Makefile for VARIANT=nogil; it exists to run the thread tests under
# ThreadSanitizer (`make test-tsan`), where a race the GIL would hide shows.
include $(VARIANT_DIR)/../unix-threaded/mpconfigvariant.mk

# No GIL: every thread runs Python at once. MicroPython then guards its own shared
# state with mutexes of its own (the GC heap, the qstr pool, the scheduler, the
# thread list), which is what the unix port's default variant does too.
MICROPY_PY_THREAD_GIL = 0
