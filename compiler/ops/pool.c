/* pool.c — max and average pooling in 1-D, 2-D and 3-D, and the global
 * pools. PyTorch's rules: stride defaults to the kernel; padding is at most
 * half the (dilated) kernel; max pools pad with -inf; with ceil_mode a window
 * that would start in the end padding is dropped; average pools divide by the
 * window clipped to the padded input (count_include_pad) or to the input. */
#include "cnnc.h"

#define POOL_ATTRS                                      \
    {"kernel", A_INTS, .required = true, .min = 1},     \
    {"stride", A_INTS, .idef = 1, .min = 1},            \
    {"pad", A_PAD, .idef = 0, .min = 0},                \
    {"ceil_mode", A_BOOL, .idef = 0}

static const AttrDesc max_attrs[] = {POOL_ATTRS, {"dilation", A_INTS, .idef = 1, .min = 1}};
static const AttrDesc avg_attrs[] = {POOL_ATTRS, {"count_include_pad", A_BOOL, .idef = 1}};

static int pool_nd(const Layer *L) {
    const OpDesc *op = L->op;
    if (op == &op_maxpool1d || op == &op_avgpool1d) return 1;
    if (op == &op_maxpool3d || op == &op_avgpool3d) return 3;
    return 2;
}

static bool pool_infer(Layer *L, const Shape *in, int nin) {
    (void)nin;
    if (!need_spatial(L, in, pool_nd(L))) return false;
    if (!window_resolve(L, in, true, attr_bool(L, "ceil_mode"), &L->shape)) return false;
    const Window *w = &L->win;
    for (int i = 0; i < w->nd; i++) {
        int64_t half = (w->d[i] * (w->k[i] - 1) + 1) / 2;
        if (w->pb[i] > half || w->pe[i] > half) {
            diag_error(attr_loc(L, "pad"),
                       "padding of %s '%s' must be at most half the kernel (%lld) in %s, got %lld+%lld",
                       L->op->name, L->name, (long long)half, dim_name(w->nd, i),
                       (long long)w->pb[i], (long long)w->pe[i]);
            return false;
        }
    }
    return true;
}

static bool global_infer(Layer *L, const Shape *in, int nin) {
    (void)nin;
    if (spatial_dims(in) < 1) {
        diag_error(L->loc, "%s '%s' needs a [C, ...] input with spatial dimensions, got %s",
                   L->op->name, L->name, shape_str(in));
        return false;
    }
    L->shape = *in;
    for (int i = 1; i < in->rank; i++) L->shape.dim[i] = 1;
    return true;
}

#define POOL_DESC(NAME, ATTRS)                                               \
    const OpDesc op_##NAME = {                                               \
        .name = #NAME, .flags = OPF_WINDOW, .min_in = 1, .max_in = 1,        \
        .attrs = ATTRS, .nattrs = (int)(sizeof ATTRS / sizeof ATTRS[0]),     \
        .infer = pool_infer, .params = op_no_params, .macs = op_no_macs,           \
    }

POOL_DESC(maxpool1d, max_attrs);
POOL_DESC(maxpool2d, max_attrs);
POOL_DESC(maxpool3d, max_attrs);
POOL_DESC(avgpool1d, avg_attrs);
POOL_DESC(avgpool2d, avg_attrs);
POOL_DESC(avgpool3d, avg_attrs);

const OpDesc op_global_avgpool = {
    .name = "global_avgpool", .flags = OPF_GLOBAL, .min_in = 1, .max_in = 1,
    .infer = global_infer, .params = op_no_params, .macs = op_no_macs,
};

const OpDesc op_global_maxpool = {
    .name = "global_maxpool", .flags = OPF_GLOBAL, .min_in = 1, .max_in = 1,
    .infer = global_infer, .params = op_no_params, .macs = op_no_macs,
};
