/* conv_lanes.c — -O2 depthwise conv2d with the channels in the vector lanes.
 *
 * For a depthwise conv2d (multiplier 1, 16k channels, zero padding) whose
 * input or output is channel-blocked: per block of 16 channels and band of
 * output rows, the padded input rows the band reads are copied into
 * tp [rows][Wp][16] (a plain copy from a blocked input, a transpose from a
 * C-order one; the rows two bands share are copied for each), the taps'
 * 16-channel weight vectors stay in registers where they fit (else each
 * run reads them tap by tap), and a run of RW output positions of a row
 * accumulates
 *   acc[r] += tp[(oh - oh0)*sh + i*dh][(ow + r)*sw + k*dw][:] * w[:][i][k]
 * lane by lane; each position then stores its 16 channels at once into a
 * blocked output, and a run's 16 rows of RW positions into a C-order one. */
#include "conv_kernels.h"

#include <string.h>

/* positions per run: wide, 8 with the taps' weights in registers; narrow,
 * 4 with the weights as memory operands */
static int lanes_rw(Regs r) { return r == REGS_WIDE ? 8 : 4; }

/* the taps' weight vectors copied into a local array (wk), where they fit
 * in registers beside a run's accumulators and an input vector; else read
 * from the packed parameter at each tap of each run, through a pointer
 * made fresh in the run (CNNRT_FRESH): gcc kept the local array of 25 (a
 * 5x5 window) or 9 (AVX2) in registers, and hoisted the loads of a pointer
 * out of the runs, and spilled the accumulators around every multiply-add
 * (EfficientNet-B0's 5x5 layers under gcc -O2, AVX2: 2.7x clang's time) */
static bool lanes_hold(Regs r, int64_t taps) { return regs_fit(r, lanes_rw(r), (int)taps + 1); }

/* the geometry the kernel reads: channels, input and output sizes, the
 * padded input's rows and columns the window reaches, window and padding */
typedef struct {
    int64_t C, H, W, OH, OW, Hp, Wp, kh, kw, sh, sw, dh, dw, pt, pl;
    int64_t band;   /* output rows per band */
} LanesTile;

/* what the kernel body is written for: the layer and its tile */
typedef struct {
    const Layer *L;
    const LanesTile *t;
} LanesBody;

/* the padded rows a band of n output rows reads */
static int64_t band_rows(const LanesTile *t, int64_t n) { return (n - 1) * t->sh + (t->kh - 1) * t->dh + 1; }

/* depthwise by its shape, not its name: a conv2d with groups = C = out (an
 * ONNX Conv's `group`) is the same kernel */
bool conv_lanes_ok(const Layer *L, const Shape *in) {
    const Window *w = &L->win;
    return (L->op == &op_depthwise_conv2d || L->op == &op_conv2d) && w->nd == 2 && in->rank == 3 &&
           in->dim[0] % 16 == 0 && L->groups == in->dim[0] && L->shape.dim[0] == in->dim[0] && w->k[0] * w->k[1] <= 64 &&
           strcmp(conv_pad_mode(L), "zeros") == 0;
}

const void *conv_lanes_tile(const Layer *L, const Shape *in, const Options *o, int64_t *temp) {
    const Window *w = &L->win;
    LanesTile *t = xcalloc(1, sizeof *t);
    *t = (LanesTile){
        .C = in->dim[0], .H = in->dim[1], .W = in->dim[2], .OH = L->shape.dim[1], .OW = L->shape.dim[2],
        .kh = w->k[0], .kw = w->k[1], .sh = w->s[0], .sw = w->s[1], .dh = w->d[0], .dw = w->d[1],
        .pt = w->pb[0], .pl = w->pb[1],
    };
    t->Hp = (t->OH - 1) * t->sh + (t->kh - 1) * t->dh + 1;
    t->Wp = (t->OW - 1) * t->sw + (t->kw - 1) * t->dw + 1;
    /* bands of output rows whose padded input fits a quarter of the cache
     * the weights are blocked for, at least one row: the band is read from
     * the cache right after its copy, where the whole padded input (817 KiB
     * for 16 channels at 112 x 112) went out to the next level before it
     * was read (MobileNetV2: 0.97-0.99x the time; EfficientNet-B0: 10%
     * less scratch) */
    int64_t budget = target_weight_cache(o) / 4;
    t->band = 1;
    while (t->band < t->OH && band_rows(t, t->band + 1) * t->Wp * 64 <= budget) t->band++;
    int64_t bands = (t->OH + t->band - 1) / t->band;
    t->band = (t->OH + bands - 1) / bands;   /* as many bands, as even as they go */
    *temp = band_rows(t, t->band) * t->Wp * 16;
    return t;
}

static void lanes_data(Emit *e, const Layer *L, const void *tile) {
    const LanesTile *t = tile;
    const Param *w = layer_param(L, "weight"), *b = layer_param(L, "bias");
    int64_t C = t->C, taps = t->kh * t->kw;
    float *pk = xcalloc((size_t)(C * taps), sizeof(float)), *pb = xcalloc((size_t)C, sizeof(float));
    for (int64_t c = 0; c < C; c++)
        for (int64_t k = 0; k < taps; k++) pk[(c / 16 * taps + k) * 16 + c % 16] = w->data[c * taps + k];
    for (int64_t c = 0; b && c < C; c++) pb[c] = b->data[c];
    emit_array(e, xasprintf("%s.weight packed [%lld][%lld][16]: channel block, tap, channel in block", L->name,
                            (long long)(C / 16), (long long)taps),
               emit_param(e, L, "packed"), pk, C * taps);
    emit_array(e, xasprintf("%s.bias", L->name), emit_param(e, L, "bias_packed"), pb, C);
}

/* a run of n (8 or 4) positions into C order: each position's 16 values
 * (through the epilogue) into tr[r], then log2(n) rounds of zips, which
 * leave in tr[j] channels j * 16/n ... of the run's n positions in turn,
 * stored n floats at a time: 16 stores of a row's run where 16 x n single
 * floats went to 16 rows (MobileNetV2's first strided depthwise conv, under
 * clang, 131 -> 63 us; EfficientNet-B0's, 0.97x the network's time) */
static void lanes_store_transposed(Emit *e, const LanesTile *t, int n) {
    long long OH = t->OH, OW = t->OW, per = 16 / n;
    emit_line(e, "cnnrt_v16 tr[%d];", n);
    emit_line(e, "CNNRT_UNROLL");
    LOOP(e, "r", n) {
        const char *r = loop_var("r", n);
        emit_tile_lanes(e, xasprintf("res[%s]", r), false);
        /* the index of channel l at this position, where the epilogue reads other inputs */
        const char *idx = xasprintf("%s + l * %lld", cx_plus(cx_mul(cx_plus(cx_mul("(size_t)cb", 16 * OH), "oh"), OW),
                                                            cx_plus("ow", r)), OH * OW);
        emit_line(e, "float vals[16];");
        emit_line(e, "CNNRT_SIMD16");
        BLOCK(e, "for (int l = 0; l < 16; l++)") {
            emit_line(e, "const float lane = lanes[l];");
            if (emit_has_epilogue(e))
                emit_epilogue(e, idx, "cb * 16 + l", "lane", "vals[l]");
            else
                emit_line(e, "vals[l] = lane;");
        }
        emit_line(e, "memcpy(&tr[%s], vals, sizeof vals);", r);
    }
    /* log2(n) rounds of the same zips, each into its own array with
     * constant indices, so that all stay in registers */
    int rounds = n == 8 ? 3 : 2;
    const char *from = "tr";
    for (int k = 0; k < rounds; k++) {
        const char *to = k + 1 < rounds ? xasprintf("z%d", k) : "tr";
        if (k + 1 < rounds) emit_line(e, "cnnrt_v16 %s[%d];", to, n);
        for (int i = 0; i < n / 2; i++)
            emit_line(e, "CNNRT_ZIP16(%s[%d], %s[%d], %s[%d], %s[%d]);", to, 2 * i, to, 2 * i + 1, from, i, from, i + n / 2);
        from = to;
    }
    emit_line(e, "float *restrict yo = y + (size_t)(cb * %lld + oh) * %lld + ow;", 16 * OH, OW);
    emit_line(e, "CNNRT_UNROLL");
    FOR(e, "j", n) FOR(e, "k", per)
        emit_line(e, "memcpy(yo + (size_t)(j * %lld + k) * %lld, (const float *)&tr[j] + k * %d, sizeof(float) * %d);", per,
                  OH * OW, n, n);
}

/* tap (i, k) of a run of n positions: its weight vector (wk[tap], or a
 * load from wt, the run's fresh pointer to them, where they are not held)
 * times each position's input */
static void lanes_tap(Emit *e, const LanesTile *t, int n, int64_t i, int64_t k, bool hold, bool fresh) {
    const char *r = loop_var("r", n), *col = cx_plus("ow", r);   /* ow + r */
    long long tap = i * t->kw + k;
    if (!hold) {
        emit_line(e, "cnnrt_v16 wv;");
        emit_line(e, "CNNRT_LOAD16(wv, wt + %lld);", tap * 16);
    }
    if (fresh) {
        emit_line(e, "const float *restrict src = rowp;");
        emit_line(e, "CNNRT_FRESH(src);");
    }
    if (n > 1) emit_line(e, "CNNRT_UNROLL");
    LOOP_SCOPE(e, "r", n) {
        emit_line(e, "cnnrt_v16 xv;");
        emit_line(e, fresh ? "CNNRT_LOAD16(xv, src + %s);" : "CNNRT_LOAD16(xv, rowp + %s);",
                  cx_mul(cx_add(cx_mul(cx_size(col), t->sw), i * t->dh * t->Wp + k * t->dw), 16));
        if (hold)
            emit_line(e, "CNNRT_FMAV16(acc[%s], xv, wk[%lld]);", r, tap);
        else
            emit_line(e, "CNNRT_FMAV16(acc[%s], xv, wv);", r);
    }
}

/* one run of n output positions starting at column ow of row oh */
static void lanes_tile(Emit *e, const LanesTile *t, int n, bool blocked_out, Regs regs) {
    long long OH = t->OH, OW = t->OW;
    bool hold = lanes_hold(regs, t->kh * t->kw);
    SCOPE(e) {
        emit_line(e, "cnnrt_v16 acc[%d];", n);
        const char *r = loop_var("r", n), *col = cx_plus("ow", r);   /* ow + r */
        if (n > 1) emit_line(e, "CNNRT_UNROLL");
        emit_line(e, "%sacc[%s] = bias;", loop_head("r", n), r);
        if (!hold) {
            emit_line(e, "const float *restrict wt = wk;   /* read here, not hoisted out of the runs (gcc) */");
            emit_line(e, "CNNRT_FRESH(wt);");
        }
        /* each tap's inputs read fresh where a row of taps' inputs (n + kw
         * - 1 vectors) would not fit in registers beside the accumulators:
         * gcc kept those the taps share (tap k + 1 at position r is tap k
         * at r + 1) and spilled them (a 5x5 layer's AVX2 kernel, 168
         * vector stack accesses; 94 fresh, those of the epilogue's
         * constants) */
        bool fresh = !regs_fit(regs, n, n + (int)t->kw);
        for (int64_t i = 0; i < t->kh; i++)
            for (int64_t k = 0; k < t->kw; k++) {
                if (hold && !fresh)
                    lanes_tap(e, t, n, i, k, hold, fresh);
                else
                    SCOPE(e) lanes_tap(e, t, n, i, k, hold, fresh);
            }
        emit_tile_results_clamped(e, n, 0, true);
        if (!blocked_out && (n == 8 || n == 4))
            lanes_store_transposed(e, t, n);
        else
            LOOP(e, "r", n) {
                emit_tile_lanes(e, xasprintf("res[%s]", r), blocked_out);
                if (blocked_out)
                    emit_line(e, "const int base = %s;", cx_mul(cx_plus(cx_mul(cx_plus(cx_mul("cb", OH), "oh"), OW), col), 16));
                else
                    emit_line(e, "const int base = %s;", cx_plus(cx_mul(cx_plus(cx_mul("cb", 16 * OH), "oh"), OW), col));
                conv_store_lanes(e, "l", "0", "16", blocked_out, NULL,
                                 blocked_out ? "base + l" : cx_plus("base", cx_mul("l", OH * OW)), "cb * 16 + l");
            }
        emit_tile_stored(e);
    }
}

/* the output rows of one band (all of them with one band), in runs of
 * lanes_rw(r) positions; rowp is output row oh's first padded row in tp */
static void lanes_rows(Emit *e, const LanesTile *t, Regs r) {
    long long OH = t->OH, OW = t->OW, step = t->sh * t->Wp * 16;
    int rw = lanes_rw(r);
    bool blocked_out = emit_blocked(e, e->k->out);
    emit_line(e, "/* runs of %d output positions */", rw);
    if (t->band >= OH) {
        emit_for(e, "oh", OH);
        emit_line(e, "const float *restrict rowp = tp + (size_t)oh * %lld;", step);
    } else {
        emit_open(e, "for (int oh = oh0; oh < oh0 + nb; oh++)");
        emit_line(e, "const float *restrict rowp = tp + (size_t)(oh - oh0) * %lld;", step);
    }
    if (OW >= rw) BLOCK(e, "for (int ow = 0; ow + %d <= %lld; ow += %d)", rw, OW, rw) lanes_tile(e, t, rw, blocked_out, r);
    if (OW % rw)
        SCOPE(e) {
            emit_line(e, "const int ow = %lld;", OW - OW % rw);
            lanes_tile(e, t, (int)(OW % rw), blocked_out, r);
        }
    emit_close(e);
}

/* copy the padded rows the band reads into tp: row j of tp is padded row
 * r = oh0 * sh + j (r = j with one band) */
static void lanes_copy(Emit *e, const Layer *L, const LanesTile *t) {
    long long H = t->H, W = t->W, Wp = t->Wp, pt = t->pt, pl = t->pl;
    bool bin = emit_blocked(e, L->in[0]);
    /* the columns inside the input: q0 <= q < q1 */
    long long q0 = pl < Wp ? pl : Wp, q1 = pl + W < Wp ? pl + W : Wp;
    if (q1 < q0) q1 = q0;
    if (t->band >= t->OH) {
        emit_for(e, "r", t->Hp);
        emit_line(e, "float *restrict row = tp + (size_t)r * %lld;", Wp * 16);
    } else {
        emit_line(e, "const int nb = %lld - oh0 < %lld ? %lld - oh0 : %lld;   /* output rows in this band */", (long long)t->OH,
                  (long long)t->band, (long long)t->OH, (long long)t->band);
        emit_open(e, "for (int j = 0; j < (nb - 1) * %lld + %lld; j++)", (long long)t->sh,
                  (long long)((t->kh - 1) * t->dh + 1));
        emit_line(e, "float *restrict row = tp + (size_t)j * %lld;", Wp * 16);
        emit_line(e, "const int r = oh0 * %lld + j;", (long long)t->sh);
    }
    emit_line(e, "const int ih = r - %lld;", pt);
    BLOCK(e, "if (ih < 0 || ih >= %lld)", H) {
        emit_line(e, "memset(row, 0, sizeof(float) * %lld);", Wp * 16);
        emit_line(e, "continue;");
    }
    if (q0 > 0) emit_line(e, "memset(row, 0, sizeof(float) * %lld);", q0 * 16);
    if (q1 < Wp) emit_line(e, "memset(row + %lld, 0, sizeof(float) * %lld);", q1 * 16, (Wp - q1) * 16);
    if (bin) {
        emit_line(e, "memcpy(row + %lld, x0 + (((size_t)cb * %lld + ih) * %lld) * 16, sizeof(float) * %lld);", q0 * 16, H,
                  W, (q1 - q0) * 16);
    } else {
        FOR(e, "l", 16) {
            emit_line(e, "const float *restrict src = x0 + ((size_t)(cb * 16 + l) * %lld + ih) * %lld;", H, W);
            emit_line(e, "for (int q = %lld; q < %lld; q++) row[q * 16 + l] = src[q - %lld];", q0, q1, pl);
        }
    }
    emit_close(e);
}

/* per block of 16 channels: its weights and bias, then each band's rows
 * copied and computed, for the registers of class r */
static void lanes_blocks(Emit *e, const void *ctx, Regs r) {
    const Layer *L = ((const LanesBody *)ctx)->L;
    const LanesTile *t = ((const LanesBody *)ctx)->t;
    long long C = t->C, taps = t->kh * t->kw;
    const char *packed = emit_param(e, L, "packed");
    FOR(e, "cb", C / 16) {
        emit_line(e, "float *restrict tp = t;");
        if (lanes_hold(r, taps)) {
            emit_line(e, "cnnrt_v16 wk[%lld], bias;", taps);
            emit_line(e, "memcpy(wk, %s + (size_t)cb * %lld, sizeof wk);", packed, taps * 16);
        } else {
            emit_line(e, "const float *restrict wk = %s + (size_t)cb * %lld;", packed, taps * 16);
            emit_line(e, "cnnrt_v16 bias;");
        }
        emit_line(e, "memcpy(&bias, %s + cb * 16, sizeof bias);", emit_param(e, L, "bias_packed"));
        if (t->band >= t->OH) {
            lanes_copy(e, L, t);
            lanes_rows(e, t, r);
        } else
            BLOCK(e, "for (int oh0 = 0; oh0 < %lld; oh0 += %lld)", (long long)t->OH, (long long)t->band) {
                lanes_copy(e, L, t);
                lanes_rows(e, t, r);
            }
    }
}

static void lanes_emit(Emit *e, const Layer *L, const void *tile) {
    const LanesTile *t = tile;
    if (t->band >= t->OH)
        emit_line(e, "/* channels in the vector lanes: per block of 16 channels, tp [%lld][%lld][16] the padded input */",
                  (long long)t->Hp, (long long)t->Wp);
    else
        emit_line(e, "/* channels in the vector lanes: per block of 16 channels and band of %lld output rows, "
                     "tp [%lld][%lld][16] the band's padded input */",
                  (long long)t->band, (long long)band_rows(t, t->band), (long long)t->Wp);
    const LanesBody b = {L, t};
    emit_per_regs(e, &b, true, lanes_blocks);
}

static const char *lanes_describe(const void *tile) {
    const LanesTile *t = tile;
    int64_t taps = t->kh * t->kw;
    const char *held = lanes_hold(REGS_WIDE, taps) ? "in registers (narrow: read at each tap)" : "read at each tap";
    return xasprintf("16 channels per vector, runs of 8 positions (narrow: 4), %lld taps' weights %s; "
                     "per channel block and band of %lld output rows the padded input %lld x %lld",
                     (long long)taps, held, (long long)(t->band < t->OH ? t->band : t->OH),
                     (long long)band_rows(t, t->band < t->OH ? t->band : t->OH), (long long)t->Wp);
}

const KernelFamily conv_lanes = {
    .name = "depthwise lanes", .data = lanes_data, .emit = lanes_emit, .describe = lanes_describe,
};
