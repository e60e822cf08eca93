// Raspberry Pi Pico with usocket (see mpconfigboard.cmake).
#define MICROPY_HW_BOARD_NAME                   "Raspberry Pi Pico (usocket)"
// 2 MiB flash: firmware first, the filesystem in the rest.
#define MICROPY_HW_FLASH_STORAGE_BYTES          (1408 * 1024)

// The `network` module: hostname, country, network.ipconfig (lwIP's DNS servers);
// no interface on this board. The port's lwIP glue needs it too (mpnetworkport.c
// calls into extmod/network_lwip.c). It also turns on `tls` (mbedTLS, which the port
// always builds), used by the frozen ssl.py and by HTTPS in urequests.
#define MICROPY_PY_NETWORK                      (1)
// usocket is the socket module: the port's own is off (with lwIP it would be
// extmod/modlwip.c, which micropython.cmake also leaves out of the build).
#define MICROPY_PY_SOCKET                       (0)
// WebREPL's server relies on socket event callbacks, which usocket doesn't offer.
#define MICROPY_PY_WEBREPL                      (0)

// lwIP options usocket relies on beyond the port's lwipopts.h (lwIP's opt.h only
// defaults what is still undefined, and this header is read first). TCP keep-alive
// is what SO_KEEPALIVE and QuecPython's TCP_KEEPALIVE set: about 300 bytes of flash.
#define LWIP_TCP_KEEPALIVE                      (1)

// Soft reset: after the finalisers closed the VM's sockets, drop what they left
// closing in lwIP (modusocket/usocket.h). The port defines no deinit hook of its own.
void usocket_deinit(void);
#define MICROPY_PORT_DEINIT_FUNC                usocket_deinit()
