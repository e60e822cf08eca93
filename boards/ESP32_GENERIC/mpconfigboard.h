// Generic ESP32 module with usocket (see mpconfigboard.cmake).
#define MICROPY_HW_BOARD_NAME                   "Generic ESP32 module (usocket)"
#define MICROPY_HW_MCU_NAME                     "ESP32"

// Soft reset: after the finalisers closed the VM's sockets, drop what they left
// closing in lwIP (modusocket/usocket.h). The port defines no deinit hook of its own.
void usocket_deinit(void);
#define MICROPY_PORT_DEINIT_FUNC                usocket_deinit()
