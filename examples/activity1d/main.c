/* Activity recognition on accelerometer windows: embeds the code cnnc generates
 * from activity1d.cnn.
 *
 *   activity1d
 *
 * Synthesizes a 128-sample "walking" window (50 Hz, ~2 steps a second, gravity on
 * y), runs the network and prints the class probabilities. The weights are random,
 * so the answer means nothing; the app checks that it is a probability vector. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "activity1d.h"

#define T 128 /* time steps; must match input acc[3, 128] */

static const char *const classes[] = {"walking", "running",  "upstairs",
                                      "downstairs", "sitting", "standing"};

static float *alloc_scratch(size_t floats, size_t align)
{
    size_t bytes = floats * sizeof(float);
    bytes = bytes ? (bytes + align - 1) / align * align : align;
    return aligned_alloc(align, bytes);
}

int main(void)
{
    if (ACTIVITY1D_INPUT_SIZE != 3 * T || ACTIVITY1D_OUTPUT_SIZE != 6) {
        fprintf(stderr, "activity1d.h does not describe a 3x%d -> 6 network\n", T);
        return 1;
    }
    static float acc[3 * T], prob[6];
    const float pi = 3.14159265f, rate = 50.0f, step = 1.9f; /* Hz */
    for (int t = 0; t < T; t++) {
        float s = 2 * pi * step * (float)t / rate;
        acc[0 * T + t] = 0.35f * sinf(s);                    /* x: sway, one per step   */
        acc[1 * T + t] = 1.0f + 0.5f * sinf(2 * s + 0.3f);   /* y: gravity + bounce, g  */
        acc[2 * T + t] = 0.2f * cosf(s) + 0.05f * sinf(7 * s); /* z: forward jerk         */
    }
    float *scratch = alloc_scratch(ACTIVITY1D_SCRATCH_SIZE, ACTIVITY1D_SCRATCH_ALIGN);
    if (!scratch) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }

    activity1d_forward(acc, prob, scratch);
    free(scratch);

    int top = 0, ok = 1;
    float sum = 0;
    for (int k = 0; k < 6; k++) {
        printf("%-10s %.4f\n", classes[k], prob[k]);
        top = prob[k] > prob[top] ? k : top;
        sum += prob[k];
        ok &= prob[k] >= 0.0f && prob[k] <= 1.0f;
    }
    printf("top class: %d (%s; random weights, so not meaningful)\n", top, classes[top]);
    if (!ok || !(fabsf(sum - 1.0f) < 1e-4f)) {
        fprintf(stderr, "softmax output is not a probability vector (sum %g)\n", sum);
        return 1;
    }
    return 0;
}
