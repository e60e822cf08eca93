// mbedTLS configuration of the QEMU target (MBEDTLS_CONFIG_FILE, see
// mpconfigboard.mk): MicroPython's bare-metal settings (mbedTLS allocates from the GC
// heap through m_tracked_calloc; entropy and time come from the board) on top of
// its common configuration, as ports/stm32 and ports/rp2 do. The board's side is in
// mbedtls_port.c.
#ifndef USOCKET_QEMU_MBEDTLS_CONFIG_BOARD_H
#define USOCKET_QEMU_MBEDTLS_CONFIG_BOARD_H

// Certificate validity is checked against the board clock (the PC's time, read at
// the first call, see qemu_board.c), in seconds since 1970.
#include <time.h>
time_t usocket_qemu_mbedtls_time(time_t *timer);
#define MBEDTLS_PLATFORM_TIME_MACRO usocket_qemu_mbedtls_time
#define MBEDTLS_PLATFORM_MS_TIME_ALT

// The same curve arithmetic as the Pico build (faster NIST curves, ~1 KiB of flash).
#define MBEDTLS_ECP_NIST_OPTIM

#define MICROPY_MBEDTLS_CONFIG_BARE_METAL (1)

#include "extmod/mbedtls/mbedtls_config_common.h"

#endif // USOCKET_QEMU_MBEDTLS_CONFIG_BOARD_H
