/* test_runtime.c — the runtime's vectorizable math (runtime/cnnrt.h) against
 * libm in double: cnnrt_exp within 2 ulp over the float range, with NaN,
 * infinities and underflow as expf; cnnrt_exp_sat as close between e^-87 and
 * e^88 and saturating beyond; cnnrt_xsigmoid (silu, sigmoid) within 5 ulp;
 * cnnrt_erfc within 6e-7 relatively below 2,
 * 1e-5 up to 9.2. (cnnrt_phase_row, whose paths differ by compiler and
 * instruction set, is checked under each by tests/codegen/phase_row_check.c.) */
#include "suites.h"

#include <math.h>
#include <string.h>

#include "../../runtime/cnnrt.h"

static double ulps(float got, double want) {
    float w = (float)want;
    double ulp = (double)nextafterf(fabsf(w), INFINITY) - fabsf(w);
    return fabs((double)got - want) / ulp;
}

static void test_exp(void) {
    double worst = 0, worst_sat = 0;
    for (double v = -103.0; v < 88.7; v += 0.0013) {
        float x = (float)v;
        double e = exp((double)x), u = ulps(cnnrt_exp(x), e);
        if (e >= 1.2e-38 && u > worst) worst = u;   /* normal results */
        if (x >= -87.0f && x <= 88.0f && (u = ulps(cnnrt_exp_sat(x), e)) > worst_sat) worst_sat = u;
    }
    CHECK(worst <= 2.0, "cnnrt_exp within 2 ulp: %.2f", worst);
    CHECK(worst_sat <= 2.0, "cnnrt_exp_sat within 2 ulp on [-87, 88]: %.2f", worst_sat);
    CU_ASSERT(isnan(cnnrt_exp(NAN)) && isnan(cnnrt_exp_sat(NAN)));
    CU_ASSERT(cnnrt_exp(INFINITY) == INFINITY && cnnrt_exp(100.0f) == INFINITY);
    CU_ASSERT(cnnrt_exp(-INFINITY) == 0.0f && cnnrt_exp(-200.0f) == 0.0f);
    CU_ASSERT(cnnrt_exp(-100.0f) > 0.0f && cnnrt_exp(-100.0f) < 1e-43f);   /* subnormal, as expf */
    CU_ASSERT(cnnrt_exp(0.0f) == 1.0f && cnnrt_exp_sat(0.0f) == 1.0f);
    /* saturation: finite and positive at both ends */
    CU_ASSERT(cnnrt_exp_sat(1000.0f) > 1e38f && isfinite(cnnrt_exp_sat(INFINITY)));
    CU_ASSERT(cnnrt_exp_sat(-1000.0f) > 0.0f && cnnrt_exp_sat(-INFINITY) < 2e-38f);
}

/* x * sigmoid(y): silu (y = x) and sigmoid (x = 1) within 5 ulp of double
 * where the result is normal, saturating far below 0; NaN gives NaN */
static void test_xsigmoid(void) {
    double worst_silu = 0, worst_sigmoid = 0;
    for (double v = -87.0; v < 90.0; v += 0.00071) {
        float x = (float)v;
        double s = 1.0 / (1.0 + exp(-(double)x)), u;
        if (fabs(x * s) >= 1.2e-38 && (u = ulps(cnnrt_xsigmoid(x, x), x * s)) > worst_silu) worst_silu = u;
        if (s >= 1.2e-38 && (u = ulps(cnnrt_sigmoid(x), s)) > worst_sigmoid) worst_sigmoid = u;
    }
    CHECK(worst_silu <= 5.0, "silu by cnnrt_xsigmoid within 5 ulp on [-87, 90]: %.2f", worst_silu);
    CHECK(worst_sigmoid <= 5.0, "cnnrt_sigmoid within 5 ulp on [-87, 90]: %.2f", worst_sigmoid);
    CU_ASSERT(isnan(cnnrt_xsigmoid(NAN, NAN)) && isnan(cnnrt_sigmoid(NAN)));
    CU_ASSERT(cnnrt_xsigmoid(INFINITY, INFINITY) == INFINITY && cnnrt_sigmoid(INFINITY) == 1.0f);
    CU_ASSERT(cnnrt_xsigmoid(0.0f, 0.0f) == 0.0f && cnnrt_sigmoid(0.0f) == 0.5f);
    /* far below zero: tiny and of the right sign, never a NaN or an overflow */
    CU_ASSERT(cnnrt_xsigmoid(-1000.0f, -1000.0f) < 0.0f && cnnrt_xsigmoid(-1000.0f, -1000.0f) > -1e-34f);
    CU_ASSERT(cnnrt_sigmoid(-INFINITY) >= 0.0f && cnnrt_sigmoid(-INFINITY) < 2e-38f);
}

static void test_erfc(void) {
    /* the error grows with z^2, the exponent's rounding: 5e-7 below 2, 8e-6 at 9 */
    static const double lo[] = {-6.0, 2.0, 4.0}, hi[] = {2.0, 4.0, 9.2}, bound[] = {6e-7, 2e-6, 1e-5};
    for (int k = 0; k < 3; k++) {
        double worst = 0;
        for (double v = lo[k]; v < hi[k]; v += 0.0007) {
            float x = (float)v;
            double want = erfc((double)x), rel = fabs(cnnrt_erfc(x) - want) / want;
            if (rel > worst) worst = rel;
        }
        CHECK(worst < bound[k], "cnnrt_erfc within %g relatively on [%g, %g): %g", bound[k], lo[k], hi[k], worst);
    }
    CU_ASSERT(isnan(cnnrt_erfc(NAN)));
    CU_ASSERT(cnnrt_erfc(-INFINITY) == 2.0f && cnnrt_erfc(INFINITY) == 0.0f);
    CU_ASSERT(cnnrt_erfc(0.0f) == 1.0f || fabsf(cnnrt_erfc(0.0f) - 1.0f) < 2e-7f);
}

/* CNNRT_RELU16, CNNRT_ATLEAST16 and CNNRT_ATMOST16 in each variant's
 * pieces (under gcc on x86: SSE, AVX and AVX-512 instructions), bit for bit
 * the floats of the comparisons the epilogue's lanes use, NaN and -0 too */
#define CLAMPS(NAME, ATTR)                                                                   \
    ATTR static void NAME(const float *in, float *out) {                                     \
        cnnrt_v16 a, b, c;                                                                   \
        memcpy(&a, in, sizeof a);                                                            \
        b = c = a;                                                                           \
        CNNRT_RELU16(a);                                                                     \
        CNNRT_ATLEAST16(b, -2.5f);                                                           \
        CNNRT_ATMOST16(c, 6.0f);                                                             \
        memcpy(out, &a, sizeof a);                                                           \
        memcpy(out + 16, &b, sizeof b);                                                      \
        memcpy(out + 32, &c, sizeof c);                                                      \
    }
CLAMPS(clamps_default, )
#if defined(CNNRT_V16) && CNNRT_DISPATCH
#undef CNNRT_VREG
#define CNNRT_VREG CNNRT_VREG_WIDE
CLAMPS(clamps_wide, CNNRT_ISA_WIDE)
#undef CNNRT_VREG
#define CNNRT_VREG CNNRT_VREG_NARROW
CLAMPS(clamps_narrow, CNNRT_ISA_NARROW)
#undef CNNRT_VREG
#define CNNRT_VREG CNNRT_VREG_DEFAULT
#endif

static void check_clamps(void (*f)(const float *, float *)) {
    const float in[16] = {NAN, -0.0f, 0.0f, -1.0f, 0.5f, 6.0f, 7.0f, INFINITY,
                          -INFINITY, 5.999f, 1e-40f, -1e-40f, -2.5f, -3.0f, 100.0f, -NAN};
    float want[48], got[48];
    for (int l = 0; l < 16; l++) {
        const float x = in[l];
        want[l] = x > 0.0f ? x : 0.0f;
        want[16 + l] = x < -2.5f ? -2.5f : x;
        want[32 + l] = x > 6.0f ? 6.0f : x;
    }
    f(in, got);
    CU_ASSERT(memcmp(got, want, sizeof want) == 0);
    CU_ASSERT(isnan(got[16]) && isnan(got[32]) && got[0] == 0.0f);   /* relu's NaN is 0, the others' NaN */
}

static void test_clamps(void) {
    check_clamps(clamps_default);
#if defined(CNNRT_V16) && CNNRT_DISPATCH
    if (cnnrt_isa() >= CNNRT_ISA_AVX2) check_clamps(clamps_narrow);
    if (cnnrt_isa() >= CNNRT_ISA_AVX512) check_clamps(clamps_wide);
#endif
}

/* the first n floats stored, none past them, none for n <= 0; at an offset
 * of one float from the buffer's alignment */
static void test_store_first(void) {
    float a[16], buf[40];
    for (int l = 0; l < 16; l++) a[l] = (float)(l + 1);
    for (int n = -9; n < 16; n++) {
        for (int i = 0; i < 40; i++) buf[i] = -1.0f;
        CNNRT_STORE_FIRST16(&buf[9], a, n);
        int ok = 1;
        for (int i = 0; i < 40; i++) ok &= buf[i] == (i >= 9 && i < 9 + n ? a[i - 9] : -1.0f);
        CU_ASSERT(ok);
    }
}

void suite_runtime(void) {
    static const TestDef tests[] = {
        {"cnnrt_exp, cnnrt_exp_sat against exp", test_exp},
        {"cnnrt_xsigmoid, cnnrt_sigmoid against exp", test_xsigmoid},
        {"cnnrt_erfc against erfc", test_erfc},
        {"CNNRT_RELU16, CNNRT_ATLEAST16, CNNRT_ATMOST16 as the comparisons", test_clamps},
        {"CNNRT_STORE_FIRST16: the first n floats, none past them", test_store_first},
        {NULL, NULL},
    };
    add_suite("runtime", tests);
}
