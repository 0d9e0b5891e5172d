/* dense.c — a fully connected layer on a vector: y = W x + b, W [out, in]
 * as PyTorch's nn.Linear. */
#include "cnnc.h"

static const AttrDesc dense_attrs[] = {
    {"out", A_INT, .required = true, .min = 1},
    {"bias", A_BOOL, .idef = 1},
};

static bool dense_infer(Layer *L, const Shape *in, int nin) {
    (void)nin;
    if (in->rank != 1) {
        diag_error(L->loc, "dense '%s' needs a vector input, got %s", L->name, shape_str(in));
        diag_note(L->loc, "insert 'flatten;' before it");
        return false;
    }
    L->shape.rank = 1;
    L->shape.dim[0] = attr_int(L, "out");
    return true;
}

static void dense_params(Layer *L, const Shape *in) {
    int64_t w[2] = {L->shape.dim[0], in->dim[0]};
    add_param(L, "weight", 2, w);
    if (attr_bool(L, "bias")) add_param(L, "bias", 1, w);
}

static int64_t dense_macs(const Layer *L, const Shape *in) {
    return L->shape.dim[0] * in->dim[0];
}

/* y[o] = b[o] + sum_i W[o, i] * x[i] */
static void dense_emit_ref(Emit *e, const Layer *L) {
    long long in = (long long)emit_in_shape(e, L, 0)->dim[0];
    emit_for(e, "o", L->shape.dim[0]);
    emit_line(e, "float acc = %s;", layer_param(L, "bias") ? xasprintf("%s[o]", emit_param(e, L, "bias")) : "0.0f");
    emit_for(e, "i", in);
    emit_line(e, "acc += %s[o * %lld + i] * x0[i];", emit_param(e, L, "weight"), in);
    emit_close(e);
    emit_store(e, "o", "o", "acc");
    emit_close(e);
}

static void dense_fold(Layer *L, const float *scale, const float *shift) {
    fold_rows(L, "weight", "bias", 1, L->shape.dim, scale, shift);
}

const OpDesc op_dense = {
    .name = "dense", .flags = OPF_LINEAR | OPF_GLOBAL | OPF_EPILOGUE, .min_in = 1, .max_in = 1,
    .attrs = dense_attrs, .nattrs = 2,
    .infer = dense_infer, .params = dense_params, .macs = dense_macs,
    .emit_ref = dense_emit_ref, .fold = dense_fold,
};
