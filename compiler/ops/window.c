/* window.c — the sliding-window rule that convolutions, pooling, local
 * and pad layers share: resolving kernel, stride, dilation and padding
 * (same, valid, symmetric, per side) per spatial dimension, the output size
 * (window_out() is the one place the formula lives), and the loops their
 * reference emitters write over output and window positions. */
#include "cnnc.h"

#include <string.h>

const char *dim_name(int nd, int i) {
    static const char *const names[] = {"depth", "height", "width"};
    return names[MAX_SPATIAL - nd + i];
}

bool need_spatial(Layer *L, const Shape *in, int nd) {
    if (spatial_dims(in) == nd) return true;
    static const char *const want[] = {"", "[C,W]", "[C,H,W]", "[C,D,H,W]"};
    diag_error(L->loc, "%s '%s' needs a %d-D input %s, got %s", L->op->name, L->name, nd,
               want[nd], shape_str(in));
    return false;
}

bool need_any_spatial(Layer *L, const Shape *in) {
    if (spatial_dims(in) >= 1) return true;
    diag_error(L->loc, "%s '%s' needs a [C, ...] input with spatial dimensions, got %s", L->op->name, L->name,
               shape_str(in));
    return false;
}

__extension__ typedef __int128 i128;

static i128 floordiv(i128 a, i128 b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

int64_t window_out(int64_t in, int64_t k, int64_t s, int64_t pb, int64_t pe, int64_t d, bool ceil) {
    i128 span = (i128)in + pb + pe - (i128)d * (k - 1) - 1;
    i128 o = (ceil ? floordiv(span + s - 1, s) : floordiv(span, s)) + 1;
    if (ceil && o > 1 && (o - 1) * (i128)s >= (i128)in + pb) o--;   /* starts in the end padding */
    if (o > INT64_MAX) return INT64_MAX;
    if (o < INT64_MIN / 2) return INT64_MIN / 2;
    return (int64_t)o;
}

bool attr_count_ok(const Attr *a, const char *name, int nd) {
    if (a->n == 1 || a->n == nd) return true;
    diag_error(a->loc, "attribute '%s' of a %d-D layer takes 1 or %d values, got %d", name, nd, nd, a->n);
    return false;
}

bool per_dim(Layer *L, const char *name, int nd, int64_t def, int64_t *out) {
    const Attr *a = attr_get(L, name);
    if (!a || !a->set) {
        for (int i = 0; i < nd; i++) out[i] = def;
        return true;
    }
    if (!attr_count_ok(a, name, nd)) return false;
    for (int i = 0; i < nd; i++) out[i] = a->v[a->n == 1 ? 0 : i];
    return true;
}

static bool resolve_pad(Layer *L, const Shape *in, Window *w) {
    const Attr *a = attr_get(L, "pad");
    int nd = w->nd;
    for (int i = 0; i < nd; i++) w->pb[i] = w->pe[i] = 0;
    if (!a || !a->set) return true;
    if (a->kw && strcmp(a->kw, "same") == 0) {
        for (int i = 0; i < nd; i++) {
            i128 I = in->dim[1 + i], o = (I + w->s[i] - 1) / w->s[i];
            i128 total = (o - 1) * w->s[i] + (i128)w->d[i] * (w->k[i] - 1) + 1 - I;
            if (total < 0) total = 0;
            if (total > INT64_MAX / 4) {
                diag_error(a->loc, "padding of '%s' overflows 64-bit arithmetic", L->name);
                return false;
            }
            w->pb[i] = (int64_t)(total / 2);
            w->pe[i] = (int64_t)(total - total / 2);
        }
        return true;
    }
    if (a->kw) return true;   /* valid */
    if (a->n == 1 || a->n == nd) {
        for (int i = 0; i < nd; i++) w->pb[i] = w->pe[i] = a->v[a->n == 1 ? 0 : i];
        return true;
    }
    if (a->n == 2 * nd) {
        for (int i = 0; i < nd; i++) {
            w->pb[i] = a->v[i];
            w->pe[i] = a->v[nd + i];
        }
        return true;
    }
    diag_error(a->loc, "attribute 'pad' of a %d-D layer takes 1, %d or %d values, got %d", nd, nd,
               2 * nd, a->n);
    return false;
}

bool window_attrs(Layer *L, const Shape *in, bool stride_is_kernel) {
    Window *w = &L->win;
    int nd = spatial_dims(in);
    w->nd = nd;
    bool ok = per_dim(L, "kernel", nd, 1, w->k);
    const Attr *st = attr_get(L, "stride");
    if (stride_is_kernel && (!st || !st->set))
        memcpy(w->s, w->k, sizeof w->k);
    else
        ok &= per_dim(L, "stride", nd, 1, w->s);
    ok &= per_dim(L, "dilation", nd, 1, w->d);
    return ok && resolve_pad(L, in, w);
}

bool window_resolve(Layer *L, const Shape *in, bool stride_is_kernel, bool ceil, Shape *out) {
    Window *w = &L->win;
    int nd = spatial_dims(in);
    w->ceil = ceil;
    if (!window_attrs(L, in, stride_is_kernel)) return false;
    bool ok = true;
    out->rank = in->rank;
    out->dim[0] = in->dim[0];
    for (int i = 0; i < nd; i++) {
        int64_t I = in->dim[1 + i];
        i128 ext = (i128)w->d[i] * (w->k[i] - 1) + 1, padded = (i128)I + w->pb[i] + w->pe[i];
        if (ext > MAX_WINDOW || padded > MAX_WINDOW || w->s[i] > MAX_WINDOW) {
            diag_error(L->loc, "%s '%s': the %s window is too large (kernel %lld, dilation %lld, stride %lld, "
                       "input %lld padded by %lld+%lld); sizes are limited to %s", L->op->name, L->name,
                       dim_name(nd, i), (long long)w->k[i], (long long)w->d[i], (long long)w->s[i], (long long)I,
                       (long long)w->pb[i], (long long)w->pe[i], commas(MAX_WINDOW));
            return false;
        }
        int64_t o = window_out(I, w->k[i], w->s[i], w->pb[i], w->pe[i], w->d[i], ceil);
        if (o < 1) {
            diag_error(L->loc,
                       "%s '%s': output %s would be %lld (input %lld, padding %lld+%lld, "
                       "kernel %lld, dilation %lld, stride %lld)",
                       L->op->name, L->name, dim_name(nd, i), (long long)o, (long long)I,
                       (long long)w->pb[i], (long long)w->pe[i], (long long)w->k[i],
                       (long long)w->d[i], (long long)w->s[i]);
            ok = false;
        }
        out->dim[1 + i] = o;
    }
    return ok;
}

/* ---- the loops of windowed layers' emitters */

static const char *const out_vars[] = {"od", "oh", "ow"}, *const in_vars[] = {"id", "ih", "iw"},
                         *const k_vars[] = {"kd", "kh", "kw"};

const char *win_var(char kind, int nd, int i) {
    const char *const *v = kind == 'o' ? out_vars : kind == 'i' ? in_vars : k_vars;
    return v[MAX_SPATIAL - nd + i];
}

/* loops over the output positions of a windowed layer: for od, oh, ow */
void emit_out_loops(Emit *e, const Layer *L) {
    for (int i = 0; i < L->win.nd; i++) emit_for(e, win_var('o', L->win.nd, i), L->shape.dim[1 + i]);
}

/* loops over the output rows of a layer with L->win.nd set: for od, oh
 * (every spatial dim but the last); row_start: the flat index of the row's
 * first output, "(c * OD + od) * OH + oh) * OW" */
void emit_row_loops(Emit *e, const Layer *L) {
    for (int i = 0; i + 1 < L->win.nd; i++) emit_for(e, win_var('o', L->win.nd, i), L->shape.dim[1 + i]);
}

const char *row_start(const Layer *L) {
    int nd = L->win.nd;
    const char *vars[MAX_SPATIAL] = {"c"};
    for (int i = 0; i + 1 < nd; i++) vars[1 + i] = win_var('o', nd, i);
    return cx_mul(cx_paren(emit_index(nd, vars, L->shape.dim)), L->shape.dim[nd]);
}

/* inside the output loops: for kd.. { int id = od*s + kd*d - pb; bounds } —
 * mode "skip" continues past positions outside the input, "reflect" and
 * "replicate" fold them back in. Opens nd blocks. */
void emit_window_loops(Emit *e, const Layer *L, const Shape *in, const char *mode) {
    const Window *w = &L->win;
    for (int i = 0; i < w->nd; i++) {
        const char *o = win_var('o', w->nd, i), *k = win_var('k', w->nd, i), *x = win_var('i', w->nd, i);
        int64_t n = in->dim[1 + i];
        emit_for(e, k, w->k[i]);
        emit_line(e, "int %s = %s;", x, cx_add(cx_plus(cx_mul(o, w->s[i]), cx_mul(k, w->d[i])), -w->pb[i]));
        if (strcmp(mode, "skip") == 0 || strcmp(mode, "zeros") == 0)
            emit_line(e, "if (%s < 0 || %s >= %lld) continue;", x, x, (long long)n);
        else if (strcmp(mode, "reflect") == 0)
            emit_line(e, "%s = cnnrt_reflect(%s, %lld);", x, x, (long long)n);
        else
            emit_line(e, "%s = cnnrt_clamp(%s, %lld);", x, x, (long long)n);
    }
}

/* index of [c, id, ih, iw] in a [C, D, H, W] tensor, c an expression */
const char *emit_pixel(const Shape *s, const char *c, char kind) {
    int nd = spatial_dims(s);
    const char *vars[1 + MAX_SPATIAL] = {c};
    for (int i = 0; i < nd; i++) vars[1 + i] = win_var(kind, nd, i);
    return emit_index(1 + nd, vars, s->dim);
}
