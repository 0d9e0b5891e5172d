/* dense.c — a fully connected layer, y = W x + b with W [out, in], as
 * PyTorch's nn.Linear: on a vector, or on the last axis of a tensor (every
 * row of `in` numbers maps to `out`). */
#include "cnnc.h"

#include <string.h>

static const AttrDesc dense_attrs[] = {
    {"out", A_INT, .required = true, .min = 1},
    {"bias", A_BOOL, .idef = 1},
};

static bool dense_infer(Layer *L, const Shape *in, int nin) {
    (void)nin;
    L->shape = *in;
    L->shape.dim[in->rank - 1] = attr_int(L, "out");
    return true;
}

static int64_t rows_of(const Shape *in) { return shape_elems(in) / in->dim[in->rank - 1]; }

static void dense_params(Layer *L, const Shape *in) {
    int64_t n = in->dim[in->rank - 1], w[2] = {attr_int(L, "out"), n};
    add_param(L, "weight", 2, w);
    param_fan_in(L, n);
    if (in->rank > 1) {   /* weights made for the flattened input: a forgotten flatten */
        Param *p = &L->param[L->nparam - 1];
        p->likely = (Shape){.rank = 2, .dim = {w[0], shape_elems(in)}};
        p->hint = xasprintf("'%s' maps the last axis of its %s input, as PyTorch's Linear; "
                            "for the whole input insert 'flatten;' before it", L->name, shape_str(in));
    }
    if (attr_bool(L, "bias")) {
        add_param(L, "bias", 1, w);
        param_fan_in(L, n);
    }
}

static int64_t dense_macs(const Layer *L, const Shape *in) {
    return attr_int(L, "out") * shape_elems(in);
}

/* the epilogue's channel of output row r: the vector's element o itself, or
 * the first axis of a tensor [C, ..., out] */
static const char *chan_of(const Shape *in) {
    if (in->rank == 1) return "o";
    return cx_div("r", rows_of(in) / in->dim[0]);
}

/* y[r, o] = b[o] + sum_i W[o, i] * x[r, i] */
static void dense_emit_ref(Emit *e, const Layer *L) {
    const Shape *s = emit_in_shape(e, L, 0);
    long long in = (long long)s->dim[s->rank - 1], out = (long long)L->shape.dim[L->shape.rank - 1],
              rows = (long long)rows_of(s);
    const char *r = loop_var("r", rows);
    LOOP(e, "r", rows) FOR(e, "o", out) {
        emit_line(e, "float acc = %s;", layer_param(L, "bias") ? xasprintf("%s[o]", emit_param(e, L, "bias")) : "0.0f");
        FOR(e, "i", in)
            emit_line(e, "acc += %s[o * %lld + i] * x0[%s];", emit_param(e, L, "weight"), in,
                      cx_plus(cx_mul(r, in), "i"));
        emit_store(e, cx_plus(cx_mul(r, out), "o"), chan_of(s), "acc");
    }
}

/* -O2: a batch-1 dense layer can only stream its weights (bench/README.md): rows
 * of outputs at a time, 16 inputs per vector, one accumulator per row,
 * summed across lanes at the end. x is the input row (x0, or xr for row r
 * of a tensor); at its output index. */
static void dense_block(Emit *e, const Layer *L, const char *o0, int rows, long long in, const char *x, const char *at,
                        const char *chan) {
    const char *w = emit_param(e, L, "weight");
    long long main = in / 16 * 16;
    BLOCK(e, "/* outputs %s .. %s + %d */", o0, o0, rows - 1) {
        emit_line(e, "cnnrt_v16 acc[%d];", rows);
        emit_line(e, "CNNRT_UNROLL");
        emit_line(e, "for (int j = 0; j < %d; j++) CNNRT_SPLAT16(acc[j], 0.0f);", rows);
        const char *i = main > 16 ? "i" : "0";   /* one vector of inputs: no loop */
        if (main > 0) BLOCK_IF(e, main > 16, "for (int i = 0; i < %lld; i += 16)", main) {
            emit_line(e, "cnnrt_v16 xv;");
            emit_line(e, "CNNRT_LOAD16(xv, %s);", cx_at(x, i));
            emit_line(e, "CNNRT_UNROLL");
            BLOCK(e, "for (int j = 0; j < %d; j++)", rows) {
                emit_line(e, "cnnrt_v16 wv;");
                emit_line(e, "CNNRT_LOAD16(wv, %s);", cx_at(w, cx_plus(cx_mul(xasprintf("(size_t)(%s + j)", o0), in), i)));
                emit_line(e, "CNNRT_FMAV16(acc[j], wv, xv);");
            }
        }
        emit_tile_results(e, rows, 0);
        BLOCK(e, "for (int j = 0; j < %d; j++)", rows) {
            emit_line(e, "const int o = %s + j;", o0);
            emit_line(e, "float sum = %s;",
                      layer_param(L, "bias") ? xasprintf("%s[o]", emit_param(e, L, "bias")) : "0.0f");
            emit_line(e, "CNNRT_LANES16(lanes, res[j]);");
            emit_line(e, "for (int l = 0; l < 16; l++) sum += lanes[l];");
            if (main < in)
                emit_line(e, "for (int i = %lld; i < %lld; i++) sum += %s[(size_t)o * %lld + i] * %s[i];", main, in, w,
                          in, x);
            emit_store(e, at, chan, "sum");
        }
    }
}

/* rows of 8 outputs (wide registers) or 4 (narrow: 4 accumulators, the
 * input and a weight vector fill AVX2's 16 registers of 8 floats); a tensor
 * row by row */
static void dense_rows(Emit *e, const void *ctx, Regs r) {
    const Layer *L = ctx;
    const Shape *s = emit_in_shape(e, L, 0);
    long long in = (long long)s->dim[s->rank - 1], out = (long long)L->shape.dim[L->shape.rank - 1],
              nrows = (long long)rows_of(s);
    int rows = r == REGS_WIDE ? 8 : 4;
    const char *x = nrows > 1 ? "xr" : "x0", *at = nrows > 1 ? cx_plus(cx_mul("r", out), "o") : "o";
    LOOP(e, "r", nrows) {
        if (nrows > 1) emit_line(e, "const float *restrict xr = x0 + r * %lld;", in);
        if (out >= rows) {
            BLOCK(e, "for (int o0 = 0; o0 + %d <= %lld; o0 += %d)", rows, out, rows)
                dense_block(e, L, "o0", rows, in, x, at, chan_of(s));
        }
        if (out % rows)
            dense_block(e, L, xasprintf("%lld", out / rows * rows), (int)(out % rows), in, x, at, chan_of(s));
    }
}

static void dense_emit_fast(Emit *e, const Layer *L) {
    emit_per_regs(e, L, L->shape.dim[L->shape.rank - 1] > 4, dense_rows);
}

/* on a tensor the rows are its last axis, not the channels a BatchNorm scales */
static bool dense_foldable(const Layer *L) { return L->shape.rank == 1; }

static void dense_fold(Layer *L, const float *scale, const float *shift) {
    fold_rows(L, "weight", "bias", 1, L->shape.dim, scale, shift);
}

/* y[p, o] = b[o] + sum_i W[o, i] x[p, i] on a channels-first x (the last
 * axis moved first, passes/channels_first.c) is a 1x1 convolution with the
 * same numbers: the layer becomes one, its weight [out, in, 1...] read from
 * the file as [out, in] (Param.stored) */
static bool dense_channels_first(Layer *L, const Shape *in) {
    static const OpDesc *const convs[] = {&op_conv1d, &op_conv2d, &op_conv3d};
    if (!in) return true;
    bool bias = attr_bool(L, "bias");
    int64_t out = attr_int(L, "out");
    L->op = convs[in->rank - 2];
    L->attr = xcalloc((size_t)L->op->nattrs + 1, sizeof(Attr));
    Attr *a = (Attr *)attr_get(L, "out");
    a->set = true, a->i = out;
    a = (Attr *)attr_get(L, "kernel");
    a->set = true, a->n = 1, a->v[0] = 1;
    a = (Attr *)attr_get(L, "bias");
    a->set = true, a->i = bias;
    memset(&L->win, 0, sizeof L->win);
    if (!L->op->infer(L, in, 1)) unreachable();
    L->nparam = 0;
    L->op->params(L, in);
    L->param[0].stored = (Shape){.rank = 2, .dim = {out, in->dim[0]}};
    return true;
}

const OpDesc op_dense = {
    .name = "dense", .flags = OPF_LINEAR | OPF_GLOBAL | OPF_EPILOGUE | OPF_STREAMED, .min_in = 1, .max_in = 1,
    ATTRS(dense_attrs),
    .infer = dense_infer, .params = dense_params, .macs = dense_macs,
    .emit_ref = dense_emit_ref, .emit = dense_emit_fast, .fold = dense_fold,
    .foldable = dense_foldable, .channels_first = dense_channels_first,
};
