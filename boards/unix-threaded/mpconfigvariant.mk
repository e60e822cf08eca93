# The threaded host firmware: boards/unix with _thread, and lwIP (NO_SYS=0) in its
# own tcpip thread with core locking (see mpconfigvariant.h). Used as VARIANT_DIR by
# the top-level Makefile for VARIANT=threaded.
include $(VARIANT_DIR)/../unix/mpconfigvariant.mk

# Python threads with the GIL, as on ESP32 (the concurrency model this variant
# exists to test): the module's GIL release around waits is exercised as it is
# there. lwIP's core lock is taken with the GIL held or released alike.
MICROPY_PY_THREAD = 1
MICROPY_PY_THREAD_GIL = 1
