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
    param_fan_in(L, in->dim[0]);
    if (attr_bool(L, "bias")) {
        add_param(L, "bias", 1, w);
        param_fan_in(L, in->dim[0]);
    }
}

static int64_t dense_macs(const Layer *L, const Shape *in) {
    return L->shape.dim[0] * in->dim[0];
}

/* y[o] = b[o] + sum_i W[o, i] * x[i] */
static void dense_emit_ref(Emit *e, const Layer *L) {
    long long in = (long long)emit_in_shape(e, L, 0)->dim[0];
    FOR(e, "o", L->shape.dim[0]) {
        emit_line(e, "float acc = %s;", layer_param(L, "bias") ? xasprintf("%s[o]", emit_param(e, L, "bias")) : "0.0f");
        FOR(e, "i", in) emit_line(e, "acc += %s[o * %lld + i] * x0[i];", emit_param(e, L, "weight"), in);
        emit_store(e, "o", "o", "acc");
    }
}

/* -O2: a batch-1 dense layer can only stream its weights (bench/README.md): rows
 * of outputs at a time, 16 inputs per vector, one accumulator per row,
 * summed across lanes at the end */
static void dense_block(Emit *e, const Layer *L, const char *o0, int rows, long long in) {
    const char *w = emit_param(e, L, "weight");
    long long main = in / 16 * 16;
    BLOCK(e, "/* outputs %s .. %s + %d */", o0, o0, rows - 1) {
        emit_line(e, "cnnrt_v16 acc[%d];", rows);
        emit_line(e, "for (int j = 0; j < %d; j++) CNNRT_SPLAT16(acc[j], 0.0f);", rows);
        BLOCK(e, "for (int i = 0; i < %lld; i += 16)", main) {
            emit_line(e, "cnnrt_v16 xv;");
            emit_line(e, "memcpy(&xv, x0 + i, sizeof xv);");
            BLOCK(e, "for (int j = 0; j < %d; j++)", rows) {
                emit_line(e, "cnnrt_v16 wv;");
                emit_line(e, "memcpy(&wv, %s + (size_t)(%s + j) * %lld + i, sizeof wv);", w, o0, in);
                emit_line(e, "CNNRT_FMAV16(acc[j], wv, xv);");
            }
        }
        BLOCK(e, "for (int j = 0; j < %d; j++)", rows) {
            emit_line(e, "const int o = %s + j;", o0);
            emit_line(e, "float lanes[16], sum = %s;",
                      layer_param(L, "bias") ? xasprintf("%s[o]", emit_param(e, L, "bias")) : "0.0f");
            emit_line(e, "memcpy(lanes, &acc[j], sizeof lanes);");
            emit_line(e, "for (int l = 0; l < 16; l++) sum += lanes[l];");
            if (main < in)
                emit_line(e, "for (int i = %lld; i < %lld; i++) sum += %s[(size_t)o * %lld + i] * x0[i];", main, in, w, in);
            emit_store(e, "o", "o", "sum");
        }
    }
}

/* rows of 8 outputs (wide registers) or 4 (narrow: 4 accumulators, the
 * input and a weight vector fill AVX2's 16 registers of 8 floats) */
static void dense_rows(Emit *e, const void *ctx, Regs r) {
    const Layer *L = ctx;
    long long in = (long long)emit_in_shape(e, L, 0)->dim[0], out = (long long)L->shape.dim[0];
    int rows = r == REGS_WIDE ? 8 : 4;
    if (out >= rows) {
        BLOCK(e, "for (int o0 = 0; o0 + %d <= %lld; o0 += %d)", rows, out, rows) dense_block(e, L, "o0", rows, in);
    }
    if (out % rows) dense_block(e, L, xasprintf("%lld", out / rows * rows), (int)(out % rows), in);
}

static void dense_emit_fast(Emit *e, const Layer *L) { emit_per_regs(e, L, L->shape.dim[0] > 4, dense_rows); }

static void dense_fold(Layer *L, const float *scale, const float *shift) {
    fold_rows(L, "weight", "bias", 1, L->shape.dim, scale, shift);
}

const OpDesc op_dense = {
    .name = "dense", .flags = OPF_LINEAR | OPF_GLOBAL | OPF_EPILOGUE, .min_in = 1, .max_in = 1,
    ATTRS(dense_attrs),
    .infer = dense_infer, .params = dense_params, .macs = dense_macs,
    .emit_ref = dense_emit_ref, .emit = dense_emit_fast, .fold = dense_fold,
};
