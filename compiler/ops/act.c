/* act.c — elementwise unary layers: relu, relu6, sigmoid, tanh, sqrt, abs,
 * leaky_relu (alpha 0.01), elu (alpha 1.0), selu, celu (alpha 1.0), softplus
 * (beta 1, threshold 20), exp, log, pow (exponent), hardswish, hardsigmoid,
 * silu, mish, gelu (approximate none or tanh), clip (min -inf, max +inf), sign,
 * floor, ceil, round (half to even), sin, cos and erf. Each
 * can run in place and be fused as the epilogue of the kernel before it
 * (OPF_POINTWISE): its .expr hook is its C expression, shared by every
 * emitter. NaN: relu gives 0 and max pooling skips it, where PyTorch
 * propagates it; the others propagate it as PyTorch does. */
#include "cnnc.h"

#include <math.h>
#include <string.h>

static const AttrDesc leaky_attrs[] = {{"alpha", A_FLOAT, .fdef = 0.01}};
static const AttrDesc elu_attrs[] = {{"alpha", A_FLOAT, .fdef = 1.0}};
static const AttrDesc softplus_attrs[] = {{"beta", A_FLOAT, .fdef = 1.0}, {"threshold", A_FLOAT, .fdef = 20.0}};
static const AttrDesc pow_attrs[] = {{"exponent", A_FLOAT, .required = true}};
static const char *const gelu_modes[] = {"none", "tanh", NULL};
static const AttrDesc gelu_attrs[] = {{"approximate", A_KEYWORD, .words = gelu_modes}};
static const AttrDesc clip_attrs[] = {{"min", A_FLOAT, .fdef = -INFINITY}, {"max", A_FLOAT, .fdef = INFINITY}};

/* each op applied to the C expression v (evaluated more than once: pass a name) */
static const char *relu_expr(const Layer *L, const char *v) { (void)L; return xasprintf("(%s > 0.0f ? %s : 0.0f)", v, v); }
/* with comparisons, not fminf/fmaxf: a NaN stays NaN, as in PyTorch, and gcc
 * inlines them (fmaxf and fminf are calls to libm under gcc) */
static const char *relu6_expr(const Layer *L, const char *v) {
    (void)L;
    return xasprintf("(%s < 0.0f ? 0.0f : %s > 6.0f ? 6.0f : %s)", v, v, v);
}
/* on a vector (runtime/cnnrt.h): the same floats, NaN included */
static const char *relu_vec(const Layer *L, const char *v) { (void)L; return xasprintf("CNNRT_RELU16(%s);", v); }
static const char *relu6_vec(const Layer *L, const char *v) {
    (void)L;
    return xasprintf("CNNRT_ATLEAST16(%s, 0.0f); CNNRT_ATMOST16(%s, 6.0f);", v, v);
}
/* an op that is one call of a function of a float (libm's, or the runtime's) */
#define CALL_EXPR(NAME, FN) \
    static const char *NAME##_expr(const Layer *L, const char *v) { (void)L; return xasprintf(FN "(%s)", v); }

CALL_EXPR(sigmoid, "cnnrt_sigmoid")
CALL_EXPR(tanh, "tanhf")
CALL_EXPR(sqrt, "sqrtf")
CALL_EXPR(abs, "fabsf")

static const char *leaky_relu_expr(const Layer *L, const char *v) {
    return xasprintf("(%s > 0.0f ? %s : %s * %s)", v, v, emit_float(attr_float(L, "alpha")), v);
}

static const char *elu_expr(const Layer *L, const char *v) {
    return xasprintf("(%s > 0.0f ? %s : %s * expm1f(%s))", v, v, emit_float(attr_float(L, "alpha")), v);
}

/* scale * (x > 0 ? x : alpha * (exp(x) - 1)) with PyTorch's constants,
 * scale * alpha folded */
static const char *selu_expr(const Layer *L, const char *v) {
    (void)L;
    return xasprintf("(%s > 0.0f ? 1.05070102f * %s : 1.75809932f * expm1f(%s))", v, v, v);
}

static const char *celu_expr(const Layer *L, const char *v) {
    double a = attr_float(L, "alpha");
    return xasprintf("(%s > 0.0f ? %s : %s * expm1f(%s * %s))", v, v, emit_float(a), v, emit_float(1.0 / a));
}

/* PyTorch's: x where beta x is above the threshold, else log(1 + exp(beta x)) / beta */
static const char *softplus_expr(const Layer *L, const char *v) {
    double b = attr_float(L, "beta");
    const char *bx = b == 1.0 ? v : xasprintf("%s * %s", emit_float(b), v);
    const char *sp = xasprintf("log1pf(expf(%s))", bx);
    return xasprintf("(%s > %s ? %s : %s)", bx, emit_float(attr_float(L, "threshold")), v,
                     b == 1.0 ? sp : xasprintf("%s / %s", sp, emit_float(b)));
}

CALL_EXPR(exp, "expf")
CALL_EXPR(log, "logf")

/* as torch.pow by a number: products for 2 and 3, sqrt for 0.5, powf else */
static const char *pow_expr(const Layer *L, const char *v) {
    double p = attr_float(L, "exponent");
    if (p == 1) return v;
    if (p == 2) return xasprintf("(%s * %s)", v, v);
    if (p == 3) return xasprintf("(%s * %s * %s)", v, v, v);
    if (p == 0.5) return xasprintf("sqrtf(%s)", v);
    return xasprintf("powf(%s, %s)", v, emit_float(p));
}

/* PyTorch's x * min(max(x + 3, 0), 6) / 6 with comparisons, not fminf/fmaxf:
 * a NaN stays NaN, and clang and gcc -O3 vectorize it without -ffast-math (gcc
 * does not if-convert a branch that holds the addition) */
static const char *hardswish_expr(const Layer *L, const char *v) {
    (void)L;
    return xasprintf("(%s * (%s + 3.0f < 0.0f ? 0.0f : %s + 3.0f > 6.0f ? 6.0f : %s + 3.0f) / 6.0f)", v, v, v, v);
}

/* min(max(x + 3, 0), 6) / 6, computed as (x + 3) / 6 clamped to [0, 1]: the
 * same floats (division by 6 is monotonic and 6 / 6 is 1), a NaN stays NaN,
 * and the division is not in a branch (see hardswish) */
static const char *hardsigmoid_expr(const Layer *L, const char *v) {
    (void)L;
    return xasprintf("((%s + 3.0f) / 6.0f < 0.0f ? 0.0f : (%s + 3.0f) / 6.0f > 1.0f ? 1.0f : (%s + 3.0f) / 6.0f)", v,
                     v, v);
}

/* x * sigmoid(x), x / (1 + exp(-x)) as PyTorch computes it, by
 * cnnrt_xsigmoid: within a few ulp (far below 0 a number of magnitude below
 * 1e-35 where PyTorch has -0), and it vectorizes, where a loop calling expf
 * does not */
static const char *silu_expr(const Layer *L, const char *v) {
    (void)L;
    return xasprintf("cnnrt_xsigmoid(%s, %s)", v, v);
}

/* x * tanh(softplus(x)); softplus is x above 20 (PyTorch's threshold, where
 * tanh is 1 in float anyway), so exp never overflows */
static const char *mish_expr(const Layer *L, const char *v) {
    (void)L;
    return xasprintf("(%s * tanhf(%s > 20.0f ? %s : log1pf(expf(%s))))", v, v, v, v);
}

/* none: 0.5 x (1 + erf(x / sqrt 2)), written 0.5 x erfc(-x / sqrt 2) so that
 * large negative x keeps its (tiny) value instead of cancelling to 0
 * (cnnrt_erfc: a polynomial and cnnrt_exp, so the loop vectorizes).
 * tanh: 0.5 x (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3), written
 * x / (1 + exp(-2u)) = x sigmoid(2u) (cnnrt_xsigmoid), the same function
 * without the cancellation of 1 + tanh(u) for negative x (and one exp
 * instead of tanh). */
static const char *gelu_expr(const Layer *L, const char *v) {
    if (strcmp(attr_word(L, "approximate"), "tanh") == 0)
        return xasprintf("cnnrt_xsigmoid(%s, 1.5957691216f * (%s + 0.044715f * (%s * %s * %s)))", v, v, v, v, v);
    return xasprintf("(0.5f * %s * cnnrt_erfc(-0.70710678118f * %s))", v, v);
}

/* PyTorch's clamp, min(max(x, min), max): a NaN stays NaN, and a bound left at
 * its default (an infinity) is no comparison at all. min > max is allowed, as
 * in PyTorch (and ONNX, NumPy): every output is max, NaN aside; clip_infer
 * warns about it. The bounds are compared as the floats the code uses. */
/* the bounds as the floats the code compares with, and which of them is
 * one (a bound left at its default infinity is none) */
static void clip_bounds(const Layer *L, float *lo, float *hi, bool *has_lo, bool *has_hi) {
    *lo = (float)attr_float(L, "min");
    *hi = (float)attr_float(L, "max");
    *has_lo = !(isinf(*lo) && *lo < 0);
    *has_hi = !(isinf(*hi) && *hi > 0);
}

static const char *clip_expr(const Layer *L, const char *v) {
    float lo, hi;
    bool has_lo, has_hi;
    clip_bounds(L, &lo, &hi, &has_lo, &has_hi);
    if (has_lo && has_hi && lo > hi) return xasprintf("(isnan(%s) ? %s : %s)", v, v, emit_float(hi));
    const char *e = v;
    if (has_hi) e = xasprintf("%s > %s ? %s : %s", v, emit_float(hi), emit_float(hi), e);
    if (has_lo) e = xasprintf("%s < %s ? %s : %s", v, emit_float(lo), emit_float(lo), e);
    return has_lo || has_hi ? xasprintf("(%s)", e) : e;
}

/* max then min is the same as clip_expr's nested comparisons where
 * min <= max; min > max is left to it */
static const char *clip_vec(const Layer *L, const char *v) {
    float lo, hi;
    bool has_lo, has_hi;
    clip_bounds(L, &lo, &hi, &has_lo, &has_hi);
    if (has_lo && has_hi && lo > hi) return NULL;
    const char *s = "";
    if (has_lo) s = xasprintf("CNNRT_ATLEAST16(%s, %s);", v, emit_float(lo));
    if (has_hi) s = xasprintf("%s%sCNNRT_ATMOST16(%s, %s);", s, has_lo ? " " : "", v, emit_float(hi));
    return s;
}

static bool clip_infer(Layer *L, const Shape *in, int nin) {
    float lo = (float)attr_float(L, "min"), hi = (float)attr_float(L, "max");
    if (lo > hi) {
        diag_warning(attr_loc(L, "min"), "clip '%s' has min %g above max %g: every output is %g (as in PyTorch)",
                     L->name, (double)lo, (double)hi, (double)hi);
        diag_note(attr_loc(L, "max"), "max given here");
    }
    return op_same_shape(L, in, nin);
}

/* torch.sign: 0 for 0, -0 and NaN */
static const char *sign_expr(const Layer *L, const char *v) {
    (void)L;
    return xasprintf("(%s > 0.0f ? 1.0f : %s < 0.0f ? -1.0f : 0.0f)", v, v);
}

CALL_EXPR(floor, "floorf")
CALL_EXPR(ceil, "ceilf")
/* halves to even, as torch.round and ONNX Round: rintf in the default
 * rounding mode (roundf would take 2.5 to 3) */
CALL_EXPR(round, "rintf")
CALL_EXPR(sin, "sinf")
CALL_EXPR(cos, "cosf")
/* libm's erff (within an ulp or two); gelu's form, 0.5 x erfc(-x / sqrt 2),
 * takes the vectorizing polynomial */
CALL_EXPR(erf, "erff")

/* celu's alpha and softplus's beta divide */
static bool nonzero_infer(Layer *L, const Shape *in, int nin) {
    const char *a = L->op->attrs[0].name;
    if (attr_float(L, a) == 0) {
        diag_error(attr_loc(L, a), "%s '%s' divides by %s, which must not be 0", L->op->name, L->name, a);
        return false;
    }
    return op_same_shape(L, in, nin);
}

static void act_emit_ref(Emit *e, const Layer *L) {
    FOR_SIMD(e, "i", shape_elems(&L->shape)) {
        emit_line(e, "const float v = x0[i];");
        emit_line(e, "y[i] = %s;", L->op->expr(L, "v"));
    }
}

#define ACT_DESC_FULL(NAME, ATTRS, N, INFER, VEC, FLAGS)                                         \
    const OpDesc op_##NAME = {                                                                  \
        .name = #NAME, .flags = OPF_POINTWISE | OPF_INPLACE | (FLAGS), .min_in = 1, .max_in = 1, \
        .attrs = ATTRS, .nattrs = N,                                                   \
        .infer = INFER, .params = op_no_params, .macs = op_no_macs,                    \
        .expr = NAME##_expr, .vec_stmt = VEC, .emit_ref = act_emit_ref,                \
    }
#define ACT_DESC(NAME, ATTRS, N) ACT_DESC_FULL(NAME, ATTRS, N, op_same_shape, NULL, 0)
/* an exponential's polynomial, or a call to libm */
#define ACT_DESC_CHAIN(NAME, ATTRS, N) ACT_DESC_FULL(NAME, ATTRS, N, op_same_shape, NULL, OPF_CHAIN)

ACT_DESC_FULL(relu, NULL, 0, op_same_shape, relu_vec, 0);
ACT_DESC_FULL(relu6, NULL, 0, op_same_shape, relu6_vec, 0);
ACT_DESC_CHAIN(sigmoid, NULL, 0);
ACT_DESC_CHAIN(tanh, NULL, 0);
ACT_DESC(sqrt, NULL, 0);
ACT_DESC(abs, NULL, 0);
ACT_DESC(leaky_relu, leaky_attrs, 1);
ACT_DESC_CHAIN(elu, elu_attrs, 1);
ACT_DESC_CHAIN(selu, NULL, 0);
ACT_DESC_FULL(celu, elu_attrs, 1, nonzero_infer, NULL, OPF_CHAIN);
ACT_DESC_FULL(softplus, softplus_attrs, 2, nonzero_infer, NULL, OPF_CHAIN);
ACT_DESC_CHAIN(exp, NULL, 0);
ACT_DESC_CHAIN(log, NULL, 0);
ACT_DESC_CHAIN(pow, pow_attrs, 1);
ACT_DESC(hardswish, NULL, 0);
ACT_DESC(hardsigmoid, NULL, 0);
ACT_DESC_CHAIN(silu, NULL, 0);
ACT_DESC_CHAIN(mish, NULL, 0);
ACT_DESC_CHAIN(gelu, gelu_attrs, 1);
ACT_DESC_FULL(clip, clip_attrs, 2, clip_infer, clip_vec, 0);
ACT_DESC(sign, NULL, 0);
ACT_DESC(floor, NULL, 0);
ACT_DESC(ceil, NULL, 0);
ACT_DESC(round, NULL, 0);
ACT_DESC_CHAIN(sin, NULL, 0);
ACT_DESC_CHAIN(cos, NULL, 0);
ACT_DESC_CHAIN(erf, NULL, 0);
