/* cnnrt.c — the non-inline part of the runtime: a timer and the version. */
#define _POSIX_C_SOURCE 199309L
#include "cnnrt.h"

#include <time.h>

double cnnrt_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

const char *cnnrt_version(void) { return "0.1.0"; }
