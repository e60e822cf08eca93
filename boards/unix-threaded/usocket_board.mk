# Board glue of the threaded host firmware, included by modusocket/micropython.mk:
# the host firmware's glue (boards/unix), plus lwIP's tcpip thread and the contrib
# unix sys_arch (pthreads). The unix port compiles every .c in VARIANT_DIR, which
# here is boards/unix-threaded, so boards/unix's C file (the slirp bridge, which
# switches to its threaded mode from NO_SYS=0) is named here.

# This directory first: the port adds -I$(VARIANT_DIR) after the user modules'
# flags, so boards/unix's lwipopts.h, usocket_port.h and mpconfigvariant.h would
# otherwise be found instead of ours.
CFLAGS_USERMOD += -I$(VARIANT_DIR)
include $(USOCKET_TOP)/boards/unix/usocket_board.mk
SRC_USERMOD_C += $(wildcard $(USOCKET_TOP)/boards/unix/*.c)

LWIP_CONTRIB_UNIX := $(LWIP_DIR)/contrib/ports/unix/port
SRC_USERMOD_LIB_C += $(LWIP_DIR)/src/api/tcpip.c $(LWIP_CONTRIB_UNIX)/sys_arch.c
# After boards/unix (its arch/cc.h wins); this adds arch/sys_arch.h.
CFLAGS_USERMOD += -I$(LWIP_CONTRIB_UNIX)/include -DLWIP_UNIX_LINUX
LDFLAGS_USERMOD += -lpthread
