# The QEMU target: MicroPython's qemu port for the MPS2-AN385 machine (Cortex-M3),
# built by `make qemu` with BOARD_DIR pointing here. It runs the same usocket sources
# as the boards, cross-compiled, on lwIP with the LAN9118 Ethernet (lan9118.c) and
# the loopback interface, with a RAM filesystem mounted at boot so `make deploy` has
# a /lib to write to. The tests run scripts on it over the raw REPL
# (tools/qemu_run.py).

# This directory, also when boards/qemu-bench includes this file.
USOCKET_QEMU_BOARD_DIR := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))

# The machine, CPU flags and linker script of the port's own MPS2_AN385 board.
include $(TOP)/ports/qemu/boards/MPS2_AN385/mpconfigboard.mk

# Our configuration on top of the port's (mpconfigboard.h includes mpconfigport.h).
CFLAGS += -DMP_CONFIGFILE='"$(BOARD_DIR)/mpconfigboard.h"'

# littlefs v2 for the RAM disk (extmod.mk adds the sources and the define).
MICROPY_VFS_LFS2 = 1

# The `tls` module on mbedTLS (deps/micropython/lib/mbedtls, the same mbedTLS as the
# host build), for the frozen ssl/ussl and https in urequests. mbedTLS allocates
# from the GC heap; entropy and the date for certificate checks come from the board
# (mbedtls_config_board.h, mbedtls_port.c).
# USOCKET_QEMU_TLS=0 leaves it out (boards/qemu-bench, whose workloads use none).
USOCKET_QEMU_TLS ?= 1
ifeq ($(USOCKET_QEMU_TLS),1)
MICROPY_PY_SSL = 1
MICROPY_SSL_MBEDTLS = 1
MBEDTLS_CONFIG_FILE = '"$(USOCKET_QEMU_BOARD_DIR)/mbedtls_config_board.h"'
# MicroPython's date conversion, for the gmtime() mbedTLS calls (mbedtls_port.c).
SRC_C += shared/timeutils/timeutils.c
# os.urandom() from the same entropy source (modos_board.c).
CFLAGS += -DMICROPY_PY_OS_URANDOM=1 -DMICROPY_PY_OS_INCLUDEFILE='"$(BOARD_DIR)/modos_board.c"'
endif

# Picked up by modusocket/micropython.mk: lwIP, the clock, the RAM disk, the hooks.
USOCKET_BOARD_MK := $(BOARD_DIR)/usocket_board.mk

# The port's linker script, plus a rule for libgcc's unwinding tables.
LDSCRIPT = $(BOARD_DIR)/mps2.ld

# Ctrl-C while a program waits (qemu_board.c): the port's UART read is wrapped.
LDFLAGS += -Wl,--wrap=uart_rx_chr
# qemu.gc_peak() (qemu_board.c): the live heap after each collection.
LDFLAGS += -Wl,--wrap=gc_collect_end
