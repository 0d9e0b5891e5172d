/* conv_pixels.c — -O2 convolutions (conv1d/2d/3d, groups 1 or depthwise)
 * with vectors over 16 output positions.
 *
 * After the input is packed (flat: once, into phase planes; else per output
 * row, the band of rows its window covers; a 1x1 stride-1 convolution reads
 * it in place), tiles of P vectors of 16 positions x OCB output channels
 * accumulate every input channel and tap (unrolled): each tap loads P input
 * vectors and broadcasts OCB weights, packed at compile time. The loop
 * order streams whichever of input and weights is larger. Values leave
 * through the epilogue (bias, folded BatchNorm, activations, residual add)
 * as they leave the accumulators; depthwise tiles with padding columns go
 * through a staging area and leave row by row. */
#include "conv_kernels.h"

#include <string.h>

/* what a kernel body is written for: the layer and its tile */
typedef struct {
    const Layer *L;
    const ConvTile *t;
} Body;

/* the accumulators of one register tile through the epilogue; pv: the
 * first position of the tile (an expression) */
static void store_tile(Emit *e, const ConvTile *t, int P, int RB, bool sub, const char *pv) {
    const char *j = loop_var("j", RB), *p = loop_var("p", P);
    const char *at = cx_plus(pv, cx_mul(p, 16));   /* vector p's first position */
    emit_line(e, "/* store through the epilogue */");
    emit_tile_results_clamped(e, RB, P, true);
    /* clang would vectorize the rolled loop over the tile's rows across its
     * iterations (their unrolled 16 lanes), a scatter per lane */
    if (RB > 1) emit_line(e, "CNNRT_NO_VECTORIZE");
    LOOP(e, "j", RB) {
        emit_line(e, "const int o = %s;", cx_plus(cx_mul(loop_var("ob", t->NOB), t->OCB), sub ? cx_plus("j0", j) : j));
        if (RB > 1 && t->NOB * t->OCB > t->OC) emit_line(e, "if (o >= %lld) break;", (long long)t->OC);
        BLOCK_IF(e, RB == 1 && t->NOB * t->OCB > t->OC, "if (o < %lld)", (long long)t->OC) LOOP(e, "p", P) {
            /* ((o * OD + od) * OH + oh) * OW: the output row of a band */
            const char *row = cx_mul(cx_plus(cx_mul(cx_plus(cx_mul("o", t->OD), loop_var("od", t->OD)), t->OH),
                                             loop_var("oh", t->OH)), t->OW);
            bool whole = !t->flat || t->Wp == t->OW;   /* no padding columns: a full vector is 16 consecutive outputs */
            int64_t end = t->flat ? t->OH * t->OW : t->OW;
            /* one vector at position 0 (one tile of one vector) that fits: always whole */
            bool always = whole && !strcmp(at, "0") && 16 <= end;
            emit_tile_lanes(e, xasprintf("res[%s][%s]", j, p), always);
            if (whole) {
                if (!always) emit_open(e, "if (CNNRT_LIKELY(%s <= %lld))", cx_add(at, 16), (long long)end);
                emit_line(e, "const int base = %s;", cx_plus(t->flat ? cx_mul("o", t->OH * t->OW) : row, at));
                conv_store_lanes(e, "l", "0", "16", true, NULL, "base + l", "o");
                if (always) continue;   /* the body written: the LOOP macro closes its braces */
                emit_else(e);
            }
            bool inrow = t->flat && !whole && t->OW >= 16;   /* most vectors lie in one row: stored whole */
            if (inrow) {
                emit_open(e, "/* a vector in one output row: 16 consecutive outputs */");
                emit_line(e, "const int oh = %s, ow = %s;", cx_div(at, t->Wp), cx_mod(at, t->Wp));
                emit_open(e, "if (CNNRT_LIKELY(ow <= %lld && oh < %lld))", (long long)(t->OW - 16), (long long)t->OH);
                emit_line(e, "const int base = %s + ow;", cx_mul(cx_plus(cx_mul("o", t->OH), "oh"), t->OW));
                conv_store_lanes(e, "l", "0", "16", true, NULL, "base + l", "o");
                /* else across one row end (rows of 16 or more): the lanes
                 * before it, and those after the padding columns, each a
                 * masked vector store, where runs of a row each took a loop
                 * of a variable count (MobileNetV3's 3x3/2 stem 3 -> 16 at
                 * 224: 0.81x the time under gcc, 0.70x under clang) */
                int64_t pw = t->Wp - t->OW;
                emit_else(e);
                emit_open(e, "if (oh < %lld)", (long long)t->OH);
                emit_line(e, "const int k = %lld - ow, last = oh + 1 < %lld ? 16 : k + %lld;   /* lanes [0, k) in row oh, "
                             "[k + %lld, last) in row oh + 1 */", (long long)t->OW, (long long)t->OH, (long long)pw,
                          (long long)pw);
                emit_line(e, "const size_t base = (size_t)%s * %lld + ow;", cx_paren(cx_plus(cx_mul("o", t->OH), "oh")),
                          (long long)t->OW);
                emit_line(e, "CNNRT_SIMD16");
                BLOCK(e, "for (int l = 0; l < 16; l++)") {
                    BLOCK(e, "if (l < k)") {
                        emit_line(e, "const float lane = lanes[l];");
                        emit_store(e, "base + l", "o", "lane");
                    }
                    BLOCK(e, "if (l >= k + %lld && l < last)", (long long)pw) {
                        emit_line(e, "const float lane = lanes[l];");
                        emit_store(e, xasprintf("base + l - %lld", (long long)pw), "o", "lane");
                    }
                }
            } else if (t->flat) {
                /* the vector as runs of one output row each, stored lane by lane */
                BLOCK(e, "for (int l = 0, q = %s; l < 16; )", at) {
                    emit_line(e, "const int oh = %s, ow = %s;", cx_div("q", t->Wp), cx_mod("q", t->Wp));
                    emit_line(e, "if (oh >= %lld) break;", (long long)t->OH);
                    emit_line(e, "const int n = %lld - ow < 16 - l ? %lld - ow : 16 - l;   /* lanes in this row */",
                              (long long)t->Wp, (long long)t->Wp);
                    emit_line(e, "const int m = %lld - ow < n ? %lld - ow : n;   /* and not in padding columns */",
                              (long long)t->OW, (long long)t->OW);
                    emit_line(e, "const int base = %s + ow - l;", cx_mul(cx_plus(cx_mul("o", t->OH), "oh"), t->OW));
                    emit_line(e, "const int end = l + m < 16 ? l + m : 16;   /* l + m <= 16, which gcc's -Warray-bounds "
                              "cannot see */");
                    conv_store_lanes(e, "k", "l", "end", true, NULL, "base + k", "o");
                    emit_line(e, "l += n;");
                    emit_line(e, "q += n;");
                }
            } else {
                emit_line(e, "const int n = %s;", strcmp(at, "0") ? xasprintf("%lld - %s", (long long)t->OW, cx_paren(at))
                                                                   : xasprintf("%lld", (long long)t->OW));
                conv_store_lanes(e, "l", "0", "n", false, NULL, cx_plus(cx_plus(row, at), "l"), "o");
            }
            if (whole) emit_close(e);
            if (inrow) emit_close_n(e, 3);
        }
    }
    emit_tile_stored(e);
}

/* the staged accumulators of a channel block, row by row through the epilogue */
static void store_staged(Emit *e, const ConvTile *t) {
    emit_line(e, "/* store the block's rows through the epilogue */");
    FOR(e, "j", t->OCB) {
        emit_line(e, "const int o = %s;", cx_plus(cx_mul(loop_var("ob", t->NOB), t->OCB), "j"));
        emit_line(e, "if (o >= %lld) break;", (long long)t->OC);
        FOR(e, "oh", t->OH) {
            emit_line(e, "const float *restrict s = u + (size_t)j * %lld + oh * %lld;", (long long)t->NQ, (long long)t->Wp);
            emit_line(e, "const int base = (o * %lld + oh) * %lld;", (long long)t->OH, (long long)t->OW);
            FOR_SIMD(e, "ow", t->OW) {
                emit_line(e, "const float v = s[ow];");
                emit_store(e, "base + ow", "o", "v");
            }
        }
    }
}

/* one tap of the register tile: acc[j][p] += w[j] * x[p]; sub: the tile's
 * RB channels are block j0 of the packed OCB */
static void tap(Emit *e, const ConvTile *t, int P, int RB, bool sub, int64_t band, int64_t a, int64_t i, int64_t k) {
    const char *ob = loop_var("ob", t->NOB), *j = loop_var("j", RB), *jb = sub ? cx_plus("j0", j) : j;
    const char *title = t->kd > 1 ? xasprintf("/* tap %lld,%lld,%lld */", (long long)a, (long long)i, (long long)k)
                                  : xasprintf("/* tap %lld,%lld */", (long long)i, (long long)k);
    BLOCK(e, "%s", title) {
        emit_line(e, "const float *restrict src = %s;", cx_add("tc", conv_tap_offset(t, a, i, k)));
        emit_line(e, "const float *restrict wk = %s;", cx_add("wc", ((a * t->kh + i) * t->kw + k) * t->OCB));
        /* the tap before done first, this one's weights read after (clang
         * 19 hoisted a loop body's 25 taps' broadcasts and spilled them) */
        bool taps = t->kd * t->kh * t->kw > 1;
        emit_line(e, "CNNRT_%s_FENCE(acc, %d, %d, wk);", taps ? "TAPS" : "TILE", RB, P);
        if (t->diag) {
            if (RB > 1) emit_line(e, "CNNRT_UNROLL");
            BLOCK_IF(e, RB > 1, "for (int j = 0; j < %d; j++)", RB) {
                if (conv_block_pack(t)) {   /* this block's channels only */
                    emit_line(e, "const int jc = %s < %lld ? %s : 0;", cx_plus(cx_mul(ob, t->OCB), jb), (long long)t->OC, jb);
                    emit_load_vectors(e, "xv", P, xasprintf("src + (size_t)jc * %lld", (long long)band), false);
                } else {
                    const char *oc = cx_plus(cx_mul(ob, t->OCB), jb);
                    emit_line(e, "const int oc = %s < %lld ? %s : 0;", oc, (long long)t->OC, oc);
                    emit_load_vectors(e, "xv", P,
                                      xasprintf("src + (size_t)%s * %lld", cx_paren(cx_div("oc", t->og)), (long long)band),
                                      false);
                }
                emit_fma_row(e, P, j);
            }
        } else {
            /* from one input channel, the register blocks j0 of a packed
             * block read the same input vectors: gcc hoisted all the taps'
             * loads out of their loop (a 3x3x3 conv3d: 27 taps x 2 vectors)
             * and spilled them; under gcc each tap's src is read where the
             * tap is. Over 8 or more channels too: there gcc kept loads of
             * several taps live at once and spilled the tile (LeNet-5's
             * 5x5 layer from 20: 41 stack accesses, 10 fresh; the network
             * 0.89x the time; activity1d's conv1d from 16 0.91x). Not over
             * 3 (measured, not understood: ResNet-18's 7x7/2 first layer
             * 1.03x the time; activity1d 1.048x with its first conv1d
             * fresh too, 0.911x without) */
            if (sub && taps && (t->cg == 1 || t->cg >= 8)) emit_line(e, "CNNRT_FRESH(src);");
            emit_load_vectors(e, "xv", P, "src", RB > 1);
            emit_tile_fma(e, RB, P);
        }
    }
}

/* the register tile of class r is the tile, or a narrow one of j0 blocks
 * of its OCB (and fewer vectors) inside the packed OCB */
static void pixel_vectors(Emit *e, const void *ctx, Regs r) {
    const Layer *L = ((const Body *)ctx)->L;
    const ConvTile *t = ((const Body *)ctx)->t;
    RegTile rt = r == t->regs ? (RegTile){t->P, t->OCB, 0} : t->nar;
    int P = rt.P, RB = rt.OCB;
    bool sub = RB < t->OCB;   /* register blocks j0 of RB channels */
    long long taps = t->kd * t->kh * t->kw;
    const char *ob = loop_var("ob", t->NOB);
    if (t->flat) emit_line(e, "/* tiles of %d output channels x %d x 16 positions of the padded output rows */", RB, P);
    else emit_line(e, "/* tiles of %d output channels x %d x 16 pixels of a row */", RB, P);
    long long band = t->flat ? conv_flat_band(t) : t->kd * t->kh * t->sw * t->Wq;
    bool pixels_outer = conv_pixels_first(t), copy = conv_tile_copy(t), direct = conv_direct(t);
    if (conv_staged(t))
        emit_line(e, "float *restrict u = t + %lld;   /* staging [%d][%lld] */", (long long)conv_pack_floats(t), t->OCB,
                  (long long)t->NQ);
    /* the tiles' positions: a loop, or one tile at 0 */
    bool tiles = t->OWp > 16 * P;
    const char *pv = tiles ? "pv" : "0", *pv_loop = xasprintf("for (int pv = 0; pv < %lld; pv += %d)", (long long)t->OWp, 16 * P);
    BLOCK_IF(e, pixels_outer && tiles, "%s", pv_loop) {
        if (copy) {
            long long plane = t->H * t->W;
            emit_line(e, "/* the tile's positions of every channel, contiguous in t: read by every channel block, "
                      "they stay in L1 (planes a multiple of 1 KiB apart would share a few of its sets) */");
            if (tiles) emit_line(e, "const int n = %lld - pv < %d ? %lld - pv : %d;", plane, 16 * P, plane, 16 * P);
            else emit_line(e, "const int n = %lld;", plane < 16 * P ? plane : 16 * P);
            const char *c = loop_var("c", t->C);
            LOOP(e, "c", t->C) {
                emit_line(e, "memcpy(%s, %s, sizeof(float) * n);", cx_at("t", cx_mul(c, 16 * t->P)),
                          cx_at("x0", cx_plus(cx_mul(cx_size(c), plane), pv)));
                emit_line(e, "if (n < %d) memset(%s + n, 0, sizeof(float) * (%d - n));", 16 * P,
                          cx_at("t", cx_mul(c, 16 * t->P)), 16 * P);
            }
        }
        LOOP(e, "ob", t->NOB) {
            emit_line(e, "const float *restrict wb = %s;", cx_at(emit_param(e, L, "packed"), cx_mul(ob, t->cg * taps * t->OCB)));
            if (conv_block_pack(t)) {
                if (t->NOB == 1)   /* the channels of the block */
                    emit_line(e, "const int nc = %lld;", (long long)(t->C < t->OCB ? t->C : t->OCB));
                else
                    emit_line(e, "const int nc = %lld - ob * %d < %d ? %lld - ob * %d : %d;", (long long)t->C, t->OCB,
                              t->OCB, (long long)t->C, t->OCB, t->OCB);
                conv_phase_planes(e, t->pad, emit_blocked(e, L->in[0]), t->OCB, cx_mul(ob, t->OCB), "nc", t->H,
                                  t->W, t->sh, t->sw, t->nphr, t->nphc, t->pt, t->pl, t->Hp, t->Wp, conv_flat_slack(t));
            }
            BLOCK_IF(e, !pixels_outer && tiles, "%s", pv_loop)
            BLOCK_IF(e, sub, "for (int j0 = 0; j0 < %d; j0 += %d)", t->OCB, RB) {
                emit_line(e, "cnnrt_v16 acc[%d][%d];", RB, P);
                emit_tile_splat(e, RB, P, emit_param(e, L, "bias_packed"), cx_plus(cx_mul(ob, t->OCB), sub ? "j0" : "0"));
                if (t->fetch_out) {
                    long long plane = t->OH * t->OW, all = t->OC * plane;
                    emit_line(e, "/* the lines this tile stores at the next tile's positions */");
                    const char *o = cx_plus(cx_mul(ob, t->OCB), sub ? cx_plus("j0", loop_var("j", RB)) : loop_var("j", RB));
                    if (RB > 1) emit_line(e, "CNNRT_UNROLL");
                    BLOCK_IF(e, RB > 1, "for (int j = 0; j < %d; j++)", RB) {
                        emit_line(e, "const size_t at = (size_t)%s * %lld + %s;", cx_paren(o), plane, cx_add(pv, 16 * P));
                        emit_line(e, "%sCNNRT_PREFETCH_W(y + (at + 16 * %s < %lld ? at + 16 * %s : 0));", loop_head("p", P),
                                  loop_var("p", P), all, loop_var("p", P));
                    }
                }
                if (direct && !copy) {
                    long long plane = t->H * t->W, tail = t->NQ - 16 * t->P;
                    emit_line(e, "const int whole = %s <= %lld;   /* else the copied tail */", cx_add(pv, 16 * P), plane);
                    if (P == t->P) emit_line(e, "const float *restrict src0 = whole ? %s : t;", cx_at("x0", pv));
                    else emit_line(e, "const float *restrict src0 = whole ? %s : t + (%s);", cx_at("x0", pv),
                                   cx_add(pv, -tail));
                    if (t->cg > 1) emit_line(e, "const long long cs = whole ? %lld : %d;", plane, 16 * t->P);
                }
                const char *c = loop_var("c", t->cg);
                LOOP(e, "c", t->cg) {
                    if (copy)
                        emit_line(e, "const float *restrict tc = %s;", cx_at("t", cx_mul(c, 16 * t->P)));
                    else if (direct)
                        emit_line(e, "const float *restrict tc = %s;", cx_at("src0", strcmp(c, "0") ? "c * cs" : "0"));
                    else if (t->diag)   /* output channel o reads input channel o / og */
                        emit_line(e, "const float *restrict tc = %s;", cx_at("t", pv));
                    else
                        emit_line(e, "const float *restrict tc = %s;", cx_at("t", cx_plus(cx_mul(cx_size(c), band), pv)));
                    emit_line(e, "const float *restrict wc = %s;", cx_at("wb", cx_plus(sub ? "j0" : "0", cx_mul(c, taps * t->OCB))));
                    for (int64_t a = 0; a < t->kd; a++)   /* the window, unrolled */
                        for (int64_t i = 0; i < t->kh; i++)
                            for (int64_t k = 0; k < t->kw; k++) tap(e, t, P, RB, sub, band, a, i, k);
                }
                const char *j = loop_var("j", RB);
                if (conv_staged(t))
                    LOOP(e, "j", RB)
                        emit_line(e, "%sCNNRT_STORE16(%s, acc[%s][%s]);", loop_head("p", P),
                                  cx_plus(cx_at("u", cx_plus(cx_mul(cx_size(sub ? cx_plus("j0", j) : j), t->NQ), pv)),
                                          cx_mul(loop_var("p", P), 16)),
                                  j, loop_var("p", P));
                else
                    store_tile(e, t, P, RB, sub, pv);
            }
            if (conv_staged(t)) store_staged(e, t);
        }
    }
}

static void pixels_emit(Emit *e, const Layer *L, const void *tile) {
    const ConvTile *t = tile;
    const Body b = {L, t};
    bool differ = t->nar.P != t->P || t->nar.OCB != t->OCB;
    if (!t->flat) {
        LOOP(e, "od", t->OD) LOOP(e, "oh", t->OH) {
            conv_pack_band(e, t);
            emit_per_regs(e, &b, differ, pixel_vectors);
        }
        return;
    }
    if (conv_tile_copy(t)) {
        /* each pixel tile copies its positions (pixel_vectors) */
    } else if (conv_direct(t)) {
        long long plane = t->H * t->W, tail = t->NQ - 16 * t->P, n = plane - tail;
        emit_line(e, "/* t [%lld][%d]: each channel's last %lld positions, zero-padded */", (long long)t->C, 16 * t->P, n);
        const char *c = loop_var("c", t->C);
        LOOP(e, "c", t->C) {
            emit_line(e, "memcpy(%s, %s, %s);", cx_at("t", cx_mul(c, 16 * t->P)), cx_at("x0", cx_add(cx_mul(c, plane), tail)),
                      cx_mul("sizeof(float)", n));
            if (n < 16 * t->P)
                emit_line(e, "memset(%s, 0, sizeof(float) * %lld);", cx_at("t", cx_add(cx_mul(c, 16 * t->P), n)),
                          16 * t->P - n);
        }
    } else if (!conv_block_pack(t)) {
        conv_pack_flat(e, L, t);
    }
    emit_per_regs(e, &b, differ, pixel_vectors);
}

const KernelFamily conv_pixels = {
    .name = "pixel vectors", .data = conv_packed_data, .emit = pixels_emit, .describe = conv_tile_describe,
};
