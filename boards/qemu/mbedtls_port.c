// mbedTLS's board hooks on the QEMU target (see mbedtls_config_board.h): entropy, the
// time in seconds and milliseconds, and gmtime() for certificate validity checks.
//
// Entropy: the MPS2-AN385 has no random number generator, and QEMU gives this
// machine none to read. What differs from boot to boot is the PC's clock, which the
// firmware can read through semihosting: SYS_TIME (seconds since 1970) and SYS_ELAPSED
// (QEMU's host clock since QEMU started, in nanoseconds: its low bits depend on how
// long the boot and the program so far took on a busy PC). Those seed a generator
// (splitmix64), and every poll mixes in a new SYS_ELAPSED reading and the board
// timer. mbedTLS hashes what the poll returns into its entropy pool and seeds its
// CTR_DRBG from that pool. This is a test board's entropy: it is guessable by anyone
// who knows roughly when the machine booted, which is enough for the tests' TLS
// sessions with throw-away keys, and not for a device. A board uses its TRNG here
// (the RP2040's ring oscillator, the STM32's RNG, the ESP32's RNG).
#include <string.h>

#include "py/mpconfig.h"

#if MICROPY_SSL_MBEDTLS

#include "py/mphal.h"
#include "shared/timeutils/timeutils.h"
#include "mbedtls/platform_time.h"

#define QEMU_SEMIHOSTING_SYS_ELAPSED (0x30)

uint32_t usocket_qemu_semihosting(uint32_t op, void *arg);
uint32_t usocket_qemu_unix_time(void);

// QEMU's host clock in nanoseconds since QEMU started (0 if semihosting has no
// SYS_ELAPSED).
static uint64_t qemu_host_elapsed_ns(void) {
    uint32_t ticks[2] = { 0, 0 };
    if (usocket_qemu_semihosting(QEMU_SEMIHOSTING_SYS_ELAPSED, ticks) != 0) {
        return 0;
    }
    return (uint64_t)ticks[1] << 32 | ticks[0];
}

// splitmix64's output function, as a mixer of each new reading into the state.
static uint64_t qemu_mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t qemu_entropy_state;

int mbedtls_hardware_poll(void *data, unsigned char *output, size_t len, size_t *olen) {
    (void)data;
    qemu_entropy_state = qemu_mix64(qemu_entropy_state ^ usocket_qemu_unix_time());
    qemu_entropy_state = qemu_mix64(qemu_entropy_state ^ qemu_host_elapsed_ns());
    qemu_entropy_state = qemu_mix64(qemu_entropy_state ^ mp_hal_ticks_us());
    *olen = len;
    while (len > 0) {
        qemu_entropy_state += 0x9e3779b97f4a7c15ULL;
        uint64_t r = qemu_mix64(qemu_entropy_state);
        size_t n = len < sizeof(r) ? len : sizeof(r);
        memcpy(output, &r, n);
        output += n;
        len -= n;
    }
    return 0;
}

time_t usocket_qemu_mbedtls_time(time_t *timer) {
    time_t t = usocket_qemu_unix_time();
    if (timer != NULL) {
        *timer = t;
    }
    return t;
}

mbedtls_ms_time_t mbedtls_ms_time(void) {
    return (mbedtls_ms_time_t)usocket_qemu_unix_time() * 1000;
}

// mbedTLS's mbedtls_platform_gmtime_r() calls gmtime() on a bare-metal build, and
// this firmware links no C library: seconds since 1970 to a UTC struct tm.
struct tm *gmtime(const time_t *timep) {
    static struct tm tm;
    timeutils_struct_time_t t;
    timeutils_seconds_since_1970_to_struct_time(*timep, &t);
    tm.tm_sec = t.tm_sec;
    tm.tm_min = t.tm_min;
    tm.tm_hour = t.tm_hour;
    tm.tm_mday = t.tm_mday;
    tm.tm_mon = t.tm_mon - 1;
    tm.tm_year = t.tm_year - 1900;
    tm.tm_wday = (t.tm_wday + 1) % 7; // from Monday = 0 to Sunday = 0
    tm.tm_yday = t.tm_yday - 1;
    tm.tm_isdst = 0;
    return &tm;
}

#endif // MICROPY_SSL_MBEDTLS
