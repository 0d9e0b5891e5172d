/* act.c — elementwise unary layers: relu, relu6, sigmoid, tanh, sqrt, abs,
 * leaky_relu (alpha 0.01) and elu (alpha 1.0). Each can run in place and be
 * fused as the epilogue of the kernel before it (OPF_POINTWISE): its .expr
 * hook is its C expression, shared by every emitter. NaN: relu and relu6
 * give 0 and max pooling skips it, where PyTorch propagates it. */
#include "cnnc.h"

static const AttrDesc leaky_attrs[] = {{"alpha", A_FLOAT, .fdef = 0.01}};
static const AttrDesc elu_attrs[] = {{"alpha", A_FLOAT, .fdef = 1.0}};

/* each op applied to the C expression v (evaluated more than once: pass a name) */
static const char *relu_expr(const Layer *L, const char *v) { (void)L; return xasprintf("(%s > 0.0f ? %s : 0.0f)", v, v); }
static const char *relu6_expr(const Layer *L, const char *v) { (void)L; return xasprintf("fminf(fmaxf(%s, 0.0f), 6.0f)", v); }
static const char *sigmoid_expr(const Layer *L, const char *v) { (void)L; return xasprintf("cnnrt_sigmoid(%s)", v); }
static const char *tanh_expr(const Layer *L, const char *v) { (void)L; return xasprintf("tanhf(%s)", v); }
static const char *sqrt_expr(const Layer *L, const char *v) { (void)L; return xasprintf("sqrtf(%s)", v); }
static const char *abs_expr(const Layer *L, const char *v) { (void)L; return xasprintf("fabsf(%s)", v); }

static const char *leaky_relu_expr(const Layer *L, const char *v) {
    return xasprintf("(%s > 0.0f ? %s : %s * %s)", v, v, emit_float(attr_float(L, "alpha")), v);
}

static const char *elu_expr(const Layer *L, const char *v) {
    return xasprintf("(%s > 0.0f ? %s : %s * expm1f(%s))", v, v, emit_float(attr_float(L, "alpha")), v);
}

static void act_emit_ref(Emit *e, const Layer *L) {
    emit_for_simd(e, "i", shape_elems(&L->shape));
    emit_line(e, "const float v = x0[i];");
    emit_line(e, "y[i] = %s;", L->op->expr(L, "v"));
    emit_close(e);
}

#define ACT_DESC(NAME, ATTRS, N)                                             \
    const OpDesc op_##NAME = {                                               \
        .name = #NAME, .flags = OPF_POINTWISE | OPF_INPLACE, .min_in = 1, .max_in = 1,     \
        .attrs = ATTRS, .nattrs = N,                                         \
        .infer = op_same_shape, .params = op_no_params, .macs = op_no_macs,  \
        .expr = NAME##_expr, .emit_ref = act_emit_ref,                       \
    }

ACT_DESC(relu, NULL, 0);
ACT_DESC(relu6, NULL, 0);
ACT_DESC(sigmoid, NULL, 0);
ACT_DESC(tanh, NULL, 0);
ACT_DESC(sqrt, NULL, 0);
ACT_DESC(abs, NULL, 0);
ACT_DESC(leaky_relu, leaky_attrs, 1);
ACT_DESC(elu, elu_attrs, 1);
