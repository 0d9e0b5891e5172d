/* merge.c — layers with several inputs: add and mul (elementwise, equal
 * shapes) and concat (along one axis, channels by default). */
#include "cnnc.h"

static const AttrDesc concat_attrs[] = {{"axis", A_INT, .idef = 0, .min = -MAX_RANK}};

static bool eltwise_infer(Layer *L, const Shape *in, int nin) {
    for (int i = 1; i < nin; i++)
        if (!shape_eq(&in[0], &in[i])) {
            diag_error(L->in_loc[i], "%s '%s' needs inputs of equal shape: input 1 is %s, input %d is %s",
                       L->op->name, L->name, shape_str(&in[0]), i + 1, shape_str(&in[i]));
            return false;
        }
    L->shape = in[0];
    return true;
}

/* the axis, negative counting from the end as in PyTorch */
static bool concat_infer(Layer *L, const Shape *in, int nin) {
    int64_t axis = attr_int(L, "axis");
    int rank = in[0].rank;
    if (axis < 0) axis += rank;
    if (axis < 0 || axis >= rank) {
        diag_error(attr_loc(L, "axis"), "axis %lld of concat '%s' is out of range for %s",
                   (long long)attr_int(L, "axis"), L->name, shape_str(&in[0]));
        return false;
    }
    L->shape = in[0];
    for (int i = 1; i < nin; i++) {
        bool ok = in[i].rank == rank;
        for (int d = 0; ok && d < rank; d++) ok = d == axis || in[i].dim[d] == in[0].dim[d];
        if (!ok) {
            diag_error(L->in_loc[i], "concat '%s' along axis %lld: input %d is %s, input 1 is %s",
                       L->name, (long long)axis, i + 1, shape_str(&in[i]), shape_str(&in[0]));
            return false;
        }
        if (!add_ok(L->shape.dim[axis], in[i].dim[axis], &L->shape.dim[axis])) {
            diag_error(L->loc, "concat '%s' overflows 64-bit arithmetic", L->name);
            return false;
        }
    }
    L->axis = (int)axis;
    return true;
}

/* y[i] = x0[i] + x1[i] + ... (or *) */
static void eltwise_emit_ref(Emit *e, const Layer *L) {
    char *sum = xstrdup("x0[i]");
    for (int k = 1; k < L->nin; k++) sum = xasprintf("%s %s x%d[i]", sum, L->op->binop, k);
    FOR_SIMD(e, "i", shape_elems(&L->shape)) emit_line(e, "y[i] = %s;", sum);
}

/* for each index before the axis, each input's block along and after it */
static void concat_emit_ref(Emit *e, const Layer *L) {
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < L->axis; d++) outer *= L->shape.dim[d];
    for (int d = L->axis + 1; d < L->shape.rank; d++) inner *= L->shape.dim[d];
    FOR(e, "o", outer) {
        emit_line(e, "float *restrict out = y + o * %lld;", (long long)(L->shape.dim[L->axis] * inner));
        int64_t at = 0;
        for (int k = 0; k < L->nin; k++) {
            int64_t n = emit_in_shape(e, L, k)->dim[L->axis] * inner;
            emit_line(e, "memcpy(out + %lld, x%d + o * %lld, sizeof(float) * %lld);", (long long)at, k, (long long)n,
                      (long long)n);
            at += n;
        }
    }
}

const OpDesc op_add = {
    .name = "add", .flags = OPF_BINARY | OPF_INPLACE, .min_in = 2, .binop = "+",
    .infer = eltwise_infer, .params = op_no_params, .macs = op_no_macs,
    .emit_ref = eltwise_emit_ref,
};

const OpDesc op_mul = {
    .name = "mul", .flags = OPF_BINARY | OPF_INPLACE, .min_in = 2, .binop = "*",
    .infer = eltwise_infer, .params = op_no_params, .macs = op_no_macs,
    .emit_ref = eltwise_emit_ref,
};

const OpDesc op_concat = {
    .name = "concat", .min_in = 2,
    ATTRS(concat_attrs),
    .infer = concat_infer, .params = op_no_params, .macs = op_no_macs,
    .emit_ref = concat_emit_ref,
};
