/* act.c — elementwise unary layers: relu, relu6, sigmoid, tanh, sqrt, abs,
 * leaky_relu (alpha 0.01) and elu (alpha 1.0). Each can run in place and be
 * fused as the epilogue of the kernel before it (OPF_POINTWISE): act_expr()
 * is the C expression of each, shared by every emitter. */
#include "cnnc.h"

#include <string.h>

static const AttrDesc leaky_attrs[] = {{"alpha", A_FLOAT, .fdef = 0.01}};
static const AttrDesc elu_attrs[] = {{"alpha", A_FLOAT, .fdef = 1.0}};

/* the op applied to the C expression v (evaluated more than once: pass a name) */
static const char *act_expr(const Layer *L, const char *v) {
    const char *n = L->op->name;
    if (strcmp(n, "relu") == 0) return xasprintf("(%s > 0.0f ? %s : 0.0f)", v, v);
    if (strcmp(n, "relu6") == 0) return xasprintf("fminf(fmaxf(%s, 0.0f), 6.0f)", v);
    if (strcmp(n, "sigmoid") == 0) return xasprintf("cnnrt_sigmoid(%s)", v);
    if (strcmp(n, "tanh") == 0) return xasprintf("tanhf(%s)", v);
    if (strcmp(n, "sqrt") == 0) return xasprintf("sqrtf(%s)", v);
    if (strcmp(n, "abs") == 0) return xasprintf("fabsf(%s)", v);
    const char *a = emit_float(attr_float(L, "alpha"));
    if (strcmp(n, "leaky_relu") == 0) return xasprintf("(%s > 0.0f ? %s : %s * %s)", v, v, a, v);
    if (strcmp(n, "elu") == 0) return xasprintf("(%s > 0.0f ? %s : %s * expm1f(%s))", v, v, a, v);
    unreachable();
}

static void act_emit_ref(Emit *e, const Layer *L) {
    emit_for_simd(e, "i", shape_elems(&L->shape));
    emit_line(e, "const float v = x0[i];");
    emit_line(e, "y[i] = %s;", act_expr(L, "v"));
    emit_close(e);
}

#define ACT_DESC(NAME, ATTRS, N)                                             \
    const OpDesc op_##NAME = {                                               \
        .name = #NAME, .flags = OPF_POINTWISE | OPF_INPLACE, .min_in = 1, .max_in = 1,     \
        .attrs = ATTRS, .nattrs = N,                                         \
        .infer = op_same_shape, .params = op_no_params, .macs = op_no_macs,  \
        .expr = act_expr, .emit_ref = act_emit_ref,                          \
    }

ACT_DESC(relu, NULL, 0);
ACT_DESC(relu6, NULL, 0);
ACT_DESC(sigmoid, NULL, 0);
ACT_DESC(tanh, NULL, 0);
ACT_DESC(sqrt, NULL, 0);
ACT_DESC(abs, NULL, 0);
ACT_DESC(leaky_relu, leaky_attrs, 1);
ACT_DESC(elu, elu_attrs, 1);
