#include "floors_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static _Thread_local char last_error[512];

const char *floors_last_error(void) { return last_error; }

int floors_fail(const char *format, ...) {
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(last_error, sizeof last_error, format, arguments);
    va_end(arguments);
    return -1;
}

int64_t floors_now_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

void floors_copy(floors_sink *sink, const char *bytes, size_t length) {
    if (bytes == NULL) return;
    if (length > sizeof sink->bytes - sink->used) length = sizeof sink->bytes - sink->used;
    memcpy(sink->bytes + sink->used, bytes, length);
    sink->used += length;
}
