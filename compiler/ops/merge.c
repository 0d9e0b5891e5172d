/* merge.c — layers with several inputs: the elementwise add, mul, sub, div,
 * max and min, the comparisons (greater, less, greater_equal, less_equal,
 * equal, not_equal: 1 where true, else 0) and where (a condition and two
 * values), which broadcast their inputs as NumPy does, and concat (along one
 * axis, channels by default).
 *
 * Broadcasting aligns the per-sample shapes at their last axis; a missing
 * leading axis counts as 1, and along each axis the inputs' sizes must be
 * equal or 1. max and min propagate NaN as torch.maximum and torch.minimum
 * (fmaxf and fminf would drop it); div by zero gives IEEE infinities and NaN. */
#include "cnnc.h"

static const AttrDesc concat_attrs[] = {{"axis", A_INT, .idef = 0, .min = -MAX_RANK}};

/* dimension d of s counted from the last axis (1 beyond its rank) */
static int64_t dim_from_end(const Shape *s, int d) { return d < s->rank ? s->dim[s->rank - 1 - d] : 1; }

static bool bcast_infer(Layer *L, const Shape *in, int nin) {
    Shape out = in[0];
    for (int i = 1; i < nin; i++) {
        int d;
        if (shape_broadcast(&out, &in[i], &out, &d)) continue;
        int64_t o = dim_from_end(&out, d), b = dim_from_end(&in[i], d);
        int j = 0;   /* the earlier input that set this size */
        while (dim_from_end(&in[j], d) != o) j++;
        diag_error(L->in_loc[i], "%s '%s' cannot broadcast input %d %s with input %d %s", L->op->name, L->name,
                   j + 1, shape_str(&in[j]), i + 1, shape_str(&in[i]));
        diag_note((Loc){0}, "aligned at the last axis, the sizes of each axis must be equal or 1 "
                  "(%lld and %lld are not)", (long long)o, (long long)b);
        return false;
    }
    L->shape = out;
    /* add and mul commute: the input of the output's shape first, which the
     * plan may lay out channel-blocked (a squeeze-excite's scale * x) */
    if (nin == 2 && (L->op == &op_add || L->op == &op_mul) && !shape_eq(&in[0], &out) && shape_eq(&in[1], &out)) {
        int t = L->in[0];
        L->in[0] = L->in[1], L->in[1] = t;
        Loc l = L->in_loc[0];
        L->in_loc[0] = L->in_loc[1], L->in_loc[1] = l;
    }
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

/* x0[i0] op x1[i1] op ...: the inputs at their indices, combined left to
 * right; an index NULL reads the input's value held in sK, or (held set)
 * the held expression with K for the input's number */
static const char *combine_held(const Layer *L, const char *const *idx, const char *held) {
    const char *xs[MAX_INPUTS];
    for (int k = 0; k < L->nin; k++) xs[k] = idx[k] ? xasprintf("x%d[%s]", k, idx[k]) : xasprintf(held ? held : "s%d", k);
    return op_combine(L->op, L->nin, xs);
}

/* the values of an OPF_BINARY layer's inputs combined: left to right, or
 * (a function of three numbers: where) in one call */
const char *op_combine(const OpDesc *op, int n, const char *const *xs) {
    if (op->min_in == 3) return xasprintf("%s(%s, %s, %s)", op->binop, xs[0], xs[1], xs[2]);
    const char *v = xs[0];
    for (int k = 1; k < n; k++) v = cx_binop(op->binop, v, xs[k]);
    return v;
}

static const char *combine(const Layer *L, const char *const *idx) { return combine_held(L, idx, NULL); }

/* the flat index into a value of shape s at the output position vars (of
 * the output's rank); an axis of size 1 reads index 0 */
static const char *bcast_index(const Shape *s, int rank, const char *const *vars) {
    const char *idx = "0";
    for (int d = 0; d < s->rank; d++) idx = cx_plus(cx_mul(idx, s->dim[d]), s->dim[d] == 1 ? "0" : vars[rank - s->rank + d]);
    return idx;
}

/* one loop per output axis from axis d in, then the store */
static void ref_loops(Emit *e, const Layer *L, int d, const char **vars) {
    if (d == L->shape.rank) {
        const char *idx[MAX_INPUTS];
        for (int k = 0; k < L->nin; k++) idx[k] = bcast_index(emit_in_shape(e, L, k), d, vars);
        emit_line(e, "y[%s] = %s;", bcast_index(&L->shape, d, vars), combine(L, idx));
        return;
    }
    const char *v = xasprintf("i%d", d);
    vars[d] = loop_var(v, L->shape.dim[d]);
    LOOP(e, v, L->shape.dim[d]) ref_loops(e, L, d + 1, vars);
}

/* y[i] = x0[i] + x1[i] + ... when no input is broadcast; else a loop per
 * output axis, each input read at its own index */
static void eltwise_emit_ref(Emit *e, const Layer *L) {
    bool same = true;
    for (int k = 0; k < L->nin; k++) same &= bcast_kind(emit_in_shape(e, L, k), &L->shape) == BCAST_SAME;
    if (!same) {
        const char *vars[MAX_RANK];
        ref_loops(e, L, 0, vars);
        return;
    }
    const char *idx[MAX_INPUTS];
    for (int k = 0; k < L->nin; k++) idx[k] = "i";
    FOR_SIMD(e, "i", shape_elems(&L->shape)) emit_line(e, "y[i] = %s;", combine(L, idx));
}

/* -O2: the output's axes of size > 1 with neighbours merged where every
 * input either runs along both or repeats along both: [C,H,W] * [C,1,1] is
 * C rows of H*W, the second input one number a row. The innermost loop is a
 * vectorizable pass in which each input runs or stays. */
typedef struct {
    int n;                            /* merged axes */
    int64_t size[MAX_RANK];
    bool runs[MAX_RANK][MAX_INPUTS];  /* input k runs along axis j (else repeats) */
} Merged;

static void merge_axes(Emit *e, const Layer *L, Merged *m) {
    const Shape *out = &L->shape;
    m->n = 0;
    for (int d = 0; d < out->rank; d++) {
        if (out->dim[d] == 1) continue;
        bool runs[MAX_INPUTS], same = m->n > 0;
        for (int k = 0; k < L->nin; k++) {
            runs[k] = dim_from_end(emit_in_shape(e, L, k), out->rank - 1 - d) != 1;
            same &= m->n > 0 && runs[k] == m->runs[m->n - 1][k];
        }
        if (same) {
            m->size[m->n - 1] *= out->dim[d];
            continue;
        }
        m->size[m->n] = out->dim[d];
        for (int k = 0; k < L->nin; k++) m->runs[m->n][k] = runs[k];
        m->n++;
    }
}

/* the index of input k (k < 0: the output) over the merged axes */
static const char *merged_index(const Merged *m, int k, const char *const *vars) {
    const char *idx = "0";
    for (int j = 0; j < m->n; j++)
        if (k < 0 || m->runs[j][k]) idx = cx_plus(cx_mul(idx, m->size[j]), vars[j]);
    return idx;
}

/* the loops over the merged axes; an input that stays along the innermost
 * one is read into a register before it (sK) */
static void fast_loops(Emit *e, const Layer *L, const Merged *m, int j, const char **vars, const bool *held) {
    if (j == m->n) {
        const char *idx[MAX_INPUTS];
        for (int k = 0; k < L->nin; k++) idx[k] = held[k] ? NULL : merged_index(m, k, vars);
        emit_line(e, "y[%s] = %s;", merged_index(m, -1, vars), combine(L, idx));
        return;
    }
    if (j < m->n - 1) {
        vars[j] = xasprintf("i%d", j);
        FOR(e, vars[j], m->size[j]) fast_loops(e, L, m, j + 1, vars, held);
        return;
    }
    bool hold[MAX_INPUTS];
    for (int k = 0; k < L->nin; k++)
        if ((hold[k] = !m->runs[j][k])) emit_line(e, "const float s%d = x%d[%s];", k, k, merged_index(m, k, vars));
    vars[j] = "i";
    FOR_SIMD(e, vars[j], m->size[j]) fast_loops(e, L, m, j + 1, vars, hold);
}

/* -O2 layouts: a [C,H,W] input 0 of the output's shape, the others one
 * number per channel or in all (a squeeze-excite gate): blocked or not as
 * input 0 is, [C/16][H*W][16] read and stored in one pass, each other
 * input at the position's channel (a [C,1,1] value is the same in both
 * layouts). Another input of the output's shape would have to be blocked
 * too, which the plan does not do for a second input. */
static void eltwise_choose(Choice *c, const Layer *L, const Shape *in, const ChoiceCtx *ctx) {
    if (in->rank != 3 || !shape_eq(in, &L->shape)) return;
    for (int k = 1; k < L->nin; k++)
        if (bcast_kind(ctx->ins[k], &L->shape) != BCAST_CHANNEL && bcast_kind(ctx->ins[k], &L->shape) != BCAST_SCALAR) return;
    c->layout = LAYOUT_READS_BLOCKED | LAYOUT_FOLLOWS;
}

static void eltwise_blocked(Emit *e, const Layer *L) {
    int64_t C = L->shape.dim[0], HW = L->shape.dim[1] * L->shape.dim[2];
    emit_line(e, "/* channel-blocked [%lld][%lld][16]; the other inputs' 16 numbers of a block held in sK */",
              (long long)(C / 16), (long long)HW);
    FOR(e, "cb", C / 16) {
        const char *idx[MAX_INPUTS] = {"base + l"};
        for (int k = 1; k < L->nin; k++) {
            bool one = bcast_kind(emit_in_shape(e, L, k), &L->shape) == BCAST_SCALAR;
            emit_line(e, "float s%d[16];", k);
            emit_line(e, "for (int l = 0; l < 16; l++) s%d[l] = x%d[%s];", k, k, one ? "0" : "cb * 16 + l");
            idx[k] = NULL;
        }
        FOR(e, "q", HW) {
            emit_line(e, "const size_t base = ((size_t)cb * %lld + q) * 16;", (long long)HW);
            emit_line(e, "CNNRT_SIMD16_ROLLED");
            FOR(e, "l", 16) emit_store(e, "base + l", "cb * 16 + l", combine_held(L, idx, "s%d[l]"));
        }
    }
}

static void eltwise_emit(Emit *e, const Layer *L) {
    if (emit_blocked(e, L->in[0])) {
        eltwise_blocked(e, L);
        return;
    }
    Merged m;
    merge_axes(e, L, &m);
    const char *vars[MAX_RANK];
    bool held[MAX_INPUTS] = {false};
    fast_loops(e, L, &m, 0, vars, held);
}

/* for each index before the axis, each input's block along and after it */
static void concat_emit_ref(Emit *e, const Layer *L) {
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < L->axis; d++) outer *= L->shape.dim[d];
    for (int d = L->axis + 1; d < L->shape.rank; d++) inner *= L->shape.dim[d];
    const char *o = loop_var("o", outer);
    LOOP(e, "o", outer) {
        emit_line(e, "float *restrict out = %s;", cx_at("y", cx_mul(o, L->shape.dim[L->axis] * inner)));
        int64_t at = 0;
        for (int k = 0; k < L->nin; k++) {
            int64_t n = emit_in_shape(e, L, k)->dim[L->axis] * inner;
            emit_line(e, "memcpy(%s, %s, sizeof(float) * %lld);", cx_add("out", at), cx_at(xasprintf("x%d", k), cx_mul(o, n)),
                      (long long)n);
            at += n;
        }
    }
}

#define BINARY_DESC(NAME, OP, MIN_IN, MAX_IN, FLAGS)                                             \
    const OpDesc op_##NAME = {                                                                   \
        .name = #NAME, .flags = OPF_BINARY | OPF_INPLACE | (FLAGS), .min_in = MIN_IN, .max_in = MAX_IN, .binop = OP, \
        .infer = bcast_infer, .params = op_no_params, .macs = op_no_macs,                        \
        .emit_ref = eltwise_emit_ref, .emit = eltwise_emit, .choose = eltwise_choose,             \
    }

BINARY_DESC(add, "+", 2, 0, 0);
BINARY_DESC(mul, "*", 2, 0, 0);
BINARY_DESC(sub, "-", 2, 2, 0);
BINARY_DESC(div, "/", 2, 2, 0);
BINARY_DESC(max, "cnnrt_max", 2, 0, 0);
BINARY_DESC(min, "cnnrt_min", 2, 0, 0);
BINARY_DESC(greater, "cnnrt_greater", 2, 2, OPF_CONDITION);
BINARY_DESC(less, "cnnrt_less", 2, 2, OPF_CONDITION);
BINARY_DESC(greater_equal, "cnnrt_greater_equal", 2, 2, OPF_CONDITION);
BINARY_DESC(less_equal, "cnnrt_less_equal", 2, 2, OPF_CONDITION);
BINARY_DESC(equal, "cnnrt_equal", 2, 2, OPF_CONDITION);
BINARY_DESC(not_equal, "cnnrt_not_equal", 2, 2, OPF_CONDITION);
BINARY_DESC(where, "cnnrt_where", 3, 3, 0);

const OpDesc op_concat = {
    .name = "concat", .min_in = 2,
    ATTRS(concat_attrs),
    .infer = concat_infer, .params = op_no_params, .macs = op_no_macs,
    .emit_ref = concat_emit_ref,
};
