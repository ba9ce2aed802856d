#ifndef CTOKENSTORE_SYSTEM_SHIM_H
#define CTOKENSTORE_SYSTEM_SHIM_H
// Linux headers Swift's Glibc module does not export: epoll and eventfd, for the socket
// waiter of the PostgreSQL and Redis drivers; and ppoll (a GNU extension), for waits
// bounded in microseconds rather than poll's milliseconds.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

/// Waits up to `nanoseconds` for `events` on `fd` (one ppoll(2), no signal mask); returns
/// ppoll's result (errno set on -1) and stores the returned events in `*revents`.
static inline int tokenstore_poll_nanoseconds(int fd, short events, long nanoseconds, short *revents) {
    struct pollfd descriptor = { .fd = fd, .events = events, .revents = 0 };
    struct timespec timeout = { .tv_sec = nanoseconds / 1000000000L, .tv_nsec = nanoseconds % 1000000000L };
    int result = (int)syscall(SYS_ppoll, &descriptor, 1UL, &timeout, (void *)0, (size_t)8);
    *revents = descriptor.revents;
    return result;
}
#endif
