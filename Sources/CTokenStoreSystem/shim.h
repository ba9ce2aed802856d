#ifndef CTOKENSTORE_SYSTEM_SHIM_H
#define CTOKENSTORE_SYSTEM_SHIM_H
// System headers Swift's Glibc module does not export, for the socket waiter of the
// PostgreSQL and Redis drivers: on Linux epoll and eventfd (the default backend) and
// ppoll (a GNU extension), for waits bounded in microseconds rather than poll's
// milliseconds. Elsewhere only <poll.h>: the waiter parks on its poll(2) backend.
#include <poll.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#endif

/// Waits up to `nanoseconds` for `events` on `fd`; returns the result of the wait (errno
/// set on -1) and stores the returned events in `*revents`. On Linux one ppoll(2) with no
/// signal mask; elsewhere poll(2), whose timeout is whole milliseconds: the wait is
/// rounded down (a wait under a millisecond is one non-blocking check).
static inline int tokenstore_poll_nanoseconds(int fd, short events, long nanoseconds, short *revents) {
    struct pollfd descriptor = { .fd = fd, .events = events, .revents = 0 };
#ifdef __linux__
    struct timespec timeout = { .tv_sec = nanoseconds / 1000000000L, .tv_nsec = nanoseconds % 1000000000L };
    int result = (int)syscall(SYS_ppoll, &descriptor, 1UL, &timeout, (void *)0, (size_t)8);
#else
    long milliseconds = nanoseconds / 1000000L;
    int result = poll(&descriptor, 1, milliseconds > 2147483647L ? 2147483647 : (int)milliseconds);
#endif
    *revents = descriptor.revents;
    return result;
}
#endif
