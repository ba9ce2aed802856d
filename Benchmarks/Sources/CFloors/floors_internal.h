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

#endif
