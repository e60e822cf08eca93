#!/usr/bin/env bash
# Fetch and prepare everything the build and the tests need, idempotently.
#
#   - Debian binary packages (APT_PACKAGES) through the system's apt;
#   - MicroPython, lwIP and mbedTLS sources from Debian source packages, through a
#     private apt configuration in deps/apt whose source lines are derived from the
#     machine's own Debian apt source (same URI), so the system setup is untouched;
#   - a Python virtual environment in deps/venv with PIP_PACKAGES.
#
# Versions come from versions.mk via the environment (the Makefile exports them).
# A stamp file per step makes a second run take well under a second.
set -euo pipefail

: "${MICROPY_DEB_VERSION:?run through make deps}"
: "${LWIP_DEB_VERSION:?}" "${MBEDTLS_DEB_VERSION:?}" "${APT_PACKAGES:?}" "${PIP_PACKAGES:?}"

top=$(cd "$(dirname "$0")/.." && pwd)
deps=${DEPS_DIR:-$top/deps}
mkdir -p "$deps"
cd "$deps"

log() { printf 'deps: %s\n' "$*" >&2; }
stamp_ok() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }

# --- 1. Debian binary packages -------------------------------------------------
"$top/tools/apt_install.sh" $APT_PACKAGES

# --- 2. private apt configuration for source packages ---------------------------
apt_dir=$deps/apt
debian_uri() {
    # The machine's own Debian mirror, from deb822 or one-line sources.
    local f uri=""
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        uri=$(awk '/^URIs:/ && $2 ~ /debian\/?$/ {print $2; exit}' "$f")
        [ -n "$uri" ] && break
    done
    if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
        uri=$(awk '$1 == "deb" && $2 ~ /debian\/?$/ {print $2; exit}' /etc/apt/sources.list)
    fi
    [ -n "$uri" ] || { echo "deps: no Debian apt source found on this machine" >&2; exit 1; }
    echo "$uri"
}
uri=$(debian_uri)
want="$uri trixie sid"
if ! stamp_ok "$apt_dir/.stamp" "$want"; then
    log "private apt configuration for source packages"
    rm -rf "$apt_dir"
    mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/sourceparts"
    printf 'Types: deb-src\nURIs: %s\nSuites: trixie sid\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
        "$uri" > "$apt_dir/sourceparts/extra.sources"
    printf 'Dir::Etc::SourceList "/dev/null";\nDir::Etc::SourceParts "%s/sourceparts";\nDir::State::Lists "%s/lists";\nDir::Cache "%s/cache";\nAPT::Sandbox::User "root";\n' \
        "$apt_dir" "$apt_dir" "$apt_dir" > "$apt_dir/apt.conf"
    APT_CONFIG=$apt_dir/apt.conf apt-get update -qq
    echo "$want" > "$apt_dir/.stamp"
fi
export APT_CONFIG=$apt_dir/apt.conf

# fetch_orig NAME VERSION: the upstream (orig) tarball of a source package into
# deps/dl, hash-checked. Some revisions lack a .dsc on the mirror, so only the
# orig file is fetched, by the URI and hash apt itself reports.
fetch_orig() {
    local name=$1 version=$2 line url file hash
    mkdir -p "$deps/dl"
    line=$(apt-get source --print-uris "$name=$version" 2>/dev/null | grep -E "\.orig\.tar\.[a-z0-9]+' " | head -1)
    [ -n "$line" ] || { echo "deps: $name $version not found in the Debian source index" >&2; exit 1; }
    url=$(echo "$line" | awk '{print $1}' | tr -d "'")
    file=$(echo "$line" | awk '{print $2}')
    hash=$(echo "$line" | awk '{print $4}')
    if [ ! -f "$deps/dl/$file" ]; then
        log "downloading $file"
        /usr/lib/apt/apt-helper download-file "$url" "$deps/dl/$file.part" "$hash" >/dev/null
        mv "$deps/dl/$file.part" "$deps/dl/$file"
    fi
    echo "$deps/dl/$file"
}

# unpack NAME VERSION DIR: the orig tarball unpacked into DIR (top directory stripped).
unpack() {
    local name=$1 version=$2 dir=$3 tarball
    if stamp_ok "$dir/.usocket-stamp" "$version"; then return; fi
    tarball=$(fetch_orig "$name" "$version")
    log "unpacking $name $version into ${dir#$top/}"
    rm -rf "$dir"
    mkdir -p "$dir"
    tar -xf "$tarball" -C "$dir" --strip-components=1
    echo "$version" > "$dir/.usocket-stamp"
}

unpack micropython "$MICROPY_DEB_VERSION" "$deps/micropython"
unpack lwip "$LWIP_DEB_VERSION" "$deps/lwip"
unpack mbedtls "$MBEDTLS_DEB_VERSION" "$deps/mbedtls"

# The Debian MicroPython tree has empty lib/ submodules. The unix build wants
# lib/mbedtls (for ssl) and a micropython-lib directory with a README.md (checked by
# the build even when no manifest requires anything from it).
mp=$deps/micropython
if [ ! -e "$mp/lib/mbedtls/include/mbedtls/ssl.h" ]; then
    rm -rf "$mp/lib/mbedtls"
    ln -s "$deps/mbedtls" "$mp/lib/mbedtls"
fi
mkdir -p "$deps/micropython-lib"
[ -f "$deps/micropython-lib/README.md" ] || echo "placeholder: micropython-lib is in no registry" > "$deps/micropython-lib/README.md"

# --- 3. Python virtual environment ---------------------------------------------------
venv=$deps/venv
if ! stamp_ok "$venv/.stamp" "$PIP_PACKAGES"; then
    log "Python environment: $PIP_PACKAGES"
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check $PIP_PACKAGES
    echo "$PIP_PACKAGES" > "$venv/.stamp"
fi
log "ready"
