# Board glue of the coverage firmware, included by modusocket/micropython.mk: the host
# firmware's glue (boards/unix), whose C files are named here because the unix port
# compiles only the .c files of VARIANT_DIR (here gcov_flush.c).
# This directory first, so that its mpconfigvariant.h is found before boards/unix's.
CFLAGS_USERMOD += -I$(VARIANT_DIR)
include $(USOCKET_TOP)/boards/unix/usocket_board.mk
SRC_USERMOD_C += $(USOCKET_TOP)/boards/unix/hostnet.c

# gcov for what is measured, the module's core and the bridge, at -O0 so that lines
# and branches are the source's; MicroPython, lwIP and mbedTLS keep the port's
# flags (an instrumented -O0 mbedTLS would slow every TLS test).
$(BUILD)/modusocket/%.o $(BUILD)/boards/unix/hostnet.o: CFLAGS += --coverage -O0
LDFLAGS_USERMOD += --coverage
