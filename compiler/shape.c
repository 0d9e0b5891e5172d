/* shape.c — shape inference: every layer's op rule in topological order,
 * then its parameters and MACs, with limits checked (tensor elements,
 * parameter bytes) so no later stage can overflow. A layer whose input shape
 * is unknown after an error is skipped silently: one error, one message. */
#include "cnnc.h"

#include <stdlib.h>
#include <string.h>

int spatial_dims(const Shape *s) { return s->rank - 1; }

void shape_around(const Shape *s, int axis, int64_t *outer, int64_t *inner) {
    *outer = *inner = 1;
    for (int d = 0; d < axis; d++) *outer *= s->dim[d];
    for (int d = axis + 1; d < s->rank; d++) *inner *= s->dim[d];
}

bool shape_broadcast(const Shape *a, const Shape *b, Shape *out, int *bad_axis) {
    Shape r = {.rank = a->rank > b->rank ? a->rank : b->rank};
    for (int d = 0; d < r.rank; d++) {   /* d: axes from the last */
        int64_t x = d < a->rank ? a->dim[a->rank - 1 - d] : 1, y = d < b->rank ? b->dim[b->rank - 1 - d] : 1;
        if (x != y && x != 1 && y != 1) {
            if (bad_axis) *bad_axis = d;
            return false;
        }
        r.dim[r.rank - 1 - d] = x == 1 ? y : x;
    }
    *out = r;
    return true;
}

Bcast bcast_kind(const Shape *in, const Shape *out) {
    int64_t n = shape_elems(in);
    if (n == shape_elems(out)) return BCAST_SAME;
    if (n == 1) return BCAST_SCALAR;
    if (in->rank == out->rank && in->dim[0] == out->dim[0] && n == in->dim[0]) return BCAST_CHANNEL;
    return BCAST_OTHER;
}

int64_t shape_elems(const Shape *s) {
    int64_t n = 1;
    for (int i = 0; i < s->rank; i++)
        if (!mul_ok(n, s->dim[i], &n)) return INT64_MAX;
    return n;
}

const char *shape_str(const Shape *s) {
    static char ring[8][128];
    static int k;
    char *out = ring[k++ & 7];
    size_t n = 0;
    out[n++] = '[';
    for (int i = 0; i < s->rank; i++)
        n += (size_t)snprintf(out + n, 128 - n, "%s%lld", i ? "," : "", (long long)s->dim[i]);
    snprintf(out + n, 128 - n, "]");
    return out;
}

bool shape_eq(const Shape *a, const Shape *b) {
    if (a->rank != b->rank) return false;
    for (int i = 0; i < a->rank; i++)
        if (a->dim[i] != b->dim[i]) return false;
    return true;
}

/* inline values must match a parameter of the layer, element for element */
static void check_inline(Layer *L) {
    for (int i = 0; i < L->ninl; i++) {
        const Inline *in = &L->inl[i];
        const Param *p = NULL;
        for (int k = 0; k < L->nparam; k++)
            if (strcmp(L->param[k].name, in->key) == 0) p = &L->param[k];
        if (!p) {
            diag_error(in->loc, "%s '%s' has no parameter '%s'%s", L->op->name, L->name, in->key,
                       strcmp(in->key, "bias") == 0 ? " (bias=false)" : "");
            continue;
        }
        int64_t want = shape_elems(&p->shape);
        if (in->n != want)
            diag_error(in->loc, "'%s' of %s '%s' needs %lld values for shape %s%s, got %lld", in->key,
                       L->op->name, L->name, (long long)want, shape_str(&p->shape), p->one_ok ? " (or 1)" : "",
                       (long long)in->n);
    }
}

static bool infer_layer(Layer *L, const Graph *g, int64_t *param_bytes) {
    if (L->bad) return false;
    Shape *in = xcalloc((size_t)L->nin + 1, sizeof(Shape));
    for (int i = 0; i < L->nin; i++) {
        in[i] = g->layers[L->in[i]]->shape;
        if (in[i].rank == 0) return false;   /* reported upstream */
    }
    if (!L->op->infer(L, in, L->nin)) {
        L->shape.rank = 0;
        return false;
    }
    int64_t elems = shape_elems(&L->shape);
    if (elems > MAX_ELEMS) {
        diag_error(L->loc, "output of %s '%s' %s has %s elements; the limit is %s", L->op->name,
                   L->name, shape_str(&L->shape), elems == INT64_MAX ? "too many" : commas(elems),
                   commas(MAX_ELEMS));
        L->shape.rank = 0;
        return false;
    }
    L->op->params(L, in);
    for (int k = 0; k < L->nparam; k++) {
        int64_t n = shape_elems(&L->param[k].shape);
        if (n > MAX_ELEMS || !add_ok(L->nparams, n, &L->nparams) ||
            !add_ok(*param_bytes, 4 * n, param_bytes) || *param_bytes > MAX_PARAM_BYTES) {
            diag_error(L->loc, "parameter '%s.%s' %s is too large: all parameters together are "
                       "limited to %s bytes", L->name, L->param[k].name,
                       shape_str(&L->param[k].shape), commas(MAX_PARAM_BYTES));
            L->shape.rank = 0;
            return false;
        }
    }
    L->macs = L->op->macs(L, in);
    check_inline(L);
    return true;
}

/* whether L sees its whole input (or its inputs do): the receptive field
 * is then the input's size */
static void field(Layer *L, const Graph *g) {
    L->global = L->global || (L->op->flags & OPF_GLOBAL);   /* infer may have set it */
    int nd = spatial_dims(&g->layers[0]->shape);
    for (int i = 0; i < L->nin && nd > 0; i++) L->global |= g->layers[L->in[i]]->global;
}

/* the input positions [*ilo, *ihi] of spatial dimension d that output
 * positions [lo, hi] of L read through its input in0; false on overflow.
 * A window reads its padding too (the field is not capped by the input's
 * edges); an op of OpDesc.reads maps only its output's own positions (the
 * padding of a layer after it reads nothing) */
static bool reads(const Layer *L, const Layer *in0, int d, int nd, int64_t lo, int64_t hi, int64_t *ilo, int64_t *ihi) {
    bool same = spatial_dims(&in0->shape) == nd && spatial_dims(&L->shape) == nd;
    if (L->op->flags & OPF_WINDOW && same && L->win.nd == nd) {
        const Window *w = &L->win;
        int64_t span;
        return mul_ok(lo, w->s[d], ilo) && add_ok(*ilo, -w->pb[d], ilo) && mul_ok(hi, w->s[d], ihi) &&
               add_ok(*ihi, -w->pb[d], ihi) && mul_ok(w->k[d] - 1, w->d[d], &span) && add_ok(*ihi, span, ihi);
    }
    if (L->op->reads && same) {
        int64_t O = L->shape.dim[1 + d];
        lo = lo < 0 ? 0 : lo;
        hi = hi > O - 1 ? O - 1 : hi;
        if (lo > hi) {   /* only padding: nothing */
            *ilo = 1, *ihi = 0;
            return true;
        }
        L->op->reads(L, &in0->shape, d, lo, hi, ilo, ihi);
        return true;
    }
    *ilo = lo, *ihi = hi;
    return true;
}

/* positions of an output examined (the first ones of a longer output: a
 * bound on the time, not a measured period) */
#define FIELD_POSITIONS 65536

/* of the network: the largest of its outputs', per spatial dimension of the
 * input: the most input positions one output position reads, found by
 * following each output position back through the graph (the hull of the
 * positions where branches meet) */
int receptive_field(const Graph *g, int64_t *rf) {
    const Layer *in = g->layers[0];
    int nd = spatial_dims(&in->shape);
    int64_t(*need)[2] = xcalloc((size_t)g->n, sizeof *need);
    for (int d = 0; d < nd; d++) {
        rf[d] = 0;
        for (int k = 0; k < g->nout; k++) {
            int oi = g->outputs[k];
            const Layer *out = g->layers[oi];
            int64_t O = spatial_dims(&out->shape) == nd ? out->shape.dim[1 + d] : 1, r = 0;
            bool global = out->global;
            for (int64_t o = 0; o < O && o < FIELD_POSITIONS && !global; o++) {
                for (int i = 0; i <= oi; i++) need[i][0] = 1, need[i][1] = 0;   /* empty */
                need[oi][0] = need[oi][1] = o;
                for (int li = oi; li > 0 && !global; li--) {
                    const Layer *L = g->layers[li];
                    if (need[li][0] > need[li][1]) continue;
                    for (int i = 0; i < L->nin; i++) {
                        int64_t lo, hi, *n = need[L->in[i]];
                        if (!reads(L, g->layers[L->in[i]], d, nd, need[li][0], need[li][1], &lo, &hi)) {
                            global = true;   /* positions past int64: as a global layer */
                            break;
                        }
                        if (lo > hi) continue;
                        if (n[0] > n[1]) n[0] = lo, n[1] = hi;
                        else n[0] = lo < n[0] ? lo : n[0], n[1] = hi > n[1] ? hi : n[1];
                    }
                }
                if (need[0][0] <= need[0][1] && need[0][1] - need[0][0] + 1 > r) r = need[0][1] - need[0][0] + 1;
            }
            if (global) r = in->shape.dim[1 + d];
            if (r > rf[d]) rf[d] = r;
        }
    }
    free(need);
    return nd;
}

bool shape_infer(Graph *g) {
    int errs = diag_error_count();
    int64_t param_bytes = 0;
    for (int i = 1; i < g->n; i++) {
        Layer *L = g->layers[i];
        if (infer_layer(L, g, &param_bytes)) field(L, g);
    }
    return diag_error_count() == errs;
}
