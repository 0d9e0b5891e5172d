/* reduce.c — reduce_mean, reduce_max, reduce_min and reduce_sum over some
 * per-sample axes (all by default), as torch.mean, torch.amax, torch.amin
 * and torch.sum with keepdim: kept as size 1 (keepdims, the default) or
 * dropped. A result with no axis left is the vector [1]. */
#include "cnnc.h"

static const AttrDesc reduce_attrs[] = {
    {"axes", A_DIMS, .min = -MAX_DIMS},
    {"keepdims", A_BOOL, .idef = 1},
};

static Reduce kind(const Layer *L) {
    return L->op == &op_reduce_max ? RED_MAX : L->op == &op_reduce_min ? RED_MIN : RED_SUM;
}
static bool is_mean(const Layer *L) { return L->op == &op_reduce_mean; }

/* red[a]: axis a of in is reduced; false after reporting a bad entry */
static bool reduced_axes(const Layer *L, const Shape *in, bool *red) {
    int64_t v[MAX_DIMS];
    int n = attr_dims(L, "axes", v);
    for (int a = 0; a < in->rank; a++) red[a] = n == 0;
    for (int i = 0; i < n; i++) {
        int a;
        if (!axis_resolve(L, "axes", v[i], in, &a)) return false;
        if (red[a]) {
            diag_error(attr_loc(L, "axes"), "axis %d appears twice in the axes of %s '%s'", a, L->op->name, L->name);
            return false;
        }
        red[a] = true;
    }
    return true;
}

static bool reduce_infer(Layer *L, const Shape *in, int nin) {
    (void)nin;
    bool red[MAX_RANK], keep = attr_bool(L, "keepdims");
    if (!reduced_axes(L, in, red)) return false;
    L->shape.rank = 0;
    for (int a = 0; a < in->rank; a++) {
        if (keep || !red[a]) L->shape.dim[L->shape.rank++] = red[a] ? 1 : in->dim[a];
        L->global |= a > 0 && red[a] && in->dim[a] > 1;   /* over positions */
    }
    if (L->shape.rank == 0) L->shape.rank = 1, L->shape.dim[0] = 1;
    return true;
}

/* the elements reduced into each output */
static int64_t reduce_count(const Shape *in, const bool *red) {
    int64_t n = 1;
    for (int a = 0; a < in->rank; a++)
        if (red[a]) n *= in->dim[a];
    return n;
}

static const char *reduce_init(const Layer *L) { return emit_reduce_init(kind(L)); }

/* acc combined with v */
static const char *combine(const Layer *L, const char *acc, const char *v) { return emit_reduce_step(kind(L), acc, v); }

/* the value stored: the mean divides */
static const char *finish(const Layer *L, const char *acc, int64_t n) {
    return is_mean(L) ? xasprintf("%s / %lld.0f", acc, (long long)n) : acc;
}

/* for each output, the loops over the reduced axes inside the kept ones */
static void reduce_emit_ref(Emit *e, const Layer *L) {
    const Shape *in = emit_in_shape(e, L, 0);
    bool red[MAX_RANK];
    reduced_axes(L, in, red);
    const char *var[MAX_RANK], *kvar[MAX_RANK];
    int64_t kdim[MAX_RANK];
    int nk = 0;
    for (int a = 0; a < in->rank; a++) {
        var[a] = xasprintf("a%d", a);
        if (!red[a]) kvar[nk] = var[a], kdim[nk++] = in->dim[a], emit_for(e, var[a], in->dim[a]);
    }
    emit_line(e, "float acc = %s;", reduce_init(L));
    for (int a = 0; a < in->rank; a++)
        if (red[a]) emit_for(e, var[a], in->dim[a]);
    emit_line(e, "acc = %s;", combine(L, "acc", xasprintf("x0[%s]", emit_index(in->rank, var, in->dim))));
    emit_close_n(e, in->rank - nk);
    emit_line(e, "y[%s] = %s;", cx_index(nk, kvar, kdim), finish(L, "acc", reduce_count(in, red)));
    emit_close_n(e, nk);
}

/* -O2: axes of size 1 dropped and neighbours of a kind merged; one pass over
 * the input in memory order. A reduced run that is last is summed in a
 * register per output; otherwise the outputs accumulate in y and the inner
 * loop over kept elements vectorizes */
static void reduce_emit(Emit *e, const Layer *L) {
    const Shape *in = emit_in_shape(e, L, 0);
    bool red[MAX_RANK], gred[MAX_RANK];
    reduced_axes(L, in, red);
    int64_t gdim[MAX_RANK], kdim[MAX_RANK], n = reduce_count(in, red), out = shape_elems(&L->shape);
    int m = 0, nk = 0, nred = 0;
    for (int a = 0; a < in->rank; a++) {
        if (in->dim[a] == 1) continue;
        if (m > 0 && gred[m - 1] == red[a]) gdim[m - 1] *= in->dim[a];
        else gred[m] = red[a], gdim[m++] = in->dim[a];
    }
    const char *var[MAX_RANK], *kvar[MAX_RANK];
    for (int g = 0; g < m; g++) {
        var[g] = xasprintf("a%d", g);
        nred += gred[g];
        if (!gred[g]) kvar[nk] = var[g], kdim[nk++] = gdim[g];
    }
    const char *x = xasprintf("x0[%s]", cx_index(m, var, gdim)), *yo = xasprintf("y[%s]", cx_index(nk, kvar, kdim));
    if (nred == 0) {   /* only axes of size 1: each output is its one input */
        emit_line(e, "memcpy(y, x0, sizeof(float) * %lld);", (long long)out);
    } else if (nred == 1 && gred[m - 1]) {   /* [kept..., reduced]: partial results per lane for each output */
        for (int g = 0; g + 1 < m; g++) emit_for(e, var[g], gdim[g]);
        var[m - 1] = "0";
        emit_reduce_run(e, "acc", xasprintf("&x0[%s]", cx_index(m, var, gdim)), gdim[m - 1], kind(L));
        emit_line(e, "%s = %s;", yo, finish(L, "acc", n));
        emit_close_n(e, m - 1);
    } else {
        FOR_SIMD(e, "o", out) emit_line(e, "y[o] = %s;", reduce_init(L));
        for (int g = 0; g + 1 < m; g++) emit_for(e, var[g], gdim[g]);
        if (gred[m - 1]) SCOPE(e) {
            var[m - 1] = "0";
            emit_reduce_run(e, "acc", xasprintf("&x0[%s]", cx_index(m, var, gdim)), gdim[m - 1], kind(L));
            emit_line(e, "%s = %s;", yo, combine(L, yo, "acc"));
        } else {
            FOR_SIMD(e, var[m - 1], gdim[m - 1]) emit_line(e, "%s = %s;", yo, combine(L, yo, x));
        }
        emit_close_n(e, m - 1);
        if (is_mean(L)) FOR_SIMD(e, "o", out) emit_line(e, "y[o] = %s;", finish(L, "y[o]", n));
    }
}

#define REDUCE_DESC(NAME)                                                    \
    const OpDesc op_##NAME = {                                               \
        .name = #NAME, .min_in = 1, .max_in = 1,                             \
        ATTRS(reduce_attrs),                                                 \
        .infer = reduce_infer, .params = op_no_params, .macs = op_no_macs,   \
        .emit_ref = reduce_emit_ref, .emit = reduce_emit,                    \
    }

REDUCE_DESC(reduce_mean);
REDUCE_DESC(reduce_max);
REDUCE_DESC(reduce_min);
REDUCE_DESC(reduce_sum);
