/* fuse.c — kernels: a head layer and the epilogue it applies to each value
 * while it is still in a register, before the one store:
 *
 *   conv/local/dense/pool  [+ folded batchnorm] [+ dropout]
 *                          [+ activation | batchnorm scale/shift]*
 *                          [+ add/mul/sub/div/max/min of tensors computed earlier]
 *                          [+ activation | batchnorm]*
 *
 * A layer joins the kernel when it is the only reader of the kernel's value
 * so far (which is not the network's output) and, for the elementwise binary
 * ops, when its other inputs are computed before the head runs, the output
 * has the kernel's shape, and each other input is read at the store's index,
 * per channel ([C,1,1] against [C,H,W]: x[chan]) or is a single number.
 * Without fusion (-O0) every computing layer is its own kernel; flatten,
 * dropout and reshape never are (they share their producer's buffer), nor is
 * a constant (its readers read its array), unless one is the output. */
#include "cnnc.h"

#include <string.h>

/* can Y extend a kernel headed by h whose value so far is layer `tail`? */
static bool joins(const Graph *g, const Layer *h, const Layer *tail, const Layer *Y) {
    if (Y->op->flags & OPF_AFFINE) return true;   /* folded, or scale/shift */
    if (Y->op->flags & OPF_POINTWISE) return true;
    if ((Y->op->flags & OPF_IDENTITY) && shape_eq(&Y->shape, &tail->shape)) return !graph_is_output(g, Y->id);
    if (Y->op->flags & OPF_BINARY) {
        int mine = 0;
        if (!shape_eq(&Y->shape, &tail->shape)) return false;   /* the kernel's value is broadcast */
        for (int k = 0; k < Y->nin; k++) {
            if (Y->in[k] == tail->id) mine++;
            else if (Y->in[k] >= h->id && !(g->layers[Y->in[k]]->op->flags & OPF_SOURCE))
                return false;   /* not computed yet (a constant always is) */
            else if (bcast_kind(&g->layers[Y->in[k]]->shape, &Y->shape) == BCAST_OTHER) return false;
        }
        return mine == 1;
    }
    return false;
}

static void add_kernel(const Graph *g, Plan *p, int *ids, int n, int *extra, int nextra) {
    Kernel *K = &p->kernels[p->nkernels++];
    K->layers = xcalloc((size_t)n, sizeof(int));
    memcpy(K->layers, ids, sizeof(int) * (size_t)n);
    K->n = n;
    K->extra = xcalloc((size_t)nextra + 1, sizeof(int));
    memcpy(K->extra, extra, sizeof(int) * (size_t)nextra);
    K->nextra = nextra;
    K->out = ids[n - 1];
    char *name = xstrdup(g->layers[ids[0]]->name);
    for (int j = 1; j < n; j++)
        if (!(g->layers[ids[j]]->op->flags & OPF_IDENTITY)) name = xasprintf("%s+%s", name, g->layers[ids[j]]->name);
    K->name = name;
}

void fuse_kernels(const Graph *g, int opt, const int *uses, Plan *p) {
    int *ids = xcalloc((size_t)g->n, sizeof(int)), *extra = xcalloc((size_t)g->n, sizeof(int));
    bool *done = xcalloc((size_t)g->n, sizeof(bool));
    p->kernels = xcalloc((size_t)g->n, sizeof(Kernel));
    for (int i = 1; i < g->n; i++) {
        const Layer *h = g->layers[i];
        if (h->dead || done[i]) continue;
        if ((h->op->flags & (OPF_IDENTITY | OPF_SOURCE)) && !graph_is_output(g, i)) continue;   /* an alias, a constant */
        int n = 0, nextra = 0;
        ids[n++] = i;
        const Layer *tail = h;
        while (opt >= 1 && (h->op->flags & OPF_EPILOGUE) && !graph_is_output(g, tail->id) && uses[tail->id] == 1) {
            int y = graph_first_reader(g, tail->id);
            if (y < 0 || !joins(g, h, tail, g->layers[y])) break;
            const Layer *Y = g->layers[y];
            for (int k = 0; k < Y->nin; k++)
                if (Y->in[k] != tail->id) extra[nextra++] = Y->in[k];
            ids[n++] = y;
            done[y] = true;
            tail = Y;
        }
        add_kernel(g, p, ids, n, extra, nextra);
    }
}
