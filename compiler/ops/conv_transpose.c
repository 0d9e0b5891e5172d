/* conv_transpose.c — transposed convolutions: conv_transpose1d, 2d, 3d,
 * as PyTorch's conv_transpose1d/2d/3d.
 *
 * Each input x[c, i] spreads w[c, o, k] * x[c, i] to output position
 * i*s + k*d - pb; the output is that full transposed convolution cropped by
 * pb at the start and pe at the end (output_padding adds at the end). As a
 * gather, per output channel o (group g = o / og, j = o % og):
 *   y[o, p] = b[o] + sum_{c in group g, k: (p + pb - k*d) = i*s, 0 <= i < I} w[c, j, k] * x[c, i]
 * Weights are PyTorch's [C, out/groups, k...]: the output channel is dim 1.
 *
 * -O0 is that gather as plain loops. -O2 splits the output by stride phase:
 * the outputs p = q*s + r of phase r see only the taps k with
 * (r + pb - k*d) = 0 mod s, each at input q + (r + pb - k*d)/s, so every
 * phase is an ordinary stride-1 convolution of the zero-padded input with a
 * sub-kernel, computed with vectors of 16 output columns of the phase and
 * the sub-kernels' weights packed at compile time. */
#include "conv_kernels.h"

#include <string.h>

static const AttrDesc convt_attrs[] = {
    {"out", A_INT, .required = true, .min = 1},
    {"kernel", A_INTS, .required = true, .min = 1},
    {"stride", A_INTS, .idef = 1, .min = 1},
    {"pad", A_PAD, .idef = 0, .min = 0},
    {"output_padding", A_INTS, .idef = 0, .min = 0},
    {"dilation", A_INTS, .idef = 1, .min = 1},
    {"groups", A_INT, .idef = 1, .min = 1},
    {"bias", A_BOOL, .idef = 1},
};

static int convt_nd(const Layer *L) {
    if (L->op == &op_conv_transpose1d) return 1;
    if (L->op == &op_conv_transpose3d) return 3;
    return 2;
}

__extension__ typedef __int128 i128;

static bool convt_infer(Layer *L, const Shape *in, int nin) {
    (void)nin;
    int nd = convt_nd(L);
    if (!need_spatial(L, in, nd)) return false;
    int64_t c = in->dim[0], out = attr_int(L, "out"), groups = attr_int(L, "groups");
    bool ok = true;
    if (c % groups) {
        diag_error(attr_loc(L, "groups"), "groups=%lld must divide the %lld input channels of '%s'",
                   (long long)groups, (long long)c, L->name);
        ok = false;
    }
    if (out % groups) {
        diag_error(attr_loc(L, "groups"), "groups=%lld must divide the %lld output channels of '%s'",
                   (long long)groups, (long long)out, L->name);
        ok = false;
    }
    L->groups = (int)(groups > INT32_MAX ? INT32_MAX : groups);
    const Attr *pad = attr_get(L, "pad");
    if (pad->set && pad->kw) {
        diag_error(pad->loc, "attribute 'pad' of '%s' takes integers: a transposed convolution has no '%s' padding",
                   L->name, pad->kw);
        ok = false;
    }
    int64_t op[MAX_SPATIAL];
    ok &= per_dim(L, "output_padding", nd, 0, op);
    if (!ok || !window_attrs(L, in, false)) return false;
    const Window *w = &L->win;
    L->shape.rank = in->rank;
    L->shape.dim[0] = out;
    for (int i = 0; i < nd; i++) {
        if (op[i] >= w->s[i] && op[i] >= w->d[i]) {
            diag_error(attr_loc(L, "output_padding"),
                       "output_padding %lld of '%s' must be smaller than the stride (%lld) or the dilation (%lld) "
                       "in %s", (long long)op[i], L->name, (long long)w->s[i], (long long)w->d[i],
                       dim_name(nd, i));
            ok = false;
            continue;
        }
        int64_t I = in->dim[1 + i];
        i128 o = (i128)(I - 1) * w->s[i] - w->pb[i] - w->pe[i] + (i128)w->d[i] * (w->k[i] - 1) + op[i] + 1;
        i128 ext = (i128)w->d[i] * (w->k[i] - 1) + 1;
        if (o > MAX_WINDOW || ext > MAX_WINDOW || w->s[i] > MAX_WINDOW || w->pb[i] > MAX_WINDOW ||
            w->pe[i] > MAX_WINDOW) {
            diag_error(L->loc, "%s '%s': the output %s is too large (input %lld, stride %lld, kernel %lld, "
                       "dilation %lld); sizes are limited to %s", L->op->name, L->name, dim_name(nd, i), (long long)I,
                       (long long)w->s[i], (long long)w->k[i], (long long)w->d[i], commas(MAX_WINDOW));
            ok = false;
        } else if (o < 1) {
            diag_error(L->loc,
                       "%s '%s': output %s would be %lld (input %lld, stride %lld, padding %lld+%lld, kernel %lld, "
                       "dilation %lld, output_padding %lld)", L->op->name, L->name, dim_name(nd, i), (long long)o,
                       (long long)I, (long long)w->s[i], (long long)w->pb[i], (long long)w->pe[i],
                       (long long)w->k[i], (long long)w->d[i], (long long)op[i]);
            ok = false;
        }
        L->shape.dim[1 + i] = o < 1 || o > MAX_WINDOW ? 1 : (int64_t)o;
    }
    return ok;
}

static int64_t kernel_volume(const Layer *L) {
    int64_t v = 1;
    for (int i = 0; i < L->win.nd; i++) v *= L->win.k[i];
    return v;
}

/* weight [C, out/groups, k...], bias [out]; PyTorch's default range: fan-in
 * from dim 1 of the weight, (out/groups) x kernel volume */
static void convt_params(Layer *L, const Shape *in) {
    int64_t out = L->shape.dim[0], d[2 + MAX_SPATIAL] = {in->dim[0], out / L->groups};
    memcpy(d + 2, L->win.k, sizeof(int64_t) * (size_t)L->win.nd);
    int64_t fan_in = d[1] * kernel_volume(L);
    add_param(L, "weight", 2 + L->win.nd, d);
    param_fan_in(L, fan_in);
    if (attr_bool(L, "bias")) {
        add_param(L, "bias", 1, &out);
        param_fan_in(L, fan_in);
    }
}

/* each input element meets out/groups x kernel volume weights */
static int64_t convt_macs(const Layer *L, const Shape *in) {
    return shape_elems(in) * (L->shape.dim[0] / L->groups) * kernel_volume(L);
}

/* BatchNorm folding: output channel o = g*og + j scales w[c][j][..] for the
 * input channels c of group g */
static void convt_fold(Layer *L, const float *scale, const float *shift) {
    Param *w = layer_param(L, "weight");
    int64_t out = L->shape.dim[0], C = w->shape.dim[0], og = w->shape.dim[1], cg = C / L->groups;
    int64_t kv = shape_elems(&w->shape) / (C * og);
    for (int64_t c = 0; c < C; c++)
        for (int64_t j = 0; j < og; j++)
            for (int64_t k = 0; k < kv; k++) w->data[(c * og + j) * kv + k] *= scale[c / cg * og + j];
    fold_bias(L, "bias", 1, &out, out, scale, shift);
}

/* inside the output loops: for kd.. { the input position id.. that tap kd..
 * reaches output od.. from, or continue }; opens nd blocks */
static void tap_loops(Emit *e, const Layer *L, const Shape *in) {
    const Window *w = &L->win;
    int nd = w->nd;
    for (int i = 0; i < nd; i++) {
        const char *o = win_var('o', nd, i), *k = win_var('k', nd, i), *x = win_var('i', nd, i);
        long long s = w->s[i], n = in->dim[1 + i];
        emit_for(e, k, w->k[i]);
        const char *num = cx_plus(cx_add(o, w->pb[i]), cx_mul(k, -w->d[i]));   /* o + pb - k*d = x*s */
        if (s == 1) {
            emit_line(e, "const int %s = %s;", x, num);
            emit_line(e, "if (%s < 0 || %s >= %lld) continue;", x, x, n);
        } else {
            const char *tv = xasprintf("t%s", x + 1);
            emit_line(e, "const int %s = %s;", tv, num);
            emit_line(e, "if (%s < 0 || %s %% %lld != 0 || %s / %lld >= %lld) continue;", tv, tv, s, tv, s, n);
            emit_line(e, "const int %s = %s / %lld;", x, tv, s);
        }
    }
}

/* y[o, p] = b[o] + sum_{c, k: p + pb - k*d = i*s, 0 <= i < I} w[g*cg + c, o % og, k] * x[g*cg + c, i] */
static void convt_emit_ref(Emit *e, const Layer *L) {
    const Shape *in = emit_in_shape(e, L, 0);
    const Window *w = &L->win;
    int nd = w->nd;
    int64_t out = L->shape.dim[0], C = in->dim[0], cg = C / L->groups, og = out / L->groups;
    const char *b = layer_param(L, "bias") ? emit_param(e, L, "bias") : NULL;
    const char *ch = L->groups == 1 ? "c" : xasprintf("o / %lld * %lld + c", (long long)og, (long long)cg);
    const char *wv[2 + MAX_SPATIAL] = {ch, og == 1 ? "0" : L->groups == 1 ? "o" : xasprintf("o %% %lld", (long long)og)};
    int64_t wd[2 + MAX_SPATIAL] = {C, og};
    for (int i = 0; i < nd; i++) {
        wv[2 + i] = win_var('k', nd, i);
        wd[2 + i] = w->k[i];
    }
    FOR(e, "o", out) OUT_LOOPS(e, L) {
        emit_line(e, "float acc = %s;", b ? xasprintf("%s[o]", b) : "0.0f");
        FOR(e, "c", cg) CW_SCOPE(tap_loops(e, L, in), emit_close_n(e, nd))
            emit_line(e, "acc += %s[%s] * x0[%s];", emit_param(e, L, "weight"), emit_index(2 + nd, wv, wd),
                      emit_pixel(in, ch, 'i'));
        emit_store(e, emit_pixel(&L->shape, "o", 'o'), "o", "acc");
    }
}

/* ---- -O2: one stride-1 convolution per stride phase
 *
 * Geometry as 3-D (index 0 depth, 1 height, 2 width; absent dims of size
 * 1). The input is copied once, zero-padded, into t [C][T0][T1][T2] with
 * PL leading zeros per dim, so that every tap of every phase reads in
 * bounds, 16 x P columns at a time past the last output column included.
 * Weights are packed per phase as [g][ob][c][tap][OCB]. */
typedef struct {
    int nd;
    int64_t C, OC, G, cg, og;
    int64_t I[3], O[3], K[3], S[3], D[3], Pb[3];
    int64_t PL[3], T[3];
    int P, OCB;            /* the register tile: P vectors of 16 columns x OCB output channels */
    RegTile nar;           /* --target=auto: the narrow tile inside it */
    int64_t NOB;           /* channel blocks per group */
    bool pair;             /* column stride 2, even width: the two column phases in one tile,
                            * their vectors interleaved into whole vectors of the row */
} Geom;

/* outputs of phase r in dim j, and the taps of that phase with their input offsets */
static int64_t phase_outputs(const Geom *G, int j, int64_t r) {
    return r < G->O[j] ? (G->O[j] - r + G->S[j] - 1) / G->S[j] : 0;
}

static int phase_taps(const Geom *G, int j, int64_t r, int64_t *k, int64_t *off) {
    int n = 0;
    for (int64_t t = 0; t < G->K[j]; t++) {
        int64_t num = r + G->Pb[j] - t * G->D[j], m = num % G->S[j];
        if (m) continue;
        k[n] = t;
        off[n++] = num / G->S[j];
    }
    return n;
}

#define MAX_TAPS 64   /* the taps of a phase are unrolled */

static bool geom(const Layer *L, const Shape *in, const Options *o, Geom *G) {
    const Window *w = &L->win;
    *G = (Geom){.nd = w->nd, .C = in->dim[0], .OC = L->shape.dim[0], .G = L->groups};
    G->cg = G->C / G->G;
    G->og = G->OC / G->G;
    int64_t maxtaps = 1, floats = G->C;
    for (int j = 0; j < 3; j++) {
        int i = j - (3 - w->nd);
        G->I[j] = i < 0 ? 1 : in->dim[1 + i];
        G->O[j] = i < 0 ? 1 : L->shape.dim[1 + i];
        G->K[j] = i < 0 ? 1 : w->k[i];
        G->S[j] = i < 0 ? 1 : w->s[i];
        G->D[j] = i < 0 ? 1 : w->d[i];
        G->Pb[j] = i < 0 ? 0 : w->pb[i];
        if (G->K[j] > MAX_TAPS || G->S[j] > MAX_TAPS) return false;
        int64_t lo = 0, hi = G->I[j], most = 0, k[MAX_TAPS], off[MAX_TAPS];
        for (int64_t r = 0; r < G->S[j]; r++) {
            int64_t q = phase_outputs(G, j, r) + (j == 2 ? 63 : 0);   /* vectors run up to 63 columns past */
            int n = phase_taps(G, j, r, k, off);
            if (n > most) most = n;
            for (int t = 0; t < n && q > 0; t++) {
                if (off[t] < lo) lo = off[t];
                if (q + off[t] > hi) hi = q + off[t];
            }
        }
        G->PL[j] = -lo;
        G->T[j] = hi - lo;
        maxtaps *= most;
        if (!mul_ok(floats, G->T[j], &floats)) return false;
    }
    if (maxtaps > MAX_TAPS || floats > INT32_MAX / 2) return false;
    int64_t qw = phase_outputs(G, 2, 0), nvec = G->O[0] * G->O[1] / (G->S[0] * G->S[1]) * ((qw + 15) / 16);
    int maxp = (int)((qw + 15) / 16 < 4 ? (qw + 15) / 16 : 4);
    G->pair = G->S[2] == 2 && G->O[2] % 2 == 0;
    int rows = G->pair ? 2 : 1;   /* accumulator rows per output channel */
    G->nar = (RegTile){0, 0, 0};
    RegTile rt = pixel_tiles(o, nvec > 0 ? nvec : 1, rows * G->og, 1, maxp, 28, rows, false, &G->nar);
    if (!target_both(o)) G->nar = rt;
    G->P = rt.P;
    G->OCB = rt.OCB / rows;
    G->nar.OCB /= rows;
    G->NOB = (G->og + G->OCB - 1) / G->OCB;
    return true;
}

/* the -O2 kernel applies: taps few enough to unroll, a padded input that int indexes */
static bool convt_fast(const Layer *L, const Shape *in, const Options *o, Geom *G) {
    return o->opt >= 2 && geom(L, in, o, G);
}

static int64_t convt_temp(const Layer *L, const Shape *in, int opt) {
    Options o = {.opt = opt};
    Geom G;
    if (!convt_fast(L, in, &o, &G)) return 0;
    return G.C * G.T[0] * G.T[1] * G.T[2];
}

/* "a,b,c" of the layer's nd dims (the last nd of the three) */
static const char *dims3(const Geom *G, const char *const *v) {
    const char *s = v[3 - G->nd];
    for (int j = 4 - G->nd; j < 3; j++) s = xasprintf("%s, %s", s, v[j]);
    return s;
}

static const char *ints3(const Geom *G, int64_t a, int64_t b, int64_t c) {
    const char *v[3] = {xasprintf("%lld", (long long)a), xasprintf("%lld", (long long)b), xasprintf("%lld", (long long)c)};
    return dims3(G, v);
}

/* the phases in order, (rd, rh, rw) as one index */
#define PHASES(G) ((G)->S[0] * (G)->S[1] * (G)->S[2])

typedef struct {
    int64_t r[3], q[3];     /* phase, its outputs per dim */
    int n[3];               /* taps per dim */
    int64_t k[3][MAX_TAPS], off[3][MAX_TAPS];
    int64_t ntaps;
} Phase;

static void phase_of(const Geom *G, int64_t ph, Phase *p) {
    p->r[2] = ph % G->S[2];
    p->r[1] = ph / G->S[2] % G->S[1];
    p->r[0] = ph / G->S[2] / G->S[1];
    p->ntaps = 1;
    for (int j = 0; j < 3; j++) {
        p->q[j] = phase_outputs(G, j, p->r[j]);
        p->n[j] = phase_taps(G, j, p->r[j], p->k[j], p->off[j]);
        p->ntaps *= p->n[j];
    }
}

static void convt_emit_data(Emit *e, const Layer *L) {
    Geom G;
    if (!convt_fast(L, emit_in_shape(e, L, 0), e->o, &G)) {
        emit_params_raw(e, L);
        return;
    }
    const Param *w = layer_param(L, "weight"), *b = layer_param(L, "bias");
    int64_t kvol = G.K[0] * G.K[1] * G.K[2], n = 0, block = G.G * G.NOB * G.cg * G.OCB;
    for (int64_t ph = 0; ph < PHASES(&G); ph++) {
        Phase p;
        phase_of(&G, ph, &p);
        n += block * p.ntaps;
    }
    float *pk = xcalloc((size_t)(n ? n : 1), sizeof(float)), *pb = xcalloc((size_t)(G.G * G.NOB * G.OCB), sizeof(float));
    int64_t at = 0;
    for (int64_t ph = 0; ph < PHASES(&G); ph++) {
        Phase p;
        phase_of(&G, ph, &p);
        for (int64_t g = 0; g < G.G; g++)
            for (int64_t ob = 0; ob < G.NOB; ob++)
                for (int64_t c = 0; c < G.cg; c++)
                    for (int a = 0; a < p.n[0]; a++)
                        for (int i = 0; i < p.n[1]; i++)
                            for (int k = 0; k < p.n[2]; k++)
                                for (int64_t jj = 0; jj < G.OCB; jj++, at++) {
                                    int64_t j = ob * G.OCB + jj;
                                    int64_t tap = (p.k[0][a] * G.K[1] + p.k[1][i]) * G.K[2] + p.k[2][k];
                                    if (j < G.og) pk[at] = w->data[((g * G.cg + c) * G.og + j) * kvol + tap];
                                }
    }
    for (int64_t g = 0; g < G.G; g++)
        for (int64_t j = 0; j < G.og && b; j++) pb[(g * G.NOB) * G.OCB + j] = b->data[g * G.og + j];
    emit_array(e, xasprintf("%s.weight packed per stride phase [phase][group][block][c][tap][%d]", L->name, G.OCB),
               emit_param(e, L, "packed"), pk, n ? n : 1);
    emit_array(e, xasprintf("%s.bias per group, padded to %lld blocks of %d", L->name, (long long)G.NOB, G.OCB),
               emit_param(e, L, "bias_packed"), pb, G.G * G.NOB * G.OCB);
}

/* what a phase body is written for: a phase, or (pair) the two column
 * phases of the same rows */
typedef struct {
    const Layer *L;
    const Geom *G;
    const Phase *p[2];
    int64_t at[2];  /* offsets of the phases' packed weights */
    int halves;     /* 1, or 2 (pair) */
} Body;

/* tap number tap of phase p (taps in (d, h, w) order): its indices into
 * the phase's taps per dim, and its input's offset from the tile's first */
static int64_t tap_at(const Geom *G, const Phase *p, int64_t tap, int ix[3]) {
    ix[0] = (int)(tap / (p->n[1] * p->n[2]));
    ix[1] = (int)(tap / p->n[2] % p->n[1]);
    ix[2] = (int)(tap % p->n[2]);
    return (p->off[0][ix[0]] * G->T[1] + p->off[1][ix[1]]) * G->T[2] + p->off[2][ix[2]];
}

/* the taps of the body's phases, grouped by input offset: the input
 * vectors at each offset loaded once, each tap's FMAs into the accumulator
 * rows of its half */
static void phase_fmas(Emit *e, const Body *bd, int RB, int P, bool sub) {
    const Geom *G = bd->G;
    int64_t seen[2 * MAX_TAPS];
    int nseen = 0, ix[3];
    for (int h0 = 0; h0 < bd->halves; h0++)
        for (int64_t t0 = 0; t0 < bd->p[h0]->ntaps; t0++) {
            int64_t off = tap_at(G, bd->p[h0], t0, ix);
            bool done = false;
            for (int s = 0; s < nseen; s++) done |= seen[s] == off;
            if (done) continue;
            seen[nseen++] = off;
            BLOCK(e, "/* input at offset %lld */", (long long)off) {
                emit_line(e, "const float *restrict src = %s;", cx_add("tc", off));
                emit_load_vectors(e, "xv", P, "src", RB > 1);
                for (int h = 0; h < bd->halves; h++) {
                    const Phase *p = bd->p[h];
                    for (int64_t tap = 0; tap < p->ntaps; tap++) {
                        if (tap_at(G, p, tap, ix) != off) continue;
                        BLOCK(e, "/* tap %s%s */", ints3(G, p->k[0][ix[0]], p->k[1][ix[1]], p->k[2][ix[2]]),
                              bd->halves > 1 ? xasprintf(" of column phase %d", h) : "") {
                            emit_line(e, "const float *restrict wk = %s;",
                                      cx_add(xasprintf(sub ? "wc%d + j0" : "wc%d", h), tap * G->OCB));
                            emit_tile_fma_at(e, h * RB, RB, P);
                        }
                    }
                }
            }
        }
}

static void phase_tiles(Emit *e, const void *ctx, Regs r) {
    const Body *bd = ctx;
    const Geom *G = bd->G;
    const Phase *p = bd->p[0];   /* the pair's phases differ in their column taps only */
    const Layer *L = bd->L;
    RegTile rt = r == target_regs(e->o) ? (RegTile){G->P, G->OCB, 0} : G->nar;
    int P = rt.P, RB = rt.OCB, H = bd->halves;
    bool sub = RB < G->OCB;
    const char *jb = sub ? "j0 + j" : "j", *g = loop_var("g", G->G), *ob = loop_var("ob", G->NOB);
    const char *qd = loop_var("qd", p->q[0]), *qh = loop_var("qh", p->q[1]);
    const char *blk = cx_plus(cx_mul(g, G->NOB), ob);   /* g * NOB + ob */
    bool one = p->q[2] > 0 && p->q[2] <= 16 * P;   /* one vector of columns: no loop */
    const char *pv = one ? "0" : "pv";
    if (H > 1)
        emit_line(e, "/* tiles of %d output channels x 2 column phases x %d x 16 columns of each: acc[h * %d + j] */",
                  RB, P, RB);
    else
        emit_line(e, "/* tiles of %d output channels x %d x 16 columns of the phase */", RB, P);
    BLOCK_IF(e, !one, "for (int pv = 0; pv < %lld; pv += %d)", (long long)p->q[2], 16 * P)
    LOOP(e, "ob", G->NOB) BLOCK_IF(e, sub, "for (int j0 = 0; j0 < %d; j0 += %d)", G->OCB, RB) {
        emit_line(e, "cnnrt_v16 acc[%d][%d];", H * RB, P);
        emit_tile_splat(e, RB, P, emit_param(e, L, "bias_packed"), cx_plus(cx_mul(blk, G->OCB), sub ? "j0" : "0"));
        if (H > 1)   /* the second phase's tile starts as the first's, vector by vector (CNNRT_COPY16) */
            emit_line(e, "for (int j_ = 0; j_ < %d; j_++) for (int p_ = 0; p_ < %d; p_++) CNNRT_COPY16(acc[%d + j_][p_], acc[j_][p_]);",
                      RB, P, RB);
        if (p->ntaps || bd->p[H - 1]->ntaps) FOR(e, "c", G->cg) {
            const char *ic = cx_plus(cx_mul(g, G->cg), "c");
            const char *row = cx_plus(cx_mul(cx_plus(cx_mul(ic, G->T[0]), cx_add(qd, G->PL[0])), G->T[1]),
                                      cx_add(qh, G->PL[1]));
            emit_line(e, "const float *restrict tc = %s;",
                      cx_at("t", cx_plus(cx_mul(xasprintf("(size_t)(%s)", row), G->T[2]), cx_add(pv, G->PL[2]))));
            for (int h = 0; h < H; h++)
                if (bd->p[h]->ntaps)
                    emit_line(e, "const float *restrict wc%d = %s + %s;", h, emit_param(e, L, "packed"),
                              cx_plus(xasprintf("%lld", (long long)bd->at[h]),
                                      cx_mul(cx_paren(cx_plus(cx_mul(blk, G->cg), "c")), bd->p[h]->ntaps * G->OCB)));
            phase_fmas(e, bd, RB, P, sub);
        }
        const char *at[3] = {cx_add(cx_mul("qd", G->S[0]), p->r[0]), cx_add(cx_mul("qh", G->S[1]), p->r[1]),
                             H > 1 ? "2 * qw + h" : cx_add(cx_mul("qw", G->S[2]), p->r[2])};
        emit_line(e, "/* store through the epilogue: outputs (%s) */", dims3(G, at));
        emit_tile_results_clamped(e, H * RB, P, H == 1);
        FOR(e, "j", RB) {
            if (G->NOB * G->OCB > G->og)   /* the last block is not full */
                emit_line(e, "if (%s >= %lld) break;", cx_plus(cx_mul(ob, G->OCB), jb), (long long)G->og);
            emit_line(e, "const int o = %s;", cx_plus(cx_mul(g, G->og), cx_plus(cx_mul(ob, G->OCB), jb)));
            const char *orow = cx_add(cx_mul(qh, G->S[1]), p->r[1]);
            const char *od = cx_add(cx_mul(qd, G->S[0]), p->r[0]);
            const char *base = cx_mul(cx_paren(cx_plus(cx_mul(cx_paren(cx_plus(cx_mul("o", G->O[0]), od)), G->O[1]), orow)),
                                      G->O[2]);
            FOR(e, "p", P) {
                emit_line(e, "const int q = %s, n = %lld - q < 16 ? %lld - q : 16;", cx_plus(pv, cx_mul("p", 16)),
                          (long long)p->q[2], (long long)p->q[2]);
                if (H == 1) {
                    emit_tile_lanes(e, "res[j][p]", false);
                    emit_line(e, "const size_t base = %s;", cx_plus(cx_size(cx_paren(base)), cx_add(cx_mul("q", G->S[2]), p->r[2])));
                    conv_store_lanes(e, "l", "0", "n", G->S[2] == 1, NULL, cx_plus("base", cx_mul("l", G->S[2])), "o");
                    continue;
                }
                /* the two phases' columns alternate: 32 consecutive outputs */
                emit_line(e, "cnnrt_v16 lo, hi;");
                emit_line(e, "CNNRT_ZIP16(lo, hi, res[j][p], res[%s][p]);", cx_add("j", RB));
                for (int h = 0; h < 2; h++)
                    BLOCK(e, "/* outputs %d to %d of the 32 */", 16 * h, 16 * h + 15) {
                        emit_tile_lanes(e, h ? "hi" : "lo", false);
                        emit_line(e, "const size_t base = %s;", cx_plus(cx_size(cx_paren(base)), cx_add("2 * q", 16 * h)));
                        emit_line(e, "const int m = %s;", h ? "2 * n - 16" : "2 * n < 16 ? 2 * n : 16");
                        conv_store_lanes(e, "l", "0", "m", true, NULL, "base + l", "o");
                    }
            }
        }
        emit_tile_stored(e);
    }
}

static void convt_emit(Emit *e, const Layer *L) {
    Geom G;
    if (!convt_fast(L, emit_in_shape(e, L, 0), e->o, &G)) {
        convt_emit_ref(e, L);
        return;
    }
    int64_t size = G.C * G.T[0] * G.T[1] * G.T[2];
    emit_line(e, "/* t [%lld][%s]: the input with %s zeros before it and the rest after, per dimension */",
              (long long)G.C, ints3(&G, G.T[0], G.T[1], G.T[2]), ints3(&G, G.PL[0], G.PL[1], G.PL[2]));
    emit_line(e, "memset(t, 0, sizeof(float) * %lld);", (long long)size);
    FOR(e, "c", G.C) LOOP(e, "id", G.I[0]) LOOP(e, "ih", G.I[1]) {
        const char *id = loop_var("id", G.I[0]), *ih = loop_var("ih", G.I[1]);
        const char *dst = cx_plus(cx_mul(cx_paren(cx_plus(cx_mul(cx_paren(cx_plus(cx_mul("c", G.T[0]), cx_add(id, G.PL[0]))),
                                                                     G.T[1]), cx_add(ih, G.PL[1]))), G.T[2]),
                                  xasprintf("%lld", (long long)G.PL[2]));
        const char *src = cx_mul(cx_paren(cx_plus(cx_mul(cx_paren(cx_plus(cx_mul("c", G.I[0]), id)), G.I[1]), ih)), G.I[2]);
        emit_line(e, "memcpy(t + %s, x0 + %s, sizeof(float) * %lld);", dst, src, (long long)G.I[2]);
    }
    /* the phases' rows qd, qh outside the phases: the S[0] x S[1] output
     * rows they cover are written whole, every column phase, while their
     * lines are in L1 (phase after phase, each over the whole output, was
     * 4-6% slower on a 3-D output larger than L2) */
    int64_t at = 0, block = G.G * G.NOB * G.cg * G.OCB, nq[2] = {0, 0};
    bool differ = G.nar.P != G.P || G.nar.OCB != G.OCB;
    Phase *ps = xcalloc((size_t)PHASES(&G), sizeof(Phase));
    int64_t *pat = xcalloc((size_t)PHASES(&G), sizeof(int64_t));
    for (int64_t ph = 0; ph < PHASES(&G); ph++) {
        phase_of(&G, ph, &ps[ph]);
        pat[ph] = at;
        at += block * ps[ph].ntaps;
        for (int j = 0; j < 2; j++) nq[j] = ps[ph].q[j] > nq[j] ? ps[ph].q[j] : nq[j];
    }
    LOOP(e, "g", G.G) LOOP(e, "qd", nq[0]) LOOP(e, "qh", nq[1])
    for (int64_t ph = 0; ph < PHASES(&G); ph += G.pair ? 2 : 1) {
        const Phase *p = &ps[ph];
        const Body bd = {L, &G, {p, &ps[ph + G.pair]}, {pat[ph], pat[ph + G.pair]}, G.pair ? 2 : 1};
        if (!p->q[0] || !p->q[1] || !p->q[2]) continue;
        const char *in = p->q[0] < nq[0] && p->q[1] < nq[1]
                             ? xasprintf("if (qd < %lld && qh < %lld) ", (long long)p->q[0], (long long)p->q[1])
                         : p->q[0] < nq[0] ? xasprintf("if (qd < %lld) ", (long long)p->q[0])
                         : p->q[1] < nq[1] ? xasprintf("if (qh < %lld) ", (long long)p->q[1])
                                           : "";
        if (G.pair)
            BLOCK(e, "%s/* phases (%s) and (%s) of stride (%s): %lld and %lld taps */", in, ints3(&G, p->r[0], p->r[1], 0),
                  ints3(&G, p->r[0], p->r[1], 1), ints3(&G, G.S[0], G.S[1], G.S[2]), (long long)p->ntaps,
                  (long long)ps[ph + 1].ntaps)
                emit_per_regs(e, &bd, differ, phase_tiles);
        else BLOCK(e, "%s/* phase (%s) of stride (%s): %lld tap%s */", in, ints3(&G, p->r[0], p->r[1], p->r[2]),
              ints3(&G, G.S[0], G.S[1], G.S[2]), (long long)p->ntaps, p->ntaps == 1 ? "" : "s")
            emit_per_regs(e, &bd, differ, phase_tiles);
    }
}

/* receptive field: output o takes input i where i * s + t * dil - pad = o
 * for a tap t < k */
static void convt_reads(const Layer *L, const Shape *in, int d, int64_t lo, int64_t hi, int64_t *ilo, int64_t *ihi) {
    (void)in;
    const Window *w = &L->win;
    *ilo = -floor_div(-(lo + w->pb[d] - (w->k[d] - 1) * w->d[d]), w->s[d]);
    *ihi = floor_div(hi + w->pb[d], w->s[d]);
}

#define CONVT_DESC(NAME)                                                             \
    const OpDesc op_##NAME = {                                                       \
        .name = #NAME, .flags = OPF_LINEAR | OPF_EPILOGUE, .min_in = 1, .max_in = 1, \
        ATTRS(convt_attrs),                                                          \
        .infer = convt_infer, .params = convt_params, .macs = convt_macs,            \
        .reads = convt_reads,                                                        \
        .fold = convt_fold, .temp = convt_temp, .emit_data = convt_emit_data,        \
        .emit_ref = convt_emit_ref, .emit = convt_emit,                              \
    }

CONVT_DESC(conv_transpose1d);
CONVT_DESC(conv_transpose2d);
CONVT_DESC(conv_transpose3d);
