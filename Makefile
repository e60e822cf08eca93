# usocket: top-level build. `make` builds the host firmware and runs a short demo;
# `make test` fetches everything, builds and runs the host test suite.
#
# Overridable: MICROPY_DIR / LWIP_DIR / MBEDTLS_DIR (use your own checkouts),
# VARIANT (unix variant: standard, threaded, nogil...), SANITIZE (address, undefined
# or thread), PYTEST_ARGS.

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
# SANITIZE=address|undefined: the unix firmware (MicroPython, lwIP, the bridge) built
# with ASan or UBSan in build/unix[-VARIANT]-asan|-ubsan, flags as MicroPython's own
# CI (tools/ci.sh); UBSan errors abort the run, ASan checks for leaks at exit.
# `make test SANITIZE=...` runs the suite on that firmware.
SANITIZE ?=
ifneq ($(SANITIZE),)
SANITIZE_address := asan
SANITIZE_undefined := ubsan
SANITIZE_FLAGS_address := -fsanitize=address --param asan-use-after-return=0
SANITIZE_FLAGS_undefined := -fsanitize=undefined -fno-sanitize=nonnull-attribute -fno-sanitize-recover=undefined
# SANITIZE=thread is for VARIANT=threaded or nogil: ThreadSanitizer, with the races
# that MicroPython makes by design (its conservative GC scans every thread's stack and
# the heap while others run; without a GIL, its allocation counters) suppressed in
# host_tests/tsan.supp.
SANITIZE_thread := tsan
SANITIZE_FLAGS_thread := -fsanitize=thread -g
ifeq ($(SANITIZE_$(SANITIZE)),)
$(error SANITIZE must be address, undefined or thread, not '$(SANITIZE)')
endif
UNIX_BUILD := $(UNIX_BUILD)-$(SANITIZE_$(SANITIZE))
endif
# POOLS=malloc: every lwIP pool element (pcb, segment, pbuf) and every lwIP heap block
# is its own block from the C library's malloc (MEMP_MEM_MALLOC, MEM_LIBC_MALLOC)
# instead of an element of a static array, so that ASan (SANITIZE=address) sees a
# write past a pcb or a pbuf used after it was freed. The pools then have no limit,
# and lwIP's heap counter (`mem_used`) counts the pool elements too; the pool
# counters still count elements in use. Built in build/unix[-VARIANT][-asan]-mallocpools.
POOLS ?=
ifneq ($(POOLS),)
ifneq ($(POOLS),malloc)
$(error POOLS must be malloc or empty, not '$(POOLS)')
endif
UNIX_BUILD := $(UNIX_BUILD)-mallocpools
# -g and no strip: ASan's reports then name the function and line (the point of
# this build is reading them).
POOLS_FLAGS := -DMEMP_MEM_MALLOC=1 -DMEM_LIBC_MALLOC=1 -g
POOLS_ARGS := STRIP=true
# Redzones of at least 256 B around each block: a listen pcb is 104 B, and a write
# to a `struct tcp_pcb` field beyond it (keep_idle is past offset 200) must land in
# the redzone, not in the next block, for ASan to see it.
POOLS_ASAN_OPTIONS := :redzone=256
endif
ifneq ($(SANITIZE)$(POOLS),)
UNIX_SANITIZE_ARGS := CFLAGS_EXTRA="$(SANITIZE_FLAGS_$(SANITIZE)) $(POOLS_FLAGS)" LDFLAGS_EXTRA="$(SANITIZE_FLAGS_$(SANITIZE))" $(POOLS_ARGS) $(if $(filter thread,$(SANITIZE)),STRIP=true)
TEST_ENV := USOCKET_FIRMWARE=$(UNIX_BUILD)/micropython ASAN_OPTIONS=detect_leaks=1$(POOLS_ASAN_OPTIONS) UBSAN_OPTIONS=print_stacktrace=1 TSAN_OPTIONS="suppressions=$(TOP)/host_tests/tsan.supp halt_on_error=0 second_deadlock_stack=1"
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

# The CA bundle frozen into the firmware (tools/cabundle.py, from Debian's
# ca-certificates): CA_BUNDLE=common (default: the roots behind most public
# sites, 36 CAs, ~35 KB of flash), full (every CA of the package, ~150 KB) or
# none (only the device's certs/ directory is trusted). The manifest freezes
# the file named by USOCKET_CA_BUNDLE: one path for every set, rewritten only
# when its content changes, so that choosing another set rebuilds the frozen code.
CA_BUNDLE ?= common
CA_BUNDLE_PY := $(TOP)/build/cabundle/_cabundle.py
.PHONY: cabundle
cabundle:
	@$(PYTHON) $(TOP)/tools/cabundle.py --set $(CA_BUNDLE) --out $(CA_BUNDLE_PY)

# The host firmware: MicroPython's unix port with our variant in boards/unix.
# mpy-cross is built in its own make call: a FROZEN_MANIFEST on the command line
# would leak into its sub-make.
unix: deps mpy-cross cabundle
	@echo "building $(FIRMWARE)"
	@mkdir -p $(UNIX_BUILD)
	@# flock: concurrent `make unix` runs (parallel test sessions) share one build dir.
	@USOCKET_CA_BUNDLE=$(CA_BUNDLE_PY) flock $(UNIX_BUILD).lock $(MAKE) -C $(MICROPY_DIR)/ports/unix -j$(JOBS) \
		VARIANT_DIR=$(UNIX_VARIANT_DIR) BUILD=$(UNIX_BUILD) \
		USER_C_MODULES=$(TOP) FROZEN_MANIFEST=$(TOP)/frozen/manifest.py \
		MPY_LIB_DIR=$(MPY_LIB_DIR) USOCKET_TOP=$(TOP) LWIP_DIR=$(LWIP_DIR) \
		PROG=micropython $(UNIX_SANITIZE_ARGS) $(if $(V),,-s)

# The frozen Python as .mpy files (for deploying to a board's /lib without a
# firmware rebuild), compiled by the mpy-cross that matches the firmware.
# Modules and packages (frozen/umqtt/), each .mpy at its path under build/mpy.
FROZEN_PY := $(filter-out $(TOP)/frozen/manifest.py,$(wildcard $(TOP)/frozen/*.py $(TOP)/frozen/*/*.py))
mpy: mpy-cross
	@mkdir -p $(TOP)/build/mpy
	@for f in $(FROZEN_PY); do \
		rel=$${f#$(TOP)/frozen/}; mkdir -p $(TOP)/build/mpy/$$(dirname $$rel); \
		$(MPY_CROSS) -o $(TOP)/build/mpy/$${rel%.py}.mpy -s $$rel $$f || exit 1; \
	done
	@ls -lR $(TOP)/build/mpy

# A short demo: the firmware fetches a page from a local HTTP server through lwIP.
demo: unix
	@$(PYTHON) $(TOP)/tools/demo.py --firmware $(FIRMWARE)

# TESTS: the test files or directories to run (default: the whole suite).
TESTS ?= $(TOP)/host_tests
test: unix qemu qemu-bridge
	@$(TEST_ENV) $(PYTHON) -m pytest -c $(TOP)/host_tests/pytest.ini $(TESTS) $(PYTEST_ARGS)

# Reliability runs (issue 9), not part of CI: `make soak` (tools/soak.py: thousands
# of connections and requests, 1 MiB transfers under loss, heap and lwIP pools
# sampled, fails on growth) and `make fuzz` (the fuzz suite for FUZZ_SECONDS per
# case, input counts printed). Both take SANITIZE= and VARIANT= like `make test`.
SOAK_ARGS ?=
FUZZ_SECONDS ?= 300
.PHONY: soak fuzz
soak: unix
	@$(TEST_ENV) $(PYTHON) $(TOP)/tools/soak.py --firmware $(FIRMWARE) $(if $(SOAK_ARGS),,--doc) $(SOAK_ARGS)

fuzz: unix
	@rm -f $(UNIX_BUILD)/fuzz-runs.jsonl
	@$(TEST_ENV) FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_REPORT=$(UNIX_BUILD)/fuzz-runs.jsonl \
		$(PYTHON) -m pytest -c $(TOP)/host_tests/pytest.ini \
		$(TOP)/host_tests/test_fuzz.py -s --timeout=0 $(PYTEST_ARGS)
	@$(PYTHON) $(TOP)/tools/docgen.py fuzz $(UNIX_BUILD)/fuzz-runs.jsonl $(patsubst $(TOP)/%,%,$(FIRMWARE))

# --- Machinery that finds memory bugs (docs/testing-machinery.md) -------------------
# `make test-pools`: the socket API, fault and thread tests on ASan firmwares whose
# lwIP pools are malloc blocks (POOLS=malloc), where ASan sees a write past a pcb.
POOLS_TESTS := $(TOP)/host_tests/test_socket_api.py $(TOP)/host_tests/test_faults.py
.PHONY: test-pools test-oom oom-sweep coverage coverage-run
test-pools:
	@USOCKET_QEMU=0 $(MAKE) --no-print-directory test SANITIZE=address POOLS=malloc TESTS="$(POOLS_TESTS)"
	@$(MAKE) --no-print-directory test SANITIZE=address POOLS=malloc VARIANT=threaded \
		TESTS=$(TOP)/host_tests/test_threads.py

# `make test-tsan`: the thread tests (several threads on one socket: blocked in recv,
# recvfrom, accept, reads, one closing it under the others; stream calls of several
# threads at once, each on its own socket) and the read-after-the-end table, built
# with ThreadSanitizer, on each firmware of TSAN_VARIANTS: the threaded firmware (the
# GIL, as ESP32) and the GIL-less one (boards/unix-nogil, as RP2's two cores), where a
# race the GIL would hide is reported. One older thread test is left out: under TSan
# it deadlocks in MicroPython's GC (the collector's scan signal is held back from a
# thread blocked on a lock: the GIL, or the GC's own), which it never does without TSan.
TSAN_VARIANTS ?= threaded nogil
TSAN_DESELECT := -k "not test_threads_use_different_sockets_at_once"
.PHONY: test-tsan
test-tsan:
	@set -e; for v in $(TSAN_VARIANTS); do \
		$(MAKE) --no-print-directory test SANITIZE=thread VARIANT=$$v \
			TESTS="$(TOP)/host_tests/test_threads.py $(TOP)/host_tests/test_read_semantics.py" \
			PYTEST_ARGS='$(TSAN_DESELECT)'; \
	done

# `make test-oom`: every allocation of each socket operation and urequests call
# fails once (tools/oom.py, firmware boards/unix-oom); prints the injection points
# and outcomes, writes docs/generated/oom.md. OOM_ARGS passes options (e.g.
# --cases udp,http_get). Takes SANITIZE= like `make test`.
OOM_ARGS ?=
test-oom:
	@$(MAKE) --no-print-directory oom-sweep VARIANT=oom

oom-sweep: unix
	@$(TEST_ENV) $(PYTHON) $(TOP)/tools/oom.py --firmware $(FIRMWARE) \
		--doc $(TOP)/docs/generated/oom$(if $(SANITIZE),-$(SANITIZE_$(SANITIZE)))$(if $(POOLS),-mallocpools).md $(OOM_ARGS)

# `make coverage`: the suite (or COVERAGE_TESTS) on the coverage firmware
# (boards/unix-coverage: gcov, sys.settrace), then tools/coverage_report.py prints line and
# branch coverage of modusocket/*.c and boards/unix/hostnet.c (gcovr), line coverage
# of frozen/*.py, every uncovered line of modusocket/, and writes
# docs/generated/coverage.md.
COVERAGE_TESTS ?= $(TOP)/host_tests
COVERAGE_ARGS ?=
coverage:
	@$(MAKE) --no-print-directory coverage-run VARIANT=coverage

coverage-run: unix
	@$(PYTHON) $(TOP)/tools/coverage_report.py --firmware $(FIRMWARE) --build $(UNIX_BUILD) \
		--doc $(TOP)/docs/generated/coverage.md $(COVERAGE_ARGS) -- $(COVERAGE_TESTS) $(PYTEST_ARGS)

lint: deps
	@$(VENV)/bin/ruff format --check $(TOP)/frozen $(TOP)/host_tests $(TOP)/tools $(TOP)/bench $(TOP)/stubs $(TOP)/boards
	@$(VENV)/bin/ruff check $(TOP)/frozen $(TOP)/host_tests $(TOP)/tools $(TOP)/bench $(TOP)/stubs $(TOP)/boards
	@$(PYTHON) $(TOP)/tools/cformat.py

format: deps
	@$(VENV)/bin/ruff format $(TOP)/frozen $(TOP)/host_tests $(TOP)/tools $(TOP)/bench $(TOP)/stubs $(TOP)/boards
	@$(PYTHON) $(TOP)/tools/cformat.py --fix

clean:
	rm -rf $(TOP)/build

distclean: clean
	rm -rf $(DEPS_DIR)

# --- QEMU target --------------------------------------------------------------------
# `make qemu` builds build/qemu/firmware.elf: MicroPython's qemu port for the
# MPS2-AN385 machine (Cortex-M3) with usocket on lwIP (the LAN9118 Ethernet and the
# loopback interface), `tls` on mbedTLS, the frozen package with the CA bundle
# (CA_BUNDLE, as for `make unix`), and a RAM filesystem (boards/qemu). `make qemu-run`
# starts it with its console on a pty (QEMU prints the pty's name), for
# `make deploy PORT=<pty>`.
QEMU_BUILD ?= $(TOP)/build/qemu
QEMU_FIRMWARE := $(QEMU_BUILD)/firmware.elf
QEMU_SYSTEM_ARGS := -machine mps2-an385 -nographic -monitor null -semihosting
.PHONY: deps-qemu qemu qemu-run
# The port extracts qstrs per source file and keeps them while the file is unchanged,
# so a feature switched on in our config header (select) leaves its qstrs missing:
# a build dir whose copy of the config headers differs is built afresh.
# $(1): the build dir, $(2): the config headers.
define qemu_clean_on_config_change
	@cat $(2) | cmp -s - $(1)/config-headers.txt || rm -rf $(1)
	@mkdir -p $(1) && cat $(2) > $(1)/config-headers.txt
endef
deps-qemu: deps
	@$(TOP)/tools/apt_install.sh $(QEMU_APT_PACKAGES)

qemu: deps-qemu mpy-cross cabundle
	$(call qemu_clean_on_config_change,$(QEMU_BUILD),$(TOP)/boards/qemu/mpconfigboard.h $(TOP)/boards/qemu/mpconfigboard.mk)
	@mkdir -p $(QEMU_BUILD) && rm -f $(QEMU_BUILD)/frozen_content.c
	@USOCKET_CA_BUNDLE=$(CA_BUNDLE_PY) $(MAKE) -C $(MICROPY_DIR)/ports/qemu -j$(JOBS) $(if $(V),,-s) \
		BOARD_DIR=$(TOP)/boards/qemu BUILD=$(QEMU_BUILD) MPY_LIB_DIR=$(MPY_LIB_DIR) \
		USER_C_MODULES=$(TOP) FROZEN_MANIFEST=$(TOP)/boards/qemu/manifest.py \
		LWIP_DIR=$(LWIP_DIR) >$(QEMU_BUILD).log 2>&1 \
		|| { tail -30 $(QEMU_BUILD).log; $(call usocket_fail,qemu: build failed (log: $(QEMU_BUILD).log)); }

qemu-run: qemu
	qemu-system-arm $(QEMU_SYSTEM_ARGS) -serial pty -kernel $(QEMU_FIRMWARE)

# `make qemu-bridge` builds the host program that connects the target's Ethernet
# to the PC (boards/qemu/bridge.c on boards/common/slirpnet.c: the host firmware's
# libslirp set-up and safety filter). `make run-qemu SCRIPT=app.py` boots the
# target with it, runs the script over the raw REPL, prints its output and exits
# with its status (tools/qemu_run.py); USOCKET_DNS_PORT, USOCKET_HOSTFWD and the
# USOCKET_NET_* fault knobs apply as on the host firmware; PARAMS="name=value …" for
# a test script from host_tests/fw (tools/fwfiles.py).
QEMU_BRIDGE := $(TOP)/build/qemu-bridge/usocket-qemu-bridge
QEMU_BRIDGE_SRC := $(TOP)/boards/qemu/bridge.c $(TOP)/boards/common/slirpnet.c
.PHONY: qemu-bridge run-qemu
qemu-bridge: $(QEMU_BRIDGE)
$(QEMU_BRIDGE): $(QEMU_BRIDGE_SRC) $(TOP)/boards/common/slirpnet.h $(TOP)/boards/common/netplan.h
	@mkdir -p $(dir $@)
	@$(CC) -O2 -Wall -Wextra -Wno-unused-parameter -Werror -I$(TOP)/boards/common -I/usr/include/slirp \
		$(QEMU_BRIDGE_SRC) -lslirp -lglib-2.0 -o $@

run-qemu: qemu qemu-bridge
	@[ -n "$(SCRIPT)" ] || $(call usocket_fail,run-qemu: SCRIPT is not set (e.g. make run-qemu SCRIPT=app.py))
	@[ -f "$(SCRIPT)" ] || $(call usocket_fail,run-qemu: no such script: $(SCRIPT))
	@$(PYTHON) $(TOP)/tools/qemu_run.py --params "$(PARAMS)" $(SCRIPT)

# --- RP2 and ESP32 firmware -------------------------------------------------------
# `make rp2` builds build/rp2/firmware.uf2 for boards/RPI_PICO from registry sources
# (tools/deps_rp2.sh fetches them). RP2_BOARD=RPI_PICO_W builds the Pico W board
# dir; that one needs MICROPY_DIR= set to a full MicroPython checkout (cyw43-driver
# is in no registry).
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

rp2: deps-rp2 mpy-cross cabundle
	@if grep -qs NETWORK_CYW43 $(RP2_BOARD_DIR)/mpconfigboard.cmake \
		&& [ ! -f $(MICROPY_DIR)/lib/cyw43-driver/src/cyw43.h ]; then \
		echo "rp2: $(RP2_BOARD) needs the cyw43-driver, which is in no package registry:" >&2; \
		echo "rp2: build it with a full MicroPython checkout: make rp2 RP2_BOARD=$(RP2_BOARD) MICROPY_DIR=<checkout>" >&2; \
		echo "rp2: (git clone -b v1.26.1 <MicroPython repo> && make -C <checkout>/ports/rp2 BOARD=RPI_PICO_W submodules)" >&2; \
		exit 1; fi
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
	@USOCKET_CA_BUNDLE=$(CA_BUNDLE_PY) $(MAKE) -C $(RP2_BUILD) -j$(JOBS) $(if $(V),,-s) >$(RP2_BUILD)/build.log 2>&1 \
		|| { tail -40 $(RP2_BUILD)/build.log; echo "rp2: build failed, log: $(RP2_BUILD)/build.log"; exit 1; }
	@ls -l $(RP2_BUILD)/firmware.uf2

# `make size`: text/data/bss of each modusocket/ object and of extmod/modlwip.c for
# Cortex-M0+, then what each feature option costs (tools/size.py), and writes it
# into docs/benchmarks.md's generated block. With the RP2
# build's command line after `make rp2`; else against the benchmark firmware's
# headers, built here if needed (arm-none-eabi-gcc: `make deps-rp2`).
size: deps
	@mkdir -p $(TOP)/build
	@if [ ! -f $(RP2_BUILD)/compile_commands.json ]; then \
		$(MAKE) -s unix VARIANT=bench >$(TOP)/build/unix-bench.log 2>&1 \
		|| { tail -40 $(TOP)/build/unix-bench.log; echo "size: build failed, log: build/unix-bench.log"; exit 1; }; fi
	@$(PYTHON) $(TOP)/tools/size.py --build $(RP2_BUILD) --bench-build $(TOP)/build/unix-bench \
		--module-dir $(TOP)/modusocket --compare $(MICROPY_DIR)/extmod/modlwip.c --doc

# `make esp32` needs ESP-IDF 5.2-5.4 installed and exported (IDF_PATH, idf.py);
# it says what is missing (and fetches nothing) where it is not.
esp32:
	@$(TOP)/tools/build_esp32.sh --check
	@$(MAKE) -s deps mpy-cross cabundle
	@USOCKET_CA_BUNDLE=$(CA_BUNDLE_PY) $(TOP)/tools/build_esp32.sh $(MICROPY_DIR) $(TOP)/boards/$(ESP32_BOARD) $(ESP32_BUILD) $(MPY_LIB_DIR)

# --- Deploying and flashing ---------------------------------------------------------
# `make deploy PORT=/dev/ttyACM0` copies the frozen Python, compiled by `make mpy`, to
# the board's /lib; `make run PORT=… SCRIPT=app.py` runs an app there (mpremote;
# tools/board_run.py: a test script from host_tests/fw takes PARAMS="name=value …").
# `make flash-esp32 PORT=…` writes build/esp32/firmware.bin (esptool) and `make
# flash-rp2` loads build/rp2/firmware.uf2 (UF2 copy to the RPI-RP2 drive, or picotool).
# Every failure is one line on stderr: no PORT, no image, no board.
MPREMOTE ?= $(VENV)/bin/mpremote
ESPTOOL ?= $(VENV)/bin/esptool
# The merged image MicroPython's esp32 port builds goes at 0x1000 on the ESP32 (its
# second-stage bootloader's place); ESP32-S3/C3/C6 images go at 0x0.
ESP32_CHIP ?= esp32
ESP32_IMAGE ?= $(ESP32_BUILD)/firmware.bin
ESP32_FLASH_OFFSET ?= 0x1000
ESP32_BAUD ?= 460800
RP2_UF2 ?= $(RP2_BUILD)/firmware.uf2
# Where the Pico's BOOTSEL drive is mounted; found in the usual places when unset.
RP2_MOUNT ?= $(firstword $(wildcard /media/$(USER)/RPI-RP2 /run/media/$(USER)/RPI-RP2 /media/RPI-RP2 /mnt/RPI-RP2 /Volumes/RPI-RP2))
# picotool with USB support (deps/picotool is built without libusb, so not that one).
PICOTOOL ?= $(shell command -v picotool 2>/dev/null)

# Shell snippets: print one line to stderr and fail.
usocket_fail = { echo "$(1)" >&2; exit 1; }
# PORT must be given; a device path must exist (mpremote/esptool also take
# non-path ports such as rfc2217:// or auto, which are passed on unchecked).
usocket_check_port = \
	if [ -z "$(PORT)" ]; then $(call usocket_fail,$(1): PORT is not set (e.g. make $(1) PORT=/dev/ttyUSB0)); fi; \
	case "$(PORT)" in /*) [ -e "$(PORT)" ] || $(call usocket_fail,$(1): no board at $(PORT) (is it plugged in? ls /dev/ttyUSB* /dev/ttyACM*));; esac

.PHONY: deploy run flash-esp32 flash-rp2 deploy-check-port

# Checked before `mpy` builds anything (prerequisites run in order).
deploy-check-port:
	@$(call usocket_check_port,deploy)

deploy: deploy-check-port mpy
	@$(MPREMOTE) connect $(PORT) fs mkdir :/lib >/dev/null 2>&1 || true
	@$(MPREMOTE) connect $(PORT) fs cp -r $(TOP)/build/mpy/. :/lib/ \
		|| $(call usocket_fail,deploy: mpremote could not copy to $(PORT))

run: deps
	@$(call usocket_check_port,run)
	@[ -n "$(SCRIPT)" ] || $(call usocket_fail,run: SCRIPT is not set (e.g. make run PORT=$(PORT) SCRIPT=app.py))
	@[ -f "$(SCRIPT)" ] || $(call usocket_fail,run: no such script: $(SCRIPT))
	@$(PYTHON) $(TOP)/tools/board_run.py --mpremote $(MPREMOTE) --params "$(PARAMS)" $(PORT) $(SCRIPT)

flash-esp32: deps
	@$(call usocket_check_port,flash-esp32)
	@[ -f "$(ESP32_IMAGE)" ] || $(call usocket_fail,flash-esp32: no ESP32 image at $(ESP32_IMAGE) (build it with make esp32 where ESP-IDF is installed))
	@$(ESPTOOL) --chip $(ESP32_CHIP) --port $(PORT) --baud $(ESP32_BAUD) \
		write-flash -z $(ESP32_FLASH_OFFSET) $(ESP32_IMAGE) \
		|| $(call usocket_fail,flash-esp32: esptool could not flash the board at $(PORT))

flash-rp2:
	@[ -f "$(RP2_UF2)" ] || $(call usocket_fail,flash-rp2: no RP2 image at $(RP2_UF2) (build it with make rp2))
	@if [ -n "$(RP2_MOUNT)" ]; then \
		[ -d "$(RP2_MOUNT)" ] || $(call usocket_fail,flash-rp2: $(RP2_MOUNT) is not a mounted RPI-RP2 drive); \
		cp $(RP2_UF2) $(RP2_MOUNT)/ && sync && echo "flash-rp2: copied $(RP2_UF2) to $(RP2_MOUNT)"; \
	elif [ -n "$(PICOTOOL)" ]; then \
		$(PICOTOOL) load -x $(RP2_UF2) || $(call usocket_fail,flash-rp2: picotool found no RP2 board in BOOTSEL mode); \
	else \
		$(call usocket_fail,flash-rp2: no board: hold BOOTSEL while plugging the Pico in so RPI-RP2 mounts (or set RP2_MOUNT=dir)); \
	fi

# MicroPython's own network test suites (tests/multi_net, tests/net_hosted), run
# unmodified against the host firmware; summary in build/peer-tests.txt.
.PHONY: peer-tests
peer-tests: unix
	@$(PYTHON) $(TOP)/tools/peer_tests.py --firmware $(FIRMWARE) --tests-dir $(MICROPY_DIR)/tests $(PEER_TESTS_ARGS)

# --- Benchmarks ---------------------------------------------------------------------
# `make bench` builds the benchmark firmware (boards/unix-bench: usocket beside
# MicroPython's own extmod/modlwip.c, on one lwIP and one slirp bridge) and runs
# bench/run.py: each workload for both modules, alternately, over several rounds.
# Prints the medians and ratios; everything goes to build/bench.json.
# BENCH_ARGS passes options to bench/run.py (e.g. --rounds 3, --quick).
.PHONY: bench
bench: deps mpy-cross
	@-$(MAKE) -s qemu-bench
	@mkdir -p $(TOP)/build
	@echo "building $(TOP)/build/unix-bench/micropython (log: build/unix-bench.log)"
	@$(MAKE) -s unix VARIANT=bench >$(TOP)/build/unix-bench.log 2>&1 \
		|| { tail -40 $(TOP)/build/unix-bench.log; echo "bench: build failed, log: build/unix-bench.log"; exit 1; }
	@$(PYTHON) $(TOP)/bench/run.py --firmware $(TOP)/build/unix-bench/micropython $(BENCH_ARGS)

# `make qemu-bench` builds build/qemu-bench/firmware.elf (boards/qemu-bench): the QEMU
# target with MicroPython's modlwip beside usocket, for the Cortex-M3 instruction
# counts of `make bench` (bench/qemu_icount.py). `make bench` goes on without it,
# and without a stale copy: those rows then say n/a and why.
QEMU_BENCH_BUILD ?= $(TOP)/build/qemu-bench
.PHONY: qemu-bench
qemu-bench: deps-qemu mpy-cross
	$(call qemu_clean_on_config_change,$(QEMU_BENCH_BUILD),$(TOP)/boards/qemu/mpconfigboard.h $(TOP)/boards/qemu-bench/mpconfigboard.h)
	@mkdir -p $(QEMU_BENCH_BUILD) && rm -f $(QEMU_BENCH_BUILD)/frozen_content.c
	@$(MAKE) -C $(MICROPY_DIR)/ports/qemu -j$(JOBS) $(if $(V),,-s) \
		BOARD_DIR=$(TOP)/boards/qemu-bench BUILD=$(QEMU_BENCH_BUILD) MPY_LIB_DIR=$(MPY_LIB_DIR) \
		USER_C_MODULES=$(TOP) FROZEN_MANIFEST=$(TOP)/boards/qemu-bench/manifest.py \
		LWIP_DIR=$(LWIP_DIR) >$(QEMU_BENCH_BUILD).log 2>&1 \
		|| { tail -30 $(QEMU_BENCH_BUILD).log; rm -f $(QEMU_BENCH_BUILD)/firmware.elf; \
		     $(call usocket_fail,qemu-bench: build failed (log: $(QEMU_BENCH_BUILD).log)); }

# `make profile` builds the same firmware and runs tools/profile.py: the bench's
# socket-level and urequests workloads under callgrind, both modules, instructions
# and calls per operation (build/profile/), and the summary into docs/benchmarks.md.
# PROFILE_ARGS passes options (rows to profile, --before build/profile-base/profile.json).
.PHONY: profile
profile: deps mpy-cross
	@$(TOP)/tools/apt_install.sh $(PROFILE_APT_PACKAGES)
	@mkdir -p $(TOP)/build
	@echo "building $(TOP)/build/unix-bench/micropython (log: build/unix-bench.log)"
	@$(MAKE) -s unix VARIANT=bench >$(TOP)/build/unix-bench.log 2>&1 \
		|| { tail -40 $(TOP)/build/unix-bench.log; echo "profile: build failed, log: build/unix-bench.log"; exit 1; }
	@$(PYTHON) $(TOP)/tools/profile.py --firmware $(TOP)/build/unix-bench/micropython --doc $(PROFILE_ARGS)
