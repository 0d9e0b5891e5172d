/*
 * ab_main.c: two builds of one network, A and B, timed in one process, turn
 * about: the A/B comparison of bench/ab.sh.
 *
 *   cnnc net.cnn --prefix a_net -o a.c      (one compiler, flags or source)
 *   cnnc net.cnn --prefix b_net -o b.c      (the other)
 *   clang -O3 -march=native -std=c11 -I. ab_main.c a.c b.c -lm -o ab
 *   ./ab [--blocks 40] [--min-ms 20] [--rtol 1e-3] [--atol 1e-4]
 *
 * A shared machine runs a program in spells of different speed, seconds
 * long, which move a median of separate runs by more than a change of a few
 * percent does. Here A and B alternate in blocks of as many calls as take
 * --min-ms (by the mean call of both in the warm-up), the first of each
 * pair of blocks changing sides, so that a spell slows both alike; the
 * ratio of each pair's times (B over A) then varies much less than the
 * times do, and its median and quartiles say whether B is faster. Both see
 * the same input (a fixed pseudo-random sample), and their outputs must
 * agree within atol + rtol * |A| (two builds of one network).
 *
 * Output, `key value` lines:
 *   a_us 1234.5               median µs of one call of A
 *   b_us 1200.0               and of B
 *   ratio 0.972               median of B / A over the pairs of blocks
 *   ratio_q25 0.965           its quartiles
 *   ratio_q75 0.980
 *   pairs 40 x 3              pairs of blocks x calls a block
 *   max_abs_diff 1.2e-07      largest |B - A| of the outputs
 *   check ok | check FAIL 12  elements outside atol + rtol*|A| (exit status 3)
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "a.h"
#include "b.h"
#include "bench_util.h"

#if A_NET_INPUT_SIZE != B_NET_INPUT_SIZE || A_NET_OUTPUT_SIZE != B_NET_OUTPUT_SIZE
#error "A and B are not the same network: their input or output sizes differ"
#endif

/* the median, or the quartiles, of n sorted values */
static double at(const double *v, int n, int quarter)
{
    return v[(n - 1) * quarter / 4];
}

int main(int argc, char **argv)
{
    int blocks = 40, calls = 1;
    double rtol = 1e-3, atol = 1e-4, min_ms = 20;
    for (int i = 1; i < argc; i += 2) {   /* options and their values */
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) {
            fprintf(stderr, "ab: %s needs a value\n", a);
            return 2;
        }
        if (!strcmp(a, "--blocks"))
            blocks = atoi(v);
        else if (!strcmp(a, "--min-ms"))
            min_ms = atof(v);
        else if (!strcmp(a, "--rtol"))
            rtol = atof(v);
        else if (!strcmp(a, "--atol"))
            atol = atof(v);
        else {
            fprintf(stderr, "ab: unknown option %s\n", a);
            return 2;
        }
    }
    if (blocks < 1)
        blocks = 1;

    size_t nin = A_NET_INPUT_SIZE, nout = A_NET_OUTPUT_SIZE;
    float *in = xalloc(64, nin * sizeof(float));
    float *out_a = xalloc(64, nout * sizeof(float)), *out_b = xalloc(64, nout * sizeof(float));
    float *scratch_a = xalloc(A_NET_SCRATCH_ALIGN < 64 ? 64 : A_NET_SCRATCH_ALIGN, A_NET_SCRATCH_SIZE * sizeof(float));
    float *scratch_b = xalloc(B_NET_SCRATCH_ALIGN < 64 ? 64 : B_NET_SCRATCH_ALIGN, B_NET_SCRATCH_SIZE * sizeof(float));
    bench_input(in, nin);

    /* the outputs, compared; then a warm-up of both */
    a_net_forward(in, out_a, scratch_a);
    b_net_forward(in, out_b, scratch_b);
    double maxdiff = 0;
    size_t bad = 0;
    for (size_t j = 0; j < nout; j++) {
        double d = fabs((double)out_b[j] - out_a[j]);
        if (!(d <= atol + rtol * fabs(out_a[j])))
            bad++;
        if (d > maxdiff || d != d)
            maxdiff = d;
    }
    double per = now();
    for (int w = 0; w < 3; w++) {
        a_net_forward(in, out_a, scratch_a);
        b_net_forward(in, out_b, scratch_b);
    }
    per = (now() - per) / 6;
    if (per > 0 && min_ms * 1e-3 / per > 1)
        calls = (int)ceil(min_ms * 1e-3 / per);

    double *ta = malloc((size_t)blocks * sizeof *ta), *tb = malloc((size_t)blocks * sizeof *tb);
    double *ratio = malloc((size_t)blocks * sizeof *ratio);
    if (!ta || !tb || !ratio) {
        fprintf(stderr, "ab: out of memory\n");
        return 1;
    }
    for (int b = 0; b < blocks; b++) {
        for (int side = 0; side < 2; side++) {
            int run_b = side ^ (b & 1);   /* A first in even pairs, B first in odd ones */
            double t = now();
            for (int k = 0; k < calls; k++) {
                if (run_b)
                    b_net_forward(in, out_b, scratch_b);
                else
                    a_net_forward(in, out_a, scratch_a);
            }
            t = (now() - t) / calls * 1e6;
            if (run_b)
                tb[b] = t;
            else
                ta[b] = t;
        }
        ratio[b] = tb[b] / ta[b];
    }
    qsort(ta, (size_t)blocks, sizeof *ta, cmp_double);
    qsort(tb, (size_t)blocks, sizeof *tb, cmp_double);
    qsort(ratio, (size_t)blocks, sizeof *ratio, cmp_double);
    printf("a_us %.1f\n", at(ta, blocks, 2));
    printf("b_us %.1f\n", at(tb, blocks, 2));
    printf("ratio %.3f\n", at(ratio, blocks, 2));
    printf("ratio_q25 %.3f\n", at(ratio, blocks, 1));
    printf("ratio_q75 %.3f\n", at(ratio, blocks, 3));
    printf("pairs %d x %d\n", blocks, calls);
    printf("max_abs_diff %.3g\n", maxdiff);
    if (bad)
        printf("check FAIL %zu\n", bad);
    else
        printf("check ok\n");
    return bad ? 3 : 0;
}
