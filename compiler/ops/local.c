/* local.c — local2d, a locally connected layer: a 2-D convolution whose
 * weights are not shared between output positions.
 *   y[o, i, j] = b[o, i, j] + sum_{c, m, n} w[o, i, j, c, m, n] * x[c, i*s + m - pt, j*s + n - pl]
 * Zero padding only; no dilation or groups. */
#include "cnnc.h"

static const AttrDesc local_attrs[] = {
    {"out", A_INT, .required = true, .min = 1},
    {"kernel", A_INTS, .required = true, .min = 1},
    {"stride", A_INTS, .idef = 1, .min = 1},
    {"pad", A_PAD, .idef = 0, .min = 0},
    {"bias", A_BOOL, .idef = 1},
};

static bool local_infer(Layer *L, const Shape *in, int nin) {
    (void)nin;
    if (!need_spatial(L, in, 2) || !window_resolve(L, in, false, false, &L->shape)) return false;
    L->shape.dim[0] = attr_int(L, "out");
    L->groups = 1;
    return true;
}

static void local_params(Layer *L, const Shape *in) {
    const int64_t *o = L->shape.dim;
    int64_t w[6] = {o[0], o[1], o[2], in->dim[0], L->win.k[0], L->win.k[1]};
    add_param(L, "weight", 6, w);
    param_fan_in(L, w[3] * w[4] * w[5]);
    if (attr_bool(L, "bias")) {
        add_param(L, "bias", 3, w);
        param_fan_in(L, w[3] * w[4] * w[5]);
    }
}

static int64_t local_macs(const Layer *L, const Shape *in) {
    return shape_elems(&L->shape) * in->dim[0] * L->win.k[0] * L->win.k[1];
}

static void local_emit_ref(Emit *e, const Layer *L) {
    const Shape *in = emit_in_shape(e, L, 0);
    const int64_t *o = L->shape.dim;
    long long c = (long long)in->dim[0], kh = (long long)L->win.k[0], kw = (long long)L->win.k[1];
    FOR(e, "o", o[0]) OUT_LOOPS(e, L) {
        emit_line(e, "const long long at = (o * %lld + oh) * %lld + ow;", (long long)o[1], (long long)o[2]);
        emit_line(e, "float acc = %s;", layer_param(L, "bias") ? xasprintf("%s[at]", emit_param(e, L, "bias")) : "0.0f");
        FOR(e, "c", c) WINDOW_LOOPS(e, L, in, "zeros")
            emit_line(e, "acc += %s[((at * %lld + c) * %lld + kh) * %lld + kw] * x0[%s];", emit_param(e, L, "weight"), c,
                      kh, kw, emit_pixel(in, "c", 'i'));
        emit_store(e, "at", "o", "acc");
    }
}

static void local_fold(Layer *L, const float *scale, const float *shift) {
    fold_rows(L, "weight", "bias", 3, L->shape.dim, scale, shift);
}

const OpDesc op_local2d = {
    .name = "local2d", .flags = OPF_LINEAR | OPF_WINDOW | OPF_EPILOGUE, .min_in = 1, .max_in = 1,
    ATTRS(local_attrs),
    .infer = local_infer, .params = local_params, .macs = local_macs,
    .emit_ref = local_emit_ref, .fold = local_fold,
};
