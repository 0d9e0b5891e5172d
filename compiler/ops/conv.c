/* conv.c — convolutions: conv1d, conv2d, conv3d, and the 2-D sugar
 * depthwise_conv2d (groups = C, out = C * multiplier) and separable_conv2d
 * (depthwise then pointwise 1x1, one layer in the report).
 *
 * Cross-correlation as in the lecture and PyTorch:
 *   y[o, p] = b[o] + sum_{c in group(o), k} w[o, c, k] * x[c, p*s + k*d - pb]
 * Weights are PyTorch's [out, C/groups, k...]. */
#include "cnnc.h"

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
        add_param(L, "pointwise.weight", 4, pw);
        if (attr_bool(L, "bias")) add_param(L, "pointwise.bias", 1, pw);
        return;
    }
    d[0] = L->shape.dim[0];
    d[1] = c / L->groups;
    memcpy(d + 2, w->k, sizeof(int64_t) * (size_t)w->nd);
    add_param(L, "weight", 2 + w->nd, d);
    if (attr_bool(L, "bias")) add_param(L, "bias", 1, d);
}

static int64_t conv_macs(const Layer *L, const Shape *in) {
    int64_t kvol = 1;
    for (int i = 0; i < L->win.nd; i++) kvol *= L->win.k[i];
    int64_t pix = shape_elems(&L->shape) / L->shape.dim[0];
    if (is_separable(L))   /* depthwise on C channels, then C -> out pointwise */
        return pix * in->dim[0] * kvol + pix * in->dim[0] * L->shape.dim[0];
    return shape_elems(&L->shape) * (in->dim[0] / L->groups) * kvol;
}

#define CONV_DESC(NAME, ATTRS)                                               \
    const OpDesc op_##NAME = {                                               \
        .name = #NAME, .flags = OPF_LINEAR | OPF_WINDOW, .min_in = 1, .max_in = 1, \
        .attrs = ATTRS, .nattrs = (int)(sizeof ATTRS / sizeof ATTRS[0]),     \
        .infer = conv_infer, .params = conv_params, .macs = conv_macs,       \
    }

CONV_DESC(conv1d, conv_attrs);
CONV_DESC(conv2d, conv_attrs);
CONV_DESC(conv3d, conv_attrs);
CONV_DESC(depthwise_conv2d, depthwise_attrs);
CONV_DESC(separable_conv2d, separable_attrs);
