# Board glue of the allocation-failure firmware, included by modusocket/micropython.mk:
# the host firmware's glue (boards/unix), whose C files are named here because the
# unix port compiles only the .c files of VARIANT_DIR (here oom_inject.c).
# This directory first, so that its mpconfigvariant.h is found before boards/unix's.
CFLAGS_USERMOD += -I$(VARIANT_DIR)
include $(USOCKET_TOP)/boards/unix/usocket_board.mk
SRC_USERMOD_C += $(USOCKET_TOP)/boards/unix/hostnet.c

# Every allocation that can fail goes through oom_inject.c's __wrap_ functions. The
# linker redirects calls between object files only, which is where these are called
# from (lwIP's modules call memp.c, mem.c and pbuf.c; py/malloc.c calls gc.c); calls
# inside one object file (pbuf.c's own pbuf_alloc calls) reach the wrapped
# allocators underneath.
LDFLAGS_USERMOD += -Wl,--wrap=memp_malloc -Wl,--wrap=mem_malloc -Wl,--wrap=pbuf_alloc
LDFLAGS_USERMOD += -Wl,--wrap=gc_alloc -Wl,--wrap=gc_realloc
