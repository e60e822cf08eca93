# The host firmware: MicroPython's unix port with usocket on lwIP (NO_SYS=1) bridged
# to the PC through libslirp. Used as VARIANT_DIR by the top-level Makefile.

# Our module replaces the port's POSIX socket module (it registers as `socket`).
MICROPY_PY_SOCKET = 0
# lwIP runs with NO_SYS=1 on the MicroPython thread, so Python threads are off here;
# the threaded variant (boards/unix-threaded) runs lwIP in its own thread.
MICROPY_PY_THREAD = 0
# berkeley-db is not in the Debian source tree.
MICROPY_PY_BTREE = 0
# Use the system's libffi.
MICROPY_STANDALONE = 0

# Picked up by modusocket/micropython.mk: the board glue (lwIP sources, netif).
USOCKET_BOARD_MK := $(VARIANT_DIR)/usocket_board.mk

# WebREPL's C part (MICROPY_PY_WEBREPL in mpconfigvariant.h) is upstream code with
# one signed/unsigned comparison the unix port's -Werror rejects; only that file
# gets the warning off.
$(BUILD)/extmod/modwebrepl.o: CFLAGS += -Wno-sign-compare
