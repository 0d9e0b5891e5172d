/* A MobileNetV3 bottleneck with two outputs: embeds the code cnnc generates
 * from mobilenet_v3_block.cnn.
 *
 *   mobilenet_v3_block [CALLS]
 *
 * Fills a deterministic input, runs the block, prints each output's size,
 * checksum and first values (found by the header's OFFSET and SIZE macros),
 * and the median time of CALLS calls (default 21). */
#define _POSIX_C_SOURCE 199309L /* clock_gettime */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "mobilenet_v3_block.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void show(const char *name, const float *v, int n)
{
    double sum = 0.0;
    for (int i = 0; i < n; i++)
        sum += v[i];
    printf("%-8s %6d floats, checksum %.6f, first: %.5f %.5f %.5f\n", name, n, sum, v[0], v[1], v[2]);
}

int main(int argc, char **argv)
{
    int calls = argc > 1 ? atoi(argv[1]) : 21;
    if (calls < 1)
        calls = 1;
    size_t align = MOBILENET_V3_BLOCK_SCRATCH_ALIGN;
    size_t bytes = MOBILENET_V3_BLOCK_SCRATCH_SIZE * sizeof(float);
    bytes = bytes ? (bytes + align - 1) / align * align : align;
    float *in = malloc(MOBILENET_V3_BLOCK_INPUT_SIZE * sizeof(float));
    float *out = malloc(MOBILENET_V3_BLOCK_OUTPUT_SIZE * sizeof(float));
    float *scratch = aligned_alloc(align, bytes);
    double *t = malloc((size_t)calls * sizeof(double));
    if (!in || !out || !scratch || !t) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    unsigned long s = 12345; /* deterministic input in [-1, 1): a 32-bit LCG */
    for (size_t i = 0; i < MOBILENET_V3_BLOCK_INPUT_SIZE; i++) {
        s = (s * 1664525UL + 1013904223UL) & 0xffffffffUL;
        in[i] = (float)s / 2147483648.0f - 1.0f;
    }
    for (int k = 0; k < calls; k++) {
        double t0 = now();
        mobilenet_v3_block_forward(in, out, scratch);
        t[k] = now() - t0;
    }
    qsort(t, (size_t)calls, sizeof *t, cmp_double);

    /* the two outputs, one after another in `out` */
    show("features", out + MOBILENET_V3_BLOCK_OUTPUT_FEATURES_OFFSET, MOBILENET_V3_BLOCK_OUTPUT_FEATURES_SIZE);
    show("logits", out + MOBILENET_V3_BLOCK_OUTPUT_LOGITS_OFFSET, MOBILENET_V3_BLOCK_OUTPUT_LOGITS_SIZE);
    printf("median of %d calls: %.1f us\n", calls, 1e6 * t[calls / 2]);
    free(in);
    free(out);
    free(scratch);
    free(t);
    return 0;
}
