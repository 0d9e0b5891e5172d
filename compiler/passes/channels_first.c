/* channels_first.c — -O2: layers that work on each position's channels,
 * written between a transpose that moves the channels last and the one that
 * moves them back, compute on the channels-first value instead. ConvNeXt's
 * block (and its ONNX export) is the pattern:
 *
 *   transpose(perm=[1,2,0]) -> layernorm(axis=-1) -> dense -> gelu -> dense
 *     -> mul by a [C] layer scale -> transpose(perm=[2,0,1])
 *
 * becomes, on [C,H,W]:
 *
 *   layernorm, dense               -> their op's channels_first hook: the
 *                                     channels of each position normalized;
 *                                     a 1x1 convolution (the tiled kernels)
 *   an activation, dropout         -> the same on the other shape
 *   add/mul/... with a constant [C] -> with the constant as [C,1,...,1]
 *
 * and the two transposes disappear: the first layer reads the transpose's
 * input, the readers of the second read the last layer. Every layer of the
 * run must be read only by the next (and the run ends only at the inverse
 * transpose); a constant only by its layer. The report and the picture show
 * the layers as written (Layer.written). */
#include "cnnc.h"

#include <stdlib.h>
#include <string.h>

/* perm moves axis 0 of a rank-r value last (to_last), or the last axis first */
static bool moves(const Layer *T, int r, bool to_last) {
    int perm[MAX_DIMS];
    if (T->op != &op_transpose || T->dead || T->shape.rank != r || transpose_perm(T, perm) != r) return false;
    for (int i = 0; i < r; i++)
        if (perm[i] != (to_last ? (i + 1) % r : (i + r - 1) % r)) return false;
    return true;
}

/* a constant read along the last axis only: [C], [1,..,1,C], or one number */
static bool along_last(const Graph *g, const int *uses, int id, int64_t C) {
    const Layer *K = g->layers[id];
    if (!K->op || !(K->op->flags & OPF_SOURCE) || uses[id] != 1 || graph_is_output(g, id)) return false;
    int64_t n = shape_elems(&K->shape);
    if (n == 1) return true;
    for (int i = 0; i + 1 < K->shape.rank; i++)
        if (K->shape.dim[i] != 1) return false;
    return n == C;
}

/* can Y, reading `cur` (a value [..., C]), compute each position on its own? */
static bool per_position(const Graph *g, const int *uses, const Layer *cur, Layer *Y) {
    int r = cur->shape.rank;
    if (Y->op->channels_first) return Y->op->channels_first(Y, NULL);
    if (Y->op->flags & OPF_POINTWISE) return Y->nparam == 0;   /* prelu's slope runs along axis 0 */
    if (Y->op->flags & OPF_IDENTITY) return shape_eq(&Y->shape, &cur->shape);
    if (Y->op->flags & OPF_BINARY) {
        if (!shape_eq(&Y->shape, &cur->shape)) return false;
        int mine = 0;
        for (int k = 0; k < Y->nin; k++) {
            if (Y->in[k] == cur->id) mine++;
            else if (!along_last(g, uses, Y->in[k], cur->shape.dim[r - 1])) return false;
        }
        return mine == 1;
    }
    return false;
}

static void keep_written(Layer *L) {
    if (L->written) return;
    Layer *w = xcalloc(1, sizeof *w);
    *w = *L;
    w->in = xcalloc((size_t)L->nin + 1, sizeof(int));
    memcpy(w->in, L->in, sizeof(int) * (size_t)L->nin);
    L->written = w;
}

/* [d1, ..., dr-1, C] -> [C, d1, ..., dr-1] */
static Shape first(const Shape *s) {
    Shape f = *s;
    f.dim[0] = s->dim[s->rank - 1];
    memcpy(f.dim + 1, s->dim, sizeof(int64_t) * (size_t)(s->rank - 1));
    return f;
}

static void rewrite(Graph *g, Layer *T1, int *chain, int n, Layer *T2) {
    for (int j = 0; j < n; j++) {
        Layer *L = g->layers[chain[j]];
        keep_written(L);
        Shape in = g->layers[j ? chain[j - 1] : T1->in[0]]->shape;
        for (int k = 0; k < L->nin; k++) {
            if (L->in[k] == T1->id) {   /* the run's value: no constant to reshape */
                L->in[k] = T1->in[0];
                continue;
            }
            if (j > 0 && L->in[k] == chain[j - 1]) continue;
            Layer *K = g->layers[L->in[k]];   /* a binary op's constant (along_last) */
            if (shape_elems(&K->shape) > 1) {   /* [C] -> [C,1,..,1] */
                keep_written(K);
                K->param[0].stored = K->param[0].shape;
                K->shape = (Shape){.rank = in.rank, .dim = {shape_elems(&K->shape)}};
                for (int i = 1; i < in.rank; i++) K->shape.dim[i] = 1;
                K->param[0].shape = K->shape;
            }
        }
        if (L->op->channels_first) L->op->channels_first(L, &in);
        else L->shape = first(&L->shape);
    }
    for (int i = T2->id + 1; i < g->n; i++)
        for (int k = 0; k < g->layers[i]->nin; k++)
            if (g->layers[i]->in[k] == T2->id) {
                keep_written(g->layers[i]);
                g->layers[i]->in[k] = chain[n - 1];
            }
    T1->dead = T2->dead = true;
}

void channels_first(Graph *g, const int *uses) {
    int *chain = xcalloc((size_t)g->n, sizeof(int));
    for (int i = 1; i < g->n; i++) {
        Layer *T1 = g->layers[i];
        const Shape *x = &g->layers[T1->in[0]]->shape;
        if (x->rank < 2 || !moves(T1, x->rank, true)) continue;
        int n = 0, r = x->rank;
        const Layer *cur = T1;
        Layer *T2 = NULL;
        while (uses[cur->id] == 1 && !graph_is_output(g, cur->id)) {
            int y = graph_first_reader(g, cur->id);
            if (y < 0) break;
            Layer *Y = g->layers[y];
            if (moves(Y, r, false)) {
                if (!graph_is_output(g, y)) T2 = Y;
                break;
            }
            if (!per_position(g, uses, cur, Y)) break;
            chain[n++] = y;
            cur = Y;
        }
        if (T2 && n > 0) rewrite(g, T1, chain, n, T2);
    }
    free(chain);
}
