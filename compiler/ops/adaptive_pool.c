/* adaptive_pool.c — adaptive average and max pooling in 1-D, 2-D and 3-D,
 * as PyTorch's AdaptiveAvgPool*d and AdaptiveMaxPool*d: in a dimension of I
 * inputs and O outputs, output o pools the inputs [floor(o*I/O),
 * ceil((o+1)*I/O)). Windows overlap when O does not divide I and repeat
 * inputs when O > I; none is empty. out=1 everywhere is global pooling. */
#include "cnnc.h"

static const AttrDesc adaptive_attrs[] = {{"out", A_INTS, .required = true, .min = 1}};

static int adaptive_nd(const Layer *L) {
    const OpDesc *op = L->op;
    if (op == &op_adaptive_avgpool1d || op == &op_adaptive_maxpool1d) return 1;
    if (op == &op_adaptive_avgpool3d || op == &op_adaptive_maxpool3d) return 3;
    return 2;
}

static bool is_max(const Layer *L) {
    return L->op == &op_adaptive_maxpool1d || L->op == &op_adaptive_maxpool2d || L->op == &op_adaptive_maxpool3d;
}

static bool adaptive_infer(Layer *L, const Shape *in, int nin) {
    (void)nin;
    int nd = adaptive_nd(L);
    if (!need_spatial(L, in, nd)) return false;
    L->shape = *in;
    L->win.nd = nd;   /* for OUT_LOOPS and ROW_LOOPS; not OPF_WINDOW: the windows vary */
    return per_dim(L, "out", nd, 1, &L->shape.dim[1]);
}

/* the window of output o: [lo, hi) */
static void window_of(int64_t I, int64_t O, int64_t o, int64_t *lo, int64_t *hi) {
    *lo = o * I / O;
    *hi = ((o + 1) * I + O - 1) / O;
}

/* "acc = v > acc ? v : acc;" or "acc = acc + v;" */
static const char *reduce(const Layer *L, const char *acc, const char *v) {
    return is_max(L) ? xasprintf("%s = %s > %s ? %s : %s;", acc, v, acc, v, acc) : xasprintf("%s = %s + %s;", acc, acc, v);
}

/* the loops over the window positions of the first n dims: for (int ih =
 * ih_lo; ih < ih_hi; ih++) */
static void window_loops(Emit *e, const Layer *L, int n) {
    for (int d = 0; d < n; d++) {
        const char *i = win_var('i', L->win.nd, d);
        emit_open(e, "for (int %s = %s_lo; %s < %s_hi; %s++)", i, i, i, i, i);
    }
}
#define ADAPTIVE_LOOPS(e, L, n) CW_SCOPE(window_loops(e, L, n), emit_close_n(e, n))

/* the window bounds of dimension d from its output variable, or from the tables */
static void emit_bounds(Emit *e, const Layer *L, const Shape *in, int d, bool tables) {
    const char *o = win_var('o', L->win.nd, d), *i = win_var('i', L->win.nd, d);
    if (tables) {
        emit_line(e, "const int %s_lo = %s[%s], %s_hi = %s[%s];", i, emit_param(e, L, xasprintf("%s_lo", i)), o, i,
                  emit_param(e, L, xasprintf("%s_hi", i)), o);
        return;
    }
    long long I = in->dim[1 + d], O = L->shape.dim[1 + d];
    emit_line(e, "const int %s_lo = (int)(%s * %lldLL / %lld), %s_hi = (int)((%s * %lldLL + %lld) / %lld);", i, o, I, O,
              i, o, I, I + O - 1, O);
}

/* the window size of the first n dims, for the average */
static const char *window_size(const Layer *L, int n) {
    const char *s = "1";
    for (int d = 0; d < n; d++) {
        const char *i = win_var('i', L->win.nd, d);
        s = d ? xasprintf("%s * (%s_hi - %s_lo)", s, i, i) : xasprintf("(%s_hi - %s_lo)", i, i);
    }
    return s;
}

static const char *init(const Layer *L) { return is_max(L) ? "-INFINITY" : "0.0f"; }

static void adaptive_emit_ref(Emit *e, const Layer *L) {
    const Shape *in = emit_in_shape(e, L, 0);
    int nd = L->win.nd;
    FOR(e, "c", L->shape.dim[0]) OUT_LOOPS(e, L) {
        for (int d = 0; d < nd; d++) emit_bounds(e, L, in, d, false);
        emit_line(e, "float acc = %s;", init(L));
        ADAPTIVE_LOOPS(e, L, nd) emit_line(e, "%s", reduce(L, "acc", xasprintf("x0[%s]", emit_pixel(in, "c", 'i'))));
        if (!is_max(L)) emit_line(e, "acc /= (float)(%s);", window_size(L, nd));
        emit_store(e, emit_pixel(&L->shape, "c", 'o'), "c", "acc");
    }
}

/* ---- -O2: per output row, the input rows of its window reduced into t
 * over the input width (vectorized), then each output position reduces
 * its columns of t; the windows' bounds as tables */

static void adaptive_emit_data(Emit *e, const Layer *L) {
    const Shape *in = emit_in_shape(e, L, 0);
    for (int d = 0; d < L->win.nd; d++) {
        int64_t I = in->dim[1 + d], O = L->shape.dim[1 + d];
        int64_t *lo = xcalloc((size_t)O, sizeof(int64_t)), *hi = xcalloc((size_t)O, sizeof(int64_t));
        for (int64_t o = 0; o < O; o++) window_of(I, O, o, &lo[o], &hi[o]);
        const char *i = win_var('i', L->win.nd, d), *dn = dim_name(L->win.nd, d);
        emit_int_array(e, xasprintf("%s: the first input %s of each output's window", L->name, dn),
                       emit_param(e, L, xasprintf("%s_lo", i)), lo, O);
        emit_int_array(e, xasprintf("%s: the input %s past each output's window", L->name, dn),
                       emit_param(e, L, xasprintf("%s_hi", i)), hi, O);
    }
}

static int64_t adaptive_temp(const Layer *L, const Shape *in, int opt) {
    int nd = adaptive_nd(L);
    return opt >= 2 && nd > 1 ? in->dim[nd] : 0;
}

static void adaptive_emit_fast(Emit *e, const Layer *L) {
    const Shape *in = emit_in_shape(e, L, 0);
    int nd = L->win.nd, outer = nd - 1;
    long long W = in->dim[nd];
    const char *ow = win_var('o', nd, nd - 1), *iw = win_var('i', nd, nd - 1), *src = "t";
    FOR(e, "c", L->shape.dim[0]) ROW_LOOPS(e, L) {
        for (int d = 0; d < outer; d++) emit_bounds(e, L, in, d, true);
        if (outer == 0) {
            src = "xr";
            emit_line(e, "const float *restrict xr = %s;", cx_at("x0", cx_mul("c", W)));
        } else {
            FOR_SIMD(e, "i", W) emit_line(e, "t[i] = %s;", init(L));
            ADAPTIVE_LOOPS(e, L, outer) {
                const char *vars[MAX_SPATIAL] = {"c"};
                for (int d = 0; d < outer; d++) vars[1 + d] = win_var('i', nd, d);
                emit_line(e, "const float *restrict xr = %s;", cx_at("x0", cx_mul(cx_paren(emit_index(nd, vars, in->dim)), W)));
                FOR_SIMD(e, "i", W) emit_line(e, "%s", reduce(L, "t[i]", "xr[i]"));
            }
        }
        emit_line(e, "const int yo = %s;", row_start(L));
        FOR(e, ow, L->shape.dim[nd]) {
            emit_bounds(e, L, in, nd - 1, true);
            emit_line(e, "float acc = %s;", init(L));
            BLOCK(e, "for (int %s = %s_lo; %s < %s_hi; %s++)", iw, iw, iw, iw, iw)
                emit_line(e, "%s", reduce(L, "acc", xasprintf("%s[%s]", src, iw)));
            if (!is_max(L)) emit_line(e, "acc /= (float)(%s);", window_size(L, nd));
            emit_store(e, xasprintf("yo + %s", ow), "c", "acc");
        }
    }
}

/* receptive field: from the first window's start to the last one's end */
static void adaptive_reads(const Layer *L, const Shape *in, int d, int64_t lo, int64_t hi, int64_t *ilo, int64_t *ihi) {
    int64_t I = in->dim[1 + d], O = L->shape.dim[1 + d], end;
    window_of(I, O, lo, ilo, &end);
    window_of(I, O, hi, &end, ihi);
    (*ihi)--;
}

#define ADAPTIVE_DESC(NAME)                                                         \
    const OpDesc op_##NAME = {                                                      \
        .name = #NAME, .flags = OPF_EPILOGUE, .min_in = 1, .max_in = 1,             \
        ATTRS(adaptive_attrs),                                                      \
        .infer = adaptive_infer, .params = op_no_params, .macs = op_no_macs,        \
        .reads = adaptive_reads,                                                    \
        .emit_data = adaptive_emit_data, .temp = adaptive_temp,                     \
        .emit_ref = adaptive_emit_ref, .emit = adaptive_emit_fast,                  \
    }

ADAPTIVE_DESC(adaptive_avgpool1d);
ADAPTIVE_DESC(adaptive_avgpool2d);
ADAPTIVE_DESC(adaptive_avgpool3d);
ADAPTIVE_DESC(adaptive_maxpool1d);
ADAPTIVE_DESC(adaptive_maxpool2d);
ADAPTIVE_DESC(adaptive_maxpool3d);
