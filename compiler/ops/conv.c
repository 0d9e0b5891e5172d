/* conv.c — convolutions: conv1d, conv2d, conv3d, and the 2-D sugar
 * depthwise_conv2d (groups = C, out = C * multiplier) and separable_conv2d
 * (depthwise then pointwise 1x1, one layer in the report).
 *
 * Cross-correlation as in the lecture and PyTorch:
 *   y[o, p] = b[o] + sum_{c in group(o), k} w[o, c, k] * x[c, p*s + k*d - pb]
 * Weights are PyTorch's [out, C/groups, k...]. */
#include "cnnc.h"

#include <string.h>

ConvVectors cnnc_conv_vectors = CONV_VECTORS_AUTO;

static const char *const pad_modes[] = {"zeros", "reflect", "replicate", NULL};

#define CONV_ATTRS                                               \
    {"kernel", A_INTS, .required = true, .min = 1},              \
    {"stride", A_INTS, .idef = 1, .min = 1},                     \
    {"pad", A_PAD, .idef = 0, .min = 0},                         \
    {"dilation", A_INTS, .idef = 1, .min = 1},                   \
    {"bias", A_BOOL, .idef = 1}

static const AttrDesc conv_attrs[] = {
    {"out", A_INT, .required = true, .min = 1},
    CONV_ATTRS,
    {"groups", A_INT, .idef = 1, .min = 1},
    {"padding_mode", A_KEYWORD, .words = pad_modes},
};

static const AttrDesc depthwise_attrs[] = {
    CONV_ATTRS,
    {"multiplier", A_INT, .idef = 1, .min = 1},
    {"padding_mode", A_KEYWORD, .words = pad_modes},
};

static const AttrDesc separable_attrs[] = {
    {"out", A_INT, .required = true, .min = 1},
    CONV_ATTRS,
};

static bool is_depthwise(const Layer *L) { return L->op == &op_depthwise_conv2d; }
static bool is_separable(const Layer *L) { return L->op == &op_separable_conv2d; }

static int conv_nd(const Layer *L) {
    if (L->op == &op_conv1d) return 1;
    if (L->op == &op_conv3d) return 3;
    return 2;
}

/* output channels and groups of the (first) convolution */
static int64_t conv_out(const Layer *L, const Shape *in) {
    if (is_depthwise(L)) return in->dim[0] * attr_int(L, "multiplier");
    return attr_int(L, "out");
}

static bool conv_infer(Layer *L, const Shape *in, int nin) {
    (void)nin;
    if (!need_spatial(L, in, conv_nd(L))) return false;
    int64_t c = in->dim[0], out = conv_out(L, in);
    int64_t groups = is_depthwise(L) || is_separable(L) ? c : attr_int(L, "groups");
    bool ok = true;
    if (c % groups) {
        diag_error(attr_loc(L, "groups"), "groups=%lld must divide the %lld input channels of '%s'",
                   (long long)groups, (long long)c, L->name);
        ok = false;
    }
    if (!is_separable(L) && out % groups) {
        diag_error(attr_loc(L, "groups"), "groups=%lld must divide the %lld output channels of '%s'",
                   (long long)groups, (long long)out, L->name);
        ok = false;
    }
    L->groups = (int)(groups > INT32_MAX ? INT32_MAX : groups);
    ok &= window_resolve(L, in, false, false, &L->shape);
    if (!ok) return false;
    L->shape.dim[0] = out;
    const Attr *pm = attr_get(L, "padding_mode");
    if (pm && pm->set && strcmp(pm->kw, "reflect") == 0)
        for (int i = 0; i < L->win.nd; i++)
            if (L->win.pb[i] >= in->dim[1 + i] || L->win.pe[i] >= in->dim[1 + i]) {
                diag_error(pm->loc, "reflect padding of '%s' must be smaller than the input %s (%lld)",
                           L->name, dim_name(L->win.nd, i), (long long)in->dim[1 + i]);
                return false;
            }
    return true;
}

static void conv_params(Layer *L, const Shape *in) {
    const Window *w = &L->win;
    int64_t c = in->dim[0], d[2 + MAX_SPATIAL];
    if (is_separable(L)) {
        int64_t dw[4] = {c, 1, w->k[0], w->k[1]}, pw[4] = {attr_int(L, "out"), c, 1, 1};
        add_param(L, "depthwise.weight", 4, dw);
        param_fan_in(L, w->k[0] * w->k[1]);
        add_param(L, "pointwise.weight", 4, pw);
        param_fan_in(L, c);
        if (attr_bool(L, "bias")) {
            add_param(L, "pointwise.bias", 1, pw);
            param_fan_in(L, c);
        }
        return;
    }
    d[0] = L->shape.dim[0];
    d[1] = c / L->groups;
    memcpy(d + 2, w->k, sizeof(int64_t) * (size_t)w->nd);
    int64_t fan_in = d[1];
    for (int i = 0; i < w->nd; i++) fan_in *= w->k[i];
    add_param(L, "weight", 2 + w->nd, d);
    param_fan_in(L, fan_in);
    if (attr_bool(L, "bias")) {
        add_param(L, "bias", 1, d);
        param_fan_in(L, fan_in);
    }
}

static int64_t conv_macs(const Layer *L, const Shape *in) {
    int64_t kvol = 1;
    for (int i = 0; i < L->win.nd; i++) kvol *= L->win.k[i];
    int64_t pix = shape_elems(&L->shape) / L->shape.dim[0];
    if (is_separable(L))   /* depthwise on C channels, then C -> out pointwise */
        return pix * in->dim[0] * kvol + pix * in->dim[0] * L->shape.dim[0];
    return shape_elems(&L->shape) * (in->dim[0] / L->groups) * kvol;
}

/* zeros, reflect or replicate (separable_conv2d has no padding_mode: zeros) */
static const char *pad_mode(const Layer *L) {
    return attr_get(L, "padding_mode") ? attr_word(L, "padding_mode") : "zeros";
}

/* plain loops: for o, od.., acc over c and the window, store */
static void conv_loops(Emit *e, const Layer *L, const Shape *in, const char *x, const char *y, const char *w,
                       const char *b, int64_t groups) {
    int nd = L->win.nd;
    int64_t out = L->shape.dim[0], cg = in->dim[0] / groups, og = out / groups;
    const char *mode = pad_mode(L);
    emit_for(e, "o", out);
    emit_out_loops(e, L);
    emit_line(e, "float acc = %s;", b ? xasprintf("%s[o]", b) : "0.0f");
    emit_for(e, "c", cg);
    emit_window_loops(e, L, in, mode);
    const char *wv[2 + MAX_SPATIAL] = {"o", "c"};
    int64_t wd[2 + MAX_SPATIAL] = {out, cg};
    for (int i = 0; i < nd; i++) {
        wv[2 + i] = win_var('k', nd, i);
        wd[2 + i] = L->win.k[i];
    }
    const char *ch = groups == 1 ? "c" : xasprintf("o / %lld * %lld + c", (long long)og, (long long)cg);
    emit_line(e, "acc += %s[%s] * %s[%s];", w, emit_index(2 + nd, wv, wd), x, emit_pixel(in, ch, 'i'));
    emit_close_n(e, nd + 1);
    if (strcmp(y, "y") == 0) emit_store(e, emit_pixel(&L->shape, "o", 'o'), "o", "acc");
    else emit_line(e, "%s[%s] = acc;", y, emit_pixel(&L->shape, "o", 'o'));
    emit_close_n(e, nd + 1);
}

/* y[o, p] = b[o] + sum_{c in group(o), k} w[o, c, k] * x[c, p*s + k*d - pb] */
static void conv_emit_ref(Emit *e, const Layer *L) {
    const Shape *in = emit_in_shape(e, L, 0);
    if (!is_separable(L)) {
        conv_loops(e, L, in, "x0", "y", emit_param(e, L, "weight"),
                   layer_param(L, "bias") ? emit_param(e, L, "bias") : NULL, L->groups);
        return;
    }
    /* depthwise into t [C, OH, OW], then pointwise 1x1 into y */
    Layer dw = *L, pw = *L;
    dw.shape.dim[0] = in->dim[0];
    emit_line(e, "/* depthwise %s -> %s */", shape_str(in), shape_str(&dw.shape));
    conv_loops(e, &dw, in, "x0", "t", emit_param(e, L, "depthwise.weight"), NULL, in->dim[0]);
    for (int i = 0; i < L->win.nd; i++) {
        pw.win.k[i] = pw.win.s[i] = pw.win.d[i] = 1;
        pw.win.pb[i] = pw.win.pe[i] = 0;
    }
    emit_line(e, "/* pointwise %s -> %s */", shape_str(&dw.shape), shape_str(&L->shape));
    conv_loops(e, &pw, &dw.shape, "t", "y", emit_param(e, L, "pointwise.weight"),
               layer_param(L, "pointwise.bias") ? emit_param(e, L, "pointwise.bias") : NULL, 1);
}

/* BatchNorm folding: into the (pointwise) weight rows and bias */
static void conv_fold(Layer *L, const float *scale, const float *shift) {
    bool sep = is_separable(L);
    fold_rows(L, sep ? "pointwise.weight" : "weight", sep ? "pointwise.bias" : "bias", 1, L->shape.dim, scale, shift);
}

/* ---- -O2: the register-tiled kernel (conv1d, conv2d, groups 1)
 *
 * Layout stays C-order between layers. For each output row, the input rows
 * its window covers (a band) are copied into t, padded, with the columns
 * split by phase (column mod stride) so that the inputs of 16 consecutive
 * output pixels are 16 consecutive floats for every kernel tap:
 *   t[c][i][ph][q] = x[c][oh*sh + i*dh - pt][q*sw + ph - pl]   (padding by padding_mode)
 * The band is small (C x KH rows): it stays in cache across channel blocks.
 * Loops: output row, channel block, pixel tile, input channel, taps (unrolled).
 * The tile is OCB output channels x P vectors of 16 pixels of one output row,
 * held in OCB*P vector accumulators; each tap loads P input vectors and
 * broadcasts OCB weights, packed at compile time as
 *   packed[ob][c][kh][kw][j] = w[ob*OCB + j][c][kh][kw]   (zero past `out`).
 * The epilogue (bias, folded BatchNorm, activations, residual add) runs on
 * each value as it leaves the accumulators. */
typedef struct {
    int64_t C, D, H, W, OC, OD, OH, OW, kd, kh, kw, sd, sh, sw, dd, dh, dw, pf, pt, pl;
    int64_t OWp, Wq, NOB;
    int64_t cg, og;     /* input channels per group, outputs per group */
    bool diag;          /* depthwise (cg = 1): each output channel reads its own input */
    bool flat;          /* 1-D/2-D: vectors run across the rows of phase planes */
    int64_t Hp, Wp, NQ; /* flat: rows and columns of a phase plane, output positions computed */
    int OCB, P;
    bool cv;            /* channel vectors: RW positions x OCV vectors of 16 output channels */
    int RW, OCV;
    /* --target=auto: the narrow class's register tile working inside this
     * one (its OCB, OCV divide these; its runs end within OWp, NQ) */
    RegTile nar;
    int nRW, nOCV;
    bool rows;          /* depthwise over rows: one channel at a time, tiles of output rows x vectors of a row */
} Tile;

/* groups 1 and depthwise-style groups (one input channel each) */
static bool fast_ok(const Layer *L) {
    const Param *w = layer_param(L, "weight");
    int64_t taps = 1;   /* the window is unrolled: up to 64 taps */
    for (int i = 0; i < L->win.nd; i++) taps *= L->win.k[i];
    return !is_separable(L) && taps <= 64 && (L->groups == 1 || (w && w->shape.dim[1] == 1));
}

/* the channel-vector tile of class r over nq positions and OC channels:
 * RW positions x OCV vectors of 16 channels minimizing the modelled time
 * (returned), as pixel_tile() models it, plus one broadcast per position.
 * within: only divisors of its OCV, and runs that end within its NQ */
static int64_t cv_tile(Regs r, int64_t OC, int64_t nq, const Tile *within, int *rw, int *ocv) {
    int64_t best = INT64_MAX;
    *rw = *ocv = 1;
    for (int v = 1; v <= 4 && 16 * (v - 1) < OC; v++)   /* no block wider than the channels */
        for (int n = 1; n <= 14 && n <= nq; n++) {
            if (!regs_fit(r, n * v, v)) break;   /* wide broadcasts are memory operands */
            if (within && (within->OCV % v || (nq + n - 1) / n * n > within->NQ)) continue;
            int64_t tiles = (OC + 16 * v - 1) / (16 * v) * ((nq + n - 1) / n), lat = regs_latency(r);
            int64_t loads = n + v, work = n * v > loads ? n * v : loads;
            int64_t cost = tiles * work * (n * v < lat ? lat : n * v) / (n * v);
            if (cost <= best) {   /* ties: the larger tile, fewer weight loads per FMA */
                best = cost;
                *rw = n;
                *ocv = v;
            }
        }
    return best;
}

/* floats of one channel's phase planes */
static int64_t flat_band(const Tile *t) { return t->sh * t->sw * t->Hp * t->Wp; }

/* depthwise (one output per input channel) in flat mode packs the OCB
 * channels of each channel block just before it computes them, so that they
 * are still in cache: depthwise does 9 MACs per input, too few to hide a
 * round trip of the whole padded input through memory */
static bool block_pack(const Tile *t) { return t->flat && t->diag && t->og == 1; }

static Tile tile_of(const Layer *L, const Shape *in) {
    const Window *w = &L->win;
    /* 1-D and 2-D as 3-D with depth (and height) 1: index 0 depth, 1 height, 2 width */
    int64_t I[3] = {1, 1, 1}, O[3] = {1, 1, 1}, k[3] = {1, 1, 1}, s[3] = {1, 1, 1}, d[3] = {1, 1, 1}, p[3] = {0, 0, 0};
    for (int i = 0; i < w->nd; i++) {
        int j = 3 - w->nd + i;
        I[j] = in->dim[1 + i];
        O[j] = L->shape.dim[1 + i];
        k[j] = w->k[i];
        s[j] = w->s[i];
        d[j] = w->d[i];
        p[j] = w->pb[i];
    }
    Tile t = {
        .C = in->dim[0], .D = I[0], .H = I[1], .W = I[2], .OC = L->shape.dim[0], .OD = O[0], .OH = O[1], .OW = O[2],
        .kd = k[0], .kh = k[1], .kw = k[2], .sd = s[0], .sh = s[1], .sw = s[2], .dd = d[0], .dh = d[1], .dw = d[2],
        .pf = p[0], .pt = p[1], .pl = p[2],
    };
    t.cg = t.C / L->groups;
    t.og = t.OC / L->groups;
    t.diag = L->groups > 1;
    int64_t nvec = (t.OW + 15) / 16;
    /* flat mode: the padded input split into sh x sw phase planes
     *   plane[phr][phc][r][q] = x[r*sh + phr - pt][q*sw + phc - pl],
     * so output (oh, ow) at q = oh*Wp + ow reads, for tap (i, k), plane
     * ((i*dh) % sh, (k*dw) % sw) at q + (i*dh/sh)*Wp + k*dw/sw: one run of
     * vectors covers all rows, wasting only the Wp - OW columns (better than
     * rounding short rows up to 16) */
    /* flat mode indexes planes with int: only while they stay below 2^31 floats */
    int64_t flat_floats = t.C * t.sh * t.sw * (t.OH + (t.kh - 1) * t.dh / t.sh + 1) * (t.OW + (t.kw - 1) * t.dw / t.sw + 16);
    if (w->nd <= 2 && flat_floats < INT32_MAX / 2) {
        int64_t wq = t.OW + (t.kw - 1) * t.dw / t.sw, fvec = (t.OH * wq + 15) / 16;
        /* up to 20% more vectors than row by row for 2-D, 10% for 1-D (packed
         * once, longer runs: LeNet-5's conv2 1.8x faster so); depthwise reads
         * its band row by row from L1: only when fewer */
        int64_t allow = w->nd == 2 ? 12 : 11;
        if (t.diag ? fvec < t.OH * nvec : fvec * 10 <= t.OH * nvec * allow) {
            t.flat = true;
            t.Wp = wq;
            t.Hp = t.OH + (t.kh - 1) * t.dh / t.sh;
            nvec = fvec;
        }
    }
    /* depthwise over rows (one channel at a time) where whole rows of
     * vectors waste at most 15% more lanes than the flat runs (56 columns:
     * 64 lanes for 58); else the tile: P pixel vectors x OCB channels, and
     * a depthwise packed per block of channels takes as few channels as
     * keep the block's planes and staging in L1 (32 KiB), with up to 12
     * vectors of each (depthwise3x3 128 @56: 4 channels x 4 vectors, 105
     * KiB, ran from L2) */
    RegTile rt = {1, 1, 0};
    if (block_pack(&t) && w->nd == 2 && (t.OW + 15) / 16 * 16 * 100 <= t.Wp * 115) {
        t.rows = true;
    } else {
        int maxp = 4, maxc = 28;
        if (block_pack(&t)) {
            int64_t per = flat_band(&t) + nvec * 16;
            maxp = 12;
            maxc = per * 4 < 32768 ? (int)(32768 / (per * 4)) : 1;
        }
        rt = pixel_tiles(nvec, t.OC, maxp, maxc, t.diag, &t.nar);
    }
    t.P = rt.P;
    t.OCB = rt.OCB;
    t.NOB = (t.OC + t.OCB - 1) / t.OCB;
    t.OWp = (nvec + t.P - 1) / t.P * t.P * 16;
    t.NQ = t.rows ? t.OH * t.Wp : t.OWp;
    t.Wq = t.OWp + (t.kw - 1) * t.dw / t.sw;
    /* channel vectors (2-D, groups 1): vectors over 16 output channels, RW
     * consecutive positions of the padded output rows broadcast from the
     * phase planes, so short rows and strides waste no lanes; chosen when
     * the same model, plus a scalar store per output, says it is faster */
    if (w->nd == 2 && !t.diag && cnnc_conv_vectors != CONV_VECTORS_PIXELS) {
        int64_t wq = t.OW + (t.kw - 1) * t.dw / t.sw, nq = t.OH * wq, kc = t.cg * t.kd * t.kh * t.kw;
        int rw, ocv;
        int64_t cbest = cv_tile(target_regs(), t.OC, nq, NULL, &rw, &ocv);
        int64_t out = t.OC * t.OH * t.OW;
        /* beside a depthwise conv, channel vectors also let it keep the
         * channels in its lanes (blocked values on both sides): worth up to
         * half as much again here (MobileNet v1, measured) */
        int64_t cv_total = cbest * kc + out, px_total = rt.cost * kc + out / 8;
        if (cnnc_conv_vectors == CONV_VECTORS_CHANNELS || cv_total < px_total ||
            (L->near_lanes && 2 * cv_total < 3 * px_total)) {
            t.cv = true;
            t.flat = true;
            t.RW = rw;
            t.OCV = ocv;
            t.OCB = 16 * ocv;
            t.P = 1;
            t.Wp = wq;
            t.Hp = t.OH + (t.kh - 1) * t.dh / t.sh;
            t.NQ = (nq + rw - 1) / rw * rw;
            t.OWp = t.NQ;
            t.NOB = (t.OC + t.OCB - 1) / t.OCB;
            if (target_both()) cv_tile(REGS_NARROW, t.OC, nq, &t, &t.nRW, &t.nOCV);
        }
    }
    return t;
}

/* a 1x1 stride-1 unpadded convolution reads the input where it is; only the
 * last, partial run of vectors of each channel is copied (zero-padded) */
static bool direct(const Tile *t) {
    return t->flat && !t->diag && !t->cv && t->kh == 1 && t->kw == 1 && t->sh == 1 && t->sw == 1 && t->pt == 0 && t->pl == 0 &&
           t->Hp == t->H && t->Wp == t->W;
}

/* channel vectors over a 1x1 stride-1 unpadded convolution whose runs of
 * positions tile the plane exactly: they read the input where it is, in
 * either layout */
static bool cv_direct(const Tile *t) {
    return t->cv && t->kh == 1 && t->kw == 1 && t->sh == 1 && t->sw == 1 && t->pt == 0 && t->pl == 0 &&
           t->Hp == t->H && t->Wp == t->W && t->NQ == t->H * t->W;
}

/* what the last vectors read past the phase planes */
static int64_t flat_slack(const Tile *t) { return t->NQ - t->OH * t->Wp + t->Wp + 16; }

/* flat mode: the whole input, padded, once */
static void pack_flat(Emit *e, const Layer *L, const Tile *t) {
    emit_phase_planes(e, pad_mode(L), emit_blocked(e, L->in[0]), t->C, NULL, NULL, t->H, t->W, t->sh, t->sw, t->pt, t->pl, t->Hp, t->Wp,
                      flat_slack(t));
}

/* loop order: what is read again for every tile of the outer loop is the
 * input (channel blocks outer) or the weights (pixel tiles outer): the
 * smaller one, so that the larger streams once */
static bool pixels_first(const Tile *t) {
    int64_t band = t->flat ? flat_band(t) : t->kd * t->kh * t->sw * t->Wq;
    int64_t npv = t->OWp / (16 * t->P), weights = t->NOB * t->cg * t->kd * t->kh * t->kw * t->OCB;
    return !t->diag && npv * weights < t->NOB * t->C * band;
}

/* a direct 1x1 kernel whose pixel tiles run outside its channel blocks
 * copies each tile's positions of all channels together first when the
 * input planes lie a multiple of 1 KiB apart: read in place, they would
 * fall into a few sets of L1 and come from L2 for every channel block
 * (MobileNet block's 128 x 32x32 -> 256: 1.7x faster under AVX2 so) */
static bool tile_copy(const Tile *t) { return direct(t) && pixels_first(t) && t->H * t->W % 256 == 0; }

/* floats of the packed input in flat mode (a block's channels, or all) */
static int64_t pack_floats(const Tile *t) {
    return ((block_pack(t) ? t->OCB : t->C) * flat_band(t) + flat_slack(t) + 15) / 16 * 16;
}

/* depthwise in flat mode with padding columns: the accumulators go to a
 * staging area u [OCB][NQ] as whole vectors and leave it row by row through
 * the epilogue once the channel block is done (9 taps per output would
 * otherwise cost less than splitting vectors at row ends); other
 * convolutions have taps enough to hide that, and keep their scratch small */
static bool staged(const Tile *t) { return t->flat && t->Wp != t->OW && t->diag && !t->rows; }
static int64_t stage_floats(const Tile *t) { return t->OCB * t->NQ; }

/* ---- -O2 depthwise with the channels in the vector lanes
 *
 * For a depthwise conv2d (multiplier 1, 16k channels, zero padding) whose
 * input or output is channel-blocked: per block of 16 channels, the input
 * is copied padded into tp [Hp][Wp][16] (a plain copy from a blocked input,
 * a transpose from a C-order one), the taps' 16-channel weight vectors stay
 * in registers, and a run of RW output positions of a row accumulates
 *   acc[r] += tp[oh*sh + i*dh][(ow + r)*sw + k*dw][:] * w[:][i][k]
 * lane by lane; each position then stores its 16 channels at once. */
/* positions per run: wide, 8 with the taps' weights in registers; narrow,
 * 4 with the weights as memory operands */
static int lanes_rw(Regs r) { return r == REGS_WIDE ? 8 : 4; }

static bool lanes_ok(const Layer *L, const Shape *in) {
    const Window *w = &L->win;
    return is_depthwise(L) && w->nd == 2 && in->rank == 3 && in->dim[0] % 16 == 0 &&
           L->shape.dim[0] == in->dim[0] && w->k[0] * w->k[1] <= 64 && strcmp(pad_mode(L), "zeros") == 0;
}

/* chosen when either side of the kernel is channel-blocked */
static bool lanes_mode(Emit *e, const Layer *L) {
    return lanes_ok(L, emit_in_shape(e, L, 0)) && (emit_blocked(e, L->in[0]) || emit_blocked(e, e->k->out));
}

/* padded rows and columns the window reads */
static int64_t lanes_hp(const Layer *L) { return (L->shape.dim[1] - 1) * L->win.s[0] + (L->win.k[0] - 1) * L->win.d[0] + 1; }
static int64_t lanes_wp(const Layer *L) { return (L->shape.dim[2] - 1) * L->win.s[1] + (L->win.k[1] - 1) * L->win.d[1] + 1; }

static void lanes_data(Emit *e, const Layer *L) {
    const Param *w = layer_param(L, "weight"), *b = layer_param(L, "bias");
    int64_t C = L->shape.dim[0], taps = L->win.k[0] * L->win.k[1];
    float *pk = xcalloc((size_t)(C * taps), sizeof(float)), *pb = xcalloc((size_t)C, sizeof(float));
    for (int64_t c = 0; c < C; c++)
        for (int64_t k = 0; k < taps; k++) pk[(c / 16 * taps + k) * 16 + c % 16] = w->data[c * taps + k];
    for (int64_t c = 0; b && c < C; c++) pb[c] = b->data[c];
    emit_array(e, xasprintf("%s.weight packed [%lld][%lld][16]: channel block, tap, channel in block", L->name,
                            (long long)(C / 16), (long long)taps),
               emit_param(e, L, "packed"), pk, C * taps);
    emit_array(e, xasprintf("%s.bias", L->name), emit_param(e, L, "bias_packed"), pb, C);
}

/* one run of n output positions starting at column ow of row oh */
static void lanes_tile(Emit *e, const Layer *L, int n, bool blocked_out) {
    const Window *w = &L->win;
    long long OH = L->shape.dim[1], OW = L->shape.dim[2], Wp = lanes_wp(L);
    emit_open(e, "");
    emit_line(e, "cnnrt_v16 acc[%d];", n);
    emit_line(e, "for (int r = 0; r < %d; r++) acc[r] = bias;", n);
    for (int64_t i = 0; i < w->k[0]; i++)
        for (int64_t k = 0; k < w->k[1]; k++) {
            emit_open(e, "for (int r = 0; r < %d; r++)", n);
            emit_line(e, "cnnrt_v16 xv;");
            emit_line(e, "memcpy(&xv, rowp + ((size_t)(ow + r) * %lld + %lld) * 16, sizeof xv);", (long long)w->s[1],
                      (long long)(i * w->d[0] * Wp + k * w->d[1]));
            emit_line(e, "CNNRT_FMAV16(acc[r], xv, wk[%lld]);", (long long)(i * w->k[1] + k));
            emit_close(e);
        }
    emit_open(e, "for (int r = 0; r < %d; r++)", n);
    emit_line(e, "float lanes[16];");
    emit_line(e, "memcpy(lanes, &acc[r], sizeof lanes);");
    if (blocked_out) {
        emit_line(e, "const int base = ((cb * %lld + oh) * %lld + ow + r) * 16;", OH, OW);
        emit_for_simd(e, "l", 16);
        emit_line(e, "const float v = lanes[l];");
        emit_line(e, "const int o = cb * 16 + l;");
        emit_line(e, "(void)o;");
        emit_store(e, "base + l", "o", "v");
    } else {
        emit_line(e, "const int base = (cb * 16 * %lld + oh) * %lld + ow + r;", OH, OW);
        emit_for(e, "l", 16);
        emit_line(e, "const float v = lanes[l];");
        emit_line(e, "const int o = cb * 16 + l;");
        emit_line(e, "(void)o;");
        emit_store(e, xasprintf("base + l * %lld", OH * OW), "o", "v");
    }
    emit_close_n(e, 3);
}

/* the output rows of one channel block, in runs of lanes_rw(r) positions */
static void lanes_rows(Emit *e, const void *ctx, Regs r) {
    const Layer *L = ctx;
    long long OH = L->shape.dim[1], OW = L->shape.dim[2], Wp = lanes_wp(L);
    int rw = lanes_rw(r);
    emit_line(e, "/* runs of %d output positions */", rw);
    emit_for(e, "oh", OH);
    emit_line(e, "const float *restrict rowp = tp + (size_t)oh * %lld;", (long long)L->win.s[0] * Wp * 16);
    if (OW >= rw) {
        emit_open(e, "for (int ow = 0; ow + %d <= %lld; ow += %d)", rw, OW, rw);
        lanes_tile(e, L, rw, emit_blocked(e, e->k->out));
        emit_close(e);
    }
    if (OW % rw) {
        emit_open(e, "");
        emit_line(e, "const int ow = %lld;", OW - OW % rw);
        lanes_tile(e, L, (int)(OW % rw), emit_blocked(e, e->k->out));
        emit_close(e);
    }
    emit_close(e);
}

static void lanes_emit(Emit *e, const Layer *L) {
    const Shape *in = emit_in_shape(e, L, 0);
    const Window *w = &L->win;
    long long C = in->dim[0], H = in->dim[1], W = in->dim[2];
    long long Hp = lanes_hp(L), Wp = lanes_wp(L), pt = w->pb[0], pl = w->pb[1], taps = w->k[0] * w->k[1];
    bool bin = emit_blocked(e, L->in[0]);
    emit_line(e, "/* channels in the vector lanes: per block of 16 channels, tp [%lld][%lld][16] the padded input */", Hp,
              Wp);
    emit_for(e, "cb", C / 16);
    emit_line(e, "float *restrict tp = t;");
    /* the columns inside the input: q0 <= q < q1 */
    long long q0 = pl < Wp ? pl : Wp, q1 = pl + W < Wp ? pl + W : Wp;
    if (q1 < q0) q1 = q0;
    emit_for(e, "r", Hp);
    emit_line(e, "float *restrict row = tp + (size_t)r * %lld;", Wp * 16);
    emit_line(e, "const int ih = r - %lld;", pt);
    emit_open(e, "if (ih < 0 || ih >= %lld)", H);
    emit_line(e, "memset(row, 0, sizeof(float) * %lld);", Wp * 16);
    emit_line(e, "continue;");
    emit_close(e);
    if (q0 > 0) emit_line(e, "memset(row, 0, sizeof(float) * %lld);", q0 * 16);
    if (q1 < Wp) emit_line(e, "memset(row + %lld, 0, sizeof(float) * %lld);", q1 * 16, (Wp - q1) * 16);
    if (bin) {
        emit_line(e, "memcpy(row + %lld, x0 + (((size_t)cb * %lld + ih) * %lld) * 16, sizeof(float) * %lld);", q0 * 16, H,
                  W, (q1 - q0) * 16);
    } else {
        emit_for(e, "l", 16);
        emit_line(e, "const float *restrict src = x0 + ((size_t)(cb * 16 + l) * %lld + ih) * %lld;", H, W);
        emit_line(e, "for (int q = %lld; q < %lld; q++) row[q * 16 + l] = src[q - %lld];", q0, q1, pl);
        emit_close(e);
    }
    emit_close(e);
    emit_line(e, "cnnrt_v16 wk[%lld], bias;", taps);
    emit_line(e, "memcpy(wk, %s + (size_t)cb * %lld, sizeof wk);", emit_param(e, L, "packed"), taps * 16);
    emit_line(e, "memcpy(&bias, %s + cb * 16, sizeof bias);", emit_param(e, L, "bias_packed"));
    emit_per_regs(e, L, true, lanes_rows);
    emit_close(e);   /* cb */
}

static int64_t tiled_temp(const Layer *L, const Shape *in) {
    Tile t = tile_of(L, in);
    if (direct(&t)) return t.C * 16 * t.P + 16;
    if (cv_direct(&t)) return 0;
    if (t.flat)   /* the padded input (of a block, or whole), what the last vectors read past it, staging */
        return pack_floats(&t) + (staged(&t) ? stage_floats(&t) : 0);
    return t.C * t.kd * t.kh * t.sw * t.Wq + 16;
}

static int64_t conv_temp(const Layer *L, const Shape *in, int opt) {
    if (opt >= 2 && winograd_ok(L, in)) return winograd_temp(L, in);
    if (opt >= 2 && fast_ok(L)) {
        int64_t n = tiled_temp(L, in), lanes = lanes_ok(L, in) ? lanes_hp(L) * lanes_wp(L) * 16 : 0;
        return n > lanes ? n : lanes;   /* the layout, known when emitting, picks one */
    }
    return is_separable(L) ? shape_elems(&L->shape) / L->shape.dim[0] * in->dim[0] : 0;
}

/* which -O2 kernel a convolution takes, in the order they are tried */
typedef enum { KERNEL_WINOGRAD, KERNEL_PLAIN, KERNEL_LANES, KERNEL_TILED } KernelKind;

static KernelKind kernel_kind(Emit *e, const Layer *L) {
    if (winograd_ok(L, emit_in_shape(e, L, 0))) return KERNEL_WINOGRAD;
    if (!fast_ok(L)) return KERNEL_PLAIN;
    return lanes_mode(e, L) ? KERNEL_LANES : KERNEL_TILED;
}

static void conv_emit_data(Emit *e, const Layer *L) {
    switch (kernel_kind(e, L)) {
    case KERNEL_WINOGRAD: winograd_emit_data(e, L, emit_in_shape(e, L, 0)); return;
    case KERNEL_PLAIN: emit_params_raw(e, L); return;
    case KERNEL_LANES: lanes_data(e, L); return;
    case KERNEL_TILED: break;
    }
    Tile t = tile_of(L, emit_in_shape(e, L, 0));
    const Param *w = layer_param(L, "weight"), *b = layer_param(L, "bias");
    int64_t taps = t.kd * t.kh * t.kw, n = t.NOB * t.cg * taps * t.OCB;
    float *pk = xcalloc((size_t)n, sizeof(float)), *pb = xcalloc((size_t)(t.NOB * t.OCB), sizeof(float));
    for (int64_t ob = 0; ob < t.NOB; ob++)
        for (int64_t c = 0; c < t.cg; c++)
            for (int64_t k = 0; k < taps; k++)
                for (int64_t j = 0; j < t.OCB; j++) {
                    int64_t o = ob * t.OCB + j;
                    if (o < t.OC) pk[((ob * t.cg + c) * taps + k) * t.OCB + j] = w->data[(o * t.cg + c) * taps + k];
                }
    for (int64_t o = 0; b && o < t.OC; o++) pb[o] = b->data[o];
    emit_array(e, xasprintf("%s.weight packed [%lld][%lld][%lld][%lld]: output-channel block, input channel, tap, "
                            "channel in block", L->name, (long long)t.NOB, (long long)t.cg, (long long)taps, (long long)t.OCB),
               emit_param(e, L, "packed"), pk, n);
    emit_array(e, xasprintf("%s.bias padded to %lld", L->name, (long long)(t.NOB * t.OCB)), emit_param(e, L, "bias_packed"),
               pb, t.NOB * t.OCB);
}

static void pack_input(Emit *e, const Layer *L, const Tile *t) {
    const char *mode = pad_mode(L);
    bool zeros = strcmp(mode, "zeros") == 0;
    const char *fold = strcmp(mode, "reflect") == 0 ? "cnnrt_reflect" : "cnnrt_clamp";
    long long R = t->kd * t->kh, D = t->D, H = t->H, W = t->W;
    emit_line(e, "/* t [%lld][%lld][%lld][%lld]: the band of input rows of output row (od, oh), padded, "
              "columns split by phase */", (long long)t->C, R, (long long)t->sw, (long long)t->Wq);
    emit_for(e, "c", t->C);
    emit_for(e, "a", t->kd);
    emit_for(e, "r", t->kh);
    const char *id = xasprintf("od * %lld + a * %lld - %lld", (long long)t->sd, (long long)t->dd, (long long)t->pf);
    const char *ih = xasprintf("oh * %lld + r * %lld - %lld", (long long)t->sh, (long long)t->dh, (long long)t->pt);
    if (zeros) {
        emit_line(e, "const int id = %s, ih = %s;", id, ih);
        emit_line(e, "const int in = id >= 0 && id < %lld && ih >= 0 && ih < %lld;", D, H);
    } else {
        emit_line(e, "const int id = %s(%s, %lld), ih = %s(%s, %lld);", fold, id, D, fold, ih, H);
    }
    emit_for(e, "ph", t->sw);
    emit_line(e, "float *restrict row = t + ((c * %lld + a * %lld + r) * %lld + ph) * %lld;", R, (long long)t->kh,
              (long long)t->sw, (long long)t->Wq);
    emit_for(e, "q", t->Wq);
    if (zeros) {
        emit_line(e, "const int iw = q * %lld + ph - %lld;", (long long)t->sw, (long long)t->pl);
        emit_line(e, "row[q] = in && iw >= 0 && iw < %lld ? x0[((c * %lld + id) * %lld + ih) * %lld + iw] : 0.0f;", W, D,
                  H, W);
    } else {
        emit_line(e, "const int iw = %s(q * %lld + ph - %lld, %lld);", fold, (long long)t->sw, (long long)t->pl, W);
        emit_line(e, "row[q] = x0[((c * %lld + id) * %lld + ih) * %lld + iw];", D, H, W);
    }
    emit_close_n(e, 5);
}

/* what a kernel body is written for: the layer and its tile */
typedef struct {
    const Layer *L;
    const Tile *t;
} Body;

/* channel vectors: after the phase planes are packed, for each block of
 * OCV x 16 output channels and each run of RW positions q of the padded
 * output rows, acc[r][v] += w[v-th 16 channels][c][tap] * plane[c][q + r +
 * tap offset] (one weight vector load per v, one broadcast per r); each
 * position's OCV vectors then leave through the epilogue, 16 channels at a
 * time: contiguous in a channel-blocked output, one store per channel in a
 * C-order one. The register tile of class r: RW x OCV, or a narrow one of
 * v0 blocks of its OCV inside the packed OCV */
static void channel_vectors(Emit *e, const void *ctx, Regs r) {
    const Layer *L = ((const Body *)ctx)->L;
    const Tile *t = ((const Body *)ctx)->t;
    long long taps = t->kd * t->kh * t->kw, band = flat_band(t), OC = t->OC, OH = t->OH, OW = t->OW;
    long long nq = t->OH * t->Wp;
    int RW = r == target_regs() ? t->RW : t->nRW, OCV = r == target_regs() ? t->OCV : t->nOCV;
    bool sub = OCV < t->OCV, blocked_out = emit_blocked(e, e->k->out);
    emit_line(e, "/* channel vectors: tiles of %d positions of the padded output rows x %d x 16 output channels */", RW, OCV);
    emit_for(e, "ob", t->NOB);
    if (sub) emit_open(e, "for (int v0 = 0; v0 < %d; v0 += %d)", t->OCV, OCV);
    emit_line(e, "const float *restrict wb = %s + (size_t)ob * %lld%s;", emit_param(e, L, "packed"),
              (long long)(t->cg * taps * t->OCB), sub ? " + v0 * 16" : "");
    emit_open(e, "for (int q = 0; q < %lld; q += %d)", (nq + RW - 1) / RW * RW, RW);
    emit_line(e, "cnnrt_v16 acc[%d][%d];", RW, OCV);
    emit_for(e, "r", RW);
    emit_line(e, "memcpy(acc[r], %s + ob * %d%s, sizeof acc[r]);", emit_param(e, L, "bias_packed"), t->OCB,
              sub ? " + v0 * 16" : "");
    emit_close(e);
    emit_for(e, "c", t->cg);
    long long step = 1;   /* floats from one position to the next */
    if (!cv_direct(t)) {
        emit_line(e, "const float *restrict tc = t + (size_t)c * %lld + q;", band);
    } else if (emit_blocked(e, L->in[0])) {   /* 1x1: the input where it is, [C/16][HW][16] */
        emit_line(e, "const float *restrict tc = x0 + ((size_t)(c / 16) * %lld + q) * 16 + c %% 16;", (long long)(t->H * t->W));
        step = 16;
    } else {
        emit_line(e, "const float *restrict tc = x0 + (size_t)c * %lld + q;", (long long)(t->H * t->W));
    }
    emit_line(e, "const float *restrict wc = wb + c * %lld;", taps * t->OCB);
    for (int64_t i = 0; i < t->kh; i++)
        for (int64_t k = 0; k < t->kw; k++) {
            int64_t col = k * t->dw;
            emit_open(e, "/* tap %lld,%lld */", (long long)i, (long long)k);
            emit_line(e, "const float *restrict src = tc + %lld;",
                      (long long)(((i * t->dh % t->sh * t->sw + col % t->sw) * t->Hp + i * t->dh / t->sh) * t->Wp +
                                  col / t->sw));
            emit_line(e, "cnnrt_v16 wv[%d];", OCV);
            emit_line(e, "memcpy(wv, wc + %lld, sizeof wv);", (long long)((i * t->kw + k) * t->OCB));
            emit_line(e, "for (int r = 0; r < %d; r++)", RW);
            emit_line(e, "    for (int v = 0; v < %d; v++) CNNRT_FMA16(acc[r][v], wv[v], src[r%s]);", OCV,
                      step == 16 ? " * 16" : "");
            emit_close(e);
        }
    emit_close(e);
    emit_line(e, "/* store through the epilogue, position by position */");
    emit_line(e, "int oh = q / %lld, ow = q %% %lld;", (long long)t->Wp, (long long)t->Wp);
    emit_open(e, "for (int r = 0; r < %d; r++, ow++)", RW);
    emit_open(e, "if (ow == %lld)", (long long)t->Wp);
    emit_line(e, "ow = 0;");
    emit_line(e, "oh++;");
    emit_close(e);
    emit_line(e, "if (oh >= %lld) break;", OH);
    emit_line(e, "if (ow >= %lld) continue;   /* a padding column */", OW);
    emit_for(e, "v", OCV);
    emit_line(e, "const int o0 = (ob * %d + %sv) * 16;", t->OCV, sub ? "v0 + " : "");
    emit_line(e, "if (o0 >= %lld) break;   /* past the last block's channels */", OC);
    emit_line(e, "float lanes[16];");
    emit_line(e, "memcpy(lanes, &acc[r][v], sizeof lanes);");
    if (blocked_out) {   /* OC is a multiple of 16 */
        emit_line(e, "const int base = ((o0 / 16 * %lld + oh) * %lld + ow) * 16;", OH, OW);
        emit_for_simd(e, "l", 16);
    } else {
        emit_line(e, "const int base = (o0 * %lld + oh) * %lld + ow;", OH, OW);
        emit_for(e, "l", 16);
        if (OC % 16) emit_line(e, "if (o0 + l >= %lld) break;", OC);
    }
    emit_line(e, "const float v_ = lanes[l];");
    emit_line(e, "const int o = o0 + l;");
    emit_line(e, "(void)o;");
    emit_store(e, blocked_out ? "base + l" : xasprintf("base + l * %lld", OH * OW), "o", "v_");
    emit_close_n(e, sub ? 6 : 5);   /* l, v, r, q, [v0,] ob */
}

/* in the pixel-vector store: when vector p of the tile lies wholly below
 * limit, its 16 lanes are 16 consecutive outputs from index base */
static void full_vector(Emit *e, int64_t limit, const char *base) {
    emit_open(e, "if (pv + 16 * p + 16 <= %lld)", (long long)limit);
    emit_line(e, "const int base = %s;", base);
    emit_for_simd(e, "l", 16);
    emit_line(e, "const float v = lanes[l];");
    emit_store(e, "base + l", "o", "v");
    emit_close(e);
    emit_line(e, "continue;");
    emit_close(e);
}

/* pixel vectors, after the input is packed (flat: once; rows: the band of
 * output row od, oh): tiles of P vectors of 16 positions x OCB output
 * channels; the register tile of class r is the tile, or a narrow one of j0
 * blocks of its OCB (and fewer vectors) inside the packed OCB */
static void pixel_vectors(Emit *e, const void *ctx, Regs r) {
    const Layer *L = ((const Body *)ctx)->L;
    const Tile *tp = ((const Body *)ctx)->t, t = *tp;
    RegTile rt = r == target_regs() ? (RegTile){t.P, t.OCB, 0} : t.nar;
    int P = rt.P, RB = rt.OCB;
    bool sub = RB < t.OCB;   /* register blocks j0 of RB channels */
    const char *jb = sub ? "j0 + j" : "j";
    long long taps = t.kd * t.kh * t.kw;
    if (t.flat) emit_line(e, "/* tiles of %d output channels x %d x 16 positions of the padded output rows */", RB, P);
    else emit_line(e, "/* tiles of %d output channels x %d x 16 pixels of a row */", RB, P);
    long long band = t.flat ? flat_band(&t) : t.kd * t.kh * t.sw * t.Wq;
    bool pixels_outer = pixels_first(&t);
    if (staged(&t))
        emit_line(e, "float *restrict u = t + %lld;   /* staging [%d][%lld] */", (long long)pack_floats(&t), t.OCB,
                  (long long)t.NQ);
    if (pixels_outer) emit_open(e, "for (int pv = 0; pv < %lld; pv += %d)", (long long)t.OWp, 16 * P);
    if (tile_copy(&t)) {
        long long plane = t.H * t.W;
        emit_line(e, "/* the tile's positions of every channel, contiguous in t: read by every channel block, "
                  "they stay in L1 (planes a multiple of 1 KiB apart would share a few of its sets) */");
        emit_line(e, "const int n = %lld - pv < %d ? %lld - pv : %d;", plane, 16 * P, plane, 16 * P);
        emit_for(e, "c", t.C);
        emit_line(e, "memcpy(t + c * %d, x0 + (size_t)c * %lld + pv, sizeof(float) * n);", 16 * t.P, plane);
        emit_line(e, "if (n < %d) memset(t + c * %d + n, 0, sizeof(float) * (%d - n));", 16 * P, 16 * t.P, 16 * P);
        emit_close(e);
    }
    emit_for(e, "ob", t.NOB);
    emit_line(e, "const float *restrict wb = %s + ob * %lld;", emit_param(e, L, "packed"), (long long)(t.cg * taps * t.OCB));
    if (block_pack(&t)) {
        emit_line(e, "const int nc = %lld - ob * %d < %d ? %lld - ob * %d : %d;", (long long)t.C, t.OCB, t.OCB,
                  (long long)t.C, t.OCB, t.OCB);
        emit_phase_planes(e, pad_mode(L), emit_blocked(e, L->in[0]), t.OCB, xasprintf("ob * %d", t.OCB), "nc", t.H, t.W, t.sh, t.sw, t.pt, t.pl,
                          t.Hp, t.Wp, flat_slack(&t));
    }
    if (!pixels_outer) emit_open(e, "for (int pv = 0; pv < %lld; pv += %d)", (long long)t.OWp, 16 * P);
    if (sub) emit_open(e, "for (int j0 = 0; j0 < %d; j0 += %d)", t.OCB, RB);
    emit_line(e, "cnnrt_v16 acc[%d][%d];", RB, P);
    emit_for(e, "j", RB);
    emit_line(e, "for (int p = 0; p < %d; p++) CNNRT_SPLAT16(acc[j][p], %s[ob * %d + %s]);", P,
              emit_param(e, L, "bias_packed"), t.OCB, jb);
    emit_close(e);
    if (direct(&t) && !tile_copy(&t)) {
        long long plane = t.H * t.W, tail = t.NQ - 16 * t.P;
        emit_line(e, "const int whole = pv + %d <= %lld;   /* else the copied tail */", 16 * P, plane);
        if (P == t.P) emit_line(e, "const float *restrict src0 = whole ? x0 + pv : t;");
        else emit_line(e, "const float *restrict src0 = whole ? x0 + pv : t + (pv - %lld);", tail);
        emit_line(e, "const long long cs = whole ? %lld : %d;", plane, 16 * t.P);
    }
    emit_for(e, "c", t.cg);
    if (tile_copy(&t))
        emit_line(e, "const float *restrict tc = t + c * %d;", 16 * t.P);
    else if (direct(&t))
        emit_line(e, "const float *restrict tc = src0 + c * cs;");
    else if (t.diag)   /* output channel o reads input channel o / og */
        emit_line(e, "const float *restrict tc = t + pv;");
    else
        emit_line(e, "const float *restrict tc = t + (size_t)c * %lld + pv;", band);
    emit_line(e, "const float *restrict wc = wb + %sc * %lld;", sub ? "j0 + " : "", taps * t.OCB);
    for (int64_t a = 0; a < t.kd; a++)   /* the window, unrolled */
    for (int64_t i = 0; i < t.kh; i++)
        for (int64_t k = 0; k < t.kw; k++) {
            int64_t col = k * t.dw, row = a * t.kh + i;
            if (t.kd > 1) emit_open(e, "/* tap %lld,%lld,%lld */", (long long)a, (long long)i, (long long)k);
            else emit_open(e, "/* tap %lld,%lld */", (long long)i, (long long)k);
            emit_line(e, "const float *restrict src = tc + %lld;",
                      t.flat ? (long long)(((i * t.dh % t.sh * t.sw + col % t.sw) * t.Hp + i * t.dh / t.sh) * t.Wp + col / t.sw)
                             : (long long)((row * t.sw + col % t.sw) * t.Wq + col / t.sw));
            emit_line(e, "const float *restrict wk = wc + %lld;", (long long)((row * t.kw + k) * t.OCB));
            if (t.diag) {
                emit_open(e, "for (int j = 0; j < %d; j++)", RB);
                emit_line(e, "cnnrt_v16 xv[%d];", P);
                if (block_pack(&t)) {   /* this block's channels only */
                    emit_line(e, "const int jc = ob * %d + %s < %lld ? %s : 0;", t.OCB, jb, (long long)t.OC, jb);
                    emit_line(e, "memcpy(xv, src + (size_t)jc * %lld, sizeof xv);", band);
                } else {
                    emit_line(e, "const int oc = ob * %d + %s < %lld ? ob * %d + %s : 0;", t.OCB, jb, (long long)t.OC, t.OCB, jb);
                    emit_line(e, "memcpy(xv, src + (size_t)(oc / %lld) * %lld, sizeof xv);", (long long)t.og, band);
                }
                emit_line(e, "for (int p = 0; p < %d; p++) CNNRT_FMA16(acc[j][p], xv[p], wk[j]);", P);
                emit_close(e);
            } else {
                emit_line(e, "cnnrt_v16 xv[%d];", P);
                emit_line(e, "memcpy(xv, src, sizeof xv);");
                emit_line(e, "for (int j = 0; j < %d; j++)", RB);
                emit_line(e, "    for (int p = 0; p < %d; p++) CNNRT_FMA16(acc[j][p], xv[p], wk[j]);", P);
            }
            emit_close(e);
        }
    emit_close(e);
    if (staged(&t)) {
        emit_for(e, "j", RB);
        emit_line(e, "memcpy(u + (size_t)(%s) * %lld + pv, acc[j], sizeof acc[j]);", jb, (long long)t.NQ);
        emit_close_n(e, sub ? 3 : 2);   /* j, [j0,] pixel tiles */
        emit_line(e, "/* store the block's rows through the epilogue */");
        emit_for(e, "j", t.OCB);
        emit_line(e, "const int o = ob * %d + j;", t.OCB);
        emit_line(e, "if (o >= %lld) break;", (long long)t.OC);
        emit_for(e, "oh", t.OH);
        emit_line(e, "const float *restrict s = u + (size_t)j * %lld + oh * %lld;", (long long)t.NQ, (long long)t.Wp);
        emit_line(e, "const int base = (o * %lld + oh) * %lld;", (long long)t.OH, (long long)t.OW);
        emit_for_simd(e, "ow", t.OW);
        emit_line(e, "const float v = s[ow];");
        emit_store(e, "base + ow", "o", "v");
        emit_close_n(e, 4);   /* ow, oh, j, ob */
        return;
    }
    emit_line(e, "/* store through the epilogue */");
    emit_for(e, "j", RB);
    emit_line(e, "const int o = ob * %d + %s;", t.OCB, jb);
    emit_line(e, "if (o >= %lld) break;", (long long)t.OC);
    emit_for(e, "p", P);
    emit_line(e, "float lanes[16];");
    emit_line(e, "memcpy(lanes, &acc[j][p], sizeof lanes);");
    if (t.flat && t.Wp == t.OW)   /* no padding columns: a full vector is 16 consecutive outputs */
        full_vector(e, t.OH * t.OW, xasprintf("o * %lld + pv + 16 * p", (long long)(t.OH * t.OW)));
    if (t.flat) {
        /* the vector as runs of one output row each, stored lane by lane */
        emit_open(e, "for (int l = 0, q = pv + 16 * p; l < 16; )");
        emit_line(e, "const int oh = q / %lld, ow = q %% %lld;", (long long)t.Wp, (long long)t.Wp);
        emit_line(e, "if (oh >= %lld) break;", (long long)t.OH);
        emit_line(e, "const int n = %lld - ow < 16 - l ? %lld - ow : 16 - l;   /* lanes in this row */", (long long)t.Wp,
                  (long long)t.Wp);
        emit_line(e, "const int m = %lld - ow < n ? %lld - ow : n;   /* and not in padding columns */", (long long)t.OW,
                  (long long)t.OW);
        emit_line(e, "const int base = (o * %lld + oh) * %lld + ow - l;", (long long)t.OH, (long long)t.OW);
        emit_line(e, "const int end = l + m < 16 ? l + m : 16;   /* l + m <= 16, which gcc's -Warray-bounds cannot see */");
        emit_line(e, "CNNRT_SIMD");
        emit_open(e, "for (int k = l; k < end; k++)");
        emit_line(e, "const float v = lanes[k];");
        emit_store(e, "base + k", "o", "v");
        emit_close(e);
        emit_line(e, "l += n;");
        emit_line(e, "q += n;");
        emit_close_n(e, sub ? 6 : 5);   /* runs, p, j, [j0,] pixel tiles and channel blocks */
        return;
    }
    full_vector(e, t.OW, xasprintf("((o * %lld + od) * %lld + oh) * %lld + pv + 16 * p", (long long)t.OD,
                                   (long long)t.OH, (long long)t.OW));
    emit_line(e, "const int n = %lld - (pv + 16 * p) < 16 ? %lld - (pv + 16 * p) : 16;", (long long)t.OW, (long long)t.OW);
    emit_for(e, "l", 16);
    emit_line(e, "if (l >= n) break;");
    emit_line(e, "const int ow = pv + 16 * p + l;");
    emit_line(e, "const float v = lanes[l];");
    emit_store(e, xasprintf("((o * %lld + od) * %lld + oh) * %lld + ow", (long long)t.OD, (long long)t.OH, (long long)t.OW),
               "o", "v");
    emit_close_n(e, sub ? 6 : 5);   /* l, p, j, [j0,] pixel tiles and channel blocks */
}

/* ---- -O2 depthwise over rows (multiplier 1, 2-D): channel by channel,
 * the padded input is packed into phase planes (in L1), and a tile of R
 * output rows x V vectors of 16 columns accumulates every tap: an input row
 * read by several of the tile's rows is loaded once for all of them (the
 * compiler merges the identical loads), so a tap costs about (R + kh - 1)
 * / R loads per FMA instead of one. Each vector is stored straight into
 * its output row, the lanes past the row dropped; the planes' slack covers
 * what the last vectors read past them. Tiles of 6 rows x 4 vectors (wide:
 * depthwise3x3 128 @56 1.7x faster than the flat kernel) or 1 x 4 (narrow:
 * taller tiles measured slower built for AVX2). */
static void rows_tile(Emit *e, const Tile *t, int R, int V, const char *oh0, const char *v0) {
    long long OH = t->OH, OW = t->OW;
    emit_open(e, "");
    emit_line(e, "const int oh0 = %s, v0 = %s;", oh0, v0);
    emit_line(e, "const float *restrict tc = t + (size_t)oh0 * %lld + 16 * v0;", (long long)t->Wp);
    emit_line(e, "cnnrt_v16 acc[%d][%d];", R, V);
    emit_line(e, "for (int r = 0; r < %d; r++)", R);
    emit_line(e, "    for (int v = 0; v < %d; v++) CNNRT_SPLAT16(acc[r][v], bias);", V);
    for (int64_t i = 0; i < t->kh; i++)
        for (int64_t k = 0; k < t->kw; k++) {
            int64_t col = k * t->dw;
            emit_open(e, "/* tap %lld,%lld */", (long long)i, (long long)k);
            emit_line(e, "const float *restrict src = tc + %lld;",
                      (long long)(((i * t->dh % t->sh * t->sw + col % t->sw) * t->Hp + i * t->dh / t->sh) * t->Wp + col / t->sw));
            emit_open(e, "for (int r = 0; r < %d; r++)", R);
            emit_open(e, "for (int v = 0; v < %d; v++)", V);
            emit_line(e, "cnnrt_v16 xv;");
            emit_line(e, "memcpy(&xv, src + (size_t)r * %lld + 16 * v, sizeof xv);", (long long)t->Wp);
            emit_line(e, "CNNRT_FMA16(acc[r][v], xv, wk[%lld]);", (long long)(i * t->kw + k));
            emit_close_n(e, 3);
        }
    emit_open(e, "for (int r = 0; r < %d; r++)", R);
    emit_open(e, "for (int v = 0; v < %d; v++)", V);
    emit_line(e, "float lanes[16];");
    emit_line(e, "memcpy(lanes, &acc[r][v], sizeof lanes);");
    emit_line(e, "const int ow0 = 16 * (v0 + v), n = %lld - ow0 < 16 ? %lld - ow0 : 16;", OW, OW);
    emit_line(e, "const int base = (ch * %lld + oh0 + r) * %lld + ow0;", OH, OW);
    emit_line(e, "CNNRT_SIMD");
    emit_open(e, "for (int l = 0; l < n; l++)");
    emit_line(e, "const float v_ = lanes[l];");
    emit_store(e, "base + l", "ch", "v_");
    emit_close_n(e, 4);
}

static void depthwise_rows(Emit *e, const void *ctx, Regs r) {
    const Layer *L = ((const Body *)ctx)->L;
    const Tile *t = ((const Body *)ctx)->t;
    long long OH = t->OH, NV = (t->OW + 15) / 16;
    int V = 4, R = r == REGS_WIDE ? 6 : 1;
    if (V > NV) V = (int)NV;
    if (R > OH) R = (int)OH;
    emit_line(e, "/* over rows: tiles of %d output rows x %d x 16 columns */", R, V);
    emit_for(e, "ch", t->C);
    emit_phase_planes(e, pad_mode(L), emit_blocked(e, L->in[0]), 1, "ch", "1", t->H, t->W, t->sh, t->sw, t->pt, t->pl, t->Hp,
                      t->Wp, flat_slack(t));
    emit_line(e, "const float *restrict wk = %s + (size_t)ch * %lld;", emit_param(e, L, "packed"), (long long)(t->kh * t->kw));
    emit_line(e, "const float bias = %s[ch];", emit_param(e, L, "bias_packed"));
    long long mainr = OH / R * R, mainv = NV / V * V;
    for (int pass = 0; pass < 2; pass++) {   /* blocks of R rows, then the rest */
        int rr = pass == 0 ? R : (int)(OH % R);
        if (rr == 0 || (pass == 0 && mainr == 0)) continue;
        if (pass == 0) emit_open(e, "for (int ob = 0; ob < %lld; ob += %d)", mainr, R);
        else emit_open(e, "");
        const char *oh0 = pass == 0 ? "ob" : xasprintf("%lld", mainr);
        if (mainv > 0) {
            emit_open(e, "for (int vb = 0; vb < %lld; vb += %d)", mainv, V);
            rows_tile(e, t, rr, V, oh0, "vb");
            emit_close(e);
        }
        if (NV % V) rows_tile(e, t, rr, (int)(NV % V), oh0, xasprintf("%lld", mainv));
        emit_close(e);
    }
    emit_close(e);   /* ch */
}

static void conv_emit_fast(Emit *e, const Layer *L) {
    switch (kernel_kind(e, L)) {
    case KERNEL_WINOGRAD: winograd_emit(e, L, emit_in_shape(e, L, 0), pad_mode(L)); return;
    case KERNEL_PLAIN: conv_emit_ref(e, L); return;
    case KERNEL_LANES: lanes_emit(e, L); return;
    case KERNEL_TILED: break;
    }
    const Tile t = tile_of(L, emit_in_shape(e, L, 0));
    const Body b = {L, &t};
    if (t.rows) {
        emit_per_regs(e, &b, t.OH > 1, depthwise_rows);   /* the classes' tiles differ in rows */
        return;
    }
    if (t.flat) {
        if (tile_copy(&t)) {
            /* each pixel tile copies its positions (below) */
        } else if (direct(&t)) {
            long long plane = t.H * t.W, tail = t.NQ - 16 * t.P, n = plane - tail;
            emit_line(e, "/* t [%lld][%d]: each channel's last %lld positions, zero-padded */", (long long)t.C, 16 * t.P, n);
            emit_for(e, "c", t.C);
            emit_line(e, "memcpy(t + c * %d, x0 + c * %lld + %lld, sizeof(float) * %lld);", 16 * t.P, plane, tail, n);
            if (n < 16 * t.P) emit_line(e, "memset(t + c * %d + %lld, 0, sizeof(float) * %lld);", 16 * t.P, n, 16 * t.P - n);
            emit_close(e);
        } else if (!block_pack(&t) && !cv_direct(&t)) {
            pack_flat(e, L, &t);
        }
        if (t.cv) {
            emit_per_regs(e, &b, t.nRW != t.RW || t.nOCV != t.OCV, channel_vectors);
            return;
        }
    } else {
        emit_for(e, "od", t.OD);
        emit_for(e, "oh", t.OH);
        pack_input(e, L, &t);
    }
    emit_per_regs(e, &b, t.nar.P != t.P || t.nar.OCB != t.OCB, pixel_vectors);
    if (!t.flat) emit_close_n(e, 2);   /* oh, od */
}

/* -O2: kernels that pack their input into phase planes read it in either
 * layout (but depthwise, measured 2-3x slower so: it reads blocked values
 * with the channels in its lanes); channel vectors and depthwise lanes store
 * 16 channels of a position at once */
static unsigned conv_layout(const Layer *L, const Shape *in) {
    if (winograd_ok(L, in)) return LAYOUT_READS_BLOCKED;
    if (!fast_ok(L) || in->rank != 3) return 0;
    if (lanes_ok(L, in)) return LAYOUT_READS_BLOCKED | LAYOUT_WRITES_BLOCKED | LAYOUT_NEIGHBOURS;
    Tile t = tile_of(L, in);
    if (!t.flat || direct(&t) || t.diag) return 0;   /* depthwise: 9 MACs per input do not hide a strided pack */
    return LAYOUT_READS_BLOCKED | (t.cv ? LAYOUT_WRITES_BLOCKED : 0);
}

#define CONV_DESC(NAME, TABLE)                                               \
    const OpDesc op_##NAME = {                                               \
        .name = #NAME, .flags = OPF_LINEAR | OPF_WINDOW | OPF_EPILOGUE,      \
        .min_in = 1, .max_in = 1,                                            \
        ATTRS(TABLE),                                                        \
        .infer = conv_infer, .params = conv_params, .macs = conv_macs,       \
        .temp = conv_temp, .emit_ref = conv_emit_ref, .fold = conv_fold,     \
        .emit = conv_emit_fast, .emit_data = conv_emit_data,                 \
        .layout = conv_layout,                                               \
    }

CONV_DESC(conv1d, conv_attrs);
CONV_DESC(conv2d, conv_attrs);
CONV_DESC(conv3d, conv_attrs);
CONV_DESC(depthwise_conv2d, depthwise_attrs);
CONV_DESC(separable_conv2d, separable_attrs);
