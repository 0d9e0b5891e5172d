/* conv.c — convolutions: conv1d, conv2d, conv3d, and the 2-D sugar
 * depthwise_conv2d (groups = C, out = C * multiplier) and separable_conv2d
 * (depthwise then pointwise 1x1, one layer in the report).
 *
 * Cross-correlation, as in PyTorch:
 *   y[o, p] = b[o] + sum_{c in group(o), k} w[o, c, k] * x[c, p*s + k*d - pb]
 * Weights are PyTorch's [out, C/groups, k...].
 *
 * This file is the op: attributes, shapes, parameters, MACs, BatchNorm
 * folding, the -O0 reference loops, and the choice of an -O2 kernel family
 * (conv_kernels.h lists them). */
#include "conv_kernels.h"

#include <string.h>

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

/* plain loops: for o, od.., acc over c and the window, store */
static void conv_loops(Emit *e, const Layer *L, const Shape *in, const char *x, const char *y, const char *w,
                       const char *b, int64_t groups) {
    int nd = L->win.nd;
    int64_t out = L->shape.dim[0], cg = in->dim[0] / groups, og = out / groups;
    FOR(e, "o", out) OUT_LOOPS(e, L) {
        emit_line(e, "float acc = %s;", b ? xasprintf("%s[o]", b) : "0.0f");
        FOR(e, "c", cg) WINDOW_LOOPS(e, L, in, conv_pad_mode(L)) {
            const char *wv[2 + MAX_SPATIAL] = {"o", "c"};
            int64_t wd[2 + MAX_SPATIAL] = {out, cg};
            for (int i = 0; i < nd; i++) {
                wv[2 + i] = win_var('k', nd, i);
                wd[2 + i] = L->win.k[i];
            }
            const char *ch = groups == 1 ? "c" : xasprintf("o / %lld * %lld + c", (long long)og, (long long)cg);
            emit_line(e, "acc += %s[%s] * %s[%s];", w, emit_index(2 + nd, wv, wd), x, emit_pixel(in, ch, 'i'));
        }
        if (strcmp(y, "y") == 0) emit_store(e, emit_pixel(&L->shape, "o", 'o'), "o", "acc");
        else emit_line(e, "%s[%s] = acc;", y, emit_pixel(&L->shape, "o", 'o'));
    }
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

/* the reference loops' scratch: separable_conv2d's depthwise output */
static int64_t conv_temp(const Layer *L, const Shape *in, int opt) {
    (void)opt;
    return is_separable(L) ? shape_elems(&L->shape) / L->shape.dim[0] * in->dim[0] : 0;
}

/* ---- -O2: which kernel family, with which tile
 *
 * In the order tried: Winograd for the 3x3 stride-1 conv2d it pays for;
 * the reference loops for what no family takes (separable, grouped with
 * several channels per group, over 64 taps); depthwise with the channels in
 * the lanes when a value beside it is channel-blocked; else the tile model's
 * choice: depthwise over rows, channel vectors, or pixel vectors. The
 * layouts say what the plan may store blocked around the kernel: kernels
 * that pack their input into phase planes read either layout (but
 * depthwise, measured 2-3x slower so: it reads blocked values with the
 * channels in its lanes); channel vectors and depthwise lanes store 16
 * channels of a position at once. */
static void conv_choose(Choice *c, const Layer *L, const Shape *in, const ChoiceCtx *ctx) {
    if (conv_winograd_ok(L, in, ctx->o)) {
        c->family = &conv_winograd;
        c->tile = conv_winograd_tile(L, in, ctx->o, &c->temp);
        c->layout = LAYOUT_READS_BLOCKED;
        return;
    }
    if (!conv_tiled_ok(L)) {
        c->temp = conv_temp(L, in, 2);
        return;
    }
    ConvTile *t = xcalloc(1, sizeof *t);
    *t = conv_tile(L, in, ctx->o, ctx->near_both ? 2 : ctx->near_lanes);
    bool lanes = conv_lanes_ok(L, in);
    int64_t tiled = conv_tile_temp(t), lt = 0;
    const void *lanes_tile = lanes ? conv_lanes_tile(L, in, ctx->o, &lt) : NULL;
    c->temp = tiled > lt ? tiled : lt;   /* the layout, known when emitting, picks one */
    c->tile = t;
    c->family = t->rows ? &conv_rows : t->cv ? &conv_channels : &conv_pixels;
    if (lanes && (ctx->in_blocked || ctx->out_blocked)) {
        c->family = &conv_lanes;
        c->tile = lanes_tile;
    }
    if (in->rank != 3) c->layout = 0;
    else if (lanes) c->layout = LAYOUT_READS_BLOCKED | LAYOUT_WRITES_BLOCKED | LAYOUT_NEIGHBOURS;
    else if (!t->flat || conv_direct(t) || t->diag) c->layout = 0;   /* depthwise: 9 MACs per input do not hide a strided pack */
    else c->layout = LAYOUT_READS_BLOCKED | (t->cv ? LAYOUT_WRITES_BLOCKED : 0);
}

#define CONV_DESC(NAME, TABLE)                                               \
    const OpDesc op_##NAME = {                                               \
        .name = #NAME, .flags = OPF_LINEAR | OPF_WINDOW | OPF_EPILOGUE,      \
        .min_in = 1, .max_in = 1,                                            \
        ATTRS(TABLE),                                                        \
        .infer = conv_infer, .params = conv_params, .macs = conv_macs,       \
        .temp = conv_temp, .emit_ref = conv_emit_ref, .fold = conv_fold,     \
        .choose = conv_choose,                                               \
    }

CONV_DESC(conv1d, conv_attrs);
CONV_DESC(conv2d, conv_attrs);
CONV_DESC(conv3d, conv_attrs);
CONV_DESC(depthwise_conv2d, depthwise_attrs);
CONV_DESC(separable_conv2d, separable_attrs);
