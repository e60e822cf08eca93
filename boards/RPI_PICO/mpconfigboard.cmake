# Raspberry Pi Pico with usocket: MicroPython's RPI_PICO plus lwIP, usocket as the
# `socket` module and the usocket frozen Python. Use this dir as MICROPY_BOARD_DIR.
# The Pico has no network interface: lwIP runs without a netif, which is enough to
# build and size the module and to run it (a connect then fails with an OSError).
set(PICO_BOARD "pico")
set(PICO_PLATFORM "rp2040")

# lwIP compiled, initialised at boot and polled from PendSV by the port
# (mpnetworkport.c). usocket's micropython.cmake drops the port's own socket layer
# on it (extmod/modlwip.c), so `socket` is usocket.
set(MICROPY_PY_LWIP ON)

# usocket itself, with the hooks in this dir's usocket_port.h (its micropython.cmake
# is include-guarded, so passing it again in USER_C_MODULES is harmless).
set(USOCKET_BOARD_DIR ${CMAKE_CURRENT_LIST_DIR})
list(APPEND USER_C_MODULES ${CMAKE_CURRENT_LIST_DIR}/../../micropython.cmake)

set(MICROPY_FROZEN_MANIFEST ${CMAKE_CURRENT_LIST_DIR}/manifest.py)
