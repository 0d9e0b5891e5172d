/* plan.c — kernels and the scratch arena.
 *
 * Every tensor lives in the caller's scratch, except the network input (read
 * only) and the output (written into the caller's buffer). flatten and
 * dropout move no data: they share their producer's buffer. Buffers are placed
 * by liveness, first fit, each 64-byte aligned: a buffer is live from the
 * kernel that writes it to the last kernel that reads it, and two buffers
 * live at once never overlap.
 *
 * A kernel is the code of one or more layers emitted together; this stage
 * keeps one kernel per computing layer. */
#include "cnnc.h"

#include <string.h>

typedef struct { int64_t off, size; int from, to; } Block;

static int64_t round_up(int64_t n) {
    return (n + PLAN_ALIGN_FLOATS - 1) / PLAN_ALIGN_FLOATS * PLAN_ALIGN_FLOATS;
}

/* lowest offset where size floats fit beside every block live in [from, to] */
static int64_t first_fit(const Block *b, int nb, int from, int to, int64_t size) {
    int64_t off = 0;
    for (bool moved = true; moved;) {
        moved = false;
        for (int i = 0; i < nb; i++) {
            if (b[i].to < from || b[i].from > to) continue;
            if (off < b[i].off + b[i].size && b[i].off < off + size) {
                off = b[i].off + b[i].size;
                moved = true;
            }
        }
    }
    return off;
}

void plan_build(const Graph *g, int opt, Plan *p) {
    (void)opt;
    int n = g->n;
    memset(p, 0, sizeof *p);
    p->home = xcalloc((size_t)n, sizeof(int));
    p->offset = xcalloc((size_t)n, sizeof(int64_t));
    p->temp = xcalloc((size_t)n, sizeof(int64_t));
    int *last = xcalloc((size_t)n, sizeof(int));   /* last reader, by home */
    for (int i = 0; i < n; i++) {
        const Layer *L = g->layers[i];
        p->home[i] = i;
        if (L->op && (L->op->flags & OPF_IDENTITY) && i != g->output) p->home[i] = p->home[L->in[0]];
        last[i] = i;
        p->temp[i] = -1;
    }
    for (int i = 1; i < n; i++) {
        const Layer *L = g->layers[i];
        for (int k = 0; k < L->nin; k++) {
            int h = p->home[L->in[k]];
            if (last[h] < i) last[h] = i;
        }
    }
    /* the identity layers extend their home's life to their own readers */
    for (int i = n - 1; i > 0; i--)
        if (p->home[i] != i && last[p->home[i]] < last[i]) last[p->home[i]] = last[i];

    Block *blocks = xcalloc((size_t)2 * (size_t)n + 1, sizeof(Block));
    int nb = 0;
    for (int i = 0; i < n; i++) {
        const Layer *L = g->layers[i];
        if (i == 0) { p->offset[i] = PLAN_INPUT; continue; }
        if (i == g->output) { p->offset[i] = PLAN_OUTPUT; }
        else if (p->home[i] == i) {
            int64_t size = round_up(shape_elems(&L->shape));
            p->offset[i] = first_fit(blocks, nb, i, last[i], size);
            blocks[nb++] = (Block){p->offset[i], size, i, last[i]};
        }
        if (L->op->temp) {
            Shape in = g->layers[L->in[0]]->shape;
            int64_t t = round_up(L->op->temp(L, &in));
            if (t > 0) {
                p->temp[i] = first_fit(blocks, nb, i, i, t);
                blocks[nb++] = (Block){p->temp[i], t, i, i};
            }
        }
    }
    for (int i = 0; i < nb; i++)
        if (blocks[i].off + blocks[i].size > p->scratch_floats)
            p->scratch_floats = blocks[i].off + blocks[i].size;

    p->kernels = xcalloc((size_t)n, sizeof(Kernel));
    for (int i = 1; i < n; i++) {
        if (p->home[i] != i) continue;   /* shares its producer's buffer: no code */
        Kernel *k = &p->kernels[p->nkernels++];
        k->name = g->layers[i]->name;
        k->layers = xcalloc(1, sizeof(int));
        k->layers[0] = i;
        k->n = 1;
    }
}
