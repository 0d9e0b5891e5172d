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

/* the register tile of class r: RW x OCV, or a narrow one of v0 blocks of
 * its OCV inside the packed OCV */
static void channel_vectors(Emit *e, const void *ctx, Regs r) {
    const Layer *L = ((const Body *)ctx)->L;
    const ConvTile *t = ((const Body *)ctx)->t;
    long long taps = t->kd * t->kh * t->kw, band = conv_flat_band(t), OC = t->OC, OH = t->OH, OW = t->OW;
    long long nq = t->OH * t->Wp;
    int RW = r == t->regs ? t->RW : t->nRW, OCV = r == t->regs ? t->OCV : t->nOCV;
    bool sub = OCV < t->OCV, blocked_out = emit_blocked(e, e->k->out), passes = conv_cv_partial(t) > 0;
    long long cg = t->cg, CB = t->CB, OCB = t->OCB;
    const char *bias = xasprintf("%s + ob * %d%s", emit_param(e, L, "bias_packed"), t->OCB, sub ? " + v0 * 16" : "");
    emit_line(e, "/* channel vectors: tiles of %d positions of the padded output rows x %d x 16 output channels */", RW, OCV);
    if (passes) {
        emit_line(e, "/* in passes over %lld input channels at a time, whose weights stay in cache; partial sums in p */",
                  CB);
        emit_line(e, "float *restrict p = t + %lld;", (long long)(conv_cv_direct(t) ? 0 : conv_pack_floats(t)));
    }
    FOR(e, "ob", t->NOB) BLOCK_IF(e, sub, "for (int v0 = 0; v0 < %d; v0 += %d)", t->OCV, OCV) {
        emit_line(e, "const float *restrict wb = %s + (size_t)ob * %lld%s;", emit_param(e, L, "packed"),
                  (long long)(t->cg * taps * t->OCB), sub ? " + v0 * 16" : "");
        BLOCK_IF(e, passes, "for (int c0 = 0; c0 < %lld; c0 += %lld)", cg, CB)
        BLOCK(e, "for (int q = 0; q < %lld; q += %d)", (nq + RW - 1) / RW * RW, RW) {
            emit_line(e, "cnnrt_v16 acc[%d][%d];", RW, OCV);
            if (passes) emit_line(e, "float *restrict pq = p + (size_t)q * %lld%s;", OCB, sub ? " + v0 * 16" : "");
            emit_line(e, "CNNRT_UNROLL");
            FOR(e, "r", RW)
                if (passes) emit_line(e, "memcpy(acc[r], c0 ? pq + r * %lld : %s, sizeof acc[r]);", OCB, bias);
                else emit_line(e, "memcpy(acc[r], %s, sizeof acc[r]);", bias);
            BLOCK(e, "for (int c = %s; c < %s; c++)", passes ? "c0" : "0",
                  passes ? xasprintf("(c0 + %lld < %lld ? c0 + %lld : %lld)", CB, cg, CB, cg) : xasprintf("%lld", cg)) {
                long long step = 1;   /* floats from one position to the next */
                if (!conv_cv_direct(t)) {
                    emit_line(e, "const float *restrict tc = t + (size_t)c * %lld + q;", band);
                } else if (emit_blocked(e, L->in[0])) {   /* 1x1: the input where it is, [C/16][HW][16] */
                    emit_line(e, "const float *restrict tc = x0 + ((size_t)(c / 16) * %lld + q) * 16 + c %% 16;",
                              (long long)(t->H * t->W));
                    step = 16;
                } else {
                    emit_line(e, "const float *restrict tc = x0 + (size_t)c * %lld + q;", (long long)(t->H * t->W));
                }
                emit_line(e, "const float *restrict wc = wb + c * %lld;", taps * t->OCB);
                for (int64_t i = 0; i < t->kh; i++)
                    for (int64_t k = 0; k < t->kw; k++)
                        BLOCK(e, "/* tap %lld,%lld */", (long long)i, (long long)k) {
                            emit_line(e, "const float *restrict src = tc + %lld;", (long long)conv_tap_offset(t, 0, i, k));
                            emit_load_vectors(e, "wv", OCV, xasprintf("(wc + %lld)", (long long)((i * t->kw + k) * t->OCB)));
                            emit_line(e, "CNNRT_UNROLL");
                            emit_line(e, "for (int r = 0; r < %d; r++)", RW);
                            emit_line(e, "    for (int v = 0; v < %d; v++) CNNRT_FMA16(acc[r][v], wv[v], src[r%s]);", OCV,
                                      step == 16 ? " * 16" : "");
                        }
            }
            if (passes) BLOCK(e, "if (c0 + %lld < %lld)   /* not the last pass */", CB, cg) {
                emit_line(e, "CNNRT_UNROLL");
                FOR(e, "r", RW) emit_line(e, "memcpy(pq + r * %lld, acc[r], sizeof acc[r]);", OCB);
                emit_line(e, "continue;");
            }
            emit_line(e, "/* store through the epilogue, position by position */");
            emit_tile_results(e, xasprintf("[%d][%d]", RW, OCV));
            emit_line(e, "int oh = q / %lld, ow = q %% %lld;", (long long)t->Wp, (long long)t->Wp);
            BLOCK(e, "for (int r = 0; r < %d; r++, ow++)", RW) {
                BLOCK(e, "if (ow == %lld)", (long long)t->Wp) {
                    emit_line(e, "ow = 0;");
                    emit_line(e, "oh++;");
                }
                emit_line(e, "if (oh >= %lld) break;", OH);
                emit_line(e, "if (ow >= %lld) continue;   /* a padding column */", OW);
                FOR(e, "v", OCV) {
                    emit_line(e, "const int o0 = (ob * %d + %sv) * 16;", t->OCV, sub ? "v0 + " : "");
                    emit_line(e, "if (o0 >= %lld) break;   /* past the last block's channels */", OC);
                    conv_lanes_of(e, "res[r][v]");
                    if (blocked_out)   /* OC is a multiple of 16 */
                        emit_line(e, "const int base = ((o0 / 16 * %lld + oh) * %lld + ow) * 16;", OH, OW);
                    else
                        emit_line(e, "const int base = (o0 * %lld + oh) * %lld + ow;", OH, OW);
                    conv_store_lanes(e, "l", "0", "16", blocked_out,
                                     !blocked_out && OC % 16 ? xasprintf("o0 + l >= %lld", OC) : NULL,
                                     blocked_out ? "base + l" : xasprintf("base + l * %lld", OH * OW), "o0 + l");
                }
            }
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
};
