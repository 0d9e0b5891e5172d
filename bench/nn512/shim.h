/*
 * bench/nn512/shim.h: an NN-512 network behind the interface bench_main.c times,
 * so that NN-512's code and cnnc's are measured by the same program
 * (bench/nn512.sh):
 *
 *   cc -O3 -march=native -DNET_H='"shim.h"' -DPREFIX=nn -DUPREFIX=NN \
 *      -DNN_INPUT_SIZE=200704 -DNN_OUTPUT_SIZE=200704 -I. -Ibench/nn512 \
 *      bench/bench_main.c nn512.c -lpthread -lm
 *
 * NN-512 writes nn512.h and nn512.c for a graph with Prefix=nn512, one input
 * tensor named x and one output named out (its inference function takes the
 * tensors sorted by name: out, then x). The sizes come from cnnc's header of
 * the same network. The parameters are small positive numbers (a BatchNorm
 * variance must be positive); their values do not change the time. The first
 * call creates the net and an engine of one thread; bench_main.c's warm-up
 * keeps that out of the timed runs.
 */
#include <stdio.h>
#include <stdlib.h>

#include "nn512.h"

#define NN_SCRATCH_SIZE 0
#define NN_SCRATCH_ALIGN 64

static void nn_fail(const char *what, char *err)
{
    fprintf(stderr, "nn512: %s: %s\n", what, err);
    exit(1);
}

static void nn_forward(const float *input, float *output, float *scratch)
{
    static nn512Params params; /* packed float arrays */
    static nn512Net *net;
    static nn512Engine *engine;
    char *err;

    (void)scratch;
    if (!engine) {
        float *p = (float *)(void *)&params;
        size_t j, n = sizeof params / sizeof(float);
        unsigned s = 4321;
        for (j = 0; j < n; j++) {
            s = s * 1664525u + 1013904223u;
            p[j] = 0.01f + 0.02f * (float)(s >> 8) / 16777216.0f;
        }
        if ((err = nn512NetCreate(&net, &params, 1)))
            nn_fail("NetCreate", err);
        if ((err = nn512EngineCreate(&engine, net, 1)))
            nn_fail("EngineCreate", err);
    }
    nn512EngineInference(engine, output, (float *)input);
}
