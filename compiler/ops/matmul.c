/* matmul.c — the matrix product of two values, as torch.matmul and NumPy's
 * matmul on the per-sample shapes: a [..., M, K] by b [..., K, N] gives
 * [..., M, N], the leading axes broadcast (aligned at the last, a missing
 * one or one of size 1 repeated). A vector a [K] is one row [1, K] and a
 * vector b [K] one column [K, 1], the axis dropped from the result. What
 * attention computes: the scores q k^T, and their weights times v.
 *
 * Both emitters see each input as B batches of [M, K] (of [K, N]), an
 * input's batch read at its own offset where it repeats:
 *   y[b, m, n] = sum_k a[b_a, m, k] * b[b_b, k, n] */
#include "cnnc.h"

/* the operands as matrices: the output's leading axes, M, K, N */
typedef struct {
    int nb;                 /* leading (batch) axes of the output */
    int64_t ob[MAX_DIMS];   /* their sizes */
    int64_t ab[MAX_DIMS], bb[MAX_DIMS];   /* each input's, 1 where it has none */
    int64_t M, K, N, batches;
} Mm;

/* a and b's shapes as matrices; false (nothing set) when their leading axes
 * do not broadcast */
static bool mm_of(const Shape *a, const Shape *b, Mm *m) {
    Shape la = {.rank = a->rank > 2 ? a->rank - 2 : 0}, lb = {.rank = b->rank > 2 ? b->rank - 2 : 0}, lo;
    for (int d = 0; d < la.rank; d++) la.dim[d] = a->dim[d];
    for (int d = 0; d < lb.rank; d++) lb.dim[d] = b->dim[d];
    if (!shape_broadcast(&la, &lb, &lo, NULL)) return false;
    *m = (Mm){.nb = lo.rank, .batches = 1};
    for (int d = 0; d < lo.rank; d++) {
        m->ob[d] = lo.dim[d];
        m->ab[d] = d < lo.rank - la.rank ? 1 : la.dim[d - (lo.rank - la.rank)];
        m->bb[d] = d < lo.rank - lb.rank ? 1 : lb.dim[d - (lo.rank - lb.rank)];
        m->batches *= lo.dim[d];
    }
    m->M = a->rank == 1 ? 1 : a->dim[a->rank - 2];
    m->K = a->dim[a->rank - 1];
    m->N = b->rank == 1 ? 1 : b->dim[b->rank - 1];
    return true;
}

MmFit matmul_shape(const Shape *a, const Shape *b, Shape *out) {
    if (a->dim[a->rank - 1] != (b->rank == 1 ? b->dim[0] : b->dim[b->rank - 2])) return MM_INNER;
    Mm m;
    if (!mm_of(a, b, &m)) return MM_LEADING;
    Shape s = {.rank = 0};
    for (int d = 0; d < m.nb; d++) s.dim[s.rank++] = m.ob[d];
    if (a->rank > 1) s.dim[s.rank++] = m.M;
    if (b->rank > 1) s.dim[s.rank++] = m.N;
    if (s.rank == 0) s.dim[s.rank++] = 1;   /* a vector by a vector: one number */
    *out = s;
    return MM_OK;
}

static bool matmul_infer(Layer *L, const Shape *in, int nin) {
    (void)nin;
    const Shape *a = &in[0], *b = &in[1];
    switch (matmul_shape(a, b, &L->shape)) {
    case MM_OK:
        return true;
    case MM_INNER:
        diag_error(L->in_loc[1], "matmul '%s': input 1 %s has %lld columns, input 2 %s %lld rows", L->name,
                   shape_str(a), (long long)a->dim[a->rank - 1], shape_str(b),
                   (long long)(b->rank == 1 ? b->dim[0] : b->dim[b->rank - 2]));
        diag_note((Loc){0}, "a [..., M, K] by b [..., K, N]: a's last axis and b's second to last must be equal");
        return false;
    case MM_LEADING:
        diag_error(L->in_loc[1], "matmul '%s': the leading axes of input 1 %s and input 2 %s do not broadcast",
                   L->name, shape_str(a), shape_str(b));
        diag_note((Loc){0}, "aligned at the last, each axis before the last two must be equal or 1 in one of them");
        return false;
    }
    unreachable();
}

static int64_t matmul_macs(const Layer *L, const Shape *in) {
    (void)L;
    Mm m;
    return mm_of(&in[0], &in[1], &m) ? m.batches * m.M * m.K * m.N : 0;
}

/* the offset of batch `bat` (an expression over the output's batches) in an
 * input whose leading axes are dims (1 where it repeats), of size `mat`
 * floats a matrix */
static const char *batch_at(const Mm *m, const int64_t *dims, int64_t mat, const char *bat) {
    bool same = true;
    for (int d = 0; d < m->nb; d++) same &= dims[d] == m->ob[d];
    if (same) return cx_mul(bat, mat);
    const char *at = "0";
    int64_t inner = 1;   /* output batches per step of axis d */
    for (int d = m->nb - 1; d >= 0; inner *= m->ob[d], d--) {
        if (dims[d] == 1) continue;
        int64_t stride = mat;   /* the input's floats per step of axis d */
        for (int e = d + 1; e < m->nb; e++) stride *= dims[e];
        at = cx_plus(at, cx_mul(cx_mod(cx_div(bat, inner), m->ob[d]), stride));
    }
    return at;
}

/* the channel (first axis) of output element idx, for the epilogue */
static const char *chan_of(const Layer *L, const char *idx) {
    return cx_div(idx, shape_elems(&L->shape) / L->shape.dim[0]);
}

/* "const float *restrict a = ..., *restrict b = ...;" for batch q */
static void batch_operands(Emit *e, const Mm *m, const char *q) {
    emit_line(e, "const float *restrict a = %s;", cx_at("x0", batch_at(m, m->ab, m->M * m->K, q)));
    emit_line(e, "const float *restrict b = %s;", cx_at("x1", batch_at(m, m->bb, m->K * m->N, q)));
}

/* y[q, m, n] = sum_k a[m, k] * b[k, n], one output at a time */
static void matmul_emit_ref(Emit *e, const Layer *L) {
    Mm m;
    if (!mm_of(emit_in_shape(e, L, 0), emit_in_shape(e, L, 1), &m)) unreachable();
    LOOP(e, "q", m.batches) {
        batch_operands(e, &m, loop_var("q", m.batches));
        LOOP(e, "i", m.M) LOOP(e, "j", m.N) {
            const char *i = loop_var("i", m.M), *j = loop_var("j", m.N);
            emit_line(e, "float acc = 0.0f;");
            FOR(e, "k", m.K)
                emit_line(e, "acc += a[%s] * b[%s];", cx_plus(cx_mul(i, m.K), "k"), cx_plus(cx_mul("k", m.N), j));
            const char *at = cx_plus(cx_mul(cx_plus(cx_mul(loop_var("q", m.batches), m.M), i), m.N), j);
            emit_store(e, at, chan_of(L, at), "acc");
        }
    }
}

/* where a tile reads its columns of b and stores them: from column n0 of
 * src (rows ld floats apart: b itself, or the last columns packed into t),
 * to column out0 of y, `lanes` of each vector's 16 stored */
typedef struct {
    const char *src, *n0, *out0;
    int64_t ld;
    int lanes;
} Cols;

/* -O2: register tiles of `rows` rows of a by `cols` vectors of 16 columns
 * of b, each k one broadcast of a[m, k] per row times the row k of b:
 * acc[j][p] += b[k, n + 16 p ..] * a[m + j, k]. Its rows from the
 * expression m0; stored through the epilogue. */
static void mm_tile(Emit *e, const Layer *L, const Mm *m, const char *q, const char *m0, int rows, int cols,
                    const Cols *c) {
    SCOPE(e) {
        emit_line(e, "cnnrt_v16 acc[%d][%d];", rows, cols);
        emit_tile_splat(e, rows, cols, NULL, "0");
        BLOCK(e, "for (int k = 0; k < %lld; k++)", (long long)m->K) {
            const char *brow = cx_plus(cx_mul("k", c->ld), c->n0);
            emit_line(e, "cnnrt_v16 xv[%d];", cols);
            emit_line(e, "%sCNNRT_LOAD16(xv[%s], %s);", loop_head("p", cols), loop_var("p", cols),
                      cx_at(c->src, cx_plus(brow, cx_mul(loop_var("p", cols), 16))));
            emit_line(e, "float wk[%d];", rows);
            emit_line(e, "%swk[%s] = a[%s];", loop_head("j", rows), loop_var("j", rows),
                      cx_plus(cx_mul(cx_plus(m0, loop_var("j", rows)), m->K), "k"));
            emit_tile_fma(e, rows, cols);
        }
        emit_tile_results(e, rows, cols);
        LOOP(e, "j", rows) LOOP(e, "p", cols) {
            const char *j = loop_var("j", rows), *p = loop_var("p", cols);
            emit_line(e, "CNNRT_LANES16(lanes, res[%s][%s]);", j, p);
            const char *row = cx_plus(cx_mul(q, m->M), cx_plus(m0, j));
            emit_line(e, "const size_t at = %s;", cx_plus(cx_mul(cx_size(row), m->N), cx_plus(c->out0, cx_mul(p, 16))));
            emit_line(e, "CNNRT_SIMD16");
            FOR(e, "l", c->lanes) emit_store(e, "at + l", chan_of(L, "(at + l)"), "lanes[l]");
        }
    }
}

/* the rows of one batch against the columns c in tiles `cols` vectors
 * wide: `rows` at a time, then the rows left over */
static void mm_rows(Emit *e, const Layer *L, const Mm *m, const char *q, int rows, int cols, const Cols *c) {
    int64_t full = m->M / rows * rows;
    if (full > rows)
        BLOCK(e, "for (int m0 = 0; m0 < %lld; m0 += %d)", (long long)full, rows) mm_tile(e, L, m, q, "m0", rows, cols, c);
    else if (full)
        mm_tile(e, L, m, q, "0", rows, cols, c);
    if (m->M > full) mm_tile(e, L, m, q, xasprintf("%lld", (long long)full), (int)(m->M - full), cols, c);
}

typedef struct {
    const Layer *L;
    Mm m;
} MmCtx;

/* per batch: the columns in vectors (tiles of 4 vectors by 6 rows on
 * 32 registers, 2 by 3 on 16, each vector two registers there); the
 * columns past the last whole vector copied into t, zero-padded to a
 * vector a row, and done as one */
static void mm_body(Emit *e, const void *ctx, Regs r) {
    const MmCtx *x = ctx;
    const Mm *m = &x->m;
    int cols = r == REGS_WIDE ? 4 : 2, rows = r == REGS_WIDE ? 6 : 3;
    int64_t vecs = m->N / 16, full = vecs / cols * cols, tail = m->N - vecs * 16;
    if (m->M < rows) rows = (int)m->M;
    LOOP(e, "q", m->batches) {
        const char *q = loop_var("q", m->batches);
        batch_operands(e, m, q);
        Cols c = {.src = "b", .n0 = "0", .out0 = "0", .ld = m->N, .lanes = 16};
        if (full > cols) {
            c.n0 = c.out0 = "n0";
            BLOCK(e, "for (int n0 = 0; n0 < %lld; n0 += %d)", (long long)full * 16, cols * 16)
                mm_rows(e, x->L, m, q, rows, cols, &c);
        } else if (full) {
            mm_rows(e, x->L, m, q, rows, cols, &c);
        }
        c.n0 = c.out0 = xasprintf("%lld", (long long)full * 16);
        if (vecs > full) mm_rows(e, x->L, m, q, rows, (int)(vecs - full), &c);
        if (tail) {
            const char *n0 = xasprintf("%lld", (long long)vecs * 16);
            emit_line(e, "/* columns %s .. %lld, zero-padded to 16 a row */", n0, (long long)m->N - 1);
            FOR(e, "k", m->K) FOR_SIMD(e, "l", 16)
                emit_line(e, "t[k * 16 + l] = l < %lld ? b[%s] : 0.0f;", (long long)tail,
                          cx_plus(cx_mul("k", m->N), cx_plus(n0, "l")));
            c = (Cols){.src = "t", .n0 = "0", .out0 = n0, .ld = 16, .lanes = (int)tail};
            mm_rows(e, x->L, m, q, rows, 1, &c);
        }
    }
}

/* -O2: the columns of b past its last whole vector, zero-padded (mm_body),
 * K x 16 floats. b's columns N from the output: its last axis, or 1 where b
 * is a vector (the output has fewer axes than a then, the vector a aside:
 * [K] by [K, N] is [N]) */
static int64_t matmul_temp(const Layer *L, const Shape *in, int opt) {
    int64_t N = L->shape.rank < in->rank ? 1 : L->shape.dim[L->shape.rank - 1];
    return opt >= 2 && N % 16 ? in->dim[in->rank - 1] * 16 : 0;
}

static void matmul_emit_fast(Emit *e, const Layer *L) {
    MmCtx c = {.L = L};
    if (!mm_of(emit_in_shape(e, L, 0), emit_in_shape(e, L, 1), &c.m)) unreachable();
    emit_line(e, "/* %lld x [%lld, %lld] by [%lld, %lld] */", (long long)c.m.batches, (long long)c.m.M,
              (long long)c.m.K, (long long)c.m.K, (long long)c.m.N);
    emit_per_regs(e, &c, true, mm_body);
}

const OpDesc op_matmul = {
    .name = "matmul", .flags = OPF_GLOBAL | OPF_EPILOGUE, .min_in = 2, .max_in = 2,
    .infer = matmul_infer, .params = op_no_params, .macs = matmul_macs,
    .temp = matmul_temp, .emit_ref = matmul_emit_ref, .emit = matmul_emit_fast,
};
