/* test_runtime.c — the runtime's vectorizable math (runtime/cnnrt.h) against
 * libm in double: cnnrt_exp within 2 ulp over the float range, with NaN,
 * infinities and underflow as expf; cnnrt_exp_sat as close between e^-87 and
 * e^88 and saturating beyond; cnnrt_erfc within 6e-7 relatively below 2,
 * 1e-5 up to 9.2. */
#include "suites.h"

#include <math.h>

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

void suite_runtime(void) {
    static const TestDef tests[] = {
        {"cnnrt_exp, cnnrt_exp_sat against exp", test_exp},
        {"cnnrt_erfc against erfc", test_erfc},
        {NULL, NULL},
    };
    add_suite("runtime", tests);
}
