// usocket port hooks for the QEMU target: lwIP runs with NO_SYS=1 on the MicroPython
// thread, on the LAN9118 Ethernet netif and the loopback one. The controller's
// interrupt is not used, so waiting is polling: received frames, the loopback queue
// and lwIP's timers are serviced on every turn of the wait loop (and by time.sleep,
// see qemu_board.c).
#ifndef USOCKET_QEMU_PORT_H
#define USOCKET_QEMU_PORT_H

void usocket_qemu_lwip_init(void);
void usocket_qemu_lwip_poll(void);
bool usocket_qemu_lwip_started(void);

#define USOCKET_PORT_INIT() usocket_qemu_lwip_init()
#define USOCKET_EVENT_POLL() usocket_qemu_lwip_poll()
#define USOCKET_EVENT_WAIT(timeout_ms) usocket_qemu_lwip_poll()

#endif // USOCKET_QEMU_PORT_H
