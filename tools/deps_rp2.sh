#!/usr/bin/env bash
# Fetch and prepare what the RP2 firmware build needs, idempotently. Run by
# `make deps-rp2` after `make deps` (which provides MicroPython, lwIP, mbedTLS and the
# private deb-src apt configuration in deps/apt):
#
#   - the cross toolchain and cmake (RP2_APT_PACKAGES) through the system's apt;
#   - pico-sdk and tinyusb from Debian trixie's arch-all binary packages, through a
#     second private apt configuration (deps/apt-rp2, `deb` lines, same mirror URI as
#     the machine's own Debian source), unpacked with dpkg-deb;
#   - picotool, built from the orig tarball of its Debian source package without
#     libusb (it only has to write .uf2 files; the trixie binary needs a newer glibc);
#   - MicroPython's empty lib/ submodules (pico-sdk, tinyusb, lwip) filled with
#     symlinks to the unpacked sources, when MicroPython is our deps/ copy.
#
# Versions come from versions.mk via the environment (the Makefile exports them).
set -euo pipefail

: "${PICO_SDK_DEB_VERSION:?run through make deps-rp2}"
: "${TINYUSB_DEB_VERSION:?}" "${PICOTOOL_DEB_VERSION:?}" "${RP2_APT_PACKAGES:?}"

top=$(cd "$(dirname "$0")/.." && pwd)
deps=${DEPS_DIR:-$top/deps}
mp=${MICROPY_DIR:-$deps/micropython}
[ -f "$deps/apt/apt.conf" ] || { echo "deps-rp2: run 'make deps' first" >&2; exit 1; }
cd "$deps"

log() { printf 'deps-rp2: %s\n' "$*" >&2; }
stamp_ok() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }

# --- 1. cross toolchain ------------------------------------------------------------
"$top/tools/apt_install.sh" $RP2_APT_PACKAGES

# --- 2. private apt configuration for trixie binary packages ----------------------
# The source configuration (deps/apt) has deb-src lines only; binary indexes live in a
# separate directory so neither configuration's stamp invalidates the other.
apt_dir=$deps/apt-rp2
uri=$(awk '/^URIs:/ {print $2; exit}' "$deps/apt/sourceparts/extra.sources")
want="$uri trixie"
if ! stamp_ok "$apt_dir/.stamp" "$want"; then
    log "private apt configuration for trixie binary packages"
    rm -rf "$apt_dir"
    mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/sourceparts"
    printf 'Types: deb\nURIs: %s\nSuites: trixie\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
        "$uri" > "$apt_dir/sourceparts/trixie.sources"
    printf 'Dir::Etc::SourceList "/dev/null";\nDir::Etc::SourceParts "%s/sourceparts";\nDir::State::Lists "%s/lists";\nDir::Cache "%s/cache";\nAPT::Sandbox::User "root";\n' \
        "$apt_dir" "$apt_dir" "$apt_dir" > "$apt_dir/apt.conf"
    APT_CONFIG=$apt_dir/apt.conf apt-get update -qq
    echo "$want" > "$apt_dir/.stamp"
fi

# unpack_deb PACKAGE VERSION: the binary package (arch all) unpacked into
# deps/pkg/PACKAGE (its files under usr/src/...). apt checks the hash.
unpack_deb() {
    local name=$1 version=$2 dir=$deps/pkg/$1 deb
    if stamp_ok "$dir/.usocket-stamp" "$version"; then return; fi
    mkdir -p "$deps/dl"
    deb=$(ls "$deps/dl/${name}_${version/*:/}_"*.deb 2>/dev/null | head -1 || true)
    if [ -z "$deb" ]; then
        log "downloading $name $version"
        (cd "$deps/dl" && APT_CONFIG=$apt_dir/apt.conf apt-get download -qq "$name=$version")
        deb=$(ls "$deps/dl/${name}_${version/*:/}_"*.deb | head -1)
    fi
    log "unpacking $name $version into ${dir#$top/}"
    rm -rf "$dir"
    mkdir -p "$dir"
    dpkg-deb -x "$deb" "$dir"
    echo "$version" > "$dir/.usocket-stamp"
}

unpack_deb pico-sdk-source "$PICO_SDK_DEB_VERSION"
unpack_deb tinyusb-source "$TINYUSB_DEB_VERSION"
sdk=$deps/pkg/pico-sdk-source/usr/src/pico-sdk
tinyusb=$deps/pkg/tinyusb-source/usr/src/tinyusb
[ -f "$sdk/pico_sdk_init.cmake" ] || { echo "deps-rp2: no pico-sdk in the pico-sdk-source package" >&2; exit 1; }
[ -d "$tinyusb/src" ] || { echo "deps-rp2: no tinyusb in the tinyusb-source package" >&2; exit 1; }
# The package points the SDK's own lib/ entries at other packages' install paths; the
# MicroPython port brings its own tinyusb/lwip, so drop the dangling links.
for l in "$sdk"/lib/*; do
    if [ -L "$l" ] && [ ! -e "$l" ]; then rm -f "$l"; fi
done

# --- 3. picotool (host tool that turns the ELF into firmware.uf2) ---------------------
# Only the orig tarball exists on the mirror for this revision: fetch it by the URI and
# hash apt reports, through the deb-src configuration of `make deps`.
picotool=$deps/picotool
if ! stamp_ok "$picotool/.usocket-stamp" "$PICOTOOL_DEB_VERSION"; then
    line=$(APT_CONFIG=$deps/apt/apt.conf apt-get source --print-uris "picotool=$PICOTOOL_DEB_VERSION" 2>/dev/null \
        | grep -E "\.orig\.tar\.[a-z0-9]+' " | head -1)
    [ -n "$line" ] || { echo "deps-rp2: picotool $PICOTOOL_DEB_VERSION not found in the Debian source index" >&2; exit 1; }
    url=$(echo "$line" | awk '{print $1}' | tr -d "'")
    file=$(echo "$line" | awk '{print $2}')
    hash=$(echo "$line" | awk '{print $4}')
    if [ ! -f "$deps/dl/$file" ]; then
        log "downloading $file"
        APT_CONFIG=$deps/apt/apt.conf /usr/lib/apt/apt-helper download-file "$url" "$deps/dl/$file.part" "$hash" >/dev/null
        mv "$deps/dl/$file.part" "$deps/dl/$file"
    fi
    log "building picotool $PICOTOOL_DEB_VERSION (no libusb)"
    rm -rf "$deps/picotool-src" "$deps/picotool-build" "$picotool"
    mkdir -p "$deps/picotool-src"
    tar -xf "$deps/dl/$file" -C "$deps/picotool-src" --strip-components=1
    cmake -S "$deps/picotool-src" -B "$deps/picotool-build" -DCMAKE_BUILD_TYPE=Release \
        -DPICO_SDK_PATH="$sdk" -DPICOTOOL_NO_LIBUSB=1 -DFETCHCONTENT_FULLY_DISCONNECTED=ON \
        -DCMAKE_INSTALL_PREFIX="$picotool" >"$deps/picotool-build.log" 2>&1 \
        && make -C "$deps/picotool-build" -j"${JOBS:-2}" install >>"$deps/picotool-build.log" 2>&1 \
        || { echo "deps-rp2: picotool build failed, see $deps/picotool-build.log" >&2; exit 1; }
    rm -rf "$deps/picotool-build"
    echo "$PICOTOOL_DEB_VERSION" > "$picotool/.usocket-stamp"
fi

# --- 4. MicroPython's lib/ submodules ----------------------------------------------------
# Only our own deps/ copy is touched; a user's checkout (MICROPY_DIR=) has real submodules.
# lib/mbedtls is linked by `make deps`. The rp2 port's make wrapper (not used by
# `make rp2`, which runs cmake itself) checks for lib/pico-sdk/README.md, which the
# package lacks: a placeholder keeps the wrapper usable too.
link_lib() {
    local name=$1 target=$2
    if [ "$(readlink "$mp/lib/$name" 2>/dev/null)" != "$target" ]; then
        rm -rf "$mp/lib/$name"
        ln -s "$target" "$mp/lib/$name"
    fi
}
if [ "$mp" = "$deps/micropython" ]; then
    link_lib pico-sdk "$sdk"
    link_lib tinyusb "$tinyusb"
    link_lib lwip "$deps/lwip"
    [ -f "$mp/lib/pico-sdk/README.md" ] || echo "placeholder for the rp2 make wrapper" > "$mp/lib/pico-sdk/README.md"
fi
log "ready"
