# Raspberry Pi Pico W with usocket: Wi-Fi (cyw43) and lwIP, usocket as the `socket`
# module and the usocket frozen Python. Use this dir as MICROPY_BOARD_DIR with a full
# MicroPython checkout (its lib/cyw43-driver submodule; the driver is in no package
# registry): make rp2 RP2_BOARD=RPI_PICO_W MICROPY_DIR=<checkout>.
set(PICO_BOARD "pico_w")

# lwIP compiled, initialised at boot and polled by the port; the cyw43 driver is its
# netif (network.WLAN). usocket's micropython.cmake drops extmod/modlwip.c.
set(MICROPY_PY_LWIP ON)
set(MICROPY_PY_NETWORK_CYW43 ON)

# Bluetooth (btstack, and aioble from micropython-lib) is left out: nothing in the
# usocket package needs it, and it is sizeable. MicroPython's own
# RPI_PICO_W board dir shows the three settings that turn it on.

# usocket with the rp2 hooks, shared with RPI_PICO (the same lock and wake-up).
set(USOCKET_BOARD_DIR ${CMAKE_CURRENT_LIST_DIR}/../RPI_PICO)
list(APPEND USER_C_MODULES ${CMAKE_CURRENT_LIST_DIR}/../../micropython.cmake)

set(MICROPY_FROZEN_MANIFEST ${CMAKE_CURRENT_LIST_DIR}/manifest.py)
