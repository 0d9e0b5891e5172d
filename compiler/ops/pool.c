/* pool.c — max and average pooling in 1-D, 2-D and 3-D, and the global
 * pools. PyTorch's rules: stride defaults to the kernel; max pools pad with
 * -inf; padding may reach the (dilated) kernel less one, as ONNX allows (so
 * every window still holds an input element; PyTorch stops at half); with ceil_mode a window
 * that would start in the end padding is dropped; average pools divide by the
 * window clipped to the padded input (count_include_pad) or to the input. */
#include "cnnc.h"

#define POOL_ATTRS                                      \
    {"kernel", A_INTS, .required = true, .min = 1},     \
    {"stride", A_INTS, .idef = 1, .min = 1},            \
    {"pad", A_PAD, .idef = 0, .min = 0},                \
    {"ceil_mode", A_BOOL, .idef = 0}

static const AttrDesc max_attrs[] = {POOL_ATTRS, {"dilation", A_INTS, .idef = 1, .min = 1}};
static const AttrDesc avg_attrs[] = {POOL_ATTRS, {"count_include_pad", A_BOOL, .idef = 1}};

static int pool_nd(const Layer *L) {
    const OpDesc *op = L->op;
    if (op == &op_maxpool1d || op == &op_avgpool1d) return 1;
    if (op == &op_maxpool3d || op == &op_avgpool3d) return 3;
    return 2;
}

static bool pool_infer(Layer *L, const Shape *in, int nin) {
    (void)nin;
    if (!need_spatial(L, in, pool_nd(L))) return false;
    if (!window_resolve(L, in, true, attr_bool(L, "ceil_mode"), &L->shape)) return false;
    const Window *w = &L->win;
    for (int i = 0; i < w->nd; i++) {
        int64_t most = w->d[i] * (w->k[i] - 1);
        if (w->pb[i] > most || w->pe[i] > most) {
            diag_error(attr_loc(L, "pad"),
                       "padding of %s '%s' must be less than the kernel (at most %lld) in %s, got %lld+%lld",
                       L->op->name, L->name, (long long)most, dim_name(w->nd, i),
                       (long long)w->pb[i], (long long)w->pe[i]);
            return false;
        }
    }
    return true;
}

static bool global_infer(Layer *L, const Shape *in, int nin) {
    (void)nin;
    if (!need_any_spatial(L, in)) return false;
    L->shape = *in;
    for (int i = 1; i < in->rank; i++) L->shape.dim[i] = 1;
    return true;
}

static bool is_max(const Layer *L) {
    return L->op == &op_maxpool1d || L->op == &op_maxpool2d || L->op == &op_maxpool3d;
}

/* an average's divisor along spatial dim i: "int name_lo = ..., name_hi = ...;",
 * the window of output position o clipped to [-pb, I + pe) (count_include_pad)
 * or to [0, I); returns "(name_hi - name_lo)" */
static const char *window_extent(Emit *e, const Layer *L, const Shape *in, int i, const char *name, bool incl) {
    const Window *w = &L->win;
    long long s = (long long)w->s[i], pb = (long long)w->pb[i], I = (long long)in->dim[1 + i], k = (long long)w->k[i],
              lo = incl ? -pb : 0, hi = incl ? I + (long long)w->pe[i] : I;
    emit_line(e, "int %s_lo = %s * %lld - %lld, %s_hi = %s_lo + %lld;", name, win_var('o', w->nd, i), s, pb, name, name, k);
    emit_line(e, "if (%s_lo < %lld) %s_lo = %lld;", name, lo, name, lo);
    emit_line(e, "if (%s_hi > %lld) %s_hi = %lld;", name, hi, name, hi);
    return xasprintf("(%s_hi - %s_lo)", name, name);
}

/* max: the largest input in the window (padding is -inf, so skipped);
 * avg: the sum over the window inside the input, divided by the window
 * clipped to the padded input (count_include_pad) or to the input */
static void pool_emit_ref(Emit *e, const Layer *L) {
    const Shape *in = emit_in_shape(e, L, 0);
    const Window *w = &L->win;
    bool max = is_max(L), incl = !max && attr_bool(L, "count_include_pad");
    FOR(e, "c", L->shape.dim[0]) OUT_LOOPS(e, L) {
        if (!max) {
            /* the divisor: the window clipped to [-pb, I + pe) or to [0, I) */
            const char *div = "1";
            for (int i = 0; i < w->nd; i++)
                div = xasprintf("%s * %s", div, window_extent(e, L, in, i, win_var('o', w->nd, i), incl));
            emit_line(e, "const float n = (float)(%s);", div);
        }
        emit_line(e, "float acc = %s;", max ? "-INFINITY" : "0.0f");
        WINDOW_LOOPS(e, L, in, "skip") {
            const char *x = xasprintf("x0[%s]", emit_pixel(in, "c", 'i'));
            if (max) emit_line(e, "if (%s > acc) acc = %s;", x, x);
            else emit_line(e, "acc += %s;", x);
        }
        emit_store(e, emit_pixel(&L->shape, "c", 'o'), "c", max ? "acc" : "acc / n");
    }
}

/* one value per channel: the mean or the maximum of its positions */
static void global_emit_ref(Emit *e, const Layer *L) {
    const Shape *in = emit_in_shape(e, L, 0);
    int64_t n = shape_elems(in) / in->dim[0];
    bool max = L->op == &op_global_maxpool;
    FOR(e, "c", in->dim[0]) {
        emit_line(e, "float acc = %s;", max ? "-INFINITY" : "0.0f");
        FOR(e, "i", n) {
            if (max) emit_line(e, "if (x0[c * %lld + i] > acc) acc = x0[c * %lld + i];", (long long)n, (long long)n);
            else emit_line(e, "acc += x0[c * %lld + i];", (long long)n);
        }
        emit_store(e, "c", "c", max ? "acc" : xasprintf("acc / %lld.0f", (long long)n));
    }
}

/* -O2: from a channel-blocked [C,H,W] input too (a squeeze-excite branch
 * beside blocked kernels), where each block's 16 channels are the lanes */
static void global_choose(Choice *c, const Layer *L, const Shape *in, const ChoiceCtx *ctx) {
    (void)L, (void)ctx;
    if (in->rank == 3) c->layout = LAYOUT_READS_BLOCKED;
}

/* -O2: the same, each channel's run in partial results per lane; from a
 * blocked input, a block's channels in the lanes */
static void global_emit(Emit *e, const Layer *L) {
    const Shape *in = emit_in_shape(e, L, 0);
    int64_t n = shape_elems(in) / in->dim[0];
    bool max = L->op == &op_global_maxpool;
    const Reduce red = max ? RED_MAX : RED_SUM;
    const char *mean = xasprintf(" / %lld.0f", (long long)n);   /* what an average divides by */
    if (emit_blocked(e, L->in[0])) {
        emit_line(e, "/* the input channel-blocked [%lld][%lld][16] */", (long long)(in->dim[0] / 16), (long long)n);
        FOR(e, "cb", in->dim[0] / 16) {
            emit_line(e, "const float *restrict xb = x0 + (size_t)cb * %lld;", (long long)(n * 16));
            /* four partial results a lane, positions q mod 4, whose chains of
             * additions overlap (one chain waits on each addition) */
            int64_t whole = n / 4 * 4;
            emit_line(e, "float acc[16], part[4][16];");
            emit_line(e, "for (int l = 0; l < 16; l++) part[0][l] = part[1][l] = part[2][l] = part[3][l] = %s;",
                      emit_reduce_init(red));
            if (whole) BLOCK(e, "for (int q = 0; q < %lld; q += 4)", (long long)whole) {
                emit_line(e, "CNNRT_UNROLL");
                BLOCK(e, "for (int k = 0; k < 4; k++)") {
                    emit_line(e, "CNNRT_SIMD16_ROLLED");
                    emit_line(e, "for (int l = 0; l < 16; l++) part[k][l] = %s;",
                              emit_reduce_step(red, "part[k][l]", "xb[(q + k) * 16 + l]"));
                }
            }
            for (int64_t q = whole; q < n; q++) {
                emit_line(e, "CNNRT_SIMD16_ROLLED");
                emit_line(e, "for (int l = 0; l < 16; l++) part[%lld][l] = %s;", (long long)(q - whole),
                          emit_reduce_step(red, xasprintf("part[%lld][l]", (long long)(q - whole)),
                                           xasprintf("xb[%lld * 16 + l]", (long long)q)));
            }
            BLOCK(e, "for (int l = 0; l < 16; l++)") {
                emit_line(e, "acc[l] = part[0][l];");
                for (int k = 1; k < 4; k++)
                    emit_line(e, "acc[l] = %s;", emit_reduce_step(red, "acc[l]", xasprintf("part[%d][l]", k)));
            }
            FOR(e, "l", 16) emit_store(e, "cb * 16 + l", "cb * 16 + l", xasprintf("acc[l]%s", max ? "" : mean));
        }
        return;
    }
    FOR(e, "c", in->dim[0]) {
        emit_reduce_run(e, "acc", xasprintf("x0 + (size_t)c * %lld", (long long)n), n, red);
        emit_store(e, "c", "c", xasprintf("acc%s", max ? "" : mean));
    }
}

/* -O2: per channel and output row (every spatial dim but the last), the
 * input rows its windows cover are reduced (max, or sum) column by column
 * into t, a padded row (-inf for max, 0 for average), in passes of
 * consecutive floats; then the loop over the output row reduces the kw
 * columns of each window from t, strided (max as a compare-select: no NaN
 * games). Where each input row was read with the stride into the padded
 * row's column phases instead, ResNet's 3x3/2 max pool of 64 x 112 x 112
 * took 1.9x the time under clang, 2.5x under gcc. 3-D alike, the rows of
 * a window's depth and height (volume3d's 2x2x2 max pool of 8 x 16 x 32 x
 * 32 in the reference loops: 19.5 us under gcc, 11.8 under clang; so, the
 * network 0.973x the time under gcc); 1-D as the reference: there the row
 * would only be copied (activity1d 1.025x the time under clang). */
static int64_t pool_wpad(const Layer *L) {   /* the padded row's columns the windows read */
    const Window *w = &L->win;
    int last = w->nd - 1;
    return (L->shape.dim[w->nd] - 1) * w->s[last] + (w->k[last] - 1) * w->d[last] + 1;
}

static int64_t pool_temp(const Layer *L, const Shape *in, int opt) {
    (void)in;
    return opt >= 2 && L->win.nd >= 2 ? pool_wpad(L) : 0;
}

static void pool_emit_fast(Emit *e, const Layer *L) {
    if (L->win.nd < 2) {
        pool_emit_ref(e, L);
        return;
    }
    const Shape *in = emit_in_shape(e, L, 0);
    const Window *w = &L->win;
    const int nd = w->nd, last = nd - 1;
    bool max = is_max(L), incl = !max && attr_bool(L, "count_include_pad");
    const Reduce red = max ? RED_MAX : RED_SUM;
    long long W = in->dim[nd], OW = L->shape.dim[nd], S = w->s[last], Wpad = pool_wpad(L), pl = w->pb[last];
    /* the input's columns inside the padded row: [pl, pl + n), n >= 1 (pool_infer keeps the
     * padding within the window's reach, so pl < Wpad) */
    long long n = W < Wpad - pl ? W : Wpad - pl;
    const char *init = emit_reduce_init(red);
    /* per leading dim i: its window loop's variable, the divisor's bounds */
    static const char *const kvar[] = {"a", "r"}, *const bound[] = {"d", "h"};   /* 3-D: both, 2-D: the second */
    FOR(e, "c", L->shape.dim[0]) ROW_LOOPS(e, L) {
        emit_line(e, "/* t [%lld]: the rows of output row %s reduced column by column, padded */", Wpad,
                  nd == 2 ? "oh" : "(od, oh)");
        emit_line(e, "CNNRT_ROW_FENCE;   /* not vectorized across rows: each rewrites t */");
        if (pl > 0) emit_line(e, "for (int q = 0; q < %lld; q++) t[q] = %s;", pl, init);
        if (pl + n < Wpad) emit_line(e, "for (int q = %lld; q < %lld; q++) t[q] = %s;", pl + n, Wpad, init);
        emit_line(e, "float *col = %s;   /* not restrict: the loop over the output row reads it as t */", cx_add("t", pl));
        emit_line(e, "for (int q = 0; q < %lld; q++) col[q] = %s;", n, init);
        const char *vars[MAX_SPATIAL] = {"(size_t)c"};   /* the input row's indices in [C, (D,) H] */
        for (int i = 0; i < last; i++) {
            const char *k = kvar[2 - last + i], *x = win_var('i', nd, i), *o = win_var('o', nd, i);
            long long I = in->dim[1 + i];
            emit_open(e, "for (int %s = 0; %s < %lld; %s++)", k, k, (long long)w->k[i], k);
            emit_line(e, "const int %s = %s;", x, cx_add(cx_plus(cx_mul(o, w->s[i]), cx_mul(k, w->d[i])), -w->pb[i]));
            if (w->pb[i] > 0 || (L->shape.dim[1 + i] - 1) * w->s[i] + (w->k[i] - 1) * w->d[i] >= I)   /* rows of padding */
                emit_line(e, "if (%s < 0 || %s >= %lld) continue;", x, x, I);
            vars[1 + i] = x;
        }
        emit_line(e, "const float *restrict src = x0 + (%s) * %lld;", emit_index(1 + last, vars, in->dim), W);
        emit_line(e, "CNNRT_SIMD");
        emit_line(e, "for (int q = 0; q < %lld; q++) col[q] = %s;", n, emit_reduce_step(red, "col[q]", "src[q]"));
        emit_close_n(e, last);
        const char *div = "";   /* the divisor's leading dims' part, as pool_emit_ref */
        for (int i = 0; !max && i < last; i++)
            div = xasprintf("%s%s * ", div, window_extent(e, L, in, i, bound[2 - last + i], incl));
        FOR_SIMD(e, "ow", OW) {
            emit_line(e, "float acc = %s;", init);
            for (int64_t k = 0; k < w->k[last]; k++)
                emit_line(e, "{ const float v = t[%s]; acc = %s; }", cx_add(cx_mul("ow", S), k * w->d[last]),
                          emit_reduce_step(red, "acc", "v"));
            if (!max) {
                long long lo = incl ? -(long long)pl : 0, hi = incl ? W + (long long)w->pe[last] : W;
                emit_line(e, "int w_lo = ow * %lld - %lld, w_hi = w_lo + %lld;", S, pl, (long long)w->k[last]);
                emit_line(e, "w_lo = w_lo < %lld ? %lld : w_lo;", lo, lo);
                emit_line(e, "w_hi = w_hi > %lld ? %lld : w_hi;", hi, hi);
                emit_line(e, "acc /= (float)(%s(w_hi - w_lo));", div);
            }
            emit_store(e, cx_plus(row_start(L), "ow"), "c", "acc");
        }
    }
}

#define POOL_DESC(NAME, TABLE)                                               \
    const OpDesc op_##NAME = {                                               \
        .name = #NAME, .flags = OPF_WINDOW | OPF_EPILOGUE, .min_in = 1, .max_in = 1, \
        ATTRS(TABLE),                                                        \
        .infer = pool_infer, .params = op_no_params, .macs = op_no_macs,           \
        .emit_ref = pool_emit_ref, .emit = pool_emit_fast, .temp = pool_temp, \
    }

POOL_DESC(maxpool1d, max_attrs);
POOL_DESC(maxpool2d, max_attrs);
POOL_DESC(maxpool3d, max_attrs);
POOL_DESC(avgpool1d, avg_attrs);
POOL_DESC(avgpool2d, avg_attrs);
POOL_DESC(avgpool3d, avg_attrs);

const OpDesc op_global_avgpool = {
    .name = "global_avgpool", .flags = OPF_GLOBAL | OPF_EPILOGUE, .min_in = 1, .max_in = 1,
    .infer = global_infer, .params = op_no_params, .macs = op_no_macs,
    .emit_ref = global_emit_ref, .emit = global_emit, .choose = global_choose,
};

const OpDesc op_global_maxpool = {
    .name = "global_maxpool", .flags = OPF_GLOBAL | OPF_EPILOGUE, .min_in = 1, .max_in = 1,
    .infer = global_infer, .params = op_no_params, .macs = op_no_macs,
    .emit_ref = global_emit_ref, .emit = global_emit, .choose = global_choose,
};
