/* move.c — layers that move numbers without computing: slice (a strided
 * range along one axis, as x[..., start:end:step, ...]), transpose (the axes
 * permuted, as torch.permute), channel_shuffle (ShuffleNet's
 * [g, C/g, ...] -> [C/g, g, ...], as torch.nn.ChannelShuffle), and
 * pixel_shuffle and pixel_unshuffle ([C r^2, H, W] <-> [C, H r, W r], as
 * torch.nn.PixelShuffle and PixelUnshuffle, or ONNX's DepthToSpace and
 * SpaceToDepth). */
#include "cnnc.h"

#include <string.h>

static const AttrDesc slice_attrs[] = {
    {"axis", A_INT, .idef = 0, .min = -MAX_DIMS},
    {"start", A_INT, .idef = 0, .min = INT64_MIN},
    {"end", A_INT, .idef = INT64_MAX, .min = INT64_MIN},
    {"step", A_INT, .idef = 1, .min = INT64_MIN},   /* not 0: slice_infer */
};
static const AttrDesc shuffle_attrs[] = {{"groups", A_INT, .required = true, .min = 1}};
static const AttrDesc transpose_attrs[] = {{"perm", A_DIMS, .required = true, .min = -MAX_DIMS}};
static const char *const pixel_modes[] = {"crd", "dcr", NULL};
static const AttrDesc pixel_attrs[] = {
    {"factor", A_INT, .required = true, .min = 1},
    {"mode", A_KEYWORD, .words = pixel_modes},
};

/* the loop variables of axis i: a0, a1, ... */
static const char *axis_var(int i) { return xasprintf("a%d", i); }

/* ---- slice */

/* a bound as Python slices it: negative counts from the end, then clamped
 * to [0, n], or for a negative step to [-1, n - 1] (-1: before the first) */
static int64_t clamp_bound(int64_t v, int64_t n, bool back) {
    int64_t lo = back ? -1 : 0, hi = back ? n - 1 : n;
    if (v < 0) v = v < lo - n ? lo : v + n;
    return v > hi ? hi : v;
}

/* the first index taken, the step and the count along the axis (L->axis),
 * as Python's slice.indices: a negative step walks back from start (the
 * last element when not given) to before end (before the first when not
 * given). The step of one element taken is 1 (no index is ever stepped to). */
static int64_t slice_range(const Layer *L, const Shape *in, int64_t *start, int64_t *step) {
    int64_t n = in->dim[L->axis], s = attr_int(L, "step"), count;
    if (s < -INT64_MAX) s = -INT64_MAX;   /* as far back: one element */
    bool back = s < 0;
    int64_t b = attr_get(L, "start")->set || !back ? clamp_bound(attr_int(L, "start"), n, back) : n - 1;
    int64_t end = attr_get(L, "end")->set || !back ? clamp_bound(attr_int(L, "end"), n, back) : -1;
    if (back) count = end < b ? (b - end - 1) / -s + 1 : 0;
    else count = end > b ? (end - b - 1) / s + 1 : 0;
    *start = b;
    *step = count == 1 ? 1 : s;
    return count;
}

static bool slice_infer(Layer *L, const Shape *in, int nin) {
    (void)nin;
    if (!axis_resolve(L, "axis", attr_int(L, "axis"), in, &L->axis)) return false;
    int64_t step = attr_int(L, "step");
    if (step == 0) {
        diag_error(attr_loc(L, "step"), "slice '%s' has step %lld: a step is a non-zero integer (negative: backwards)",
                   L->name, (long long)step);
        return false;
    }
    int64_t start, count = slice_range(L, in, &start, &step);
    if (count == 0) {
        const Attr *b = attr_get(L, "start"), *e = attr_get(L, "end");
        diag_error(L->loc, "slice '%s' of %s along axis %d is empty: start %s, end %s%s (a dimension of %lld)", L->name,
                   shape_str(in), L->axis, b->set ? xasprintf("%lld", (long long)b->i) : step < 0 ? "the last" : "0",
                   e->set ? xasprintf("%lld", (long long)e->i) : step < 0 ? "before the first" : "the end",
                   step != 1 ? xasprintf(", step %lld", (long long)step) : "", (long long)in->dim[L->axis]);
        return false;
    }
    L->shape = *in;
    L->shape.dim[L->axis] = count;
    return true;
}

/* y[o][j][i] = x[o][start + j*step][i] */
static void slice_emit_ref(Emit *e, const Layer *L) {
    const Shape *in = emit_in_shape(e, L, 0);
    int64_t outer, inner, start, step, count = slice_range(L, in, &start, &step);
    shape_around(in, L->axis, &outer, &inner);
    FOR(e, "o", outer) FOR(e, "j", count) FOR(e, "i", inner)
        emit_line(e, "y[(o * %lld + j) * %lld + i] = x0[(o * %lld + %lld + j * %lld) * %lld + i];", (long long)count,
                  (long long)inner, (long long)in->dim[L->axis], (long long)start, (long long)step, (long long)inner);
}

/* -O2: contiguous runs as one memcpy each (a whole block per outer index
 * for step 1); a strided last axis as a vectorizable gather */
static void slice_emit(Emit *e, const Layer *L) {
    const Shape *in = emit_in_shape(e, L, 0);
    int64_t outer, inner, start, step, count = slice_range(L, in, &start, &step);
    int64_t n = in->dim[L->axis];
    shape_around(in, L->axis, &outer, &inner);
    const char *o = loop_var("o", outer);
    LOOP(e, "o", outer) {
        if (step == 1) {
            emit_line(e, "memcpy(%s, %s, sizeof(float) * %lld);", cx_at("y", cx_mul(o, count * inner)),
                      cx_at("x0", cx_mul(cx_add(cx_mul(o, n), start), inner)), (long long)(count * inner));
        } else if (inner == 1) {
            FOR_SIMD(e, "j", count)
                emit_line(e, "y[%s] = x0[%s];", cx_plus(cx_mul(o, count), "j"),
                          cx_plus(cx_add(cx_mul(o, n), start), cx_mul("j", step)));
        } else {
            FOR(e, "j", count)
                emit_line(e, "memcpy(y + %s, %s, sizeof(float) * %lld);", cx_mul(cx_plus(cx_mul(o, count), "j"), inner),
                          cx_at("x0", cx_mul(cx_plus(cx_add(cx_mul(o, n), start), cx_mul("j", step)), inner)),
                          (long long)inner);
        }
    }
}

/* ---- permutations */

/* y, of dims[perm[0]], dims[perm[1]], ..., from x0 of dims: plain loops over
 * the output, one element each */
static void permute_ref(Emit *e, int rank, const int64_t *dims, const int *perm) {
    const char *ovar[MAX_RANK], *ivar[MAX_RANK] = {0};
    int64_t odims[MAX_RANK];
    for (int i = 0; i < rank; i++) {
        ovar[i] = axis_var(i);
        odims[i] = dims[perm[i]];
        ivar[perm[i]] = ovar[i];
    }
    for (int i = 0; i < rank; i++) emit_for(e, ovar[i], odims[i]);
    emit_line(e, "y[%s] = x0[%s];", emit_index(rank, ovar, odims), emit_index(rank, ivar, dims));
    emit_close_n(e, rank);
}

/* the same permutation on fewer axes: axes of size 1 dropped, and axes
 * that stay neighbours in the output merged. The output's axis i is the
 * input's axis sp[i], of size sd[sp[i]]; returns the new rank */
static int permute_simplify(int rank, const int64_t *dims, const int *perm, int64_t *sd, int *sp) {
    int id[MAX_RANK], nk = 0;   /* the new number of each input axis kept */
    int64_t kd[MAX_RANK];
    for (int a = 0; a < rank; a++) {
        id[a] = dims[a] > 1 ? nk : -1;
        if (dims[a] > 1) kd[nk++] = dims[a];
    }
    int first[MAX_RANK], last = -2, m = 0;   /* each run's first input axis, in output order */
    int64_t size[MAX_RANK];
    for (int i = 0; i < rank; i++) {
        int a = id[perm[i]];
        if (a < 0) continue;
        if (a == last + 1) size[m - 1] *= kd[a];
        else first[m] = a, size[m++] = kd[a];
        last = a;
    }
    for (int g = 0; g < m; g++) {   /* the runs in input order are the new input axes */
        sp[g] = 0;
        for (int h = 0; h < m; h++) sp[g] += first[h] < first[g];
        sd[sp[g]] = size[g];
    }
    return m;
}

#define TILE 16

/* the loop over the tiles of an axis longer than a tile; 1 if opened */
static int tile_loop(Emit *e, const char *v, int64_t n) {
    if (n <= TILE) return 0;
    emit_open(e, "for (int %s_t = 0; %s_t < %lld; %s_t += %d)", v, v, (long long)n, v, TILE);
    return 1;
}

/* the loop over one tile of that axis (the whole axis when it is short) */
static void tile_elems(Emit *e, const char *v, int64_t n, bool simd) {
    if (simd) emit_line(e, "CNNRT_SIMD");
    if (n <= TILE) emit_open(e, "for (int %s = 0; %s < %lld; %s++)", v, v, (long long)n, v);
    else emit_open(e, "for (int %s = %s_t; %s < (%s_t + %d < %lld ? %s_t + %d : %lld); %s++)", v, v, v, v, TILE,
                   (long long)n, v, TILE, (long long)n, v);
}

/* -O2: one pass over the output. When the last axis stays last each run
 * is one memcpy; else the output's last axis and the one that is the
 * input's last are walked in tiles of 16 x 16, so both sides stay in cache
 * and the inner loop stores consecutive floats */
static void permute_fast(Emit *e, int rank, const int64_t *dims, const int *perm) {
    int64_t d[MAX_RANK] = {0}, od[MAX_RANK];
    int p[MAX_RANK];
    int m = permute_simplify(rank, dims, perm, d, p);
    const char *ovar[MAX_RANK], *ivar[MAX_RANK] = {0};
    for (int i = 0; i < m; i++) {
        od[i] = d[p[i]];
        ovar[i] = ivar[p[i]] = axis_var(i);
    }
    if (m == 0 || p[m - 1] == m - 1) {   /* the last axis stays last: runs */
        int64_t run = m ? d[m - 1] : 1;
        if (m) ovar[m - 1] = ivar[m - 1] = "0";
        for (int i = 0; i + 1 < m; i++) emit_for(e, ovar[i], od[i]);
        emit_line(e, "memcpy(%s, %s, sizeof(float) * %lld);", cx_at("y", cx_index(m, ovar, od)),
                  cx_at("x0", cx_index(m, ivar, d)), (long long)run);
        emit_close_n(e, m ? m - 1 : 0);
        return;
    }
    int q = 0;   /* the output axis that is the input's last */
    while (p[q] != m - 1) q++;
    int open = 2;
    for (int i = 0; i + 1 < m; i++)
        if (i != q) emit_for(e, ovar[i], od[i]), open++;
    open += tile_loop(e, ovar[q], od[q]);
    open += tile_loop(e, ovar[m - 1], od[m - 1]);
    tile_elems(e, ovar[q], od[q], false);
    tile_elems(e, ovar[m - 1], od[m - 1], true);
    emit_line(e, "y[%s] = x0[%s];", cx_index(m, ovar, od), cx_index(m, ivar, d));
    emit_close_n(e, open);
}

/* ---- transpose */

int transpose_perm(const Layer *L, int *perm) {
    int64_t v[MAX_DIMS];
    int n = attr_dims(L, "perm", v);
    for (int i = 0; i < n; i++) perm[i] = (int)(v[i] < 0 ? v[i] + n : v[i]);
    return n;
}

static bool transpose_infer(Layer *L, const Shape *in, int nin) {
    (void)nin;
    int64_t v[MAX_DIMS];
    int n = attr_dims(L, "perm", v);
    Loc at = attr_loc(L, "perm");
    if (n != in->rank) {
        diag_error(at, "perm of transpose '%s' has %d entries; its input %s has %d axes", L->name, n,
                   shape_str(in), in->rank);
        return false;
    }
    bool seen[MAX_RANK] = {false};
    for (int i = 0; i < n; i++) {
        int64_t a = v[i] < 0 ? v[i] + n : v[i];
        if (a < 0 || a >= n) {
            diag_error(at, "perm of transpose '%s' names axis %lld, out of range for %s", L->name,
                       (long long)v[i], shape_str(in));
            return false;
        }
        if (seen[a]) {
            diag_error(at, "perm of transpose '%s' is no permutation: axis %lld appears twice", L->name,
                       (long long)a);
            return false;
        }
        seen[a] = true;
    }
    int perm[MAX_RANK];
    transpose_perm(L, perm);
    L->shape.rank = n;
    for (int i = 0; i < n; i++) {
        L->shape.dim[i] = in->dim[perm[i]];
        L->global |= perm[i] != i;   /* positions moved: a receptive field no longer applies */
    }
    return true;
}

static void transpose_emit_ref(Emit *e, const Layer *L) {
    int perm[MAX_RANK];
    transpose_perm(L, perm);
    const Shape *in = emit_in_shape(e, L, 0);
    permute_ref(e, in->rank, in->dim, perm);
}

static void transpose_emit(Emit *e, const Layer *L) {
    int perm[MAX_RANK];
    transpose_perm(L, perm);
    const Shape *in = emit_in_shape(e, L, 0);
    permute_fast(e, in->rank, in->dim, perm);
}

/* ---- channel_shuffle: [g, C/g, rest] -> [C/g, g, rest] */

static bool shuffle_infer(Layer *L, const Shape *in, int nin) {
    (void)nin;
    int64_t g = attr_int(L, "groups");
    if (in->dim[0] % g) {
        diag_error(attr_loc(L, "groups"), "groups=%lld must divide the %lld channels of '%s'",
                   (long long)g, (long long)in->dim[0], L->name);
        return false;
    }
    L->shape = *in;
    return true;
}

static void shuffle_view(Emit *e, const Layer *L, int64_t *dims) {
    const Shape *in = emit_in_shape(e, L, 0);
    dims[0] = attr_int(L, "groups");
    dims[1] = in->dim[0] / dims[0];
    dims[2] = shape_elems(in) / in->dim[0];
}

/* output channel c is input channel (c % g) * (C/g) + c / g */
static void shuffle_emit_ref(Emit *e, const Layer *L) {
    int64_t d[3];
    shuffle_view(e, L, d);
    FOR(e, "c", d[0] * d[1]) FOR(e, "i", d[2])
        emit_line(e, "y[c * %lld + i] = x0[((c %% %lld) * %lld + c / %lld) * %lld + i];", (long long)d[2],
                  (long long)d[0], (long long)d[1], (long long)d[0], (long long)d[2]);
}

static void shuffle_emit(Emit *e, const Layer *L) {
    int64_t d[3];
    shuffle_view(e, L, d);
    permute_fast(e, 3, d, (const int[]){1, 0, 2});
}

/* ---- pixel_shuffle: [C r^2, H, W] -> [C, H r, W r]; pixel_unshuffle back.
 * The channel c r^2 + i r + j (crd: PyTorch's order; dcr: (i r + j) C + c,
 * ONNX DepthToSpace's default and SpaceToDepth's) holds pixel (i, j) of each
 * r x r block. Both are a permutation of [C, r, r, H, W] (dcr: [r, r, C, H, W])
 * and [C, H, r, W, r]. */

static bool pixel_infer(Layer *L, const Shape *in, int nin) {
    (void)nin;
    bool shuffle = L->op == &op_pixel_shuffle;
    int64_t r = attr_int(L, "factor");
    if (in->rank != 3) {
        diag_error(L->loc, "%s '%s' takes [C, H, W], got %s", L->op->name, L->name, shape_str(in));
        return false;
    }
    if (r > 65536 || (shuffle && (in->dim[1] > MAX_ELEMS / r || in->dim[2] > MAX_ELEMS / r))) {
        diag_error(attr_loc(L, "factor"), "factor=%lld of '%s' is too large", (long long)r, L->name);
        return false;
    }
    if (shuffle && in->dim[0] % (r * r)) {
        diag_error(attr_loc(L, "factor"), "factor=%lld squared (%lld) must divide the %lld input channels of '%s'",
                   (long long)r, (long long)(r * r), (long long)in->dim[0], L->name);
        return false;
    }
    if (!shuffle && (in->dim[1] % r || in->dim[2] % r)) {
        diag_error(attr_loc(L, "factor"), "factor=%lld must divide the height and width of the input of '%s', %s",
                   (long long)r, L->name, shape_str(in));
        return false;
    }
    L->shape = *in;
    for (int i = 1; i < 3; i++) L->shape.dim[i] = shuffle ? in->dim[i] * r : in->dim[i] / r;
    L->shape.dim[0] = shuffle ? in->dim[0] / (r * r) : in->dim[0] * r * r;
    return true;
}

/* output positions [lo, hi] read input positions [lo / r, hi / r]
 * (pixel_shuffle) or [lo r, hi r + r - 1] (pixel_unshuffle) */
static void pixel_reads(const Layer *L, const Shape *in, int d, int64_t lo, int64_t hi, int64_t *ilo, int64_t *ihi) {
    (void)in, (void)d;
    int64_t r = attr_int(L, "factor");
    if (L->op == &op_pixel_shuffle) {
        *ilo = lo / r, *ihi = hi / r;
    } else {
        *ilo = lo * r, *ihi = hi * r + r - 1;
    }
}

/* the input's dims as the permutation sees them, and the permutation */
static void pixel_view(Emit *e, const Layer *L, int64_t *d, int *perm) {
    bool shuffle = L->op == &op_pixel_shuffle, dcr = strcmp(attr_word(L, "mode"), "dcr") == 0;
    const Shape *small = shuffle ? emit_in_shape(e, L, 0) : &L->shape;   /* [C r^2, H, W] */
    int64_t r = attr_int(L, "factor"), C = small->dim[0] / (r * r), H = small->dim[1], W = small->dim[2];
    static const int to_blocks[2][5] = {{0, 3, 1, 4, 2}, {2, 3, 0, 4, 1}};   /* crd, dcr */
    static const int from_blocks[2][5] = {{0, 2, 4, 1, 3}, {2, 4, 0, 1, 3}};
    if (shuffle) {
        int64_t v[2][5] = {{C, r, r, H, W}, {r, r, C, H, W}};
        memcpy(d, v[dcr], sizeof v[dcr]);
        memcpy(perm, to_blocks[dcr], sizeof to_blocks[dcr]);
    } else {
        int64_t v[5] = {C, H, r, W, r};
        memcpy(d, v, sizeof v);
        memcpy(perm, from_blocks[dcr], sizeof from_blocks[dcr]);
    }
}

static void pixel_emit_ref(Emit *e, const Layer *L) {
    int64_t d[5];
    int perm[5];
    pixel_view(e, L, d, perm);
    permute_ref(e, 5, d, perm);
}

static void pixel_emit(Emit *e, const Layer *L) {
    int64_t d[5];
    int perm[5];
    pixel_view(e, L, d, perm);
    permute_fast(e, 5, d, perm);
}

#define PIXEL_OP(NAME)                                                            \
    const OpDesc op_##NAME = {                                                    \
        .name = #NAME, .min_in = 1, .max_in = 1,                                  \
        ATTRS(pixel_attrs),                                                       \
        .infer = pixel_infer, .params = op_no_params, .macs = op_no_macs,         \
        .reads = pixel_reads,                                                     \
        .emit_ref = pixel_emit_ref, .emit = pixel_emit,                           \
    }
PIXEL_OP(pixel_shuffle);
PIXEL_OP(pixel_unshuffle);

const OpDesc op_slice = {
    .name = "slice", .min_in = 1, .max_in = 1,
    ATTRS(slice_attrs),
    .infer = slice_infer, .params = op_no_params, .macs = op_no_macs,
    .emit_ref = slice_emit_ref, .emit = slice_emit,
};

const OpDesc op_channel_shuffle = {
    .name = "channel_shuffle", .min_in = 1, .max_in = 1,
    ATTRS(shuffle_attrs),
    .infer = shuffle_infer, .params = op_no_params, .macs = op_no_macs,
    .emit_ref = shuffle_emit_ref, .emit = shuffle_emit,
};

const OpDesc op_transpose = {
    .name = "transpose", .min_in = 1, .max_in = 1,
    ATTRS(transpose_attrs),
    .infer = transpose_infer, .params = op_no_params, .macs = op_no_macs,
    .emit_ref = transpose_emit_ref, .emit = transpose_emit,
};
