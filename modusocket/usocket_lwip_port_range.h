// lwIP's ephemeral TCP port range, with a fix for lwIP 2.2.1.
//
// tcp_init() starts tcp_port at TCP_ENSURE_LOCAL_PORT_RANGE(LWIP_RAND()), which
// lwIP's own definition maps onto 0xc000..0xffff inclusive. tcp_new_port()
// increments before it checks for the end of the range, so a start of 0xffff wraps
// the u16_t to 0: that call returns 0 ("no free port") and the first
// tcp_connect() or tcp_bind(port 0) of the boot fails with ERR_BUF (ENOBUFS), and
// every later ephemeral port is 1, 2, 3... One boot in 16384 on any board that
// defines LWIP_RAND (ours, MicroPython's rp2 port). Starting in 0xc000..0xfffe
// avoids it; tcp_new_port() itself never hands out 0xffff.
//
// lwIP takes all three only together (tcp.c: #ifndef TCP_LOCAL_PORT_RANGE_START).
// Included by our boards' lwipopts.h; micropython.cmake force-includes it where the
// port owns lwipopts.h (rp2).
#ifndef USOCKET_LWIP_PORT_RANGE_H
#define USOCKET_LWIP_PORT_RANGE_H

#ifndef TCP_LOCAL_PORT_RANGE_START
#define TCP_LOCAL_PORT_RANGE_START 0xc000
#define TCP_LOCAL_PORT_RANGE_END 0xffff
#define TCP_ENSURE_LOCAL_PORT_RANGE(port) \
    ((u16_t)(TCP_LOCAL_PORT_RANGE_START + (port) % (TCP_LOCAL_PORT_RANGE_END - TCP_LOCAL_PORT_RANGE_START)))
#endif

#endif // USOCKET_LWIP_PORT_RANGE_H
