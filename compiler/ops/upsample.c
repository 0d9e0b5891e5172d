/* upsample.c — resizing by a scale or to a size, nearest, linear
 * (bilinear, trilinear by the input's spatial dims) or cubic, as PyTorch's
 * F.interpolate with the same scale_factor or size, mode and align_corners
 * (recompute_scale_factor unset):
 * - the output size is floor(I * scale), or the size given;
 * - the source positions step by 1/scale when a scale is given (not I/O),
 *   by I/O for a size, by (I-1)/(O-1) with align_corners (0 for O = 1);
 * - nearest takes floor(o * step), step and product in float as PyTorch's
 *   float32 kernel computes them, at most I-1;
 * - linear takes the source position (o + 0.5) * step - 0.5, clamped at 0
 *   (o * step with align_corners), and blends its two neighbours (the last
 *   input position blends with itself);
 * - cubic (PyTorch's bicubic, in any number of dimensions) takes the same
 *   source position unclamped and weighs the 4 input positions from
 *   floor(r) - 1 by Keys' kernel with a = cubic_a (-0.75), an index outside
 *   the input reading its edge; with exclude_outside (ONNX) those taps are
 *   dropped and the weights rescaled to sum 1.
 * ONNX's Resize maps positions in other ways too: `coordinates` names its
 * coordinate_transformation_mode (the source position of output o, in
 * double: half_pixel (o + 0.5) * step - 0.5, pytorch_half_pixel the same but 0
 * for one output, asymmetric o * step, align_corners, tf_half_pixel_for_nn
 * (o + 0.5) * step, each times I and divided by O, or divided by the scale,
 * as ONNX computes it) and `rounding` its nearest_mode (floor, ceil,
 * round_prefer_floor, round_prefer_ceil; the index then clamped to the
 * input). Without either, nearest is PyTorch's float computation above. */
#include "cnnc.h"

#include <math.h>
#include <string.h>

static const char *const modes[] = {"nearest", "linear", "cubic", NULL};
/* the source positions: coords[k] is Pos k */
static const char *const coords[] = {"half_pixel", "pytorch_half_pixel", "asymmetric", "align_corners",
                                     "tf_half_pixel_for_nn", NULL};
typedef enum { POS_HALF, POS_PT_HALF, POS_ASYM, POS_ALIGN, POS_TF_NN, POS_TORCH_NEAREST } Pos;
static const char *const roundings[] = {"floor", "ceil", "round_prefer_floor", "round_prefer_ceil", NULL};
typedef enum { ROUND_FLOOR, ROUND_CEIL, ROUND_HALF_DOWN, ROUND_HALF_UP } Rounding;

static const AttrDesc upsample_attrs[] = {
    {"scale", A_FLOATS, .required = false},
    {"size", A_INTS, .min = 1},
    {"mode", A_KEYWORD, .words = modes},
    {"align_corners", A_BOOL, .idef = 0},
    {"cubic_a", A_FLOAT, .fdef = -0.75},
    {"exclude_outside", A_BOOL, .idef = 0},
    {"coordinates", A_KEYWORD, .words = coords},
    {"rounding", A_KEYWORD, .words = roundings},
};

static int word_of(const char *const *words, const char *w) {
    int k = 0;
    while (strcmp(words[k], w) != 0) k++;
    return k;
}

static bool is_linear(const Layer *L) { return strcmp(attr_word(L, "mode"), "linear") == 0; }
static bool is_cubic(const Layer *L) { return strcmp(attr_word(L, "mode"), "cubic") == 0; }
/* input positions an output position blends per dimension: 1, 2 or 4 */
static int ntaps(const Layer *L) { return is_cubic(L) ? 4 : is_linear(L) ? 2 : 1; }

static bool upsample_infer(Layer *L, const Shape *in, int nin) {
    (void)nin;
    if (!need_any_spatial(L, in)) return false;
    int nd = spatial_dims(in);
    const Attr *sc = attr_get(L, "scale"), *sz = attr_get(L, "size"), *ac = attr_get(L, "align_corners");
    bool ok = true;
    if (sc->set && sz->set) {
        diag_error(sz->loc, "upsample '%s' takes 'scale' or 'size', not both", L->name);
        ok = false;
    } else if (!sc->set && !sz->set) {
        diag_error(L->loc, "upsample '%s' needs 'scale' or 'size'", L->name);
        ok = false;
    }
    if (ac->set && ntaps(L) == 1) {
        diag_error(ac->loc, "attribute 'align_corners' of upsample '%s' needs mode=linear or cubic "
                   "(PyTorch refuses it with nearest)", L->name);
        ok = false;
    }
    const Attr *co = attr_get(L, "coordinates"), *ro = attr_get(L, "rounding");
    if (ac->set && co->set) {
        diag_error(co->loc, "upsample '%s' takes 'align_corners' or 'coordinates', not both (coordinates=align_corners "
                   "is align_corners=true)", L->name);
        ok = false;
    }
    if (ro->set && ntaps(L) > 1) {
        diag_error(ro->loc, "attribute 'rounding' of upsample '%s' needs mode=nearest", L->name);
        ok = false;
    }
    const char *cubic_only[] = {"cubic_a", "exclude_outside"};
    for (int i = 0; i < 2; i++)
        if (attr_get(L, cubic_only[i])->set && !is_cubic(L)) {
            diag_error(attr_loc(L, cubic_only[i]), "attribute '%s' of upsample '%s' needs mode=cubic", cubic_only[i],
                       L->name);
            ok = false;
        }
    if (!ok) return false;
    L->shape = *in;
    L->win.nd = nd;   /* for OUT_LOOPS; not OPF_WINDOW: no window */
    if (sz->set) return per_dim(L, "size", nd, 1, &L->shape.dim[1]);
    if (!attr_count_ok(sc, "scale", nd)) return false;
    for (int i = 0; i < nd; i++) {
        double s = sc->fv[sc->n == 1 ? 0 : i], o = floor((double)in->dim[1 + i] * s);
        if (!(s > 0)) {
            diag_error(sc->loc, "attribute 'scale' must be positive, got %g", s);
            return false;
        }
        if (o < 1 || o > (double)MAX_ELEMS) {
            diag_error(L->loc, "upsample '%s': output %s would be %s%s (input %lld, scale %g)", L->name, dim_name(nd, i),
                       o < 1 ? "0" : "more than ", o < 1 ? "" : commas(MAX_ELEMS), (long long)in->dim[1 + i], s);
            ok = false;
            continue;
        }
        L->shape.dim[1 + i] = (int64_t)o;
    }
    return ok;
}

/* ---- the source positions of one spatial dimension */

typedef struct {
    int64_t in, out;
    double num, den; /* input positions per output position, num / den: I / O, 1 / scale, (I-1) / (O-1) */
    double step;    /* num / den, by which PyTorch's positions multiply (but POS_TORCH_NEAREST) */
    bool onnx;      /* coordinates or rounding given: ONNX's positions, which divide by den */
    float fstep;    /* nearest, POS_TORCH_NEAREST: the float PyTorch's kernel multiplies by */
    Pos pos;        /* how output positions map to input positions */
    Rounding round; /* nearest but POS_TORCH_NEAREST: the source position to an index */
    double a;       /* cubic: Keys' a */
    bool exclude;   /* cubic: exclude_outside */
} Axis;

static Axis axis_of(const Layer *L, const Shape *in, int d) {
    const Attr *sc = attr_get(L, "scale");
    Axis a = {.in = in->dim[1 + d], .out = L->shape.dim[1 + d]};
    double s = sc->set ? sc->fv[sc->n == 1 ? 0 : d] : 0;
    if (attr_get(L, "coordinates")->set) a.pos = (Pos)word_of(coords, attr_word(L, "coordinates"));
    else if (ntaps(L) == 1) a.pos = attr_get(L, "rounding")->set ? POS_ASYM : POS_TORCH_NEAREST;
    else a.pos = attr_bool(L, "align_corners") ? POS_ALIGN : POS_HALF;
    a.round = (Rounding)word_of(roundings, attr_word(L, "rounding"));
    a.a = is_cubic(L) ? attr_float(L, "cubic_a") : 0;
    a.exclude = is_cubic(L) && attr_bool(L, "exclude_outside");
    a.onnx = attr_get(L, "coordinates")->set || attr_get(L, "rounding")->set;
    if (a.pos == POS_ALIGN) a.num = a.out > 1 ? (double)(a.in - 1) : 0, a.den = a.out > 1 ? (double)(a.out - 1) : 1;
    else if (sc->set) a.num = 1, a.den = s;
    else a.num = (double)a.in, a.den = (double)a.out;
    a.step = a.num / a.den;
    a.fstep = sc->set ? (float)(1.0 / s) : (float)a.in / (float)a.out;
    return a;
}

/* a double constant that reads back exactly */
static const char *emit_double(double v) {
    char *s = xasprintf("%.17g", v);
    return strpbrk(s, ".en") ? s : xasprintf("%s.0", s);
}

/* the source position of output position o (not POS_TORCH_NEAREST), and
 * the same as a C expression of the double or int o; the two compute alike.
 * PyTorch's (no coordinates, no rounding): (o + 0.5) * step - 0.5, as its
 * kernels multiply by the step. ONNX's: o + 0.5 times num, divided by den,
 * less 0.5, as ONNX divides by the scale: a product and a quotient (no
 * multiply-add a compiler could fuse), exact where the position is a whole
 * or half number, so that ties round as ONNX says */
static double axis_pos(const Axis *a, int64_t o) {
    double off = a->pos == POS_ASYM || a->pos == POS_ALIGN ? 0 : 0.5;
    double sub = a->pos == POS_HALF || a->pos == POS_PT_HALF ? 0.5 : 0;
    if (a->pos == POS_PT_HALF && a->out == 1) return 0;
    if (!a->onnx) return ((double)o + off) * a->step - sub;
    return ((double)o + off) * a->num / a->den - sub;
}

static const char *pos_expr(const Axis *a, const char *o) {
    bool off = a->pos != POS_ASYM && a->pos != POS_ALIGN, sub = a->pos == POS_HALF || a->pos == POS_PT_HALF;
    if (a->pos == POS_PT_HALF && a->out == 1) return "0.0";
    const char *r = off ? xasprintf("(%s + 0.5)", o) : o;
    r = a->onnx ? xasprintf("%s * %s / %s", r, emit_double(a->num), emit_double(a->den))
                : xasprintf("%s * %s", r, emit_double(a->step));
    return sub ? xasprintf("%s - 0.5", r) : r;
}

/* the taps of output position o: linear i0 * l0 + i1 * l1 */
static void axis_taps(const Axis *a, int64_t o, int64_t *i0, int64_t *i1, float *l0, float *l1) {
    double r = axis_pos(a, o);
    if (r < 0) r = 0;
    int64_t i = (int64_t)r;
    if (i > a->in - 1) i = a->in - 1;
    double l = r - (double)i;
    *i0 = i;
    *i1 = i < a->in - 1 ? i + 1 : i;
    *l1 = (float)(l > 1 ? 1 : l);
    *l0 = 1.0f - *l1;
}

/* Keys' cubic kernel at distance s (0 <= s < 2) */
static double keys(double a, double s) {
    return s <= 1 ? ((a + 2) * s - (a + 3)) * s * s + 1 : ((a * s - 5 * a) * s + 8 * a) * s - 4 * a;
}

/* the n = ntaps input positions output position o blends, and their
 * weights: linear by axis_taps, cubic by Keys' kernel */
static void axis_weights(const Axis *a, int n, int64_t o, int64_t *idx, float *w) {
    if (n == 2) {
        axis_taps(a, o, &idx[0], &idx[1], &w[0], &w[1]);
        return;
    }
    double r = axis_pos(a, o), f = floor(r), t = r - f;
    double wd[4] = {keys(a->a, t + 1), keys(a->a, t), keys(a->a, 1 - t), keys(a->a, 2 - t)}, sum = 0;
    for (int k = 0; k < 4; k++) {
        int64_t i = (int64_t)f - 1 + k;
        if (a->exclude && (i < 0 || i >= a->in)) wd[k] = 0;
        sum += wd[k];
        idx[k] = i < 0 ? 0 : i >= a->in ? a->in - 1 : i;
    }
    for (int k = 0; k < 4; k++) w[k] = (float)(a->exclude ? wd[k] / sum : wd[k]);
}

static int64_t nearest_tap(const Axis *a, int64_t o) {
    int64_t i;
    if (a->pos == POS_TORCH_NEAREST) {
        i = (int64_t)floorf((float)o * a->fstep);
    } else {
        double r = axis_pos(a, o), f = floor(r);
        i = (int64_t)(a->round == ROUND_FLOOR       ? f
                      : a->round == ROUND_CEIL      ? ceil(r)
                      : a->round == ROUND_HALF_DOWN ? f + (r - f > 0.5)
                                                    : f + (r - f >= 0.5));
    }
    return i < 0 ? 0 : i < a->in - 1 ? i : a->in - 1;
}

/* Keys' kernel at the distance s (an expression), near (s <= 1) or far */
static const char *keys_expr(double a, const char *s, bool near) {
    if (near)
        return xasprintf("((%s) * %s - (%s)) * %s * %s + 1.0", emit_double(a + 2), s, emit_double(a + 3), s, s);
    return xasprintf("(((%s) * %s - (%s)) * %s + (%s)) * %s - (%s)", emit_double(a), s, emit_double(5 * a), s,
                     emit_double(8 * a), s, emit_double(4 * a));
}

/* reference: the source positions computed per output position; nearest in
 * float, linear and cubic in double; linear sums the 2^nd corners, cubic
 * the 4^nd taps */
static void upsample_emit_ref(Emit *e, const Layer *L) {
    const Shape *in = emit_in_shape(e, L, 0);
    int nd = L->win.nd;
    bool lin = is_linear(L), cub = is_cubic(L);
    FOR(e, "c", L->shape.dim[0]) OUT_LOOPS(e, L) {
        for (int d = 0; d < nd; d++) {
            Axis a = axis_of(L, in, d);
            const char *o = win_var('o', nd, d), *i = win_var('i', nd, d), *n = i + 1;
            long long last = (long long)a.in - 1;
            if (!lin && !cub && a.pos == POS_TORCH_NEAREST) {
                emit_line(e, "int %s = (int)floorf((float)%s * %s);", i, o, emit_float(a.fstep));
                emit_line(e, "if (%s > %lld) %s = %lld;", i, last, i, last);
                continue;
            }
            emit_line(e, "%sdouble r%s = %s;", lin ? "" : "const ", n, pos_expr(&a, o));
            if (!lin && !cub) {   /* the position rounded, clamped to the input */
                static const char *const to_index[] = {"floor(r%s)", "ceil(r%s)", "floor(r%s) + (r%s - floor(r%s) > 0.5)",
                                                       "floor(r%s) + (r%s - floor(r%s) >= 0.5)"};
                emit_line(e, "int %s = (int)(%s);", i, xasprintf(to_index[a.round], n, n, n));
                emit_line(e, "if (%s < 0) %s = 0;", i, i);
                emit_line(e, "if (%s > %lld) %s = %lld;", i, last, i, last);
                continue;
            }
            if (lin) emit_line(e, "if (r%s < 0.0) r%s = 0.0;", n, n);
            if (cub) {   /* taps i .. i+3 from floor(r) - 1 */
                emit_line(e, "const int %s = (int)floor(r%s) - 1;", i, n);
                emit_line(e, "const double t%s = r%s - floor(r%s);", n, n, n);
                emit_line(e, "double l%s[4] = {%s, %s, %s, %s};", n, keys_expr(a.a, xasprintf("(t%s + 1.0)", n), false),
                          keys_expr(a.a, xasprintf("t%s", n), true), keys_expr(a.a, xasprintf("(1.0 - t%s)", n), true),
                          keys_expr(a.a, xasprintf("(2.0 - t%s)", n), false));
                if (a.exclude) {   /* the taps outside dropped, the rest rescaled */
                    emit_line(e, "double s%s = 0.0;", n);
                    FOR(e, "k", 4) {
                        emit_line(e, "if (%s + k < 0 || %s + k > %lld) l%s[k] = 0.0;", i, i, last, n);
                        emit_line(e, "s%s += l%s[k];", n, n);
                    }
                    emit_line(e, "for (int k = 0; k < 4; k++) l%s[k] /= s%s;", n, n);
                }
                continue;
            }
            emit_line(e, "int %s0 = (int)r%s;", i, n);
            emit_line(e, "if (%s0 > %lld) %s0 = %lld;", i, last, i, last);
            emit_line(e, "const int %s1 = %s0 < %lld ? %s0 + 1 : %s0;", i, i, last, i, i);
            emit_line(e, "const float l%s1 = (float)(r%s - %s0), l%s0 = 1.0f - l%s1;", n, n, i, n, n);
        }
        if (cub) {   /* the 4^nd taps, an index outside reading the edge */
            emit_line(e, "float acc = 0.0f;");
            const char *vars[1 + MAX_SPATIAL] = {"c"};
            char *w = xstrdup("");
            FOR(e, "k", 1 << 2 * nd) {
                for (int d = 0; d < nd; d++) {   /* k's base-4 digits, the first dimension's first */
                    const char *i = win_var('i', nd, d), *k = xasprintf("k%s", i + 1);
                    emit_line(e, "const int %s = k >> %d & 3;", k, 2 * (nd - 1 - d));
                    vars[1 + d] = xasprintf("cnnrt_clamp(%s + %s, %lld)", i, k, (long long)in->dim[1 + d]);
                    w = xasprintf("%s%sl%s[%s]", w, d ? " * " : "", i + 1, k);
                }
                emit_line(e, "acc += (float)(%s) * x0[%s];", w, emit_index(1 + nd, vars, in->dim));
            }
        } else if (lin) {
            emit_line(e, "float acc = 0.0f;");
            for (int m = 0; m < 1 << nd; m++) {
                const char *vars[1 + MAX_SPATIAL] = {"c"};
                char *w = xstrdup("");
                for (int d = 0; d < nd; d++) {
                    int bit = m >> (nd - 1 - d) & 1;
                    const char *i = win_var('i', nd, d);
                    vars[1 + d] = xasprintf("%s%d", i, bit);
                    w = xasprintf("%sl%s%d * ", w, i + 1, bit);
                }
                emit_line(e, "acc += %sx0[%s];", w, emit_index(1 + nd, vars, in->dim));
            }
        } else {
            emit_line(e, "const float acc = x0[%s];", emit_pixel(in, "c", 'i'));
        }
        emit_store(e, emit_pixel(&L->shape, "c", 'o'), "c", "acc");
    }
}

/* ---- -O2: the taps as tables; rows handled once */

/* the table of dimension d: "iw", "iw0", "lw1", ... */
static const char *table(Emit *e, const Layer *L, int d, const char *what) {
    const char *v = win_var('i', L->win.nd, d);
    return emit_param(e, L, what[0] == 'i' ? xasprintf("%s%s", v, what + 1) : xasprintf("l%s%s", v + 1, what + 1));
}

static void upsample_emit_data(Emit *e, const Layer *L) {
    const Shape *in = emit_in_shape(e, L, 0);
    int n = ntaps(L);
    for (int d = 0; d < L->win.nd; d++) {
        Axis a = axis_of(L, in, d);
        const char *dn = dim_name(L->win.nd, d);
        if (n == 1) {
            int64_t *i0 = xcalloc((size_t)a.out, sizeof(int64_t));
            for (int64_t o = 0; o < a.out; o++) i0[o] = nearest_tap(&a, o);
            emit_int_array(e, xasprintf("%s: the source %s of each output %s", L->name, dn, dn), table(e, L, d, "i"),
                           i0, a.out);
            continue;
        }
        int64_t *idx[4];
        float *w[4];
        for (int k = 0; k < n; k++) {
            idx[k] = xcalloc((size_t)a.out, sizeof(int64_t));
            w[k] = xcalloc((size_t)a.out, sizeof(float));
        }
        for (int64_t o = 0; o < a.out; o++) {
            int64_t io[4];
            float wo[4];
            axis_weights(&a, n, o, io, wo);
            for (int k = 0; k < n; k++) idx[k][o] = io[k], w[k][o] = wo[k];
        }
        const char *what = xasprintf("%s: per output %s, the source %ss", L->name, dn, dn);
        for (int k = 0; k < n; k++)
            emit_int_array(e, k ? what : xasprintf("%s and their weights", what), table(e, L, d, xasprintf("i%d", k)),
                           idx[k], a.out);
        for (int k = 0; k < n; k++) emit_array(e, what, table(e, L, d, xasprintf("l%d", k)), w[k], a.out);
    }
}

static int64_t upsample_temp(const Layer *L, const Shape *in, int opt) {
    return opt >= 2 && ntaps(L) > 1 && L->win.nd > 1 ? in->dim[L->win.nd] : 0;
}

/* tap k of the outer dimension d in corner m of the n^outer corners */
static int corner_tap(int m, int n, int outer, int d) {
    for (int k = d + 1; k < outer; k++) m /= n;
    return m % n;
}

/* the offset of the input row of corner m (its taps of the outer dims) */
static const char *corner_row(Emit *e, const Layer *L, const Shape *in, int m) {
    int nd = L->win.nd, n = ntaps(L);
    const char *vars[MAX_SPATIAL] = {"c"};
    for (int d = 0; d + 1 < nd; d++) {
        const char *tap = n == 1 ? "i" : xasprintf("i%d", corner_tap(m, n, nd - 1, d));
        vars[1 + d] = xasprintf("%s[%s]", table(e, L, d, tap), win_var('o', nd, d));
    }
    return cx_mul(cx_paren(emit_index(nd, vars, in->dim)), in->dim[nd]);
}

/* nearest: each output row gathers its source row through the table of
 * the last dimension; a row whose source row is the one before's is a copy
 * of it (when the epilogue reads nothing else) */
static void fast_nearest(Emit *e, const Layer *L, const Shape *in, const char *idx) {
    int nd = L->win.nd, outer = nd - 1;
    long long OW = L->shape.dim[nd];
    const char *ow = win_var('o', nd, nd - 1);
    bool copy = e->k->nextra == 0 && outer > 0;
    const char *cond = "";
    for (int d = 0; copy && d < outer; d++) {
        const char *o = win_var('o', nd, d), *t = table(e, L, d, "i");
        int64_t rows = OW;
        for (int k = d + 1; k < outer; k++) rows *= L->shape.dim[1 + k];
        emit_line(e, "%sif (%s > 0 && %s[%s] == %s[%s - 1]) memcpy(y + yo, y + yo - %lld, %lld * sizeof(float));",
                  cond, o, t, o, t, o, (long long)rows, OW);
        cond = "else ";
    }
    BLOCK_IF(e, copy, "else") {
        emit_line(e, "const float *restrict xr = %s;", cx_at("x0", corner_row(e, L, in, 0)));
        FOR_SIMD(e, ow, OW) {
            emit_line(e, "const float v = xr[%s[%s]];", table(e, L, nd - 1, "i"), ow);
            emit_store(e, idx, "c", "v");
        }
    }
}

/* linear and cubic: the output row's input rows (2 or 4 per outer
 * dimension) blended into t over the input width (the row itself in 1-D),
 * then each output position blends 2 or 4 of t */
static void fast_blend(Emit *e, const Layer *L, const Shape *in, const char *idx) {
    int nd = L->win.nd, outer = nd - 1, n = ntaps(L), corners = 1;
    long long W = in->dim[nd], OW = L->shape.dim[nd];
    const char *ow = win_var('o', nd, nd - 1), *src = "t";
    for (int d = 0; d < outer; d++) corners *= n;
    if (outer == 0) {
        src = "xr";
        emit_line(e, "const float *restrict xr = %s;", cx_at("x0", cx_mul("c", W)));
    } else {
        char *sum = xstrdup("");
        for (int m = 0; m < corners; m++) {
            char *w = xstrdup("");
            for (int d = 0; d < outer; d++)
                w = xasprintf("%s%s%s[%s]", w, d ? " * " : "",
                              table(e, L, d, xasprintf("l%d", corner_tap(m, n, outer, d))), win_var('o', nd, d));
            emit_line(e, "const float *restrict r%d = %s;", m, cx_at("x0", corner_row(e, L, in, m)));
            emit_line(e, "const float a%d = %s;", m, w);
            sum = xasprintf("%s%sa%d * r%d[i]", sum, m ? " + " : "", m, m);
        }
        FOR_SIMD(e, "i", W) emit_line(e, "t[i] = %s;", sum);
    }
    FOR_SIMD(e, ow, OW) {
        char *v = xstrdup("");
        for (int k = 0; k < n; k++)
            v = xasprintf("%s%s%s[%s] * %s[%s[%s]]", v, k ? " + " : "", table(e, L, nd - 1, xasprintf("l%d", k)), ow, src,
                          table(e, L, nd - 1, xasprintf("i%d", k)), ow);
        emit_line(e, "const float v = %s;", v);
        emit_store(e, idx, "c", "v");
    }
}

static void upsample_emit_fast(Emit *e, const Layer *L) {
    const Shape *in = emit_in_shape(e, L, 0);
    int nd = L->win.nd;
    FOR(e, "c", L->shape.dim[0]) ROW_LOOPS(e, L) {
        emit_line(e, "const int yo = %s;", row_start(L));
        const char *idx = xasprintf("yo + %s", win_var('o', nd, nd - 1));
        if (ntaps(L) > 1) fast_blend(e, L, in, idx);
        else fast_nearest(e, L, in, idx);
    }
}

/* receptive field: the first tap of the first position to the last of the last */
static void upsample_reads(const Layer *L, const Shape *in, int d, int64_t lo, int64_t hi, int64_t *ilo, int64_t *ihi) {
    Axis a = axis_of(L, in, d);
    int n = ntaps(L);
    if (n == 1) {
        *ilo = nearest_tap(&a, lo);
        *ihi = nearest_tap(&a, hi);
        return;
    }
    int64_t idx[4];
    float w[4];
    axis_weights(&a, n, lo, idx, w);
    *ilo = idx[0];
    axis_weights(&a, n, hi, idx, w);
    *ihi = idx[n - 1];
}

const OpDesc op_upsample = {
    .name = "upsample", .flags = OPF_EPILOGUE, .min_in = 1, .max_in = 1,
    ATTRS(upsample_attrs),
    .infer = upsample_infer, .params = op_no_params, .macs = op_no_macs, .reads = upsample_reads,
    .emit_data = upsample_emit_data, .temp = upsample_temp,
    .emit_ref = upsample_emit_ref, .emit = upsample_emit_fast,
};
