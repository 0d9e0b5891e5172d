/* softmax.c — softmax and log_softmax along one axis of the sample (`axis`,
 * default 0: over the channels at each position, or over the whole vector
 * [N]); the maximum is subtracted first. Seen as [outer, n, inner] around
 * the axis, with s[o, i] = sum_c' exp(x[o, c', i] - m[o, i]):
 *   softmax      y[o, c, i] = exp(x[o, c, i] - m[o, i]) / s[o, i]
 *   log_softmax  y[o, c, i] = x[o, c, i] - m[o, i] - log(s[o, i]) */
#include "cnnc.h"

static const AttrDesc softmax_attrs[] = {{"axis", A_INT, .idef = 0, .min = -MAX_DIMS}};

static bool softmax_infer(Layer *L, const Shape *in, int nin) {
    (void)nin;
    if (!axis_resolve(L, "axis", attr_int(L, "axis"), in, &L->axis)) return false;
    L->global |= L->axis > 0;   /* along a spatial axis: each output reads the whole axis */
    L->shape = *in;
    return true;
}

static void softmax_emit_ref(Emit *e, const Layer *L) {
    bool log = L->op == &op_log_softmax;
    const Shape *in = emit_in_shape(e, L, 0);
    int64_t outer, inner;
    shape_around(in, L->axis, &outer, &inner);
    long long c = (long long)in->dim[L->axis], n = (long long)inner;
    LOOP(e, "o", outer) {
        const char *at = cx_mul(loop_var("o", outer), c * n);
        emit_line(e, "const float *restrict x = %s;", cx_at("x0", at));
        emit_line(e, "float *restrict out = %s;", cx_at("y", at));
        LOOP(e, "p", n) {
            const char *i = cx_plus(cx_mul("c", n), loop_var("p", n));
            emit_line(e, "float m = x[%s];", loop_var("p", n));
            FOR(e, "c", c) emit_line(e, "if (x[%s] > m) m = x[%s];", i, i);
            emit_line(e, "float sum = 0.0f;");
            if (log) {
                FOR(e, "c", c) emit_line(e, "sum += cnnrt_exp(x[%s] - m);", i);
                emit_line(e, "const float lse = logf(sum);");
                FOR(e, "c", c) emit_line(e, "out[%s] = x[%s] - m - lse;", i, i);
            } else {
                FOR(e, "c", c) {
                    emit_line(e, "out[%s] = cnnrt_exp(x[%s] - m);", i, i);
                    emit_line(e, "sum += out[%s];", i);
                }
                FOR(e, "c", c) emit_line(e, "out[%s] /= sum;", i);
            }
        }
    }
}


const OpDesc op_softmax = {
    .name = "softmax", .min_in = 1, .max_in = 1,
    ATTRS(softmax_attrs),
    .infer = softmax_infer, .params = op_no_params, .macs = op_no_macs,
    .emit_ref = softmax_emit_ref,
};

const OpDesc op_log_softmax = {
    .name = "log_softmax", .min_in = 1, .max_in = 1,
    ATTRS(softmax_attrs),
    .infer = softmax_infer, .params = op_no_params, .macs = op_no_macs,
    .emit_ref = softmax_emit_ref,
};
