# Every external dependency, pinned in one place. Read by the Makefile and by
# tools/deps.sh (which receives these as environment variables).

# Debian source packages (fetched into deps/ by `make deps`).
MICROPY_DEB_VERSION := 1.26.1+ds-1
LWIP_DEB_VERSION := 2.2.1+dfsg1-9
MBEDTLS_DEB_VERSION := 3.6.7-3

# Debian binary packages the host build and tests need.
APT_PACKAGES := build-essential pkg-config libffi-dev libslirp-dev libglib2.0-dev python3 xz-utils bzip2

# PyPI packages for the tests and tools.
PIP_PACKAGES := pytest==9.0.3 pytest-timeout==2.4.0 ruff==0.17.5
