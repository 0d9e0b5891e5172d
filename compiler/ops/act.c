/* act.c — elementwise unary layers: relu, relu6, sigmoid, tanh, sqrt, abs,
 * leaky_relu (alpha 0.01) and elu (alpha 1.0). Each can run in place and be
 * fused as the epilogue of the kernel before it (OPF_POINTWISE). The C
 * expression of each lives in act_expr(), shared by every emitter. */
#include "cnnc.h"

static const AttrDesc leaky_attrs[] = {{"alpha", A_FLOAT, .fdef = 0.01}};
static const AttrDesc elu_attrs[] = {{"alpha", A_FLOAT, .fdef = 1.0}};

#define ACT_DESC(NAME, ATTRS, N)                                             \
    const OpDesc op_##NAME = {                                               \
        .name = #NAME, .flags = OPF_POINTWISE, .min_in = 1, .max_in = 1,     \
        .attrs = ATTRS, .nattrs = N,                                         \
        .infer = op_same_shape, .params = op_no_params, .macs = op_no_macs,  \
    }

ACT_DESC(relu, NULL, 0);
ACT_DESC(relu6, NULL, 0);
ACT_DESC(sigmoid, NULL, 0);
ACT_DESC(tanh, NULL, 0);
ACT_DESC(sqrt, NULL, 0);
ACT_DESC(abs, NULL, 0);
ACT_DESC(leaky_relu, leaky_attrs, 1);
ACT_DESC(elu, elu_attrs, 1);
