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

.PHONY: all demo deps unix mpy-cross test pytest lint format clean distclean

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
