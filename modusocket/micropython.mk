# usocket: the portable core. Sources are listed explicitly; the board's glue (lwIP
# sources where the port doesn't build lwIP itself, netif, hooks) comes from the
# file named by USOCKET_BOARD_MK, set by the board's variant/board configuration.
USOCKET_MOD_DIR := $(USERMOD_DIR)
USOCKET_TOP ?= $(abspath $(USOCKET_MOD_DIR)/..)

SRC_USERMOD_C += \
	$(USOCKET_MOD_DIR)/modusocket.c \
	$(USOCKET_MOD_DIR)/usocket_socket.c \
	$(USOCKET_MOD_DIR)/usocket_errno.c \
	$(USOCKET_MOD_DIR)/usocket_stats.c

CFLAGS_USERMOD += -I$(USOCKET_MOD_DIR)

ifneq ($(USOCKET_BOARD_MK),)
include $(USOCKET_BOARD_MK)
endif
