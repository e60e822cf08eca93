# usocket: top-level build. `make` builds the host firmware and runs a short demo;
# `make test` fetches everything, builds and runs the host test suite.
#
# Overridable: MICROPY_DIR / LWIP_DIR / MBEDTLS_DIR (use your own checkouts),
# VARIANT (unix variant: standard or threaded), PYTEST_ARGS.

TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
include $(TOP)/versions.mk

DEPS_DIR ?= $(TOP)/deps
MICROPY_DIR ?= $(DEPS_DIR)/micropython
LWIP_DIR ?= $(DEPS_DIR)/lwip
MBEDTLS_DIR ?= $(DEPS_DIR)/mbedtls
MPY_LIB_DIR ?= $(DEPS_DIR)/micropython-lib
VENV ?= $(DEPS_DIR)/venv
PYTHON := $(VENV)/bin/python

VARIANT ?= standard
ifeq ($(VARIANT),standard)
UNIX_BUILD := $(TOP)/build/unix
UNIX_VARIANT_DIR := $(TOP)/boards/unix
else
UNIX_BUILD := $(TOP)/build/unix-$(VARIANT)
UNIX_VARIANT_DIR := $(TOP)/boards/unix-$(VARIANT)
endif
FIRMWARE := $(UNIX_BUILD)/micropython
MPY_CROSS := $(MICROPY_DIR)/mpy-cross/build/mpy-cross
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

export MICROPY_DEB_VERSION LWIP_DEB_VERSION MBEDTLS_DEB_VERSION APT_PACKAGES PIP_PACKAGES DEPS_DIR

.PHONY: all demo deps unix mpy-cross mpy test pytest lint format clean distclean

all: unix demo

# Fetch sources and install packages (idempotent, <1 s when done).
deps:
	@$(TOP)/tools/deps.sh

mpy-cross: deps
	@$(MAKE) -s -C $(MICROPY_DIR)/mpy-cross -j$(JOBS) >/dev/null

# The host firmware: MicroPython's unix port with our variant in boards/unix.
# mpy-cross is built in its own make call: a FROZEN_MANIFEST on the command line
# would leak into its sub-make.
unix: deps mpy-cross
	@echo "building $(FIRMWARE)"
	@mkdir -p $(UNIX_BUILD)
	@# flock: concurrent `make unix` runs (parallel test sessions) share one build dir.
	@flock $(UNIX_BUILD).lock $(MAKE) -C $(MICROPY_DIR)/ports/unix -j$(JOBS) \
		VARIANT_DIR=$(UNIX_VARIANT_DIR) BUILD=$(UNIX_BUILD) \
		USER_C_MODULES=$(TOP) FROZEN_MANIFEST=$(TOP)/frozen/manifest.py \
		MPY_LIB_DIR=$(MPY_LIB_DIR) USOCKET_TOP=$(TOP) LWIP_DIR=$(LWIP_DIR) \
		PROG=micropython $(if $(V),,-s)

# The frozen Python as .mpy files (for deploying to a board's /lib without a
# firmware rebuild), compiled by the mpy-cross that matches the firmware.
FROZEN_PY := $(filter-out $(TOP)/frozen/manifest.py,$(wildcard $(TOP)/frozen/*.py))
mpy: mpy-cross
	@mkdir -p $(TOP)/build/mpy
	@for f in $(FROZEN_PY); do \
		$(MPY_CROSS) -o $(TOP)/build/mpy/$$(basename $$f .py).mpy -s $$(basename $$f) $$f || exit 1; \
	done
	@ls -l $(TOP)/build/mpy

# A short demo: the firmware fetches a page from a local HTTP server through lwIP.
demo: unix
	@$(PYTHON) $(TOP)/tools/demo.py --firmware $(FIRMWARE)

test: unix
	@$(PYTHON) -m pytest -c $(TOP)/host_tests/pytest.ini $(TOP)/host_tests $(PYTEST_ARGS)

lint: deps
	@$(VENV)/bin/ruff format --check $(TOP)/frozen $(TOP)/host_tests $(TOP)/tools
	@$(VENV)/bin/ruff check $(TOP)/frozen $(TOP)/host_tests $(TOP)/tools

format: deps
	@$(VENV)/bin/ruff format $(TOP)/frozen $(TOP)/host_tests $(TOP)/tools

clean:
	rm -rf $(TOP)/build

distclean: clean
	rm -rf $(DEPS_DIR)

# --- RP2 and ESP32 firmware -------------------------------------------------------
# `make rp2` builds build/rp2/firmware.uf2 for boards/RPI_PICO from registry sources
# (tools/deps_rp2.sh fetches them). RP2_BOARD=RPI_PICO_W builds the Pico W board
# dir; that one needs MICROPY_DIR= set to a full MicroPython checkout (cyw43-driver
# is in no registry). `make size` prints the module's code size from that build.
RP2_BOARD ?= RPI_PICO
RP2_BOARD_DIR ?= $(TOP)/boards/$(RP2_BOARD)
RP2_BUILD ?= $(TOP)/build/$(if $(filter RPI_PICO,$(RP2_BOARD)),rp2,rp2-$(RP2_BOARD))
PICOTOOL_DIR ?= $(DEPS_DIR)/picotool
ESP32_BOARD ?= ESP32_GENERIC
ESP32_BUILD ?= $(TOP)/build/esp32

export PICO_SDK_DEB_VERSION TINYUSB_DEB_VERSION PICOTOOL_DEB_VERSION RP2_APT_PACKAGES MICROPY_DIR JOBS

.PHONY: deps-rp2 rp2 size esp32

deps-rp2: deps
	@$(TOP)/tools/deps_rp2.sh

rp2: deps-rp2 mpy-cross
	@echo "building $(RP2_BUILD)/firmware.uf2 ($(RP2_BOARD))"
	@cmake -S $(MICROPY_DIR)/ports/rp2 -B $(RP2_BUILD) $(if $(V),,--log-level=WARNING) \
		-DMICROPY_BOARD=$(RP2_BOARD) -DMICROPY_BOARD_DIR=$(RP2_BOARD_DIR) \
		-DUSER_C_MODULES=$(TOP)/micropython.cmake -DMICROPY_LIB_DIR=$(MPY_LIB_DIR) \
		-Dpicotool_DIR=$(PICOTOOL_DIR)/lib/cmake/picotool \
		-DFETCHCONTENT_FULLY_DISCONNECTED=ON -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null
	@# The port regenerates frozen_content.c only when a frozen .py changes, not when
	@# the firmware's qstr set does (a config change then fails with "redeclaration of
	@# enumerator MP_QSTR_..."): always regenerate it (a few seconds).
	@rm -f $(RP2_BUILD)/frozen_content.c
	@$(MAKE) -C $(RP2_BUILD) -j$(JOBS) $(if $(V),,-s) >$(RP2_BUILD)/build.log 2>&1 \
		|| { tail -40 $(RP2_BUILD)/build.log; echo "rp2: build failed, log: $(RP2_BUILD)/build.log"; exit 1; }
	@ls -l $(RP2_BUILD)/firmware.uf2

size: rp2
	@$(PYTHON) $(TOP)/tools/size.py --build $(RP2_BUILD) --module-dir $(TOP)/modusocket \
		--compare $(MICROPY_DIR)/extmod/modlwip.c
