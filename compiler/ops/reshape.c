/* reshape.c — layers that move no number: flatten ([C, ...] -> [C*...],
 * the same memory in C order) and dropout (identity at inference). */
#include "cnnc.h"

static const AttrDesc dropout_attrs[] = {{"p", A_FLOAT, .fdef = 0.5}};

static bool flatten_infer(Layer *L, const Shape *in, int nin) {
    (void)nin;
    L->shape.rank = 1;
    L->shape.dim[0] = shape_elems(in);
    return true;
}

static bool dropout_infer(Layer *L, const Shape *in, int nin) {
    double p = attr_float(L, "p");
    if (p < 0 || p >= 1) {
        diag_error(attr_loc(L, "p"), "dropout probability of '%s' must be in [0, 1), got %g", L->name, p);
        return false;
    }
    return op_same_shape(L, in, nin);
}

/* they share their input's buffer; code only when one is the network's output */
static void copy_emit_ref(Emit *e, const Layer *L) {
    emit_line(e, "memcpy(y, x0, sizeof(float) * %lld);", (long long)shape_elems(&L->shape));
}

const OpDesc op_flatten = {
    .name = "flatten", .flags = OPF_IDENTITY, .min_in = 1, .max_in = 1,
    .infer = flatten_infer, .params = op_no_params, .macs = op_no_macs,
    .emit_ref = copy_emit_ref,
};

const OpDesc op_dropout = {
    .name = "dropout", .flags = OPF_IDENTITY, .min_in = 1, .max_in = 1,
    ATTRS(dropout_attrs),
    .infer = dropout_infer, .params = op_no_params, .macs = op_no_macs,
    .emit_ref = copy_emit_ref,
};
