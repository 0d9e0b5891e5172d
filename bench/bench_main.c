/*
 * bench_main.c: times one generated network's PREFIX_forward on one thread.
 *
 *   cnnc net.cnn --weights W.safetensors -o net.c
 *   clang -O3 -march=native -std=c11 -DNET_H='"net.h"' -DPREFIX=net -DUPREFIX=NET \
 *       bench_main.c net.c $(cnnc --cflags) $(cnnc --libs) -o bench
 *   ./bench [--input in.bin] [--ref ref.bin] [--out out.bin] [--runs 21]
 *           [--min-ms 50] [--budget 10] [--rtol 1e-3] [--atol 1e-4]
 *
 * Without --input the input is a fixed pseudo-random N(0,1)-ish sample.
 * Warm-up, then --runs runs of enough calls each to take >= --min-ms; prints
 * the median time of one call. The number of runs shrinks (to no fewer than 3)
 * when --runs runs would take longer than --budget seconds, so that slow
 * networks do not stall the suite.
 *
 * Output, `key value` lines:
 *   cnnc_us 1234.5            median µs of one PREFIX_forward call
 *   cnnc_runs 21 x 40         runs x calls a run
 *   max_abs_err 1.2e-06       with --ref: the largest |out - ref|
 *   check ok | check FAIL 12  with --ref: elements with |out - ref| > atol + rtol*|ref|
 *                             (or NaN); exit status 3 when any
 * --out writes the output (float32 LE) of the first call.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef NET_H
#define NET_H "net.h"
#endif
#ifndef PREFIX
#define PREFIX net
#endif
#ifndef UPREFIX
#define UPREFIX NET
#endif

#include NET_H
#include "bench_util.h"

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define FN(s) CAT(PREFIX, s)   /* FN(_forward) -> net_forward */
#define MAC(s) CAT(UPREFIX, s) /* MAC(_INPUT_SIZE) -> NET_INPUT_SIZE */

#define IN_SIZE ((size_t)MAC(_INPUT_SIZE))
#define OUT_SIZE ((size_t)MAC(_OUTPUT_SIZE))
#define SCRATCH_SIZE ((size_t)MAC(_SCRATCH_SIZE))
#define SCRATCH_ALIGN ((size_t)MAC(_SCRATCH_ALIGN))

/* reads exactly n floats; 0 on success */
static int read_floats(const char *path, float *buf, size_t n)
{
    FILE *f = fopen(path, "rb");
    long size;
    int ok;
    if (!f) {
        perror(path);
        return 1;
    }
    ok = fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0;
    if (!ok || (size_t)size != n * sizeof(float)) {
        fprintf(stderr, "bench: %s: expected %zu floats\n", path, n);
        fclose(f);
        return 1;
    }
    ok = fread(buf, sizeof(float), n, f) == n;
    fclose(f);
    if (!ok)
        fprintf(stderr, "bench: %s: read error\n", path);
    return !ok;
}

static volatile float sink;

int main(int argc, char **argv)
{
    const char *in_path = NULL, *ref_path = NULL, *out_path = NULL;
    int runs = 21, i, r;
    double min_ms = 50, budget = 10, rtol = 1e-3, atol = 1e-4;
    float *in, *out, *ref, *scratch;
    double t, per, *us;
    long iters, k;
    int status = 0;

    for (i = 1; i < argc; i += 2) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) {
            fprintf(stderr, "bench: %s needs a value\n", a);
            return 2;
        }
        if (!strcmp(a, "--input"))
            in_path = v;
        else if (!strcmp(a, "--ref"))
            ref_path = v;
        else if (!strcmp(a, "--out"))
            out_path = v;
        else if (!strcmp(a, "--runs"))
            runs = atoi(v);
        else if (!strcmp(a, "--min-ms"))
            min_ms = atof(v);
        else if (!strcmp(a, "--budget"))
            budget = atof(v);
        else if (!strcmp(a, "--rtol"))
            rtol = atof(v);
        else if (!strcmp(a, "--atol"))
            atol = atof(v);
        else {
            fprintf(stderr, "bench: unknown option %s\n", a);
            return 2;
        }
    }
    if (runs < 1)
        runs = 1;

    in = xalloc(64, IN_SIZE * sizeof(float));
    out = xalloc(64, OUT_SIZE * sizeof(float));
    scratch = xalloc(SCRATCH_ALIGN < 64 ? 64 : SCRATCH_ALIGN, SCRATCH_SIZE * sizeof(float));
    if (in_path) {
        if (read_floats(in_path, in, IN_SIZE))
            return 1;
    } else {
        bench_input(in, IN_SIZE);
    }

    /* first call: the output to check */
    memset(out, 0, OUT_SIZE * sizeof(float));
    t = now();
    FN(_forward)(in, out, scratch);
    per = now() - t;
    if (out_path) {
        FILE *f = fopen(out_path, "wb");
        if (!f || fwrite(out, sizeof(float), OUT_SIZE, f) != OUT_SIZE) {
            perror(out_path);
            return 1;
        }
        fclose(f);
    }
    if (ref_path) {
        double maxerr = 0;
        size_t j, bad = 0;
        ref = xalloc(64, OUT_SIZE * sizeof(float));
        if (read_floats(ref_path, ref, OUT_SIZE))
            return 1;
        for (j = 0; j < OUT_SIZE; j++) {
            double e = fabs((double)out[j] - (double)ref[j]);
            if (!(e <= atol + rtol * fabs((double)ref[j])))
                bad++;
            if (!(e <= maxerr)) /* NaN sticks */
                maxerr = e;
        }
        printf("max_abs_err %.3g\n", maxerr);
        if (bad)
            printf("check FAIL %zu\n", bad);
        else
            printf("check ok\n");
        status = bad ? 3 : 0;
        free(ref);
    }

    /* warm-up: >= 3 calls and >= 100 ms (capped by the budget) */
    {
        double t0 = now(), cap = budget / 10;
        long n = 0;
        if (cap > 0.1)
            cap = 0.1;
        while (n < 3 || now() - t0 < cap) {
            FN(_forward)(in, out, scratch);
            n++;
        }
        per = (now() - t0) / (double)n;
    }
    iters = (long)ceil(min_ms * 1e-3 / per);
    if (iters < 1)
        iters = 1;
    if ((double)runs * (double)iters * per > budget) {
        runs = (int)(budget / ((double)iters * per));
        if (runs < 3)
            runs = 3;
    }
    us = malloc((size_t)runs * sizeof *us);
    for (r = 0; r < runs; r++) {
        t = now();
        for (k = 0; k < iters; k++)
            FN(_forward)(in, out, scratch);
        us[r] = (now() - t) / (double)iters * 1e6;
    }
    sink = out[0];
    qsort(us, (size_t)runs, sizeof us[0], cmp_double);
    printf("cnnc_us %.1f\n", us[runs / 2]);
    printf("cnnc_runs %d x %ld\n", runs, iters);
    free(us);
    free(in);
    free(out);
    free(scratch);
    return status;
}
