/* conv_channels.c — -O2 conv2d (groups 1) with vectors over 16 output
 * channels.
 *
 * After the phase planes are packed (a 1x1 stride-1 unpadded convolution
 * whose runs tile the plane reads its input in place, in either layout), for
 * each block of OCV x 16 output channels and each run of RW positions q of
 * the padded output rows, acc[r][v] += w[v-th 16 channels][c][tap] *
 * plane[c][q + r + tap offset] (one weight vector load per v, one broadcast
 * per r); each position's OCV vectors then leave through the epilogue, 16
 * channels at a time: contiguous in a channel-blocked output, one store per
 * channel in a C-order one. Short rows and strides waste no lanes. */
#include "conv_kernels.h"

/* what a kernel body is written for: the layer and its tile */
typedef struct {
    const Layer *L;
    const ConvTile *t;
} Body;

/* the register tile of class regs: RW x OCV, or a narrow one of v0 blocks of
 * its OCV inside the packed OCV */
static void channel_vectors(Emit *e, const void *ctx, Regs regs) {
    const Layer *L = ((const Body *)ctx)->L;
    const ConvTile *t = ((const Body *)ctx)->t;
    long long taps = t->kd * t->kh * t->kw, band = conv_flat_band(t), OC = t->OC, OH = t->OH, OW = t->OW;
    long long nq = t->OH * t->Wp;
    int RW = regs == t->regs ? t->RW : t->nRW, OCV = regs == t->regs ? t->OCV : t->nOCV;
    bool sub = OCV < t->OCV, blocked_out = emit_blocked(e, e->k->out), passes = conv_cv_partial(t) > 0;
    long long cg = t->cg, CB = t->CB, OCB = t->OCB;
    bool by_row = regs == t->regs ? t->cv_rows : t->ncv_rows;
    long long nqi = by_row ? OH * (OW / RW) : (nq + RW - 1) / RW;   /* runs of RW positions */
    bool over = regs != t->regs && t->nover;   /* the last run starts at nq - RW */
    const char *ob = loop_var("ob", t->NOB), *q = nqi > 1 || passes ? "q" : "0", *r = loop_var("r", RW),
               *v = loop_var("v", OCV), *v0 = sub ? "v0 * 16" : "0";
    const char *bias = cx_at(emit_param(e, L, "bias_packed"), cx_plus(cx_mul(ob, t->OCB), v0));
    emit_line(e, "/* channel vectors: tiles of %d positions of %s x %d x 16 output channels */", RW,
              by_row ? "an output row" : "the padded output rows", OCV);
    if (passes) {
        emit_line(e, "/* in passes over %lld input channels at a time, whose weights stay in cache; partial sums in p */",
                  CB);
        emit_line(e, "float *restrict p = t + %lld;", (long long)(conv_cv_direct(t) ? 0 : conv_pack_floats(t)));
    }
    /* the weights stream from memory (a network's weights outgrow the
     * caches), each block's during its first run of positions, when that
     * run waits on them; the runs of a block (or pass) fetch those of the
     * next one ahead, line by line, each run its share: ResNet-18's
     * 512-channel 7x7 layers 1.40 -> 1.20 ms in the network. A narrow tile
     * inside the packed one reads each block's weights in parts (v0): its
     * last part's runs fetch the next block's whole lines; in passes, none */
    bool prefetch = !(sub && passes) && (t->NOB > 1 || passes);
    const char *wline = sub ? "wc - v0 * 16" : "wc";   /* channel c's first line in the block */
    /* the weight vectors of a tile over several taps held in registers,
     * where they fit beside the accumulators and a broadcast
     * (CNNRT_IN_REGS: gcc loaded them again for each position; a strided
     * 3x3 conv2d of 128 channels, 4 x 4, 0.90x the time under gcc). Not in
     * a 1x1 layer: MobileNet v1's ran 1.06x slower so. */
    bool hold = taps > 1 && regs_fit(regs, RW * OCV, OCV + 1);
    /* a later layer's parameter (Plan.ahead), a line every `every` channels
     * of the tiles, `lines` at a time where the channels are fewer than its
     * lines: spread over the whole run, so that it streams from memory at a
     * fraction of the bandwidth while this kernel computes */
    const Layer *S = e->plan->ahead && e->plan->ahead[L->id] ? e->g->layers[e->plan->ahead[L->id]] : NULL;
    long long abytes = 0, every = 0, alines = 0;
    if (S) {
        const Param *w = layer_largest_param(S);
        long long iters = t->NOB * (t->OCV / OCV) * nqi * cg, n;
        abytes = (long long)shape_elems(&w->shape) * 4;
        n = (abytes + 63) / 64;
        every = iters >= n ? iters / n : 1;
        alines = iters >= n ? 1 : (n + iters - 1) / iters;
        emit_line(e, "/* %s.%s (%lld bytes), which %s reads once, toward the cache: %lld line%s every %lld channel%s */",
                  S->name, w->name, abytes, S->name, alines, alines > 1 ? "s" : "", every, every > 1 ? "s" : "");
        emit_line(e, "const unsigned char *const ahead = (const unsigned char *)%s;", emit_param(e, S, w->name));
        emit_line(e, "size_t ahead_at = 0;");
        if (every > 1) emit_line(e, "int ahead_in = %lld;", every);
    }
    bool inner = sub && t->nparts_inner;   /* the parts of a block in turn for each run */
    const char *wb = cx_at(emit_param(e, L, "packed"), cx_plus(cx_mul(cx_size(ob), t->cg * taps * t->OCB), v0));
    LOOP(e, "ob", t->NOB) BLOCK_IF(e, sub && !inner, "for (int v0 = 0; v0 < %d; v0 += %d)", t->OCV, OCV) {
        if (!inner) emit_line(e, "const float *restrict wb = %s;", wb);
        BLOCK_IF(e, passes, "for (int c0 = 0; c0 < %lld; c0 += %lld)", cg, CB)
        BLOCK_IF(e, !by_row && (nqi > 1 || passes) && !over,
                 RW > 1 ? "for (int q = 0; q < %lld; q += %d)" : "for (int q = 0; q < %lld; q++)", nqi * RW, RW)
        BLOCK_IF(e, over, "for (int q0 = 0; q0 < %lld; q0 += %d)", nq, RW)
        LOOP(e, "oh", by_row ? OH : 1)
        BLOCK_IF(e, by_row && OW > RW, "for (int ow0 = 0; ow0 < %lld; ow0 += %d)", OW, RW)
        BLOCK_IF(e, inner, "for (int v0 = 0; v0 < %d; v0 += %d)", t->OCV, OCV) {
            if (inner) emit_line(e, "const float *restrict wb = %s;", wb);
            const char *oh = loop_var("oh", OH), *ow0 = OW > RW ? "ow0" : "0";
            if (over) emit_line(e, "const int q = q0 < %lld ? q0 : %lld;   /* the last run overlaps the one before */",
                                nq - RW, nq - RW);
            if (by_row && (nqi > 1 || passes)) emit_line(e, "const int q = %s;", cx_plus(cx_mul(oh, t->Wp), ow0));
            emit_line(e, "cnnrt_v16 acc[%d][%d];", RW, OCV);
            /* (uneven passes test each channel instead: below) */
            if (prefetch && !(passes && cg % CB)) emit_line(e, "const int more = %s;   /* a pass follows */",
                                    passes ? xasprintf("%s + 1 < %lld || c0 + %lld < %lld", ob, (long long)t->NOB, CB, cg)
                                    : sub    ? xasprintf("%s + 1 < %lld && v0 == %d", ob, (long long)t->NOB, t->OCV - OCV)
                                             : xasprintf("%s + 1 < %lld", ob, (long long)t->NOB));
            if (passes) emit_line(e, "float *restrict pq = p + (size_t)q * %lld%s;", OCB, sub ? " + v0 * 16" : "");
            /* the bias read per tile (CNNRT_FRESH), where the tile fits in
             * the registers: gcc held its vectors across the tiles, and
             * spilled the weights for them. (A tile that does not fit spills
             * anyway, and MobileNet v1's 7 x 4 ran 5% slower so.) */
            emit_line(e, "const float *bias = %s;", bias);
            if (regs_fit(regs, RW * OCV, OCV + 1)) emit_line(e, "CNNRT_FRESH(bias);");
            if (RW > 1 || OCV > 1) emit_line(e, "CNNRT_UNROLL");
            /* vector by vector (CNNRT_LOAD16): gcc kept a tile set by one
             * memcpy in memory for AVX2, every multiply-add a load and a store */
            const char *from = passes ? xasprintf("(c0 ? %s : bias)", cx_plus("pq", cx_mul(r, OCB))) : "bias";
            emit_line(e, "%s%sCNNRT_LOAD16(acc[%s][%s], %s);", loop_head("r", RW), loop_head("v", OCV), r, v,
                      cx_plus(from, cx_mul(v, 16)));
            /* fewer lines a channel than runs: each channel's lines all in one run, channel c's in run
             * c mod runs (a countdown to it), so that every run fetches its share, not the first few
             * runs a line each per channel and the rest none (12 1x1 layers of 1024 channels at 7x7,
             * 48 MB of weights: 0.84x the time under clang, 0.83x under gcc) */
            long long lines = (taps * t->OCB * 4 + 63) / 64;
            const char *run = !prefetch ? NULL
                              : by_row  ? cx_plus(cx_mul(loop_var("oh", OH), OW / RW), OW > RW ? cx_div("ow0", RW) : "0")
                                        : cx_div(over ? "q0" : q, RW);
            bool by_channel = prefetch && lines < nqi;
            if (by_channel) emit_line(e, "int pf = %s;   /* channels until the next one whose lines this run fetches */", run);
            /* a 1x1 layer's blocked input (its channels a multiple of 16)
             * a block of 16 channels at a time, unrolled: the channel's
             * place in the block a constant, not c / 16 and c % 16 per
             * channel (clang spent more instructions on those and on the
             * countdown of the weights' fetch than the 6 x 16 AVX2 tile's
             * 12 multiply-adds take: MobileNet v1's 512-channel 1x1 layers
             * at 14x14 0.80x the time so, 0.91x under gcc) */
            bool in_blocks = conv_cv_direct(t) && emit_blocked(e, L->in[0]) && cg % 16 == 0 && (!passes || CB % 16 == 0);
            BLOCK(e, "for (int %s = %s; %s < %s; %s)", in_blocks ? "c1" : "c", passes ? "c0" : "0", in_blocks ? "c1" : "c",
                  passes ? xasprintf("(c0 + %lld < %lld ? c0 + %lld : %lld)", CB, cg, CB, cg) : xasprintf("%lld", cg),
                  in_blocks ? "c1 += 16" : "c++") {
                if (in_blocks) emit_line(e, "CNNRT_UNROLL");
                BLOCK_IF(e, in_blocks, "for (int cl = 0; cl < 16; cl++)") {
                    if (in_blocks) emit_line(e, "const int c = c1 + cl;");
                    long long step = t->cs;   /* floats from one position to the next */
                    if (!conv_cv_direct(t)) {
                        emit_line(e, "const float *restrict tc = %s;",
                                  cx_at("t", cx_plus(cx_mul("(size_t)c", band), cx_mul(q, t->cs))));
                    } else if (in_blocks) {   /* 1x1: the input where it is, [C/16][HW][16] */
                        emit_line(e, "const float *restrict tc = x0 + %s + cl;",
                                  cx_mul(cx_plus(cx_mul("(size_t)(c1 / 16)", t->H * t->W), q), 16));
                        step = 16;
                    } else if (emit_blocked(e, L->in[0])) {
                        emit_line(e, "const float *restrict tc = x0 + %s + c %% 16;",
                                  cx_mul(cx_plus(cx_mul("(size_t)(c / 16)", t->H * t->W), q), 16));
                        step = 16;
                    } else {
                        emit_line(e, "const float *restrict tc = %s;", cx_at("x0", cx_plus(cx_mul("(size_t)c", t->H * t->W), q)));
                    }
                    emit_line(e, "const float *restrict wc = %s;", cx_plus("wb", cx_mul("c", taps * t->OCB)));
                    /* narrow: each channel's multiply-adds after the last one's
                     * (CNNRT_TILE_FENCE): clang spread a 1x1 layer's 2 x 2 tile
                     * over 16 channels at a time and spilled it, MobileNet v1's
                     * 512-channel layers at 14x14 1.26x the time, at 7x7 1.34x).
                     * Over several taps, each tap's after the last one's, under
                     * gcc too (CNNRT_TAPS_FENCE, below): gcc shared a broadcast
                     * between the taps that read the same input, which kept
                     * them live and spilled them (MobileNet v1's first layer,
                     * 3x3/2 from 3 channels, and a depthwise after it: 0.76x
                     * the time under gcc, 0.93x under clang), where the
                     * registers have no room for a tap's broadcasts beside
                     * the tile (a 3 x 16 tile of a 512-channel 3x3 layer at
                     * 7x7, fenced: 1.04x under gcc) */
                    bool tap_fence = regs == REGS_NARROW && taps > 1 && !regs_fit(regs, RW * OCV + (RW + 1) / 2, OCV + 1);
                    if (regs == REGS_NARROW && !tap_fence) emit_line(e, "CNNRT_TILE_FENCE(acc, %d, %d, tc);", RW, OCV);
                    long long ahead = (passes ? CB : cg) * taps * t->OCB;   /* floats to the next pass's weights */
                    /* channel c + CB: in the next pass, or past the block's last, shorter pass in the next
                     * block's first; in the last block not past the last channel (which implies `more`) */
                    const char *go = passes && cg % CB
                                         ? xasprintf("%s + 1 < %lld || c + %lld < %lld", ob, (long long)t->NOB, CB, cg)
                                         : "more";
                    if (by_channel) {
                        emit_line(e, "/* channel c's weights in the next pass (or block) toward the cache: all in run c mod %lld */",
                                  nqi);
                        BLOCK(e, "if (pf-- == 0)") {
                            emit_line(e, "if (%s) for (int l = 0; l < %lld; l++) CNNRT_PREFETCH(%s + %lld + 16 * l);", go, lines,
                                      wline, ahead);
                            emit_line(e, "pf = %lld;", nqi - 1);
                        }
                    } else if (prefetch) {
                        emit_line(e,
                                  "/* channel c's weights in the next pass (or block) toward the cache: "
                                  "line l in run l mod %lld */",
                                  nqi);
                        emit_line(e, "if (%s) for (int l = %s; l < %lld; l += %lld) CNNRT_PREFETCH(%s + %lld + 16 * l);", go, run,
                                  lines, nqi, wline, ahead);
                    }
                    if (S) BLOCK_IF(e, every > 1, "if (--ahead_in == 0)") {
                        if (every > 1) emit_line(e, "ahead_in = %lld;", every);
                        if (alines > 1)
                            emit_line(e,
                                      "for (int l = 0; l < %lld && ahead_at < %lld; l++, ahead_at += 64) "
                                      "CNNRT_PREFETCH(ahead + ahead_at);",
                                      alines, abytes);
                        else
                            BLOCK(e, "if (ahead_at < %lld)", abytes) {
                                emit_line(e, "CNNRT_PREFETCH(ahead + ahead_at);");
                                emit_line(e, "ahead_at += 64;");
                            }
                    }
                    for (int64_t i = 0; i < t->kh; i++)
                        for (int64_t k = 0; k < t->kw; k++)
                            BLOCK(e, "/* tap %lld,%lld */", (long long)i, (long long)k) {
                                emit_line(e, "const float *restrict src = %s;", cx_add("tc", conv_tap_offset(t, 0, i, k)));
                                if (tap_fence) emit_line(e, "CNNRT_TAPS_FENCE(acc, %d, %d, src);", RW, OCV);
                                emit_load_vectors(e, "wv", OCV, cx_add("wc", (i * t->kw + k) * t->OCB), hold);
                                if (RW > 1 || OCV > 1) emit_line(e, "CNNRT_UNROLL");
                                if (RW > 1) emit_line(e, "for (int r = 0; r < %d; r++)", RW);
                                emit_line(e, "%s%sCNNRT_FMA16(acc[%s][%s], wv[%s], src[%s]);", RW > 1 ? "    " : "",
                                          loop_head("v", OCV), r, v, v, cx_mul(r, step));
                            }
                }
            }
            if (passes) BLOCK(e, "if (c0 + %lld < %lld)   /* not the last pass */", CB, cg) {
                if (RW > 1 || OCV > 1) emit_line(e, "CNNRT_UNROLL");
                emit_line(e, "%s%sCNNRT_STORE16(%s, acc[%s][%s]);", loop_head("r", RW), loop_head("v", OCV),
                          cx_plus(cx_plus("pq", cx_mul(r, OCB)), cx_mul(v, 16)), r, v);
                emit_line(e, "continue;");
            }
            emit_line(e, "/* store through the epilogue, position by position */");
            emit_tile_results_clamped(e, RW, OCV, true);
            /* a run of a row, or of one position, lies in the rows; else it
             * may wrap, and pass the last row */
            if (by_row)
                emit_line(e, OH > 1 ? "int ow = %s;" : "int oh = 0, ow = %s;", ow0);
            else
                emit_line(e, "int oh = %s, ow = %s;", cx_div(q, t->Wp), cx_mod(q, t->Wp));
            BLOCK_IF(e, RW > 1, "for (int r = 0; r < %d; r++, ow++)", RW) {
                if (RW > 1 && !by_row) {
                    BLOCK(e, "if (ow == %lld)", (long long)t->Wp) {
                        emit_line(e, "ow = 0;");
                        emit_line(e, "oh++;");
                    }
                    emit_line(e, "if (oh >= %lld) break;", OH);
                    emit_line(e, "if (ow >= %lld) continue;   /* a padding column */", OW);
                }
                /* the last block's vectors may lie past OC */
                bool past = t->NOB * t->OCV * 16 - OC >= 16;
                BLOCK_IF(e, RW == 1 && !by_row && t->Wp > OW, "if (ow < %lld)   /* not a padding column */", OW)
                BLOCK_IF(e, OCV > 1, "for (int v = 0; v < %d; v++)", OCV) {
                    emit_line(e, "const int o0 = %s;", cx_mul(cx_plus(cx_mul(ob, t->OCV), sub ? cx_plus("v0", v) : v), 16));
                    if (OCV > 1 && past) emit_line(e, "if (o0 >= %lld) break;   /* past the last block's channels */", OC);
                    BLOCK_IF(e, OCV == 1 && past, "if (o0 < %lld)   /* not past the last block's channels */", OC) {
                        emit_tile_lanes(e, xasprintf("res[%s][%s]", r, v), blocked_out);
                        if (blocked_out)   /* OC is a multiple of 16 */
                            emit_line(e, "const int base = %s;",
                                      cx_mul(cx_plus(cx_mul(cx_plus(cx_mul("o0 / 16", OH), "oh"), OW), "ow"), 16));
                        else
                            emit_line(e, "const int base = %s;", cx_plus(cx_mul(cx_plus(cx_mul("o0", OH), "oh"), OW), "ow"));
                        conv_store_lanes(e, "l", "0", "16", blocked_out,
                                         !blocked_out && OC % 16 ? xasprintf("o0 + l >= %lld", OC) : NULL,
                                         blocked_out ? "base + l" : cx_plus("base", cx_mul("l", OH * OW)), "o0 + l");
                    }
                }
            }
            emit_tile_stored(e);
        }
    }
}

static void channels_emit(Emit *e, const Layer *L, const void *tile) {
    const ConvTile *t = tile;
    const Body b = {L, t};
    if (!conv_cv_direct(t)) conv_pack_flat(e, L, t);
    emit_per_regs(e, &b, t->nRW != t->RW || t->nOCV != t->OCV, channel_vectors);
}

const KernelFamily conv_channels = {
    .name = "channel vectors", .data = conv_packed_data, .emit = channels_emit, .describe = conv_tile_describe,
    .fetch_ahead = true,
};
