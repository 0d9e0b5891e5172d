/* softmax.c — softmax over the channels at each position ([C, ...]), or over
 * the whole vector ([N]); the maximum is subtracted first.
 *   y[c, p] = exp(x[c, p] - m[p]) / sum_c' exp(x[c', p] - m[p]) */
#include "cnnc.h"

static void softmax_emit_ref(Emit *e, const Layer *L) {
    const Shape *in = emit_in_shape(e, L, 0);
    long long c = (long long)in->dim[0], n = (long long)(shape_elems(in) / in->dim[0]);
    FOR(e, "p", n) {
        emit_line(e, "float m = x0[p];");
        FOR(e, "c", c) emit_line(e, "if (x0[c * %lld + p] > m) m = x0[c * %lld + p];", n, n);
        emit_line(e, "float sum = 0.0f;");
        FOR(e, "c", c) {
            emit_line(e, "y[c * %lld + p] = expf(x0[c * %lld + p] - m);", n, n);
            emit_line(e, "sum += y[c * %lld + p];", n);
        }
        FOR(e, "c", c) emit_line(e, "y[c * %lld + p] /= sum;", n);
    }
}

const OpDesc op_softmax = {
    .name = "softmax", .min_in = 1, .max_in = 1,
    .infer = op_same_shape, .params = op_no_params, .macs = op_no_macs,
    .emit_ref = softmax_emit_ref,
};
