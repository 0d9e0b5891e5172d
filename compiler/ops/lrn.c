/* lrn.c — local_response_norm: each value divided by a power of the sum of
 * squares over its neighbouring channels at the same position, as PyTorch's
 * nn.LocalResponseNorm(size, alpha, beta, k) (AlexNet, GoogLeNet):
 *   y[c, p] = x[c, p] / (k + alpha / size * sum_{j = c - size/2}^{c + (size-1)/2} x[j, p]^2)^beta
 * with the channels outside the input counting as 0 (and still in the
 * divisor size). ONNX's LRN is the same for odd sizes. */
#include "cnnc.h"

static const AttrDesc lrn_attrs[] = {
    {"size", A_INT, .required = true, .min = 1},
    {"alpha", A_FLOAT, .fdef = 1e-4},
    {"beta", A_FLOAT, .fdef = 0.75},
    {"k", A_FLOAT, .fdef = 1.0},
};

static bool lrn_infer(Layer *L, const Shape *in, int nin) {
    (void)nin;
    if (!need_any_spatial(L, in)) return false;
    L->shape = *in;
    return true;
}

/* the window of channel c: [c - before, c + after], at most all C channels
 * either way (a wider one reads the same channels); the code below never
 * forms c + after past C - 1, nor c - before below 0, in an int */
static int64_t clamp_to_channels(const Layer *L, int64_t n) { return n < L->shape.dim[0] ? n : L->shape.dim[0]; }
static int64_t before(const Layer *L) { return clamp_to_channels(L, attr_int(L, "size") / 2); }
static int64_t after(const Layer *L) { return clamp_to_channels(L, (attr_int(L, "size") - 1) / 2); }

/* the divisor's base k + alpha/size * s, for the sum of squares s */
static const char *base_expr(const Layer *L, const char *s) {
    return xasprintf("%s + %s * %s", emit_float((float)attr_float(L, "k")),
                     emit_float((float)(attr_float(L, "alpha") / (double)attr_int(L, "size"))), s);
}

/* reference: every output on its own, the window clipped to the channels */
static void lrn_emit_ref(Emit *e, const Layer *L) {
    const Shape *in = emit_in_shape(e, L, 0);
    long long C = (long long)in->dim[0], P = (long long)(shape_elems(in) / in->dim[0]);
    FOR(e, "c", C) FOR(e, "p", P) {
        emit_line(e, "float s = 0.0f;");
        BLOCK(e, "for (long long j = (long long)c - %lld; j <= (long long)c + %lld; j++)", (long long)before(L),
              (long long)after(L))
            emit_line(e, "if (j >= 0 && j < %lld) s += x0[j * %lld + p] * x0[j * %lld + p];", C, P, P);
        emit_line(e, "y[c * %lld + p] = x0[c * %lld + p] / powf(%s, %s);", P, P, base_expr(L, "s"),
                  emit_float((float)attr_float(L, "beta")));
    }
}

/* -O2: per channel, the squares of its window summed plane by plane into
 * its output (loops over the positions the compiler vectorizes), then the
 * division; beta 0.75 (the usual one) as sqrt(t) * sqrt(sqrt(t)) */
static void lrn_emit(Emit *e, const Layer *L) {
    const Shape *in = emit_in_shape(e, L, 0);
    long long C = (long long)in->dim[0], P = (long long)(shape_elems(in) / in->dim[0]);
    double beta = attr_float(L, "beta");
    FOR(e, "c", C) {
        emit_line(e, "float *restrict out = y + (size_t)c * %lld;", P);
        emit_line(e, "const int lo = c < %lld ? 0 : c - %lld, hi = c >= %lld ? %lld : c + %lld;", (long long)before(L),
                  (long long)before(L), C - 1 - after(L), C - 1, (long long)after(L));
        FOR_SIMD(e, "p", P) emit_line(e, "out[p] = 0.0f;");
        BLOCK(e, "for (int j = lo; j <= hi; j++)") {
            emit_line(e, "const float *restrict xj = x0 + (size_t)j * %lld;", P);
            FOR_SIMD(e, "p", P) emit_line(e, "out[p] += xj[p] * xj[p];");
        }
        emit_line(e, "const float *restrict xc = x0 + (size_t)c * %lld;", P);
        FOR_SIMD(e, "p", P) {
            emit_line(e, "const float t = %s;", base_expr(L, "out[p]"));
            if ((float)beta == 0.75f) emit_line(e, "out[p] = xc[p] / (sqrtf(t) * sqrtf(sqrtf(t)));");
            else emit_line(e, "out[p] = xc[p] / powf(t, %s);", emit_float((float)beta));
        }
    }
}

const OpDesc op_local_response_norm = {
    .name = "local_response_norm", .flags = OPF_NORM, .min_in = 1, .max_in = 1,
    ATTRS(lrn_attrs),
    .infer = lrn_infer, .params = op_no_params, .macs = op_no_macs,
    .emit_ref = lrn_emit_ref, .emit = lrn_emit,
};
