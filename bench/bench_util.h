/* bench_util.h: what the C drivers of the benchmark (bench_main.c, ab_main.c)
 * share: the clock, a sort order, aligned allocation that exits on failure,
 * and the fixed input a network sees without --input. */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

static void *xalloc(size_t align, size_t bytes)
{
    void *p;
    bytes = (bytes + align - 1) / align * align;
    p = aligned_alloc(align, bytes ? bytes : align);
    if (!p) {
        fprintf(stderr, "bench: out of memory\n");
        exit(1);
    }
    return p;
}

/* a fixed pseudo-random sample: each value a sum of 4 uniforms, roughly
 * N(0, 1/3) */
static void bench_input(float *in, size_t n)
{
    unsigned s = 12345;
    size_t j;
    for (j = 0; j < n; j++) {
        float x = 0;
        int q;
        for (q = 0; q < 4; q++) {
            s = s * 1664525u + 1013904223u;
            x += (float)(s >> 8) / 16777216.0f - 0.5f;
        }
        in[j] = x;
    }
}

#endif
