// Generic ESP32 module with usocket (see mpconfigboard.cmake).
#define MICROPY_HW_BOARD_NAME                   "Generic ESP32 module (usocket)"
#define MICROPY_HW_MCU_NAME                     "ESP32"
