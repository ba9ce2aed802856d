#ifndef FLOORS_INTERNAL_H
#define FLOORS_INTERNAL_H
#include "include/cfloors.h"
#include <string.h>

int floors_fail(const char *format, ...) __attribute__((format(printf, 1, 2)));
int64_t floors_now_ns(void);

/// Where a floor copies the values it reads, as the library copies them into Strings
/// (so no floor gets away with only pointing into the library's buffers).
typedef struct {
    char bytes[4096];
    size_t used;
} floors_sink;

void floors_copy(floors_sink *sink, const char *bytes, size_t length);

/// Runs `gets` calls of `get` on each of `threads` threads (one connection each), released
/// together by a barrier; returns the nanoseconds from release to the last join, or -1 when
/// a call did not return 1.
int64_t floors_concurrent_get(void *const *connections, int threads, int gets, const char *provider,
                              const char *user_id, int (*get)(void *, const char *, const char *));

#endif
