/* constant.c — a tensor of fixed values (a layer scale, a mean to
 * subtract): its parameter `value`, from the weights file or inline. It
 * takes no input (OPF_SOURCE). Its readers read its static array where it
 * is; code is written only when it is the network's output (a copy). */
#include "cnnc.h"

static const AttrDesc constant_attrs[] = {{"shape", A_DIMS, .required = true, .min = 1}};

static bool constant_infer(Layer *L, const Shape *in, int nin) {
    (void)in, (void)nin;
    int64_t v[MAX_DIMS];
    L->shape.rank = attr_dims(L, "shape", v);
    for (int i = 0; i < L->shape.rank; i++) L->shape.dim[i] = v[i];
    return true;
}

static void constant_params(Layer *L, const Shape *in) {
    (void)in;
    add_param(L, "value", L->shape.rank, L->shape.dim);
}

static void constant_emit_ref(Emit *e, const Layer *L) {
    emit_line(e, "memcpy(y, %s, sizeof(float) * %lld);", emit_param(e, L, "value"),
              (long long)shape_elems(&L->shape));
}

const OpDesc op_constant = {
    .name = "constant", .flags = OPF_SOURCE, .min_in = 0, .max_in = 0,
    ATTRS(constant_attrs),
    .infer = constant_infer, .params = constant_params, .macs = op_no_macs,
    .emit_ref = constant_emit_ref,
};
