/* softmax.c — softmax over the channels at each position ([C, ...]), or over
 * the whole vector ([N]); the maximum is subtracted first.
 *   y[c, p] = exp(x[c, p] - m[p]) / sum_c' exp(x[c', p] - m[p]) */
#include "cnnc.h"

static void softmax_emit_ref(Emit *e, const Layer *L) {
    const Shape *in = emit_in_shape(e, L, 0);
    long long c = (long long)in->dim[0], n = (long long)(shape_elems(in) / in->dim[0]);
    emit_for(e, "p", n);
    emit_line(e, "float m = x0[p];");
    emit_for(e, "c", c);
    emit_line(e, "if (x0[c * %lld + p] > m) m = x0[c * %lld + p];", n, n);
    emit_close(e);
    emit_line(e, "float sum = 0.0f;");
    emit_for(e, "c", c);
    emit_line(e, "y[c * %lld + p] = expf(x0[c * %lld + p] - m);", n, n);
    emit_line(e, "sum += y[c * %lld + p];", n);
    emit_close(e);
    emit_for(e, "c", c);
    emit_line(e, "y[c * %lld + p] /= sum;", n);
    emit_close_n(e, 2);
}

const OpDesc op_softmax = {
    .name = "softmax", .min_in = 1, .max_in = 1,
    .infer = op_same_shape, .params = op_no_params, .macs = op_no_macs,
    .emit_ref = softmax_emit_ref,
};
