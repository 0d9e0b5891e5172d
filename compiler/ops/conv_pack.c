/* conv_pack.c — what the -O2 convolution kernels share: the input copied
 * padded into phase planes (flat tiles, Winograd, depthwise) or into the
 * band of rows of one output row, and the tap offsets into either. */
#include "conv_kernels.h"

#include <string.h>

/* zeros, reflect or replicate (separable_conv2d has no padding_mode: zeros) */
const char *conv_pad_mode(const Layer *L) {
    return attr_get(L, "padding_mode") ? attr_word(L, "padding_mode") : "zeros";
}

/* what the last vectors read past the phase planes */
int64_t conv_flat_slack(const ConvTile *t) { return t->NQ - t->OH * t->Wp + t->Wp + 16; }

/* t[c][phr][phc][r][q] = x0[c0 + c][r*sh + phr - pt][q*sw + phc - pl] for
 * c < nc of a [..][H][W] input, padded by mode (zeros, reflect, replicate),
 * then `slack` zeros (after C channels) for the vectors that read past the
 * last plane; c0 NULL: 0, nc NULL: C; x0 in C order or channel-blocked */
void conv_phase_planes(Emit *e, const char *mode, bool blocked, int64_t C, const char *c0, const char *nc, int64_t H,
                       int64_t W, int64_t sh, int64_t sw, int64_t pt, int64_t pl, int64_t Hp, int64_t Wp, int64_t slack) {
    bool zeros = strcmp(mode, "zeros") == 0;
    const char *fold = strcmp(mode, "reflect") == 0 ? "cnnrt_reflect" : "cnnrt_clamp";
    emit_line(e, "/* t [%lld][%lld][%lld][%lld][%lld]: the input padded, split into phase planes; then zeros "
              "the last vectors may read */", (long long)C, (long long)sh, (long long)sw, (long long)Hp, (long long)Wp);
    const char *ch = c0 ? xasprintf("(%s + c)", c0) : "c";
    long long cs = blocked ? 16 : 1;   /* floats from one column to the next */
    BLOCK(e, "for (int c = 0; c < %s; c++)", nc ? nc : xasprintf("%lld", (long long)C)) {
        if (blocked)   /* [C/16][H][W][16] */
            emit_line(e, "const float *restrict xc = x0 + (size_t)(%s / 16) * %lld + %s %% 16;", ch, (long long)(H * W * 16), ch);
        else
            emit_line(e, "const float *restrict xc = x0 + (size_t)%s * %lld;", ch, (long long)(H * W));
        FOR(e, "phr", sh) FOR(e, "phc", sw) {
            emit_line(e, "float *restrict plane = t + (((size_t)c * %lld + phr) * %lld + phc) * %lld;", (long long)sh,
                      (long long)sw, (long long)(Hp * Wp));
            if (zeros) {   /* the columns inside the input: q0 <= q < q1 */
                emit_line(e, "int q0 = %lld > phc ? (%lld - phc + %lld) / %lld : 0, n = %lld - phc;", (long long)pl,
                          (long long)pl, (long long)(sw - 1), (long long)sw, (long long)(W + pl));
                emit_line(e, "int q1 = n > 0 ? (n + %lld) / %lld : 0;", (long long)(sw - 1), (long long)sw);
                emit_line(e, "q0 = q0 > %lld ? %lld : q0;", (long long)Wp, (long long)Wp);
                emit_line(e, "q1 = q1 > %lld ? %lld : q1 < q0 ? q0 : q1;", (long long)Wp, (long long)Wp);
            }
            FOR(e, "r", Hp) {
                emit_line(e, "float *restrict row = plane + r * %lld;", (long long)Wp);
                if (zeros) {
                    emit_line(e, "const int ih = r * %lld + phr - %lld;", (long long)sh, (long long)pt);
                    BLOCK(e, "if (ih < 0 || ih >= %lld)", (long long)H) {
                        emit_line(e, "memset(row, 0, sizeof(float) * %lld);", (long long)Wp);
                        emit_line(e, "continue;");
                    }
                    emit_line(e, "const float *restrict src = xc + (size_t)ih * %lld;", (long long)W * cs);
                    emit_line(e, "for (int q = 0; q < q0; q++) row[q] = 0.0f;");
                    emit_line(e, "CNNRT_SIMD");
                    if (blocked)
                        emit_line(e, "for (int q = q0; q < q1; q++) row[q] = src[(q * %lld + phc - %lld) * 16];", (long long)sw,
                                  (long long)pl);
                    else
                        emit_line(e, "for (int q = q0; q < q1; q++) row[q] = src[q * %lld + phc - %lld];", (long long)sw,
                                  (long long)pl);
                    emit_line(e, "for (int q = q1; q < %lld; q++) row[q] = 0.0f;", (long long)Wp);
                } else {
                    emit_line(e, "const int ih = %s(r * %lld + phr - %lld, %lld);", fold, (long long)sh, (long long)pt,
                              (long long)H);
                    FOR(e, "q", Wp) {
                        emit_line(e, "const int iw = %s(q * %lld + phc - %lld, %lld);", fold, (long long)sw, (long long)pl,
                                  (long long)W);
                        if (blocked) emit_line(e, "row[q] = xc[((size_t)ih * %lld + iw) * 16];", (long long)W);
                        else emit_line(e, "row[q] = xc[(size_t)ih * %lld + iw];", (long long)W);
                    }
                }
            }
        }
    }
    emit_line(e, "memset(t + %lld, 0, sizeof(float) * %lld);", (long long)(C * sh * sw * Hp * Wp), (long long)slack);
}

/* flat mode: the whole input, padded, once */
void conv_pack_flat(Emit *e, const Layer *L, const ConvTile *t) {
    conv_phase_planes(e, t->pad, emit_blocked(e, L->in[0]), t->C, NULL, NULL, t->H, t->W, t->sh, t->sw, t->pt, t->pl,
                      t->Hp, t->Wp, conv_flat_slack(t));
}

void conv_pack_band(Emit *e, const ConvTile *t) {
    bool zeros = strcmp(t->pad, "zeros") == 0;
    const char *fold = strcmp(t->pad, "reflect") == 0 ? "cnnrt_reflect" : "cnnrt_clamp";
    long long R = t->kd * t->kh, D = t->D, H = t->H, W = t->W;
    emit_line(e, "/* t [%lld][%lld][%lld][%lld]: the band of input rows of output row (od, oh), padded, "
              "columns split by phase */", (long long)t->C, R, (long long)t->sw, (long long)t->Wq);
    FOR(e, "c", t->C) FOR(e, "a", t->kd) FOR(e, "r", t->kh) {
        const char *id = xasprintf("od * %lld + a * %lld - %lld", (long long)t->sd, (long long)t->dd, (long long)t->pf);
        const char *ih = xasprintf("oh * %lld + r * %lld - %lld", (long long)t->sh, (long long)t->dh, (long long)t->pt);
        if (zeros) {
            emit_line(e, "const int id = %s, ih = %s;", id, ih);
            emit_line(e, "const int in = id >= 0 && id < %lld && ih >= 0 && ih < %lld;", D, H);
        } else {
            emit_line(e, "const int id = %s(%s, %lld), ih = %s(%s, %lld);", fold, id, D, fold, ih, H);
        }
        FOR(e, "ph", t->sw) {
            emit_line(e, "float *restrict row = t + ((c * %lld + a * %lld + r) * %lld + ph) * %lld;", R, (long long)t->kh,
                      (long long)t->sw, (long long)t->Wq);
            FOR(e, "q", t->Wq) {
                if (zeros) {
                    emit_line(e, "const int iw = q * %lld + ph - %lld;", (long long)t->sw, (long long)t->pl);
                    emit_line(e, "row[q] = in && iw >= 0 && iw < %lld ? x0[((c * %lld + id) * %lld + ih) * %lld + iw] : 0.0f;",
                              W, D, H, W);
                } else {
                    emit_line(e, "const int iw = %s(q * %lld + ph - %lld, %lld);", fold, (long long)t->sw, (long long)t->pl, W);
                    emit_line(e, "row[q] = x0[((c * %lld + id) * %lld + ih) * %lld + iw];", D, H, W);
                }
            }
        }
    }
}

int64_t conv_tap_offset(const ConvTile *t, int64_t a, int64_t i, int64_t k) {
    int64_t col = k * t->dw;
    if (t->flat) return ((i * t->dh % t->sh * t->sw + col % t->sw) * t->Hp + i * t->dh / t->sh) * t->Wp + col / t->sw;
    return ((a * t->kh + i) * t->sw + col % t->sw) * t->Wq + col / t->sw;
}
