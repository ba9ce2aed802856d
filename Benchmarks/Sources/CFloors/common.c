#include "floors_internal.h"
#include <pthread.h>

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

typedef struct {
    void *connection;
    int gets;
    const char *provider, *user_id;
    int (*get)(void *, const char *, const char *);
    pthread_barrier_t *start;
    int failed;
} floors_worker;

static void *floors_work(void *argument) {
    floors_worker *w = argument;
    pthread_barrier_wait(w->start);
    for (int i = 0; i < w->gets; i++) {
        if (w->get(w->connection, w->provider, w->user_id) != 1) {
            w->failed = 1;
            break;
        }
    }
    return NULL;
}

int64_t floors_concurrent_get(void *const *connections, int threads, int gets, const char *provider,
                              const char *user_id, int (*get)(void *, const char *, const char *)) {
    if (threads < 1 || threads > 64) return floors_fail("threads must be 1...64");
    floors_worker workers[64];
    pthread_t ids[64];
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, (unsigned)threads + 1);
    for (int i = 0; i < threads; i++) {
        workers[i] = (floors_worker){connections[i], gets, provider, user_id, get, &start, 0};
        pthread_create(&ids[i], NULL, floors_work, &workers[i]);
    }
    int64_t began = floors_now_ns();
    pthread_barrier_wait(&start);
    int failed = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(ids[i], NULL);
        failed |= workers[i].failed;
    }
    int64_t elapsed = floors_now_ns() - began;
    pthread_barrier_destroy(&start);
    return failed ? floors_fail("a concurrent get failed") : elapsed;
}
