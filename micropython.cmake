# usocket for MicroPython's cmake ports (rp2, esp32): pass this file as
# USER_C_MODULES. The make ports (unix) use modusocket/micropython.mk instead.
#
# The port hooks come from <board dir>/usocket_port.h. The board dir is
# USOCKET_BOARD_DIR when set (e.g. -DUSOCKET_BOARD_DIR=<this repo>/boards/RPI_PICO_W
# when building one of MicroPython's own boards); otherwise the MicroPython board
# dir if it has a usocket_port.h (our boards/<BOARD> used as MICROPY_BOARD_DIR);
# otherwise our reference board for the port (rp2: boards/RPI_PICO, esp32:
# boards/ESP32_GENERIC).

# A board dir may list this file in USER_C_MODULES as well as the build command.
include_guard(GLOBAL)

set(USOCKET_TOP ${CMAKE_CURRENT_LIST_DIR})

if(NOT USOCKET_BOARD_DIR)
    if(EXISTS ${MICROPY_BOARD_DIR}/usocket_port.h)
        set(USOCKET_BOARD_DIR ${MICROPY_BOARD_DIR})
    elseif(MICROPY_PORT_DIR MATCHES "/rp2$")
        set(USOCKET_BOARD_DIR ${USOCKET_TOP}/boards/RPI_PICO)
    elseif(MICROPY_PORT_DIR MATCHES "/esp32$")
        set(USOCKET_BOARD_DIR ${USOCKET_TOP}/boards/ESP32_GENERIC)
    else()
        message(FATAL_ERROR "usocket: set USOCKET_BOARD_DIR to a dir with a usocket_port.h")
    endif()
endif()
get_filename_component(USOCKET_BOARD_DIR ${USOCKET_BOARD_DIR} ABSOLUTE)
if(NOT EXISTS ${USOCKET_BOARD_DIR}/usocket_port.h)
    message(FATAL_ERROR "usocket: no usocket_port.h in ${USOCKET_BOARD_DIR}")
endif()
message("usocket: port hooks from ${USOCKET_BOARD_DIR}/usocket_port.h")

add_library(usermod_usocket INTERFACE)

target_sources(usermod_usocket INTERFACE
    ${USOCKET_TOP}/modusocket/modusocket.c
    ${USOCKET_TOP}/modusocket/usocket_socket.c
    ${USOCKET_TOP}/modusocket/usocket_errno.c
    ${USOCKET_TOP}/modusocket/usocket_stats.c
)

target_include_directories(usermod_usocket INTERFACE
    ${USOCKET_TOP}/modusocket
)

set(USOCKET_PORT_HEADER_DEF "USOCKET_PORT_HEADER=\"${USOCKET_BOARD_DIR}/usocket_port.h\"")
target_compile_definitions(usermod_usocket INTERFACE ${USOCKET_PORT_HEADER_DEF})
# The qstr and module-registration scan preprocesses the sources with the firmware
# target's own definitions only; give it the port header too, so it sees the same
# options as the compiler.
list(APPEND MICROPY_CPP_DEF_EXTRA ${USOCKET_PORT_HEADER_DEF})

target_link_libraries(usermod INTERFACE usermod_usocket)

# Where the port owns lwipopts.h (rp2), lwIP 2.2.1's ephemeral-port fix reaches
# lwIP's tcp.c by being force-included into the firmware's sources (it is three
# macros, guarded). ESP-IDF compiles its lwIP as a separate component, out of reach.
if(MICROPY_PY_LWIP)
    target_compile_options(usermod_usocket INTERFACE
        -include ${USOCKET_TOP}/modusocket/usocket_lwip_port_range.h
    )
endif()

# usocket is the `socket` module. On ports that build lwIP themselves (rp2 with
# MICROPY_PY_LWIP), lwIP stays (compiled, initialised and polled by the port) but
# MicroPython's own socket layer on it, extmod/modlwip.c, is dropped: it would
# register `socket` (and `lwip`) as well. This list is the port's extmod source list,
# read after user modules are included, for both compiling and the module scan.
# ESP32 compiles its own socket module (ports/esp32/modsocket.c) unconditionally;
# there usocket's plain builtin registration takes precedence over that port's
# extensible one (see boards/ESP32_GENERIC/mpconfigboard.cmake).
if(MICROPY_PY_LWIP)
    list(REMOVE_ITEM MICROPY_SOURCE_EXTMOD ${MICROPY_EXTMOD_DIR}/modlwip.c)
endif()
