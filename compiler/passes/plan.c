/* plan.c — the pass driver and the scratch arena.
 *
 *   1. layers that cannot reach the output are dropped, with a warning;
 *   2. -O2: per-position layers between a transpose that moves the
 *      channels last and its inverse compute channels-first
 *      (channels_first.c);
 *   3. -O1 and up: BatchNorms fold into the layer before them (fold_bn.c)
 *      and layers fuse into kernels (fuse.c); -O0: one kernel per layer;
 *   4. -O2: each kernel's head chooses its kernel (family, tile, layouts,
 *      scratch), and values between kernels that want it are stored
 *      channel-blocked;
 *   5. the arena: every value a kernel stores lives in the caller's scratch,
 *      except the network input (read only) and output (the caller's
 *      buffer). flatten, dropout and reshape share their producer's
 *      buffer; a constant's readers read its static array. Buffers
 *      are placed by liveness in kernel order, first fit, 64-byte aligned: a
 *      buffer is live from the kernel that writes it to the last kernel that
 *      reads it, and two buffers live at once never overlap. */
#include "cnnc.h"

#include <stdlib.h>
#include <string.h>

/* a buffer in the arena: floats [off, off + size) live from kernel `from`
 * to kernel `to`; *dst receives its offset; blocks of one group (a value and
 * the in-place kernels that write over it) share their offset */
typedef struct { int64_t off, size; int from, to; int64_t *dst; int group; } Block;

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

static int64_t peak(const Block *b, int nb) {
    int64_t top = 0;
    for (int i = 0; i < nb; i++)
        if (b[i].off + b[i].size > top) top = b[i].off + b[i].size;
    return top;
}

/* the second placement, greedy by size (as TensorFlow Lite's arena planner):
 * the largest groups first, each at the lowest offset clear of the placed
 * blocks it shares a kernel with. In kernel order, first fit can leave a
 * hole too small for a later temporary (LeNet-5's conv2 at -O2) */
static void place_by_size(Block *b, int nb) {
    int ng = 0;
    for (int i = 0; i < nb; i++)
        if (b[i].group + 1 > ng) ng = b[i].group + 1;
    int64_t *gsize = xcalloc((size_t)ng, sizeof(int64_t));
    int *order = xcalloc((size_t)ng, sizeof(int));
    bool *placed = xcalloc((size_t)nb, sizeof(bool));
    for (int i = 0; i < nb; i++)
        if (b[i].size > gsize[b[i].group]) gsize[b[i].group] = b[i].size;
    for (int g = 0; g < ng; g++) {   /* insertion sort: largest first, stable */
        int j = g;
        for (; j > 0 && gsize[order[j - 1]] < gsize[g]; j--) order[j] = order[j - 1];
        order[j] = g;
    }
    for (int k = 0; k < ng; k++) {
        int g = order[k];
        int64_t off = 0;
        for (bool moved = true; moved;) {
            moved = false;
            for (int i = 0; i < nb; i++) {
                if (b[i].group != g) continue;
                for (int j = 0; j < nb; j++) {
                    if (!placed[j] || b[j].to < b[i].from || b[j].from > b[i].to) continue;
                    if (off < b[j].off + b[j].size && b[j].off < off + b[i].size) {
                        off = b[j].off + b[j].size;
                        moved = true;
                    }
                }
            }
        }
        for (int i = 0; i < nb; i++)
            if (b[i].group == g) {
                b[i].off = off;
                placed[i] = true;
            }
    }
}

static void mark_dead(Graph *g) {
    bool *live = xcalloc((size_t)g->n, sizeof(bool));
    for (int k = 0; k < g->nout; k++) live[g->outputs[k]] = true;
    for (int i = g->n - 1; i > 0; i--)
        if (live[i])
            for (int k = 0; k < g->layers[i]->nin; k++) live[g->layers[i]->in[k]] = true;
    for (int i = 1; i < g->n; i++)
        if (!live[i]) {
            g->layers[i]->dead = true;
            if (g->nout == 1)
                diag_warning(g->layers[i]->loc, "'%s' does not reach the output '%s'; it is dropped",
                             g->layers[i]->name, g->layers[g->outputs[0]]->name);
            else
                diag_warning(g->layers[i]->loc, "'%s' reaches none of the outputs; it is dropped",
                             g->layers[i]->name);
        }
}

static int *count_uses(const Graph *g) {
    int *uses = xcalloc((size_t)g->n, sizeof(int));
    for (int i = 1; i < g->n; i++)
        if (!g->layers[i]->dead)
            for (int k = 0; k < g->layers[i]->nin; k++) uses[g->layers[i]->in[k]]++;
    return uses;
}

/* the home of each value: itself, or its producer's for flatten, dropout
 * and reshape; a constant that is no kernel lives in its array (PLAN_CONST) */
static void homes(const Graph *g, Plan *p) {
    for (int i = 0; i < g->n; i++) p->home[i] = i;
    /* inside a kernel the value of a fused layer is its kernel's output */
    for (int k = 0; k < p->nkernels; k++)
        for (int j = 0; j < p->kernels[k].n; j++) p->home[p->kernels[k].layers[j]] = p->kernels[k].out;
    for (int i = 1; i < g->n; i++) {
        const Layer *L = g->layers[i];
        if ((L->op->flags & OPF_IDENTITY) && !graph_is_output(g, i) && p->home[i] == i) p->home[i] = p->home[L->in[0]];
        if ((L->op->flags & OPF_SOURCE) && !graph_is_output(g, i)) p->offset[i] = PLAN_CONST;
    }
}

static void arena(const Graph *g, int opt, Plan *p) {
    int n = g->n, nk = p->nkernels;
    int *last = xcalloc((size_t)n, sizeof(int));
    for (int i = 0; i < n; i++) last[i] = -1;
    for (int k = 0; k < nk; k++) {   /* the last kernel reading each home */
        const Kernel *K = &p->kernels[k];
        const Layer *h = g->layers[K->layers[0]];
        for (int i = 0; i < h->nin; i++) last[p->home[h->in[i]]] = k;
        for (int i = 0; i < K->nextra; i++) last[p->home[K->extra[i]]] = k;
    }
    Block *blocks = xcalloc((size_t)2 * (size_t)nk + 1, sizeof(Block));
    int nb = 0, ng = 0;
    int *group = xcalloc((size_t)n, sizeof(int));   /* of each value in scratch */
    p->offset[0] = PLAN_INPUT;
    for (int k = 0; k < nk; k++) {
        const Kernel *K = &p->kernels[k];
        const Layer *out = g->layers[K->out], *h = g->layers[K->layers[0]];
        p->temp[h->id] = -1;
        int src = h->nin ? p->home[h->in[0]] : 0;
        if (graph_is_output(g, K->out)) {
            p->offset[K->out] = PLAN_OUTPUT;
        } else if (opt >= 2 && (h->op->flags & OPF_INPLACE) && src > 0 && p->offset[src] >= 0 && last[src] == k &&
                   shape_elems(&g->layers[src]->shape) == shape_elems(&out->shape)) {
            /* an elementwise kernel over the last use of its input: in place */
            ((Kernel *)K)->inplace = true;
            int to = last[K->out] < k ? k : last[K->out];
            p->offset[K->out] = p->offset[src];
            group[K->out] = group[src];
            blocks[nb++] = (Block){p->offset[src], round_up(shape_elems(&out->shape)), k, to, &p->offset[K->out],
                                   group[src]};
        } else {
            int64_t size = round_up(shape_elems(&out->shape));
            int to = last[K->out] < k ? k : last[K->out];
            p->offset[K->out] = first_fit(blocks, nb, k, to, size);
            group[K->out] = ng;
            blocks[nb++] = (Block){p->offset[K->out], size, k, to, &p->offset[K->out], ng++};
        }
        if (h->op->temp || (opt >= 2 && h->op->choose)) {
            Shape in = g->layers[h->in[0]]->shape;
            int64_t t = round_up(opt >= 2 && h->op->choose ? p->choice[h->id].temp : h->op->temp(h, &in, opt));
            if (t > 0) {
                p->temp[h->id] = first_fit(blocks, nb, k, k, t);
                blocks[nb++] = (Block){p->temp[h->id], t, k, k, &p->temp[h->id], ng++};
            }
        }
    }
    /* first fit in kernel order, or greedy by size when that needs less
     * (quadratic: only for networks of a few thousand kernels) */
    p->scratch_floats = peak(blocks, nb);
    if (nb <= 4000) {
        Block *alt = xcalloc((size_t)nb + 1, sizeof(Block));
        memcpy(alt, blocks, sizeof(Block) * (size_t)nb);
        place_by_size(alt, nb);
        if (peak(alt, nb) < p->scratch_floats) {
            p->scratch_floats = peak(alt, nb);
            for (int i = 0; i < nb; i++) *alt[i].dst = alt[i].off;
        }
    }
}

/* -O2: each kernel's head chooses its kernel (op->choose) up to four times,
 * as the planner learns more of its neighbours: for the layout flags alone;
 * again for the heads next to a kernel that wants blocked neighbours (a
 * depthwise conv with channels in its lanes: ChoiceCtx.near_lanes); again
 * for those of them that feed such a kernel and read a value that its
 * writer may now store blocked, or feed one whose output the layouts so far
 * store blocked (ChoiceCtx.near_both); and, once the layouts are settled,
 * the kernel itself. */
static Choice choose(const Graph *g, const Layer *h, const ChoiceCtx *ctx) {
    Choice c = {0};
    const Shape *ins[MAX_INPUTS];
    for (int i = 0; i < h->nin; i++) ins[i] = &g->layers[h->in[i]]->shape;
    ChoiceCtx with = *ctx;
    with.ins = ins;
    if (h->op->choose) h->op->choose(&c, h, ins[0], &with);
    return c;
}

/* a value read through a reshape of another shape: C order only */
static bool reshaped(const Graph *g, const Plan *p, int id) {
    return !shape_eq(&g->layers[id]->shape, &g->layers[p->home[id]]->shape);
}

/* a value that may be stored blocked: an intermediate [C][H][W] with 16k channels */
static bool blockable(const Graph *g, int id) {
    const Shape *s = &g->layers[id]->shape;
    return !graph_is_output(g, id) && s->rank == 3 && s->dim[0] % 16 == 0;
}

/* p->blocked from the kernels' choices: each value its writer wants
 * blocked, pruned to a fixpoint by its readers */
static void settle(const Graph *g, Plan *p) {
    for (int k = 0; k < p->nkernels; k++) {
        const Kernel *K = &p->kernels[k];
        const Layer *h = g->layers[K->layers[0]];
        p->blocked[K->out] = blockable(g, K->out) && (p->choice[h->id].layout & (LAYOUT_WRITES_BLOCKED | LAYOUT_FOLLOWS));
    }
    for (bool changed = true; changed;) {
        changed = false;
        for (int k = 0; k < p->nkernels; k++) {
            const Kernel *K = &p->kernels[k];
            const Layer *h = g->layers[K->layers[0]];
            for (int i = 0; i < h->nin; i++) {
                int v = p->home[h->in[i]];
                bool ok = i == 0 && (p->choice[h->id].layout & LAYOUT_READS_BLOCKED) && !reshaped(g, p, h->in[i]);
                if (p->blocked[v] && !ok) p->blocked[v] = false, changed = true;
            }
            int in0 = p->home[h->in[0]];
            if ((p->choice[h->id].layout & LAYOUT_FOLLOWS) && p->blocked[in0] != p->blocked[K->out]) {
                p->blocked[in0] = p->blocked[K->out] = false;
                changed = true;
            }
            for (int i = 0; i < K->nextra; i++) {
                int v = p->home[K->extra[i]];
                /* read per channel or as one number: any layout ([C/16][1][1][16] is [C][1][1]) */
                if (bcast_kind(&g->layers[K->extra[i]]->shape, &g->layers[K->out]->shape) != BCAST_SAME) continue;
                if (p->blocked[v] != p->blocked[K->out] || (p->blocked[v] && reshaped(g, p, K->extra[i]))) {
                    p->blocked[v] = p->blocked[K->out] = false;
                    changed = true;
                }
            }
        }
    }
}

/* A value is stored channel-blocked when the kernel that writes it wants to
 * (LAYOUT_WRITES_BLOCKED), it has 16k channels, and every kernel that reads
 * it can: as its input (LAYOUT_READS_BLOCKED), or in its epilogue (a
 * residual add) when that kernel's own output is blocked, since an epilogue
 * reads its extra inputs at the index it stores (unless it reads one per
 * channel or a single number: a [C,1,1] value is the same in both layouts).
 * An elementwise kernel (LAYOUT_FOLLOWS) stores blocked exactly when it reads
 * blocked: both or neither. Dropping one value can
 * spoil another's readers, so the marks are pruned to a fixpoint. The
 * network's input and output stay in C order. */
static void layouts(const Graph *g, const Options *o, Plan *p) {
    p->blocked = xcalloc((size_t)g->n, sizeof(bool));
    p->choice = xcalloc((size_t)g->n, sizeof(Choice));
    if (o->opt < 2) return;
    bool *near = xcalloc((size_t)g->n, sizeof(bool)), *feeds = xcalloc((size_t)g->n, sizeof(bool));
    for (int k = 0; k < p->nkernels; k++) {
        const Layer *h = g->layers[p->kernels[k].layers[0]];
        p->choice[h->id] = choose(g, h, &(ChoiceCtx){.o = o});
    }
    /* the hint: heads next to a kernel that wants blocked neighbours, where
     * its output reaches them directly or through elementwise kernels
     * (LAYOUT_FOLLOWS: a squeeze-excite gate between a depthwise conv and the
     * 1x1 conv after it) */
    bool *beside = xcalloc((size_t)g->n, sizeof(bool));
    for (int k = 0; k < p->nkernels; k++) {
        const Layer *h = g->layers[p->kernels[k].layers[0]];
        if (!(p->choice[h->id].layout & LAYOUT_NEIGHBOURS)) continue;
        memset(beside, 0, (size_t)g->n * sizeof(bool));
        beside[p->kernels[k].out] = true;
        for (int f = k + 1; f < p->nkernels; f++) {   /* kernels in order: readers after writers */
            const Layer *m = g->layers[p->kernels[f].layers[0]];
            if ((p->choice[m->id].layout & LAYOUT_FOLLOWS) && beside[p->home[m->in[0]]]) beside[p->kernels[f].out] = true;
        }
        for (int j = 0; j < p->nkernels; j++) {
            const Layer *c = g->layers[p->kernels[j].layers[0]];
            /* only where the conv's own value can be blocked: else it would
             * scatter its stores (measured 2x slower) */
            if (!c->op->choose || c == h || !blockable(g, p->kernels[j].out)) continue;
            bool feeds_h = p->home[h->in[0]] == p->kernels[j].out;
            if (beside[p->home[c->in[0]]] || feeds_h) near[c->id] = true;
            if (feeds_h) feeds[c->id] = true;
        }
    }
    for (int i = 0; i < g->n; i++)
        if (near[i]) p->choice[i] = choose(g, g->layers[i], &(ChoiceCtx){.o = o, .near_lanes = true});
    /* and those of them that feed such a kernel and read a value that a
     * kernel may now store blocked, or whose depthwise reader keeps its
     * lanes for its own readers' sake (else it transposes a C-order input
     * into them): channel vectors gain on both sides */
    bool *both = xcalloc((size_t)g->n, sizeof(bool));
    settle(g, p);   /* the layouts as the choices so far make them */
    for (int k = 0; k < p->nkernels; k++) {
        const Layer *c = g->layers[p->kernels[k].layers[0]];
        int v = p->home[c->in[0]];
        if (!feeds[c->id]) continue;
        for (int f = 0; f < k && blockable(g, v); f++)   /* the kernel that writes v */
            if (p->kernels[f].out == v) {
                both[c->id] = p->choice[p->kernels[f].layers[0]].layout & LAYOUT_WRITES_BLOCKED;
                break;
            }
        for (int f = k + 1; f < p->nkernels && !both[c->id]; f++)
            if (p->home[g->layers[p->kernels[f].layers[0]]->in[0]] == p->kernels[k].out &&
                (p->choice[p->kernels[f].layers[0]].layout & LAYOUT_NEIGHBOURS))
                both[c->id] = p->blocked[p->kernels[f].out];
    }
    for (int i = 0; i < g->n; i++)
        if (both[i]) p->choice[i] = choose(g, g->layers[i], &(ChoiceCtx){.o = o, .near_lanes = true, .near_both = true});
    settle(g, p);
    for (int k = 0; k < p->nkernels; k++) {
        const Kernel *K = &p->kernels[k];
        const Layer *h = g->layers[K->layers[0]];
        if (!h->op->choose) continue;
        ChoiceCtx ctx = {.o = o, .near_lanes = near[h->id], .near_both = both[h->id], .layouts_known = true,
                         .in_blocked = p->blocked[p->home[h->in[0]]], .out_blocked = p->blocked[K->out]};
        p->choice[h->id] = choose(g, h, &ctx);
    }
}

/* -O2: the parameter of a layer that reads each of its numbers once
 * (OPF_STREAMED: a classifier at batch 1) comes from memory in a network;
 * the last kernel with parameters before it fetches it ahead over its run,
 * where that kernel's family can (KernelFamily.fetch_ahead) and it has the
 * work to hide it: 10 multiply-adds a number (a number from memory takes
 * about as long as 10-20 of them at the peak). Only kernels without
 * parameters (a pool, a flatten) lie between, whose data cannot push it
 * out. From 64 KiB to target_fetch_ahead_bytes */
static void fetch_ahead(const Graph *g, const Options *o, Plan *p) {
    p->ahead = xcalloc((size_t)g->n, sizeof(int));
    int64_t most = target_fetch_ahead_bytes(o);
    if (o->opt < 2 || most == 0) return;
    for (int k = 1; k < p->nkernels; k++) {
        const Layer *s = g->layers[p->kernels[k].layers[0]];
        const Param *w = layer_largest_param(s);
        if (!(s->op->flags & OPF_STREAMED) || !w || s->macs > s->nparams) continue;
        int64_t n = shape_elems(&w->shape);
        if (n * (int64_t)sizeof(float) < 64 * 1024 || n * (int64_t)sizeof(float) > most) continue;
        for (int j = k - 1; j >= 0; j--) {
            const Kernel *K = &p->kernels[j];
            int64_t params = 0;
            for (int i = 0; i < K->n; i++) params += g->layers[K->layers[i]]->nparams;
            if (params == 0) continue;
            const Layer *h = g->layers[K->layers[0]];
            const KernelFamily *f = p->choice[h->id].family;
            if (f && f->fetch_ahead && h->macs >= 10 * n) p->ahead[h->id] = s->id;
            break;
        }
    }
}

/* --dump-passes: the graph as each pass leaves it */
static void dump_layers(FILE *f, const Graph *g, const char *after) {
    fprintf(f, "== after %s\n", after);
    for (int i = 1; i < g->n; i++) {
        const Layer *L = g->layers[i];
        fprintf(f, "  %-16s %-16s %-14s <-", L->name, L->op->name, shape_str(&L->shape));
        for (int k = 0; k < L->nin; k++) fprintf(f, " %s", g->layers[L->in[k]]->name);
        if (L->dead) fprintf(f, "  [dead]");
        if (L->folded) fprintf(f, "  [folded into %s]", g->layers[L->folded]->name);
        fprintf(f, "\n");
    }
}

static void dump_plan(FILE *f, const Graph *g, const Plan *p) {
    fprintf(f, "== after fusion and arena planning: %d kernels, scratch %lld floats\n", p->nkernels,
            (long long)p->scratch_floats);
    for (int k = 0; k < p->nkernels; k++) {
        const Kernel *K = &p->kernels[k];
        int64_t off = p->offset[K->out];
        fprintf(f, "  %2d %-32s -> %s", k, K->name,
                off == PLAN_OUTPUT ? cx_at("output", xasprintf("%lld", (long long)graph_output_at(g, K->out)))
                                   : xasprintf("scratch+%lld", (long long)off));
        if (K->inplace) fprintf(f, " (in place)");
        if (p->blocked[K->out]) fprintf(f, " (channel-blocked)");
        const Layer *h = g->layers[K->layers[0]];
        if (p->temp[h->id] >= 0) fprintf(f, ", temp scratch+%lld", (long long)p->temp[h->id]);
        fprintf(f, "\n");
        const Choice *c = &p->choice[h->id];
        if (c->family) fprintf(f, "       kernel %s: %s\n", c->family->name, c->family->describe(c->tile));
        if (p->ahead[h->id]) {
            const Layer *s = g->layers[p->ahead[h->id]];
            fprintf(f, "       fetches %s.%s ahead\n", s->name, layer_largest_param(s)->name);
        }
    }
}

void plan_build(Graph *g, const Options *o, Plan *p, FILE *dump) {
    memset(p, 0, sizeof *p);
    p->o = o;
    p->home = xcalloc((size_t)g->n, sizeof(int));
    p->offset = xcalloc((size_t)g->n, sizeof(int64_t));
    p->temp = xcalloc((size_t)g->n, sizeof(int64_t));
    for (int i = 0; i < g->n; i++) p->temp[i] = -1;
    if (dump) dump_layers(dump, g, "shape inference");
    mark_dead(g);
    if (dump) dump_layers(dump, g, "dead-layer removal");
    int *uses = count_uses(g);
    if (o->opt >= 2) {
        channels_first(g, uses);
        free(uses);
        uses = count_uses(g);
        if (dump) dump_layers(dump, g, "channels-first rewrite");
    }
    if (o->opt >= 1) fold_bn_mark(g, uses);
    if (dump && o->opt >= 1) dump_layers(dump, g, "BatchNorm folding");
    fuse_kernels(g, o->opt, uses, p);
    homes(g, p);
    layouts(g, o, p);
    fetch_ahead(g, o, p);
    arena(g, o->opt, p);
    if (dump) dump_plan(dump, g, p);
}
