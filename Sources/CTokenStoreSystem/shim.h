#ifndef CTOKENSTORE_SYSTEM_SHIM_H
#define CTOKENSTORE_SYSTEM_SHIM_H
// Linux headers Swift's Glibc module does not export: epoll and eventfd, for the socket
// waiter of the PostgreSQL and Redis drivers.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#endif
