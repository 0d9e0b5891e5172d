/* conv_pack.c — what the -O2 convolution kernels share: the input copied
 * padded into phase planes (flat tiles, Winograd, depthwise) or into the
 * band of rows of one output row, the tap offsets into either, and the
 * weights packed by output-channel block. */
#include "conv_kernels.h"

#include <stdlib.h>
#include <string.h>

/* zeros, reflect or replicate (separable_conv2d has no padding_mode: zeros) */
const char *conv_pad_mode(const Layer *L) {
    return attr_get(L, "padding_mode") ? attr_word(L, "padding_mode") : "zeros";
}

/* what the last vectors read past the phase planes */
int64_t conv_flat_slack(const ConvTile *t) { return t->cs * (t->NQ - t->OH * t->Wp + t->Wp) + 16; }

/* conv_phase_planes for one channel of a C-order input xc, zero padding and
 * all sw column phases: each input row split by cnnrt_phase_row */
static void phase_rows(Emit *e, const char *c, int64_t H, int64_t W, int64_t sh, int64_t sw, int64_t nphr, int64_t pt,
                       int64_t pl, int64_t Hp, int64_t Wp) {
    long long plane = Hp * Wp;
    const char *phr = loop_var("phr", nphr);
    LOOP(e, "phr", nphr) {
        const char *at = cx_mul(cx_plus(cx_mul(cx_size(c), nphr), phr), sw * plane);
        emit_line(e, "float *restrict plane = %s;   /* phase (phr, 0); phase (phr, phc) %lld floats on */", cx_at("t", at),
                  plane);
        FOR(e, "r", Hp) {
            emit_line(e, "float *restrict row = plane + r * %lld;", (long long)Wp);
            emit_line(e, "const int ih = %s;", cx_plus(cx_mul("r", sh), cx_add(phr, -pt)));
            BLOCK(e, "if (ih < 0 || ih >= %lld)", (long long)H) {
                emit_line(e, "for (int phc = 0; phc < %lld; phc++) memset(row + phc * %lld, 0, sizeof(float) * %lld);",
                          (long long)sw, plane, (long long)Wp);
                emit_line(e, "continue;");
            }
            emit_line(e, "cnnrt_phase_row(row, %lld, xc + (size_t)ih * %lld, %lld, %lld, %lld, %lld, CNNRT_SHUFFLES);",
                      plane, (long long)W, (long long)W, (long long)pl, (long long)sw, (long long)Wp);
        }
    }
}

/* t[c][phr][phc][r][q] = x0[c0 + c][r*sh + phr - pt][q*sw + phc - pl] for
 * c < nc of a [..][H][W] input, padded by mode (zeros, reflect, replicate),
 * then `slack` zeros (after C channels) for the vectors that read past the
 * last plane; c0 NULL: 0, nc NULL: C; x0 in C order or channel-blocked */
void conv_phase_planes(Emit *e, const char *mode, bool blocked, int64_t C, const char *c0, const char *nc, int64_t H,
                       int64_t W, int64_t sh, int64_t sw, int64_t nphr, int64_t nphc, int64_t pt, int64_t pl, int64_t Hp,
                       int64_t Wp, int64_t slack) {
    bool zeros = strcmp(mode, "zeros") == 0;
    const char *fold = strcmp(mode, "reflect") == 0 ? "cnnrt_reflect" : "cnnrt_clamp";
    emit_line(e, "/* t [%lld][%lld][%lld][%lld][%lld]: the input padded, split into phase planes; then zeros "
              "the last vectors may read */", (long long)C, (long long)nphr, (long long)nphc, (long long)Hp, (long long)Wp);
    bool one = nc ? strcmp(nc, "1") == 0 : C == 1;   /* one channel: no loop over c */
    const char *c = one ? "0" : "c", *phr = loop_var("phr", nphr), *phc = loop_var("phc", nphc);
    const char *ch = c0 ? cx_plus(c0, c) : c;
    long long cs = blocked ? 16 : 1;   /* floats from one column to the next */
    /* every column phase of a row in C order at once */
    bool split = zeros && !blocked && sw > 1 && nphc == sw;
    BLOCK_IF(e, !one, "for (int c = 0; c < %s; c++)", nc ? nc : xasprintf("%lld", (long long)C)) {
        if (blocked)   /* [C/16][H][W][16] */
            emit_line(e, "const float *restrict xc = x0 + (size_t)(%s / 16) * %lld + %s %% 16;", cx_paren(ch),
                      (long long)(H * W * 16), cx_paren(ch));
        else
            emit_line(e, "const float *restrict xc = %s;", cx_at("x0", cx_mul(cx_size(ch), H * W)));
        if (split) {
            phase_rows(e, c, H, W, sh, sw, nphr, pt, pl, Hp, Wp);
            continue;
        }
        LOOP(e, "phr", nphr) LOOP(e, "phc", nphc) {
            const char *at = cx_mul(cx_plus(cx_mul(cx_plus(cx_mul(cx_size(c), nphr), phr), nphc), phc), Hp * Wp);
            emit_line(e, "float *restrict plane = %s;", cx_at("t", at));
            if (zeros) emit_inside_columns(e, phc, pl, sw, W, Wp);
            const char *row_in = cx_plus(cx_mul("r", sh), cx_add(phr, -pt));     /* r*sh + phr - pt */
            const char *col_in = cx_plus(cx_mul("q", sw), cx_add(phc, -pl));     /* q*sw + phc - pl */
            FOR(e, "r", Hp) {
                emit_line(e, "float *restrict row = plane + r * %lld;", (long long)Wp);
                if (zeros) {
                    emit_line(e, "const int ih = %s;", row_in);
                    BLOCK(e, "if (ih < 0 || ih >= %lld)", (long long)H) {
                        emit_line(e, "memset(row, 0, sizeof(float) * %lld);", (long long)Wp);
                        emit_line(e, "continue;");
                    }
                    emit_line(e, "const float *restrict src = xc + (size_t)ih * %lld;", (long long)W * cs);
                    emit_line(e, "for (int q = 0; q < q0; q++) row[q] = 0.0f;");
                    emit_line(e, "CNNRT_SIMD");
                    if (blocked) emit_line(e, "for (int q = q0; q < q1; q++) row[q] = src[%s];", cx_mul(col_in, 16));
                    else emit_line(e, "for (int q = q0; q < q1; q++) row[q] = src[%s];", col_in);
                    emit_line(e, "for (int q = q1; q < %lld; q++) row[q] = 0.0f;", (long long)Wp);
                } else {
                    emit_line(e, "const int ih = %s(%s, %lld);", fold, row_in, (long long)H);
                    FOR(e, "q", Wp) {
                        emit_line(e, "const int iw = %s(%s, %lld);", fold, col_in, (long long)W);
                        if (blocked) emit_line(e, "row[q] = xc[((size_t)ih * %lld + iw) * 16];", (long long)W);
                        else emit_line(e, "row[q] = xc[(size_t)ih * %lld + iw];", (long long)W);
                    }
                }
            }
        }
    }
    emit_line(e, "memset(t + %lld, 0, sizeof(float) * %lld);", (long long)(C * nphr * nphc * Hp * Wp), (long long)slack);
}

/* flat mode: the whole input, padded, once */
void conv_pack_flat(Emit *e, const Layer *L, const ConvTile *t) {
    conv_phase_planes(e, t->pad, emit_blocked(e, L->in[0]), t->C, NULL, NULL, t->H, t->W, t->sh, t->sw / t->cs, t->nphr,
                      t->nphc, t->pt, t->pl, t->Hp, t->cs * t->Wp, conv_flat_slack(t));
}

/* expression x is a constant in [0, n) */
static bool inside(const char *x, int64_t n) {
    char *end;
    long long v = strtoll(x, &end, 10);
    return end != x && !*end && v >= 0 && v < n;
}

void conv_pack_band(Emit *e, const ConvTile *t) {
    bool zeros = strcmp(t->pad, "zeros") == 0;
    const char *fold = strcmp(t->pad, "reflect") == 0 ? "cnnrt_reflect" : "cnnrt_clamp";
    long long R = t->kd * t->kh, D = t->D, H = t->H, W = t->W;
    const char *od = loop_var("od", t->OD), *oh = loop_var("oh", t->OH), *a = loop_var("a", t->kd),
               *r = loop_var("r", t->kh), *ph = loop_var("ph", t->sw);
    emit_line(e, "/* t [%lld][%lld][%lld][%lld]: the band of input rows of output row (od, oh), padded, "
              "columns split by phase */", (long long)t->C, R, (long long)t->sw, (long long)t->Wq);
    const char *id = cx_plus(cx_mul(od, t->sd), cx_add(cx_mul(a, t->dd), -t->pf));   /* od*sd + a*dd - pf */
    const char *ih = cx_plus(cx_mul(oh, t->sh), cx_add(cx_mul(r, t->dh), -t->pt));
    /* a depth or row that is a constant inside the input (1-D and 2-D
     * convolutions) needs neither a variable nor a bounds test */
    bool id_in = inside(id, D), ih_in = inside(ih, H);
    /* x0[((c * D + id) * H + ih) * W + iw] */
    const char *c = loop_var("c", t->C);
    const char *x = xasprintf("x0[%s]", cx_plus(cx_mul(cx_plus(cx_mul(cx_plus(cx_mul(c, D), id_in ? id : "id"), H),
                                                               ih_in ? ih : "ih"), W), "iw"));
    bool tested = false;   /* "in": the row is inside the input */
    LOOP(e, "c", t->C) LOOP(e, "a", t->kd) LOOP(e, "r", t->kh) {
        if (!id_in) emit_line(e, "const int id = %s;", zeros ? id : xasprintf("%s(%s, %lld)", fold, id, D));
        if (!ih_in) emit_line(e, "const int ih = %s;", zeros ? ih : xasprintf("%s(%s, %lld)", fold, ih, H));
        if (zeros && !(id_in && ih_in)) {
            const char *test = id_in ? "" : xasprintf("id >= 0 && id < %lld", D);
            if (!ih_in) test = xasprintf("%s%sih >= 0 && ih < %lld", test, *test ? " && " : "", H);
            emit_line(e, "const int in = %s;", test);
            tested = true;
        }
        LOOP(e, "ph", t->sw) {
            const char *band_row = cx_plus(cx_mul(c, R), cx_plus(cx_mul(a, t->kh), r));   /* c*R + a*kh + r */
            emit_line(e, "float *restrict row = t + %s;", cx_mul(cx_plus(cx_mul(band_row, t->sw), ph), t->Wq));
            const char *iw = cx_plus(cx_mul("q", t->sw), cx_add(ph, -t->pl));
            if (zeros) {   /* zeros, the columns inside the input, zeros */
                if (tested) {
                    emit_open(e, "if (!in)");
                    emit_line(e, "memset(row, 0, sizeof(float) * %lld);", (long long)t->Wq);
                    emit_else(e);
                }
                emit_inside_columns(e, ph, t->pl, t->sw, W, t->Wq);
                emit_line(e, "for (int q = 0; q < q0; q++) row[q] = 0.0f;");
                if (t->sw == 1) {   /* one run of the input row: a copy (gcc unrolls a short loop to scalars) */
                    emit_line(e, "const int iw = %s;", cx_add("q0", -t->pl));
                    emit_line(e, "memcpy(row + q0, &%s, sizeof(float) * (size_t)(q1 - q0));", x);
                } else {
                    emit_line(e, "CNNRT_SIMD");
                    BLOCK(e, "for (int q = q0; q < q1; q++)") {
                        emit_line(e, "const int iw = %s;", iw);
                        emit_line(e, "row[q] = %s;", x);
                    }
                }
                emit_line(e, "for (int q = q1; q < %lld; q++) row[q] = 0.0f;", (long long)t->Wq);
                if (tested) emit_close(e);
            } else {
                FOR(e, "q", t->Wq) {
                    emit_line(e, "const int iw = %s(%s, %lld);", fold, iw, W);
                    emit_line(e, "row[q] = %s;", x);
                }
            }
        }
    }
}

/* the lanes below `to` stored through the epilogue: a loop of 16 */
static void masked_part(Emit *e, const char *var, const char *to, const char *idx, const char *chan) {
    emit_line(e, "CNNRT_SIMD16");
    BLOCK(e, "for (int %s = 0; %s < 16; %s++)", var, var, var) BLOCK(e, "if (%s < %s)", var, to) {
        emit_line(e, "const float lane = lanes[%s];", var);
        emit_store(e, idx, chan, "lane");
    }
}

void conv_store_lanes(Emit *e, const char *var, const char *from, const char *to, bool simd, const char *guard,
                      const char *idx, const char *chan) {
    if (simd && !guard && !strcmp(from, "0") && strcmp(to, "16")) {
        /* a whole vector as a loop of 16 (vector stores), the likely branch
         * (CNNRT_LIKELY); gcc turns a loop of a variable count into a slow
         * string copy. A part of one is a loop of 16 too, each lane under
         * `if (l < to)`: one masked vector operation (AVX-512, AVX2) that
         * reads nothing past `to`, where a loop to `to` leaves gcc a scalar
         * remainder whose epilogue branches on every value (relu6's
         * comparisons). gcc masks the store only for an index of pointer
         * width (the callers' `base` is a size_t). */
        emit_open(e, "if (CNNRT_LIKELY(%s == 16))", to);
        conv_store_lanes(e, var, from, "16", simd, guard, idx, chan);
        if (!strcmp(idx, xasprintf("base + %s", var)) && emit_epilogue_on_lanes(e)) {
            /* under gcc, a part of other than 8 lanes: the epilogue over the
             * whole vector, then the first lanes by plain stores (AVX2's
             * masked store is slow on AMD's cores, and gcc left an
             * activation's comparisons under `if` scalar: MobileNetV3-
             * small's depthwise layers over rows of 28 and 14 columns, 0.8x
             * and 0.5x the time). Not for the lanes themselves, nor 8 of
             * them: gcc then kept the tile in memory (relu6 over rows of 56
             * columns 1.4x the time); not under clang, which stores a part
             * of a known size by plain moves (CNNRT_MASKED_PARTS) */
            emit_else_if(e, xasprintf("CNNRT_MASKED_PARTS || %s %% 8 == 0", to));
            masked_part(e, var, to, idx, chan);
            emit_else(e);
            emit_line(e, "float vals[16];");
            emit_line(e, "CNNRT_SIMD16");
            BLOCK(e, "for (int %s = 0; %s < 16; %s++)", var, var, var) {
                emit_line(e, "const float lane = lanes[%s];", var);
                emit_epilogue(e, idx, chan, "lane", xasprintf("vals[%s]", var));
            }
            emit_line(e, "CNNRT_STORE_FIRST16(&y[base], vals, %s);", to);
        } else {
            emit_else(e);
            masked_part(e, var, to, idx, chan);
        }
        emit_close(e);
        return;
    }
    if (!simd && !guard && !strcmp(from, "0") && !strcmp(to, "16") && emit_has_epilogue(e)) {
        /* strided stores (a position's 16 channels into C order): the
         * epilogue over the vector first, where lane by lane a SiLU or
         * hardswish would be scalar, then the stores */
        emit_line(e, "float vals[16];");
        emit_line(e, "CNNRT_SIMD16");
        BLOCK(e, "for (int %s = 0; %s < 16; %s++)", var, var, var) {
            emit_line(e, "const float lane = lanes[%s];", var);
            emit_epilogue(e, idx, chan, "lane", xasprintf("vals[%s]", var));
        }
        emit_line(e, "for (int %s = 0; %s < 16; %s++) y[%s] = vals[%s];", var, var, var, idx, var);
        return;
    }
    /* a whole vector of the outputs themselves: one vector store, where gcc
     * made the loop's copy out of lanes 16- and 8-byte moves through the
     * stack (a depthwise 3x3 over rows 1.3x the time of the store) */
    bool whole = simd && !guard && !strcmp(from, "0") && !strcmp(to, "16");
    const char *outputs = whole && !strcmp(idx, xasprintf("base + %s", var)) ? emit_tile_outputs(e) : NULL;
    if (outputs) {
        bool always = !strcmp(outputs, "1");
        if (!always) emit_open(e, "if (%s)", outputs);
        emit_line(e, "CNNRT_STORE16(&y[base], %s);", e->lanes);
        if (always) return;
        emit_else(e);
    }
    if (simd) emit_line(e, whole ? "CNNRT_SIMD16" : "CNNRT_SIMD");
    else emit_line(e, "CNNRT_STRIDED");
    BLOCK(e, "for (int %s = %s; %s < %s; %s++)", var, from, var, to, var) {
        if (guard) emit_line(e, "if (%s) break;", guard);
        emit_line(e, "const float lane = lanes[%s];", var);
        emit_store(e, idx, chan, "lane");
    }
    if (outputs) emit_close(e);
}

int64_t conv_tap_offset(const ConvTile *t, int64_t a, int64_t i, int64_t k) {
    int64_t col = k * t->dw, sw = t->sw / t->cs;   /* flat: the column phases the planes split (whole rows: 1) */
    if (t->flat) return ((i * t->dh % t->sh * t->nphc + col % sw) * t->Hp + i * t->dh / t->sh) * t->cs * t->Wp + col / sw;
    return ((a * t->kh + i) * t->sw + col % t->sw) * t->Wq + col / t->sw;
}

/* packed[ob][c][tap][j] = w[ob*OCB + j][c][tap] (zero past `out`) */
void conv_packed_data(Emit *e, const Layer *L, const void *tile) {
    const ConvTile *t = tile;
    const Param *w = layer_param(L, "weight"), *b = layer_param(L, "bias");
    int64_t taps = t->kd * t->kh * t->kw, n = t->NOB * t->cg * taps * t->OCB;
    float *pk = xcalloc((size_t)n, sizeof(float)), *pb = xcalloc((size_t)(t->NOB * t->OCB), sizeof(float));
    for (int64_t ob = 0; ob < t->NOB; ob++)
        for (int64_t c = 0; c < t->cg; c++)
            for (int64_t k = 0; k < taps; k++)
                for (int64_t j = 0; j < t->OCB; j++) {
                    int64_t o = ob * t->OCB + j;
                    if (o < t->OC) pk[((ob * t->cg + c) * taps + k) * t->OCB + j] = w->data[(o * t->cg + c) * taps + k];
                }
    for (int64_t o = 0; b && o < t->OC; o++) pb[o] = b->data[o];
    emit_array(e, xasprintf("%s.weight packed [%lld][%lld][%lld][%lld]: output-channel block, input channel, tap, "
                            "channel in block", L->name, (long long)t->NOB, (long long)t->cg, (long long)taps, (long long)t->OCB),
               emit_param(e, L, "packed"), pk, n);
    emit_array(e, xasprintf("%s.bias padded to %lld", L->name, (long long)(t->NOB * t->OCB)), emit_param(e, L, "bias_packed"),
               pb, t->NOB * t->OCB);
}
