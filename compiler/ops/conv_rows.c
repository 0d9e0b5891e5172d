/* conv_rows.c — -O2 depthwise conv2d over rows (multiplier 1): channel by
 * channel, the padded input is packed into phase planes (in L1), and a tile
 * of R output rows x V vectors of 16 columns accumulates every tap: an input
 * vector read by several of the tile's rows (and taps) is loaded once and
 * multiplied into each of them: (R + kh - 1) / (R * kh) loads per FMA
 * instead of one. Each vector is stored straight into its output row, the
 * lanes past the row dropped; the planes' slack covers what the last vectors
 * read past them. An epilogue of a long chain (SiLU) runs after the channel
 * instead, over its outputs while they are in L1 (emit_epilogue_pass). Tiles
 * of 5 rows x 4 vectors (wide: depthwise3x3 128 @56 1.7x faster than the
 * flat kernel) or 1 x 4 (narrow: taller tiles measured slower built for
 * AVX2), and for shorter rows of V < 4 vectors 4 / V rows of them (a
 * 5x5/2 layer at 14x14, one vector a row: 4 x 1 0.69x the time of 1 x 1
 * under clang, 0.82x under gcc). */
#include "conv_kernels.h"

typedef struct {
    const Layer *L;
    const ConvTile *t;
} Body;

static void rows_tile(Emit *e, const ConvTile *t, int R, int V, const char *oh0, const char *v0) {
    long long OH = t->OH, OW = t->OW;
    SCOPE(e) {
        emit_line(e, "const int oh0 = %s, v0 = %s;", oh0, v0);
        emit_line(e, "const float *restrict tc = t + (size_t)oh0 * %lld + 16 * v0;", (long long)t->Wp);
        emit_line(e, "cnnrt_v16 acc[%d][%d];", R, V);
        const char *r = loop_var("r", R), *v = loop_var("v", V);
        bool unroll = R > 1 || V > 1;
        if (unroll) emit_line(e, "CNNRT_UNROLL");
        emit_line(e, "%s%sCNNRT_SPLAT16(acc[%s][%s], bias);", loop_head("r", R), loop_head("v", V), r, v);
        /* each input vector once, into every (row, tap) that reads it;
         * held in a register where several read it (gcc folded it into
         * each FMA instead, a load per FMA); where one does, its load
         * folded into that FMA (held, gcc took a load and an FMA for each:
         * depthwise3x3 1.06x the time under gcc for AVX2) */
        int64_t *seen = xcalloc((size_t)(t->kh * t->kw * R), sizeof *seen);   /* at most one offset per (row, tap) */
        int nseen = 0;
        for (int64_t k = 0; k < t->kw; k++)
            for (int64_t i = 0; i < t->kh; i++)
                for (int rr = 0; rr < R; rr++) {
                    int64_t off = conv_tap_offset(t, 0, i, k) + rr * t->Wp;
                    bool done = false;
                    for (int s = 0; s < nseen; s++) done |= seen[s] == off;
                    if (done) continue;
                    seen[nseen++] = off;
                    BLOCK(e, "/* input at %lld */", (long long)off) {
                        /* the step before done first, this one's loads after
                         * (clang 16 and 19 hoisted them and spilled the tile:
                         * depthwise3x3 1.5x and 1.2x the time) */
                        emit_line(e, "CNNRT_TILE_FENCE(acc, %d, %d, tc);", R, V);
                        if (V > 1) emit_line(e, "CNNRT_UNROLL");
                        LOOP_SCOPE(e, "v", V) {
                        emit_line(e, "cnnrt_v16 xv;");
                        emit_line(e, "CNNRT_LOAD16(xv, %s);", cx_at("tc", cx_add(cx_mul(v, 16), off)));
                        const char **fmas = xcalloc((size_t)(t->kh * R), sizeof *fmas);   /* the (row, tap)s reading it */
                        int nf = 0;
                        for (int64_t i2 = 0; i2 < t->kh; i2++)
                            for (int r2 = 0; r2 < R; r2++)
                                if (conv_tap_offset(t, 0, i2, k) + r2 * t->Wp == off)
                                    fmas[nf++] = xasprintf("CNNRT_FMAV16(acc[%d][%s], xv, wv[%lld]);   /* row %d, tap %lld,%lld */",
                                                           r2, v, (long long)(i2 * t->kw + k), r2, (long long)i2, (long long)k);
                        if (nf > 1) emit_line(e, "CNNRT_IN_REGS(xv);");
                        for (int f = 0; f < nf; f++) emit_line(e, "%s", fmas[f]);
                        }
                    }
                }
        emit_tile_results_clamped(e, R, V, true);
        /* unrolled: clang kept the rolled loops' tile on the stack, a store
         * and a load more per vector */
        if (R > 1) emit_line(e, "CNNRT_UNROLL");
        LOOP(e, "r", R) {
            if (V > 1) emit_line(e, "CNNRT_UNROLL");
            LOOP(e, "v", V) {
                emit_tile_lanes(e, xasprintf("res[%s][%s]", r, v), false);
                emit_line(e, "const int ow0 = %s, n = %lld - ow0 < 16 ? %lld - ow0 : 16;", cx_mul(cx_plus("v0", v), 16),
                          OW, OW);
                emit_line(e, "const size_t base = (size_t)(ch * %lld + %s) * %lld + ow0;", OH, cx_plus("oh0", r), OW);
                conv_store_lanes(e, "l", "0", "n", true, NULL, "base + l", "ch");
            }
        }
        emit_tile_stored(e);
    }
}

static void depthwise_rows(Emit *e, const void *ctx, Regs r) {
    const Layer *L = ((const Body *)ctx)->L;
    const ConvTile *t = ((const Body *)ctx)->t;
    long long OH = t->OH, NV = (t->OW + 15) / 16;
    /* wide: 5 rows x 4 vectors, 20 accumulators beside a 3x3 kernel's 9
     * weights in 32 registers (gcc keeps the weights' broadcasts in
     * registers and spilled 6 rows' accumulators: depthwise3x3 12% slower) */
    /* narrow: as many rows as give the tile the accumulators that hide the
     * FMA latency (regs_latency: 4 vectors), 1 of 4 vectors, 4 of 1 (a row
     * of one vector alone is a single chain of multiply-adds, each waiting
     * on the one before) */
    int V = NV < 4 ? (int)NV : 4, R = r == REGS_WIDE ? 5 : regs_latency(r) / V;
    if (R > OH) R = (int)OH;
    emit_line(e, "/* over rows: tiles of %d output rows x %d x 16 columns */", R, V);
    FOR(e, "ch", t->C) {
        conv_phase_planes(e, t->pad, emit_blocked(e, L->in[0]), 1, "ch", "1", t->H, t->W, t->sh, t->sw, t->nphr, t->nphc, t->pt, t->pl, t->Hp,
                          t->Wp, conv_flat_slack(t));
        emit_line(e, "const float *restrict wk = %s + (size_t)ch * %lld;", emit_param(e, L, "packed"),
                  (long long)(t->kh * t->kw));
        /* vectors made once, that no fence makes clang broadcast again per tile */
        emit_line(e, "cnnrt_v16 wv[%lld];   /* the taps' weights, each in every lane */", (long long)(t->kh * t->kw));
        emit_line(e, "for (int k = 0; k < %lld; k++) CNNRT_SPLAT16(wv[k], wk[k]);", (long long)(t->kh * t->kw));
        emit_line(e, "const float bias = %s[ch];", emit_param(e, L, "bias_packed"));
        bool after = emit_epilogue_chains(e);   /* the epilogue as a pass over the channel */
        e->raw = after;
        long long mainr = OH / R * R, mainv = NV / V * V;
        for (int pass = 0; pass < 2; pass++) {   /* blocks of R rows, then the rest */
            int rr = pass == 0 ? R : (int)(OH % R);
            if (rr == 0 || (pass == 0 && mainr == 0)) continue;
            const char *oh0 = pass == 0 ? "ob" : xasprintf("%lld", mainr);
            CW_SCOPE(pass == 0 ? emit_open(e, "for (int ob = 0; ob < %lld; ob += %d)", mainr, R) : emit_scope(e), emit_close(e)) {
                if (mainv > 0)
                    BLOCK_IF(e, mainv > V, "for (int vb = 0; vb < %lld; vb += %d)", mainv, V)
                        rows_tile(e, t, rr, V, oh0, mainv > V ? "vb" : "0");
                if (NV % V) rows_tile(e, t, rr, (int)(NV % V), oh0, xasprintf("%lld", mainv));
            }
        }
        e->raw = false;
        if (after) {
            emit_line(e, "/* the epilogue over the channel's outputs */");
            emit_epilogue_pass(e, xasprintf("(size_t)ch * %lld", OH * t->OW), OH * t->OW, "ch");
        }
    }
}

static void rows_emit(Emit *e, const Layer *L, const void *tile) {
    const ConvTile *t = tile;
    const Body b = {L, t};
    emit_per_regs(e, &b, t->OH > 1, depthwise_rows);   /* the classes' tiles differ in rows */
}

const KernelFamily conv_rows = {
    .name = "depthwise over rows", .data = conv_packed_data, .emit = rows_emit, .describe = conv_tile_describe,
};
