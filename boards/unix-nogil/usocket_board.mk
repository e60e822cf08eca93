# Board glue of the GIL-less threaded host firmware, included by
# modusocket/micropython.mk: that of boards/unix-threaded, unchanged. The unix port
# compiles every .c in VARIANT_DIR, which here is boards/unix-nogil (none), so
# boards/unix-threaded's C file (the event hooks) is named here.

# This directory first (its mpconfigvariant.h), then boards/unix-threaded's
# (lwipopts.h, usocket_port.h and its mpconfigvariant.h, which ours includes),
# then boards/unix's: the port adds -I$(VARIANT_DIR) only after the user modules'
# flags.
CFLAGS_USERMOD += -I$(VARIANT_DIR) -I$(USOCKET_TOP)/boards/unix-threaded
include $(USOCKET_TOP)/boards/unix-threaded/usocket_board.mk
SRC_USERMOD_C += $(USOCKET_TOP)/boards/unix-threaded/usocket_threaded.c
