/* fold_bn.c — BatchNorm at test time is a fixed per-channel affine map
 * y = x * scale[c] + shift[c] with
 *   scale = gamma / sqrt(var + eps),  shift = beta - mean * scale.
 * When its input is a linear layer (OPF_LINEAR: convolution, local, dense)
 * whose output nothing else reads, the map folds into that layer's weights
 * and bias: w' = w * scale, b' = b * scale + shift. Anywhere else the
 * BatchNorm stays a scale and shift: an epilogue of the kernel before it
 * (fuse.c) or a kernel of its own. It never folds into the layer *after* it:
 * a shift before a zero-padded convolution is not a bias at the borders. */
#include "cnnc.h"

void fold_bn_mark(Graph *g, const int *uses) {
    for (int i = 1; i < g->n; i++) {
        Layer *L = g->layers[i];
        if (!(L->op->flags & OPF_AFFINE) || L->dead) continue;
        const Layer *p = g->layers[L->in[0]];
        if (p->op && (p->op->flags & OPF_LINEAR) && p->op->fold && (!p->op->foldable || p->op->foldable(p)) &&
            uses[p->id] == 1 && !graph_is_output(g, p->id))
            L->folded = p->id;
    }
}

void fold_bn_apply(Graph *g) {
    for (int i = 1; i < g->n; i++) {
        Layer *L = g->layers[i];
        if (!L->folded) continue;
        int64_t c = L->shape.dim[0];
        float *scale = xcalloc((size_t)c, sizeof(float)), *shift = xcalloc((size_t)c, sizeof(float));
        L->op->affine(L, scale, shift);
        Layer *p = g->layers[L->folded];
        p->op->fold(p, scale, shift);
    }
}
