// The one place lwIP error codes become errno values.
#include "py/runtime.h"
#include "py/mperrno.h"
#include "usocket.h"

// Indexed by -err. lwIP's own table (src/api/err.c) maps several codes to values
// that mislead on a socket (ERR_TIMEOUT → EWOULDBLOCK); these are the errnos that
// docs/socket-semantics.md promises.
static const uint8_t usocket_errno_table[] = {
    0,                  // ERR_OK          0
    MP_ENOMEM,          // ERR_MEM        -1
    MP_ENOBUFS,         // ERR_BUF        -2
    MP_ETIMEDOUT,       // ERR_TIMEOUT    -3
    MP_EHOSTUNREACH,    // ERR_RTE        -4
    MP_EINPROGRESS,     // ERR_INPROGRESS -5
    MP_EINVAL,          // ERR_VAL        -6
    MP_EAGAIN,          // ERR_WOULDBLOCK -7
    MP_EADDRINUSE,      // ERR_USE        -8
    MP_EALREADY,        // ERR_ALREADY    -9
    MP_EISCONN,         // ERR_ISCONN    -10
    MP_ENOTCONN,        // ERR_CONN      -11
    MP_EIO,             // ERR_IF        -12
    MP_ECONNABORTED,    // ERR_ABRT      -13
    MP_ECONNRESET,      // ERR_RST       -14
    MP_ENOTCONN,        // ERR_CLSD      -15
    MP_EINVAL,          // ERR_ARG       -16
};

int usocket_errno_from_lwip(err_t err) {
    if (err > 0 || (size_t)-err >= MP_ARRAY_SIZE(usocket_errno_table)) {
        // A code this table does not know: never leak it to Python as is.
        return MP_EIO;
    }
    return usocket_errno_table[-err];
}

MP_NORETURN void usocket_raise_lwip(err_t err) {
    mp_raise_OSError(usocket_errno_from_lwip(err));
}
