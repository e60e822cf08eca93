# Board glue of the benchmark firmware, included by modusocket/micropython.mk: the
# host firmware's own glue (lwIP sources, include paths, libslirp), unchanged, and
# its C files. The unix port compiles every .c in VARIANT_DIR, which here is
# boards/unix-bench, so that of boards/unix (the slirp bridge) is named here
# instead.

# This directory first: the port adds -I$(VARIANT_DIR) after the user modules'
# flags, so boards/unix's mpconfigvariant.h would otherwise be found instead of ours.
CFLAGS_USERMOD += -I$(VARIANT_DIR)
include $(USOCKET_TOP)/boards/unix/usocket_board.mk
SRC_USERMOD_C += $(wildcard $(USOCKET_TOP)/boards/unix/*.c)

# modlwip owns `socket` in this firmware.
CFLAGS_USERMOD += -DUSOCKET_REGISTER_AS_SOCKET=0
