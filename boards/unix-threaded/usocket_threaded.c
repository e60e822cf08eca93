// Event hooks of the threaded host firmware (USOCKET_EVENT_SIGNAL/_WAIT): lwIP
// callbacks run on the tcpip thread and wake the Python threads blocked in a socket
// call, which sleep on one condition variable with the GIL released.
//
// A broadcast wakes every waiter, and each re-checks its own socket: simpler than
// per-socket conditions, and waiters are few (one per blocked Python thread).
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "usocket_port.h"

static pthread_mutex_t usocket_event_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t usocket_event_cond;
static pthread_once_t usocket_event_once = PTHREAD_ONCE_INIT;
// Bumped by every signal. Each thread remembers the value it saw when it last
// returned from a wait: a signal that arrives between a thread's readiness check
// and its wait changes the value, so the wait returns at once instead of
// sleeping through the event.
static uint32_t usocket_event_seq;
static __thread uint32_t usocket_event_seen;

// The condition uses CLOCK_MONOTONIC so that timeouts don't follow wall-clock jumps.
static void usocket_event_init(void) {
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&usocket_event_cond, &attr);
    pthread_condattr_destroy(&attr);
}

// Called from lwIP callbacks on the tcpip thread with the core lock held: takes
// only this leaf mutex, allocates nothing, runs no Python.
void usocket_threaded_event_signal(void) {
    pthread_once(&usocket_event_once, usocket_event_init);
    pthread_mutex_lock(&usocket_event_mutex);
    usocket_event_seq += 1;
    pthread_cond_broadcast(&usocket_event_cond);
    pthread_mutex_unlock(&usocket_event_mutex);
}

// Called with the GIL and the core lock released. timeout_ms < 0: no limit.
void usocket_threaded_event_wait(int timeout_ms) {
    pthread_once(&usocket_event_once, usocket_event_init);
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    if (timeout_ms >= 0) {
        deadline.tv_sec += timeout_ms / 1000;
        deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
        if (deadline.tv_nsec >= 1000000000L) {
            deadline.tv_sec += 1;
            deadline.tv_nsec -= 1000000000L;
        }
    }
    pthread_mutex_lock(&usocket_event_mutex);
    while (usocket_event_seq == usocket_event_seen) {
        int ret = timeout_ms < 0
            ? pthread_cond_wait(&usocket_event_cond, &usocket_event_mutex)
            : pthread_cond_timedwait(&usocket_event_cond, &usocket_event_mutex, &deadline);
        if (ret == ETIMEDOUT) {
            break;
        }
    }
    usocket_event_seen = usocket_event_seq;
    pthread_mutex_unlock(&usocket_event_mutex);
}
