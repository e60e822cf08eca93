#!/usr/bin/env bash
# Build the ESP32 firmware (run by `make esp32`): MicroPython's esp32 port with the
# board dir boards/ESP32_GENERIC (usocket, sdkconfig fragment, frozen Python), using
# an ESP-IDF 5.2-5.4 installation. ESP-IDF is in no package registry, so this only
# checks for it and says what is missing.
#
#   build_esp32.sh --check                                  (only look for ESP-IDF)
#   build_esp32.sh MICROPY_DIR BOARD_DIR BUILD_DIR MPY_LIB_DIR
#
# Produces BUILD_DIR/firmware.bin (bootloader + partition table + app, written at
# 0x1000), as the port's own make wrapper does.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)

fail() {
    echo "esp32: $*" >&2
    exit 1
}

if [ -z "${IDF_PATH:-}" ]; then
    fail "ESP-IDF not found (IDF_PATH is not set). Install ESP-IDF 5.2, 5.3 or 5.4 (it is in no package registry: Espressif's installer or a git clone of esp-idf v5.4), then run '. \$IDF_PATH/export.sh' and 'make esp32' again."
fi
[ -f "$IDF_PATH/tools/cmake/project.cmake" ] || fail "IDF_PATH=$IDF_PATH is not an ESP-IDF tree (no tools/cmake/project.cmake)"

ver_h=$IDF_PATH/components/esp_common/include/esp_idf_version.h
ver() { awk -v k="ESP_IDF_VERSION_$1" '$1 == "#define" && $2 == k {print $3}' "$ver_h"; }
[ -f "$ver_h" ] || fail "no $ver_h: cannot tell the ESP-IDF version"
idf_version="$(ver MAJOR).$(ver MINOR).$(ver PATCH)"
case "$(ver MAJOR).$(ver MINOR)" in
    5.2 | 5.3 | 5.4) ;;
    *) fail "ESP-IDF $idf_version at $IDF_PATH; this board dir is for ESP-IDF 5.2-5.4 (MicroPython 1.26's esp32 port)" ;;
esac
command -v idf.py >/dev/null || fail "idf.py is not on PATH: run '. $IDF_PATH/export.sh' first"
[ "${1:-}" = "--check" ] && exit 0

mp=$1 board_dir=$2 build=$3 mpy_lib=$4

echo "building $build/firmware.bin (ESP32_GENERIC, ESP-IDF $idf_version)"
mkdir -p "$build"
# The port's CMakeLists reads its board sdkconfig fragments relative to ports/esp32.
cd "$mp/ports/esp32"
idf.py -B "$build" \
    -D MICROPY_BOARD=ESP32_GENERIC -D MICROPY_BOARD_DIR="$board_dir" \
    -D USER_C_MODULES="$top/micropython.cmake" -D MICROPY_LIB_DIR="$mpy_lib" \
    build
python makeimg.py \
    "$build/sdkconfig" \
    "$build/bootloader/bootloader.bin" \
    "$build/partition_table/partition-table.bin" \
    "$build/micropython.bin" \
    "$build/firmware.bin" \
    "$build/micropython.uf2"
ls -l "$build/firmware.bin"
