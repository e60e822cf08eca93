// usocket port hooks for ESP32 (ESP-IDF 5.2-5.4): lwIP runs in ESP-IDF's tcpip
// thread, so lwIP callbacks run concurrently with MicroPython, on that thread.
#ifndef USOCKET_ESP32_PORT_H
#define USOCKET_ESP32_PORT_H

#include "sdkconfig.h"
#include "esp_netif.h"
#include "lwip/tcpip.h"

#if !CONFIG_LWIP_TCPIP_CORE_LOCKING
#error "usocket needs CONFIG_LWIP_TCPIP_CORE_LOCKING=y (boards/ESP32_GENERIC/sdkconfig.usocket)"
#endif

// Starts the tcpip thread if no network interface has yet (esp_netif_init is
// idempotent), as the port's own socket module does on import.
#define USOCKET_PORT_INIT() ((void)esp_netif_init())

// The lwIP core lock: every raw-API call runs under it, as if on the tcpip thread.
#define USOCKET_LWIP_LOCK() LOCK_TCPIP_CORE()
#define USOCKET_LWIP_UNLOCK() UNLOCK_TCPIP_CORE()

// Waiting is the default (mp_event_wait_ms: the port's event-poll hook, which
// releases the GIL and sleeps on the task notification for up to one tick). A
// callback notifies MicroPython's main task so it wakes at once; other Python
// threads notice within the tick.
void mp_hal_wake_main_task(void);
#define USOCKET_EVENT_SIGNAL() mp_hal_wake_main_task()

#endif // USOCKET_ESP32_PORT_H
