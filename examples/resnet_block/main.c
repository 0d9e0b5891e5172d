/* ResNet basic block: embeds the code cnnc generates from resnet_block.cnn.
 *
 *   resnet_block [CALLS]
 *
 * Fills a deterministic input, runs the block, prints a checksum, the first
 * outputs and the median time of CALLS calls (default 21). */
#define _POSIX_C_SOURCE 199309L /* clock_gettime */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "resnet_block.h"

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

static float *alloc_scratch(size_t floats, size_t align)
{
    size_t bytes = floats * sizeof(float);
    bytes = bytes ? (bytes + align - 1) / align * align : align;
    return aligned_alloc(align, bytes);
}

int main(int argc, char **argv)
{
    int calls = argc > 1 ? atoi(argv[1]) : 21;
    if (calls < 1)
        calls = 1;
    float *in = malloc(RESNET_BLOCK_INPUT_SIZE * sizeof(float));
    float *out = malloc(RESNET_BLOCK_OUTPUT_SIZE * sizeof(float));
    float *scratch = alloc_scratch(RESNET_BLOCK_SCRATCH_SIZE, RESNET_BLOCK_SCRATCH_ALIGN);
    double *t = malloc((size_t)calls * sizeof(double));
    if (!in || !out || !scratch || !t) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    /* Deterministic input in [-1, 1): a 32-bit LCG. */
    unsigned long s = 12345;
    for (size_t i = 0; i < RESNET_BLOCK_INPUT_SIZE; i++) {
        s = (s * 1664525UL + 1013904223UL) & 0xffffffffUL;
        in[i] = (float)s / 2147483648.0f - 1.0f;
    }

    for (int k = 0; k < calls; k++) {
        double t0 = now();
        resnet_block_forward(in, out, scratch);
        t[k] = now() - t0;
    }
    qsort(t, (size_t)calls, sizeof *t, cmp_double);

    double sum = 0, asum = 0;
    for (size_t i = 0; i < RESNET_BLOCK_OUTPUT_SIZE; i++) {
        sum += out[i];
        asum += fabs(out[i]);
    }
    printf("resnet_block: %d -> %d floats, scratch %d floats\n", (int)RESNET_BLOCK_INPUT_SIZE,
           (int)RESNET_BLOCK_OUTPUT_SIZE, (int)RESNET_BLOCK_SCRATCH_SIZE);
    printf("checksum: sum %.6e  sum|y| %.6e\n", sum, asum);
    printf("first outputs:");
    for (size_t i = 0; i < 8 && i < RESNET_BLOCK_OUTPUT_SIZE; i++)
        printf(" %.5f", out[i]);
    printf("\ntime per call: %.3f ms (median of %d)\n", 1e3 * t[calls / 2], calls);
    free(in);
    free(out);
    free(scratch);
    free(t);
    return 0;
}
