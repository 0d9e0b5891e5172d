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

/* the input seen as [outer, c, n] around the axis: per o, "x" and
 * "out" its input and output, and row's code for them */
static void per_row(Emit *e, const Layer *L, void (*row)(Emit *e, bool log, long long c, long long n)) {
    const Shape *in = emit_in_shape(e, L, 0);
    int64_t outer, inner;
    shape_around(in, L->axis, &outer, &inner);
    long long c = (long long)in->dim[L->axis], n = (long long)inner;
    LOOP(e, "o", outer) {
        const char *at = cx_mul(loop_var("o", outer), c * n);
        emit_line(e, "const float *restrict x = %s;", cx_at("x0", at));
        emit_line(e, "float *restrict out = %s;", cx_at("y", at));
        row(e, L->op == &op_log_softmax, c, n);
    }
}

/* row o by the plain loops: per position, the maximum, the sum, the outputs */
static void ref_row(Emit *e, bool log, long long c, long long n) {
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

/* along an axis other than the last: each step over the row of n
 * positions at once (vectorized), their maxima and sums in t ([2][n]),
 * the c values of a position summed in order as the plain loops do */
static void softmax_positions(Emit *e, bool log, long long c, long long n) {
    emit_line(e, "float *restrict m = t, *restrict sum = t + %lld;", n);
    FOR_SIMD(e, "p", n) emit_line(e, "m[p] = x[p];");
    BLOCK(e, "for (int c = 1; c < %lld; c++)", c) FOR_SIMD(e, "p", n)
        emit_line(e, "m[p] = x[c * %lld + p] > m[p] ? x[c * %lld + p] : m[p];", n, n);
    FOR_SIMD(e, "p", n) emit_line(e, "sum[p] = 0.0f;");
    FOR(e, "c", c) FOR_SIMD(e, "p", n) {
        if (log) {
            emit_line(e, "sum[p] += cnnrt_exp(x[c * %lld + p] - m[p]);", n);
        } else {
            emit_line(e, "out[c * %lld + p] = cnnrt_exp(x[c * %lld + p] - m[p]);", n, n);
            emit_line(e, "sum[p] += out[c * %lld + p];", n);
        }
    }
    if (log) FOR_SIMD(e, "p", n) emit_line(e, "sum[p] = logf(sum[p]);");
    FOR(e, "c", c) FOR_SIMD(e, "p", n) {
        if (log)
            emit_line(e, "out[c * %lld + p] = x[c * %lld + p] - m[p] - sum[p];", n, n);
        else
            emit_line(e, "out[c * %lld + p] /= sum[p];", n);
    }
}

/* -O2, along the last axis (inner 1): the maximum and the sum as
 * reductions over the row in vectors (emit_reduce_run), the exponentials
 * and the division vectorized; along another, softmax_positions */
static void fast_row(Emit *e, bool log, long long c, long long n) {
    if (n == 1) {
        emit_reduce_run(e, "m", "x", c, RED_MAX);
        FOR_SIMD(e, "c", c) emit_line(e, "out[c] = cnnrt_exp(x[c] - m);");
        emit_reduce_run(e, "sum", "out", c, RED_SUM);
        if (log) {
            emit_line(e, "const float lse = logf(sum);");
            FOR_SIMD(e, "c", c) emit_line(e, "out[c] = x[c] - m - lse;");
        } else {
            FOR_SIMD(e, "c", c) emit_line(e, "out[c] /= sum;");
        }
    } else {
        softmax_positions(e, log, c, n);
    }
}

static void softmax_emit_ref(Emit *e, const Layer *L) { per_row(e, L, ref_row); }
static void softmax_emit_fast(Emit *e, const Layer *L) { per_row(e, L, fast_row); }

/* -O2 along an axis other than the last: a maximum and a sum per position */
static int64_t softmax_temp(const Layer *L, const Shape *in, int opt) {
    int64_t outer, inner;
    shape_around(in, L->axis, &outer, &inner);
    return opt >= 2 && inner > 1 ? 2 * inner : 0;
}

const OpDesc op_softmax = {
    .name = "softmax", .min_in = 1, .max_in = 1,
    ATTRS(softmax_attrs),
    .infer = softmax_infer, .params = op_no_params, .macs = op_no_macs,
    .temp = softmax_temp, .emit_ref = softmax_emit_ref, .emit = softmax_emit_fast,
};

const OpDesc op_log_softmax = {
    .name = "log_softmax", .min_in = 1, .max_in = 1,
    ATTRS(softmax_attrs),
    .infer = softmax_infer, .params = op_no_params, .macs = op_no_macs,
    .temp = softmax_temp, .emit_ref = softmax_emit_ref, .emit = softmax_emit_fast,
};
