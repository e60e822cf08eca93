# Generic ESP32 module with usocket: MicroPython's ESP32_GENERIC, usocket as the
# `socket` module on ESP-IDF's lwIP, and the usocket frozen Python. Use this dir as
# MICROPY_BOARD_DIR with ESP-IDF 5.2-5.4 (`make esp32`).
#
# On ESP-IDF lwIP runs in its own thread (tcpip_thread); usocket calls the raw API
# from MicroPython's task holding the core lock, which sdkconfig.usocket turns on.
#
# The port compiles its own socket module (ports/esp32/modsocket.c, on lwIP's
# sockets API) unconditionally; its WebREPL event hook lives there. That module
# registers `socket` as an extensible builtin, usocket as a plain builtin: for a
# name registered twice the module table generator (py/makemoduledefs.py, which
# sorts the registrations) emits the plain one last, and it wins in both module
# tables. So `import socket` and `import usocket` give usocket, and the port's module
# object is left unreferenced (the linker drops most of it).
set(IDF_TARGET esp32)

set(SDKCONFIG_DEFAULTS
    boards/sdkconfig.base
    boards/sdkconfig.ble
    ${CMAKE_CURRENT_LIST_DIR}/sdkconfig.usocket
)

# btree needs lib/berkeley-db-1.xx, which the Debian MicroPython tree leaves empty;
# a full checkout has it.
if(NOT EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/../../lib/berkeley-db-1.xx/README)
    set(MICROPY_PY_BTREE OFF)
endif()

# usocket itself, with the hooks in this dir's usocket_port.h.
set(USOCKET_BOARD_DIR ${CMAKE_CURRENT_LIST_DIR})
list(APPEND USER_C_MODULES ${CMAKE_CURRENT_LIST_DIR}/../../micropython.cmake)

set(MICROPY_FROZEN_MANIFEST ${CMAKE_CURRENT_LIST_DIR}/manifest.py)
