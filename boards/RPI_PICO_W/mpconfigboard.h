// Raspberry Pi Pico W with usocket (see mpconfigboard.cmake).
#define MICROPY_HW_BOARD_NAME                   "Raspberry Pi Pico W (usocket)"
// 2 MiB flash: firmware (with the cyw43 firmware blob) first, the filesystem in the
// rest, as MicroPython's RPI_PICO_W lays it out.
#define MICROPY_HW_FLASH_STORAGE_BYTES          (848 * 1024)

// Networking: network.WLAN on the cyw43 chip, with `tls` for the frozen ssl.py.
#define MICROPY_PY_NETWORK                      (1)
#define MICROPY_PY_NETWORK_HOSTNAME_DEFAULT     "PicoW"
// usocket is the socket module: the port's own is off (with lwIP it would be
// extmod/modlwip.c, which micropython.cmake also leaves out of the build).
#define MICROPY_PY_SOCKET                       (0)
// WebREPL's server relies on socket event callbacks, which usocket doesn't offer.
#define MICROPY_PY_WEBREPL                      (0)

// lwIP options usocket relies on beyond the port's lwipopts.h: TCP keep-alive (what
// SO_KEEPALIVE and QuecPython's TCP_KEEPALIVE set), about 300 bytes of flash.
#define LWIP_TCP_KEEPALIVE                      (1)

// CYW43 driver configuration, as in MicroPython's RPI_PICO_W.
#define CYW43_USE_SPI                           (1)
#define CYW43_LWIP                              (1)
#define CYW43_GPIO                              (1)
#define CYW43_SPI_PIO                           (1)

#define MICROPY_HW_PIN_EXT_COUNT                CYW43_WL_GPIO_COUNT

// If this returns true for a pin then its irq will not be disabled on a soft reboot.
int mp_hal_is_pin_reserved(int n);
#define MICROPY_HW_PIN_RESERVED(i)              mp_hal_is_pin_reserved(i)

// Soft reset: after the finalisers closed the VM's sockets, drop what they left
// closing in lwIP (modusocket/usocket.h). The port defines no deinit hook of its own.
void usocket_deinit(void);
#define MICROPY_PORT_DEINIT_FUNC                usocket_deinit()
