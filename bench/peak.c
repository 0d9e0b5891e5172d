/*
 * peak.c: this core's FP32 FMA peak in GFLOP/s, one thread.
 *
 *   clang -O2 -march=native bench/peak.c -o peak && ./peak [runs]
 *
 * Prints one line per instruction set the compiler targets, e.g. (AMD Zen 4, which
 * splits a 512-bit FMA into two 256-bit halves, so AVX-512 and AVX2 peak alike)
 *   peak_gflops_avx512 117.2
 *   peak_gflops_avx2 117.4
 *   peak_gflops_scalar_fma 14.7  (peak_gflops_scalar without FMA: mul + add)
 *   peak_gflops 117.4            (the best of the above)
 *   bw_gbs_l2 221.0              (memory bandwidth: bytes read + written per
 *   bw_gbs_l3 110.3               second by a copy within half the L2 cache,
 *   l2_bytes 1048576              and of 4 MB to 4 MB; the L2 cache's size)
 *
 * Each kernel keeps many independent FMA chains in flight (24 zmm, 12 ymm,
 * 12 scalar accumulators; one FMA has ~4 cycles latency and there are two FMA
 * ports, so >= 8 are needed), repeats them for a calibrated number of
 * iterations (~50 ms a run), and reports the median of the runs (default 9).
 * A FMA counts 2 FLOP per lane.
 *
 * The bandwidth is measured as the peak is, with a copy of one array to
 * another for the kernel (vectors of 16 floats, each plus a number: no
 * library memcpy and its streaming stores) and the bytes read and written
 * for the FLOP: "l2" a source and a destination of a quarter of the L2 cache
 * each (sysconf's size, 1 MB where it has none), "l3" of 4 MB each: in a
 * last-level cache of 16 MB or more, beyond a smaller one. bench/profile.sh
 * takes a layer's bytes at the first where they fit in the L2 cache, else at
 * the second.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#if defined(__AVX512F__) || defined(__AVX2__) || defined(__FMA__)
#include <immintrin.h>
#endif

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static volatile float sink;

/* the accumulator loop must be fully unrolled so the accumulators live in registers */
#if defined(__clang__)
#define UNROLL _Pragma("clang loop unroll(full)")
#elif defined(__GNUC__)
#define UNROLL _Pragma("GCC unroll 32")
#else
#define UNROLL
#endif

/* a kernel runs `iters` iterations and returns the FLOP it did */
typedef double (*kernel_fn)(long iters, float a, float b);

#ifdef __AVX512F__
#define NZ 24
static __attribute__((noinline)) double k_avx512(long iters, float a, float b)
{
    __m512 va = _mm512_set1_ps(a), vb = _mm512_set1_ps(b);
    __m512 acc[NZ];
    int j;
    long i;
    for (j = 0; j < NZ; j++)
        acc[j] = _mm512_set1_ps((float)j);
    for (i = 0; i < iters; i++) {
        UNROLL
        for (j = 0; j < NZ; j++)
            acc[j] = _mm512_fmadd_ps(acc[j], va, vb);
    }
    for (j = 1; j < NZ; j++)
        acc[0] = _mm512_add_ps(acc[0], acc[j]);
    sink = _mm512_reduce_add_ps(acc[0]);
    return (double)iters * NZ * 16 * 2;
}
#endif

#if defined(__AVX2__) && defined(__FMA__)
#define NY 12
static __attribute__((noinline)) double k_avx2(long iters, float a, float b)
{
    __m256 va = _mm256_set1_ps(a), vb = _mm256_set1_ps(b);
    __m256 acc[NY];
    float out[8];
    int j;
    long i;
    for (j = 0; j < NY; j++)
        acc[j] = _mm256_set1_ps((float)j);
    for (i = 0; i < iters; i++) {
        UNROLL
        for (j = 0; j < NY; j++)
            acc[j] = _mm256_fmadd_ps(acc[j], va, vb);
    }
    for (j = 1; j < NY; j++)
        acc[0] = _mm256_add_ps(acc[0], acc[j]);
    _mm256_storeu_ps(out, acc[0]);
    sink = out[0] + out[1] + out[2] + out[3] + out[4] + out[5] + out[6] + out[7];
    return (double)iters * NY * 8 * 2;
}
#endif

/* scalar: 12 chains of a*x+b; the empty asm keeps each in its own register so
   the SLP vectorizer cannot pack them into one vector instruction */
#ifdef __FMA__
#define SFMA(x) (x) = __builtin_fmaf((x), a, b)
#define SNAME "scalar_fma"
#else
#define SFMA(x) (x) = (x) * a + b
#define SNAME "scalar"
#endif
#if defined(__GNUC__)
#define KEEP(x) __asm__ volatile("" : "+x"(x))
#else
#define KEEP(x) ((void)0)
#endif
static __attribute__((noinline)) double k_scalar(long iters, float a, float b)
{
    float s0 = 0, s1 = 1, s2 = 2, s3 = 3, s4 = 4, s5 = 5, s6 = 6, s7 = 7, s8 = 8, s9 = 9, s10 = 10,
          s11 = 11;
    long i;
    for (i = 0; i < iters; i++) {
        SFMA(s0); SFMA(s1); SFMA(s2); SFMA(s3); SFMA(s4); SFMA(s5);
        SFMA(s6); SFMA(s7); SFMA(s8); SFMA(s9); SFMA(s10); SFMA(s11);
        KEEP(s0); KEEP(s1); KEEP(s2); KEEP(s3); KEEP(s4); KEEP(s5);
        KEEP(s6); KEEP(s7); KEEP(s8); KEEP(s9); KEEP(s10); KEEP(s11);
    }
    sink = s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7 + s8 + s9 + s10 + s11;
    return (double)iters * 12 * 2;
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* median GFLOP/s of `runs` runs of ~target seconds each */
static double measure(kernel_fn k, int runs, double target)
{
    double rates[64], t, flop;
    long iters = 1000;
    int r;
    /* calibrate (also warms up the core's clock and the 512-bit units) */
    for (;;) {
        t = now();
        k(iters, 0.999999f, 1e-6f);
        t = now() - t;
        if (t >= target / 4)
            break;
        iters *= 2;
    }
    iters = (long)((double)iters * target / t) + 1;
    if (runs > 64)
        runs = 64;
    for (r = 0; r < runs; r++) {
        t = now();
        flop = k(iters, 0.999999f, 1e-6f);
        t = now() - t;
        rates[r] = flop / t * 1e-9;
    }
    qsort(rates, (size_t)runs, sizeof rates[0], cmp_double);
    return rates[runs / 2];
}

/* bandwidth: dst = src + k over vectors of 16 floats, as a kernel whose
 * "FLOP" are the bytes read and written, so that measure() gives GB/s */
typedef float vf16 __attribute__((vector_size(64), aligned(64)));
static vf16 *bw_src, *bw_dst;
static size_t bw_n;

static __attribute__((noinline)) double k_copy(long iters, float a, float b)
{
    long i;
    size_t j;
    for (i = 0; i < iters; i++)
        for (j = 0; j < bw_n; j++)
            bw_dst[j] = bw_src[j] + (a - b);
    sink = bw_dst[bw_n / 2][0];
    return 2.0 * (double)(bw_n * sizeof(vf16)) * (double)iters;
}

/* GB/s of the copy of `bytes` to as many others, 0 without the memory */
static double bandwidth(size_t bytes, int runs)
{
    double g = 0;
    size_t j;
    bw_n = bytes / sizeof(vf16);
    bw_src = aligned_alloc(64, bw_n * sizeof(vf16));
    bw_dst = aligned_alloc(64, bw_n * sizeof(vf16));
    if (bw_src && bw_dst) {
        for (j = 0; j < bw_n; j++)
            bw_src[j] = bw_dst[j] = (vf16){0} + (float)j;
        g = measure(k_copy, runs, 0.05);
    }
    free(bw_src);
    free(bw_dst);
    return g;
}

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 9;
    double best = 0, g;
    if (runs < 1)
        runs = 1;
#ifdef __AVX512F__
    g = measure(k_avx512, runs, 0.05);
    printf("peak_gflops_avx512 %.1f\n", g);
    if (g > best)
        best = g;
#endif
#if defined(__AVX2__) && defined(__FMA__)
    g = measure(k_avx2, runs, 0.05);
    printf("peak_gflops_avx2 %.1f\n", g);
    if (g > best)
        best = g;
#endif
    g = measure(k_scalar, runs, 0.05);
    printf("peak_gflops_%s %.1f\n", SNAME, g);
    if (g > best)
        best = g;
    printf("peak_gflops %.1f\n", best);
    {
        long l2 = -1;
#ifdef _SC_LEVEL2_CACHE_SIZE
        l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
#endif
        if (l2 <= 0)
            l2 = 1L << 20;
        printf("bw_gbs_l2 %.1f\n", bandwidth((size_t)l2 / 4, runs));
        printf("bw_gbs_l3 %.1f\n", bandwidth((size_t)4 << 20, runs));
        printf("l2_bytes %ld\n", l2);
    }
    return 0;
}
