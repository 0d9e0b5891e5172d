/* norm.c — normalization layers at inference time.
 *   batchnorm:    y = (x - running_mean[c]) / sqrt(running_var[c] + eps) * w[c] + b[c]
 *   layernorm:    statistics over the axes from `axis` (default 0: the whole
 *                 sample) to the last; w, b of those axes' shape
 *   instancenorm: statistics per channel over its positions
 *   groupnorm:    statistics per group of C/groups channels
 * Variances are biased (divide by n), eps inside the square root, as PyTorch.
 * On a vector [N] the N elements are N channels of size 1. */
#include "cnnc.h"

#include <math.h>

static const AttrDesc bn_attrs[] = {{"eps", A_FLOAT, .fdef = 1e-5}};
static const AttrDesc ln_attrs[] = {
    {"axis", A_INT, .idef = 0, .min = -MAX_DIMS},
    {"eps", A_FLOAT, .fdef = 1e-5},
    {"affine", A_BOOL, .idef = 1},
};
static const AttrDesc in_attrs[] = {{"eps", A_FLOAT, .fdef = 1e-5}, {"affine", A_BOOL, .idef = 0}};
static const AttrDesc gn_attrs[] = {
    {"groups", A_INT, .required = true, .min = 1},
    {"eps", A_FLOAT, .fdef = 1e-5},
    {"affine", A_BOOL, .idef = 1},
};

static bool norm_infer(Layer *L, const Shape *in, int nin) {
    (void)nin;
    L->shape = *in;
    if (attr_float(L, "eps") < 0) {
        diag_error(attr_loc(L, "eps"), "eps of '%s' must not be negative", L->name);
        return false;
    }
    if (L->op == &op_groupnorm) {
        int64_t g = attr_int(L, "groups");
        if (in->dim[0] % g) {
            diag_error(attr_loc(L, "groups"), "groups=%lld must divide the %lld channels of '%s'",
                       (long long)g, (long long)in->dim[0], L->name);
            return false;
        }
        L->groups = (int)g;
    }
    if (L->op == &op_layernorm) return axis_resolve(L, "axis", attr_int(L, "axis"), in, &L->axis);
    return true;
}

static void norm_params(Layer *L, const Shape *in) {
    if (L->op == &op_batchnorm) {
        static const char *const names[] = {"weight", "bias", "running_mean", "running_var"};
        for (int i = 0; i < 4; i++) add_param(L, names[i], 1, in->dim);
        L->param[0].lo = 0.5f, L->param[0].hi = 1.5f;   /* random but valid statistics */
        L->param[3].lo = 0.5f, L->param[3].hi = 2.0f;
        return;
    }
    if (!attr_bool(L, "affine")) return;
    if (L->op == &op_layernorm) {
        add_param(L, "weight", in->rank - L->axis, in->dim + L->axis);
        param_range(L, 0.5, 1.5);
        add_param(L, "bias", in->rank - L->axis, in->dim + L->axis);
    } else {
        add_param(L, "weight", 1, in->dim);
        param_range(L, 0.5, 1.5);
        add_param(L, "bias", 1, in->dim);
    }
}

/* at inference a batchnorm is y = x * scale[c] + shift[c] with
 * scale = w / sqrt(var + eps), shift = b - mean * scale (folded or fused by
 * the passes through this hook) */
static void bn_affine(const Layer *L, float *scale, float *shift) {
    const Param *w = layer_param(L, "weight"), *b = layer_param(L, "bias"), *m = layer_param(L, "running_mean"),
                *v = layer_param(L, "running_var");
    double eps = attr_float(L, "eps");
    for (int64_t c = 0; c < w->shape.dim[0]; c++) {
        double s = w->data[c] / sqrt((double)v->data[c] + eps);
        scale[c] = (float)s;
        shift[c] = (float)(b->data[c] - m->data[c] * s);
    }
}

/* y = (x - mean[c]) / sqrt(var[c] + eps) * w[c] + b[c] */
static void bn_emit_ref(Emit *e, const Layer *L) {
    const Shape *in = emit_in_shape(e, L, 0);
    int64_t n = shape_elems(in) / in->dim[0];
    FOR(e, "c", in->dim[0]) {
        emit_line(e, "const float scale = %s[c] / sqrtf(%s[c] + %s);", emit_param(e, L, "weight"),
                  emit_param(e, L, "running_var"), emit_float(attr_float(L, "eps")));
        emit_line(e, "const float shift = %s[c] - %s[c] * scale;", emit_param(e, L, "bias"),
                  emit_param(e, L, "running_mean"));
        FOR_SIMD(e, "i", n) emit_line(e, "y[c * %lld + i] = x0[c * %lld + i] * scale + shift;", (long long)n, (long long)n);
    }
}

/* layernorm over the channels at each of P positions of a channels-first
 * value (passes/channels_first.c): 16 positions at a time, their sums in the
 * lanes, a pass over the channels for the mean, one for the variance and
 * one to store */
static void per_position_emit(Emit *e, const Layer *L) {
    const Shape *in = emit_in_shape(e, L, 0);
    long long C = (long long)in->dim[0], P = (long long)(shape_elems(in) / in->dim[0]);
    bool affine = attr_bool(L, "affine");
    BLOCK(e, "for (int p0 = 0; p0 < %lld; p0 += 16)", P) {
        emit_line(e, "const int n = %lld - p0 < 16 ? %lld - p0 : 16;", P, P);
        emit_line(e, "const float *restrict x = x0 + p0;");
        emit_line(e, "float *restrict out = y + p0;");
        emit_line(e, "double mean[16] = {0}, sq[16] = {0};");
        emit_line(e, "float inv[16];");
        FOR(e, "c", C) emit_line(e, "for (int j = 0; j < n; j++) mean[j] += x[c * %lld + j];", P);
        emit_line(e, "for (int j = 0; j < n; j++) mean[j] /= %lld.0;", C);
        FOR(e, "c", C) BLOCK(e, "for (int j = 0; j < n; j++)") {
            emit_line(e, "const double d = x[c * %lld + j] - mean[j];", P);
            emit_line(e, "sq[j] += d * d;");
        }
        BLOCK(e, "for (int j = 0; j < n; j++)") {
            emit_line(e, "inv[j] = (float)(1.0 / sqrt(sq[j] / %lld.0 + %s));", C, emit_float(attr_float(L, "eps")));
        }
        FOR(e, "c", C) {
            if (affine)
                emit_line(e, "const float w = %s[c], b = %s[c];", emit_param(e, L, "weight"), emit_param(e, L, "bias"));
            emit_line(e, "for (int j = 0; j < n; j++) out[c * %lld + j] = (float)(x[c * %lld + j] - mean[j]) * inv[j]%s;",
                      P, P, affine ? " * w + b" : "");
        }
    }
}

/* the statistics are over groups of `per` consecutive elements (layernorm:
 * the axes from `axis` on; instancenorm: a channel; groupnorm: C/groups
 * channels); then the affine map per element (layernorm) or per channel */
static int64_t group_size(const Layer *L, const Shape *in) {
    int64_t total = shape_elems(in), chan = total / in->dim[0];
    int64_t outer, inner;
    shape_around(in, L->axis, &outer, &inner);
    return L->op == &op_layernorm ? total / outer : L->op == &op_groupnorm ? chan * (in->dim[0] / L->groups) : chan;
}

static void stats_emit_ref(Emit *e, const Layer *L) {
    if (L->per_position) {
        per_position_emit(e, L);
        return;
    }
    const Shape *in = emit_in_shape(e, L, 0);
    int64_t total = shape_elems(in), chan = total / in->dim[0], per = group_size(L, in);
    bool affine = attr_bool(L, "affine");
    FOR(e, "g", total / per) {
        emit_line(e, "const float *restrict x = x0 + g * %lld;", (long long)per);
        emit_line(e, "float *restrict out = y + g * %lld;", (long long)per);
        emit_line(e, "double sum = 0.0, sq = 0.0;");
        FOR(e, "i", per) emit_line(e, "sum += x[i];");
        emit_line(e, "const double mean = sum / %lld.0;", (long long)per);
        FOR(e, "i", per) emit_line(e, "sq += (x[i] - mean) * (x[i] - mean);");
        emit_line(e, "const float inv = (float)(1.0 / sqrt(sq / %lld.0 + %s));", (long long)per,
                  emit_float(attr_float(L, "eps")));
        FOR(e, "i", per) {
            if (affine) {
                const char *idx = L->op == &op_layernorm ? "i"
                                                         : xasprintf("(g * %lld + i) / %lld", (long long)per, (long long)chan);
                emit_line(e, "out[i] = ((float)(x[i] - mean) * inv) * %s[%s] + %s[%s];", emit_param(e, L, "weight"), idx,
                          emit_param(e, L, "bias"), idx);
            } else {
                emit_line(e, "out[i] = (float)(x[i] - mean) * inv;");
            }
        }
    }
}

/* the step of a sum over the channels for channel c into partial result
 * k, at n positions: x's values, or (with dev) their differences from the
 * mean and the squares of those */
static void channel_step(Emit *e, bool dev, const char *c, const char *k, long long P, long long n) {
    emit_line(e, "CNNRT_SIMD16");
    if (!dev) {
        emit_line(e, "for (int j = 0; j < %lld; j++) part[%s][j] += x[%s * %lld + j];", n, k, c, P);
        return;
    }
    BLOCK(e, "for (int j = 0; j < %lld; j++)", n) {
        emit_line(e, "const float d = x[%s * %lld + j] - mean[j];", c, P);
        emit_line(e, "part[%s][j] += d;", k);
        emit_line(e, "dev[%s][j] += d * d;", k);
    }
}

/* -O2 over the channels at each position: per_position_emit's statistics in
 * float for n (16, or the last block's) positions from x and out, as
 * vectors: the mean, then the sums of the differences from it and of their
 * squares, which correct the mean and the variance for the rounding of the
 * first sum (the corrected two-pass algorithm); each sum over the channels
 * in 4 partial results a position (channels c mod 4), combined in a fixed
 * order, where one chain would wait on each addition's latency */
static void position_block(Emit *e, const Layer *L, long long C, long long P, long long n) {
    long long C4 = C / 4 * 4;
    const char *total = "((part[0][j] + part[1][j]) + (part[2][j] + part[3][j]))";
    emit_line(e, "float mean[%lld], inv[%lld], part[4][%lld], dev[4][%lld];", n, n, n, n);
    for (int dev = 0; dev < 2; dev++) {
        emit_line(e, "for (int k = 0; k < 4; k++) for (int j = 0; j < %lld; j++) %s;", n,
                  dev ? "part[k][j] = dev[k][j] = 0.0f" : "part[k][j] = 0.0f");
        if (C4) BLOCK(e, "for (int c = 0; c < %lld; c += 4)", C4) {
            emit_line(e, "CNNRT_UNROLL");
            BLOCK(e, "for (int k = 0; k < 4; k++)") channel_step(e, dev, "(c + k)", "k", P, n);
        }
        for (long long c = C4; c < C; c++) channel_step(e, dev, xasprintf("%lld", c), xasprintf("%lld", c - C4), P, n);
        emit_line(e, "CNNRT_SIMD16");
        if (!dev) {
            emit_line(e, "for (int j = 0; j < %lld; j++) mean[j] = %s / %lld.0f;", n, total, C);
        } else BLOCK(e, "for (int j = 0; j < %lld; j++)", n) {
            emit_line(e, "const float d = %s / %lld.0f;", total, C);
            emit_line(e, "const float sq = (dev[0][j] + dev[1][j]) + (dev[2][j] + dev[3][j]);");
            emit_line(e, "mean[j] += d;");
            emit_line(e, "inv[j] = 1.0f / sqrtf(fmaxf(sq / %lld.0f - d * d, 0.0f) + %s);", C, emit_float(attr_float(L, "eps")));
        }
    }
    bool affine = attr_bool(L, "affine");
    FOR(e, "c", C) {
        if (affine) emit_line(e, "const float w = %s[c], b = %s[c];", emit_param(e, L, "weight"), emit_param(e, L, "bias"));
        emit_line(e, "CNNRT_SIMD16");
        emit_line(e, "for (int j = 0; j < %lld; j++) out[c * %lld + j] = (x[c * %lld + j] - mean[j]) * inv[j]%s;", n, P, P,
                  affine ? " * w + b" : "");
    }
}

static void per_position_fast(Emit *e, const Layer *L) {
    const Shape *in = emit_in_shape(e, L, 0);
    long long C = (long long)in->dim[0], P = (long long)(shape_elems(in) / in->dim[0]), whole = P / 16 * 16;
    if (whole) BLOCK(e, "for (int p0 = 0; p0 < %lld; p0 += 16)", whole) {
        emit_line(e, "const float *restrict x = x0 + p0;");
        emit_line(e, "float *restrict out = y + p0;");
        position_block(e, L, C, P, 16);
    }
    if (whole < P) SCOPE(e) {
        emit_line(e, "const float *restrict x = x0 + %lld;", whole);
        emit_line(e, "float *restrict out = y + %lld;", whole);
        position_block(e, L, C, P, P - whole);
    }
}

/* -O2 over groups of consecutive elements, in float: the mean; the
 * differences from it (stored in the output, then overwritten), whose sum
 * corrects the mean for the rounding of the first sum; the squares of the
 * differences from the corrected mean; each sum a reduction in vectors
 * (emit_reduce_run) */
static void stats_emit_fast(Emit *e, const Layer *L) {
    if (L->per_position) {
        per_position_fast(e, L);
        return;
    }
    const Shape *in = emit_in_shape(e, L, 0);
    int64_t total = shape_elems(in), chan = total / in->dim[0];
    long long per = (long long)group_size(L, in);
    bool affine = attr_bool(L, "affine");
    FOR(e, "g", total / per) {
        emit_line(e, "const float *restrict x = x0 + g * %lld;", per);
        emit_line(e, "float *restrict out = y + g * %lld;", per);
        emit_reduce_run(e, "sum", "x", per, RED_SUM);
        FOR_SIMD(e, "i", per) emit_line(e, "out[i] = x[i] - sum / %lld.0f;", per);
        emit_reduce_run(e, "dev", "out", per, RED_SUM);
        emit_line(e, "const float mean = sum / %lld.0f + dev / %lld.0f;", per, per);
        FOR_SIMD(e, "i", per) emit_line(e, "out[i] = (x[i] - mean) * (x[i] - mean);");
        emit_reduce_run(e, "sq", "out", per, RED_SUM);
        emit_line(e, "const float inv = 1.0f / sqrtf(sq / %lld.0f + %s);", per, emit_float(attr_float(L, "eps")));
        if (affine && L->op != &op_layernorm) {   /* per channel: runs of chan elements */
            BLOCK(e, "for (int i0 = 0; i0 < %lld; i0 += %lld)", per, (long long)chan) {
                emit_line(e, "const int ch = (g * %lld + i0) / %lld;", per, (long long)chan);
                emit_line(e, "const float w = %s[ch] * inv, b = %s[ch];", emit_param(e, L, "weight"), emit_param(e, L, "bias"));
                FOR_SIMD(e, "i", chan) emit_line(e, "out[i0 + i] = (x[i0 + i] - mean) * w + b;");
            }
        } else {
            FOR_SIMD(e, "i", per)
                emit_line(e, "out[i] = (x[i] - mean) * inv%s;",
                          affine ? xasprintf(" * %s[i] + %s[i]", emit_param(e, L, "weight"), emit_param(e, L, "bias")) : "");
        }
    }
}

const OpDesc op_batchnorm = {
    .name = "batchnorm", .flags = OPF_NORM | OPF_INPLACE | OPF_AFFINE, .affine = bn_affine, .min_in = 1, .max_in = 1,
    ATTRS(bn_attrs),
    .infer = norm_infer, .params = norm_params, .macs = op_no_macs,
    .emit_ref = bn_emit_ref,
};

/* over the last axis only: the channels of each position of the
 * channels-first value (passes/channels_first.c); weight and bias stay [C] */
static bool ln_channels_first(Layer *L, const Shape *in) {
    if (!in) return L->axis == L->shape.rank - 1;
    L->shape = *in;
    L->axis = 0;
    L->per_position = true;
    return true;
}

const OpDesc op_layernorm = {
    .name = "layernorm", .flags = OPF_NORM | OPF_GLOBAL, .min_in = 1, .max_in = 1,
    ATTRS(ln_attrs),
    .infer = norm_infer, .params = norm_params, .macs = op_no_macs,
    .channels_first = ln_channels_first,
    .emit_ref = stats_emit_ref, .emit = stats_emit_fast,
};

const OpDesc op_instancenorm = {
    .name = "instancenorm", .flags = OPF_NORM | OPF_GLOBAL, .min_in = 1, .max_in = 1,
    ATTRS(in_attrs),
    .infer = norm_infer, .params = norm_params, .macs = op_no_macs,
    .emit_ref = stats_emit_ref, .emit = stats_emit_fast,
};

const OpDesc op_groupnorm = {
    .name = "groupnorm", .flags = OPF_NORM | OPF_GLOBAL, .min_in = 1, .max_in = 1,
    ATTRS(gn_attrs),
    .infer = norm_infer, .params = norm_params, .macs = op_no_macs,
    .emit_ref = stats_emit_ref, .emit = stats_emit_fast,
};
