/* reshape.c — layers that move no number: flatten ([C, ...] -> [C*...],
 * the same memory in C order), reshape (any shape of as many elements, as
 * torch.reshape: the same memory too) and dropout (identity at inference). */
#include "cnnc.h"

static const AttrDesc dropout_attrs[] = {{"p", A_FLOAT, .fdef = 0.5}};
static const AttrDesc reshape_attrs[] = {{"shape", A_DIMS, .required = true, .min = -1}};

static bool flatten_infer(Layer *L, const Shape *in, int nin) {
    (void)nin;
    L->shape.rank = 1;
    L->shape.dim[0] = shape_elems(in);
    return true;
}

/* the shape given, with its one -1 standing for what the elements leave */
static bool reshape_infer(Layer *L, const Shape *in, int nin) {
    (void)nin;
    int64_t v[MAX_DIMS], known = 1, elems = shape_elems(in);
    int n = attr_dims(L, "shape", v), free = -1;
    bool big = false;
    Loc at = attr_loc(L, "shape");
    for (int i = 0; i < n; i++) {
        if (v[i] == 0) {
            diag_error(at, "entries of the shape of reshape '%s' must be positive or -1, got 0", L->name);
            return false;
        }
        if (v[i] == -1 && free >= 0) {
            diag_error(at, "the shape of reshape '%s' may have one -1, got two (entries %d and %d)", L->name,
                       free + 1, i + 1);
            return false;
        }
        if (v[i] == -1) free = i;
        else big |= !mul_ok(known, v[i], &known);
    }
    L->shape.rank = n;
    for (int i = 0; i < n; i++) L->shape.dim[i] = v[i];
    if (!big && free >= 0 && elems % known == 0) L->shape.dim[free] = elems / known;
    if (big || (free >= 0 && elems % known) || (free < 0 && known != elems)) {
        const char *want = free < 0 || big ? shape_str(&L->shape)
                                           : xasprintf("%s (a multiple of %lld elements)", shape_str(&L->shape),
                                                       (long long)known);
        diag_error(at, "reshape '%s' cannot make %s of its input %s of %lld elements", L->name, want,
                   shape_str(in), (long long)elems);
        return false;
    }
    L->global = !shape_eq(&L->shape, in);   /* positions moved: a receptive field no longer applies */
    return true;
}

static bool dropout_infer(Layer *L, const Shape *in, int nin) {
    double p = attr_float(L, "p");
    if (p < 0 || p >= 1) {
        diag_error(attr_loc(L, "p"), "dropout probability of '%s' must be in [0, 1), got %g", L->name, p);
        return false;
    }
    return op_same_shape(L, in, nin);
}

/* they share their input's buffer; code only when one is the network's output */
static void copy_emit_ref(Emit *e, const Layer *L) {
    emit_line(e, "memcpy(y, x0, sizeof(float) * %lld);", (long long)shape_elems(&L->shape));
}

const OpDesc op_flatten = {
    .name = "flatten", .flags = OPF_IDENTITY, .min_in = 1, .max_in = 1,
    .infer = flatten_infer, .params = op_no_params, .macs = op_no_macs,
    .emit_ref = copy_emit_ref,
};

const OpDesc op_dropout = {
    .name = "dropout", .flags = OPF_IDENTITY, .min_in = 1, .max_in = 1,
    ATTRS(dropout_attrs),
    .infer = dropout_infer, .params = op_no_params, .macs = op_no_macs,
    .emit_ref = copy_emit_ref,
};

const OpDesc op_reshape = {
    .name = "reshape", .flags = OPF_IDENTITY, .min_in = 1, .max_in = 1,
    ATTRS(reshape_attrs),
    .infer = reshape_infer, .params = op_no_params, .macs = op_no_macs,
    .emit_ref = copy_emit_ref,
};
