/* prelu.c — the parametric ReLU, y = x > 0 ? x : weight[c] * x, as
 * PyTorch's nn.PReLU: a slope per channel (weight [C], num_parameters=C) or
 * one for all (weight [1], num_parameters=1). The weight is [C] unless it is
 * given inline as one number or the weights file holds it as [1]. On a vector
 * [N] the N elements are N channels. Like an activation it runs in place and
 * fuses into the epilogue of the kernel before it, where the store knows its
 * channel (chan_expr). Random slopes are U(0, 0.5), around PyTorch's 0.25. */
#include "cnnc.h"

#include <string.h>

static void prelu_params(Layer *L, const Shape *in) {
    int64_t c = in->dim[0];
    for (int i = 0; i < L->ninl; i++)
        if (strcmp(L->inl[i].key, "weight") == 0 && L->inl[i].n == 1) c = 1;
    add_param(L, "weight", 1, &c);
    param_range(L, 0.0, 0.5);
    L->param[L->nparam - 1].one_ok = true;
}

static const char *prelu_expr(Emit *e, const Layer *L, const char *v, const char *chan) {
    const char *c = layer_param(L, "weight")->shape.dim[0] == 1 ? "0" : chan;
    return xasprintf("(%s > 0.0f ? %s : %s[%s] * %s)", v, v, emit_param(e, L, "weight"), c, v);
}

/* per channel, a pass over its positions (one pass over a vector) */
static void prelu_emit_ref(Emit *e, const Layer *L) {
    int64_t C = L->shape.dim[0], n = shape_elems(&L->shape) / C;
    if (n == 1) {
        FOR_SIMD(e, "c", C) {
            emit_line(e, "const float v = x0[c];");
            emit_line(e, "y[c] = %s;", prelu_expr(e, L, "v", "c"));
        }
        return;
    }
    FOR(e, "c", C) FOR_SIMD(e, "i", n) {
        emit_line(e, "const float v = x0[c * %lld + i];", (long long)n);
        emit_line(e, "y[c * %lld + i] = %s;", (long long)n, prelu_expr(e, L, "v", "c"));
    }
}

const OpDesc op_prelu = {
    .name = "prelu", .flags = OPF_POINTWISE | OPF_INPLACE, .min_in = 1, .max_in = 1,
    .infer = op_same_shape, .params = prelu_params, .macs = op_no_macs,
    .chan_expr = prelu_expr, .emit_ref = prelu_emit_ref,
};
