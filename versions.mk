# Every external dependency, pinned in one place. Read by the Makefile and by
# tools/deps.sh (which receives these as environment variables).

# Debian source packages (fetched into deps/ by `make deps`).
MICROPY_DEB_VERSION := 1.26.1+ds-1
LWIP_DEB_VERSION := 2.2.1+dfsg1-9
MBEDTLS_DEB_VERSION := 3.6.7-3

# Debian binary packages the host build and tests need.
APT_PACKAGES := build-essential pkg-config libffi-dev libslirp-dev libglib2.0-dev python3 xz-utils bzip2 uncrustify ca-certificates mosquitto mosquitto-clients curl

# PyPI packages for the tests and tools.
PIP_PACKAGES := pytest==9.0.3 pytest-timeout==2.4.0 ruff==0.17.5 mypy==2.4.1 setuptools==84.2.1 mpremote==1.26.1 esptool==5.6.0 gcovr==8.8 coverage==7.17.3 websockets==17.4

# MicroPython libraries from PyPI published only as sdists, run unmodified on the
# firmware by the tests: fetched at test time into build/mpy-lib by
# tools/fetch_mpy_lib.py (pip cannot install an sdist without setup.py, only
# download and unpack it), never into the repo.
MPY_LIB_SDISTS := micropython-umqtt.simple==1.3.4 micropython-umqtt.robust==1.0 micropython-mqtt==0.7b4

# MicroPython libraries from PyPI that ship a wheel, run unmodified on the firmware
# by the tests: installed at test time with `pip install --target` into
# build/mpy-lib-wheels/<pin> (host_tests/test_microdot.py), never into the repo.
MPY_LIB_WHEELS := microdot==2.7.0

# RP2 firmware (`make rp2`, fetched by tools/deps_rp2.sh): pico-sdk and tinyusb from
# Debian trixie's arch-all binary packages, picotool from its Debian source package
# (orig tarball, built without libusb), the cross toolchain (GCC 12.2) through apt.
PICO_SDK_DEB_VERSION := 2.1.1-1
TINYUSB_DEB_VERSION := 0.18.0+dfsg-1
PICOTOOL_DEB_VERSION := 2.1.1+dfsg-1
RP2_APT_PACKAGES := gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib cmake
# The QEMU target (boards/qemu): the same cross compiler (GCC 12.2) and QEMU 7.2.
QEMU_APT_PACKAGES := gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm
# `make profile` (tools/profile.py): valgrind's callgrind counts the benchmark
# firmware's instructions.
PROFILE_APT_PACKAGES := valgrind
