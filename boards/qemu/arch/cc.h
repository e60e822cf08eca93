// lwIP's compiler/platform header for the QEMU target. The firmware links no C
// library (the qemu port uses -nostdlib and MicroPython's own string functions), so
// lwIP must not use ctype.h or printf.
#ifndef USOCKET_QEMU_ARCH_CC_H
#define USOCKET_QEMU_ARCH_CC_H

#define LWIP_NO_CTYPE_H 1

unsigned int usocket_qemu_rand(void);
#define LWIP_RAND() ((u32_t)usocket_qemu_rand())

void usocket_qemu_lwip_assert(const char *msg, const char *file, int line);
#define LWIP_PLATFORM_DIAG(x) do { } while (0)
#define LWIP_PLATFORM_ASSERT(x) usocket_qemu_lwip_assert((x), __FILE__, __LINE__)

#endif // USOCKET_QEMU_ARCH_CC_H
