/* pad.c — the pad layer: grows each spatial dimension by its begin and end
 * padding, filled with a constant (zeros/constant mode, `value`), the mirror
 * image without the edge (reflect) or the edge value (replicate), as
 * PyTorch's F.pad. */
#include "cnnc.h"

#include <string.h>

static const char *const modes[] = {"zeros", "constant", "reflect", "replicate", NULL};

static const AttrDesc pad_attrs[] = {
    {"pad", A_PAD, .required = true, .min = 0},
    {"mode", A_KEYWORD, .words = modes},
    {"value", A_FLOAT, .fdef = 0.0},
};

static bool pad_infer(Layer *L, const Shape *in, int nin) {
    (void)nin;
    if (!need_any_spatial(L, in)) return false;
    int nd = spatial_dims(in);
    const Attr *p = attr_get(L, "pad");
    if (p->kw && strcmp(p->kw, "same") == 0) {
        diag_error(p->loc, "pad layer '%s' takes explicit padding, not 'same'", L->name);
        return false;
    }
    if (!window_resolve(L, in, false, false, &L->shape)) return false;
    bool reflect = strcmp(attr_word(L, "mode"), "reflect") == 0;
    for (int i = 0; i < nd; i++)
        if (reflect && (L->win.pb[i] >= in->dim[1 + i] || L->win.pe[i] >= in->dim[1 + i])) {
            diag_error(attr_loc(L, "mode"), "reflect padding of '%s' must be smaller than the input %s (%lld)",
                       L->name, dim_name(nd, i), (long long)in->dim[1 + i]);
            return false;
        }
    return true;
}

/* y[c, o] = x[c, fold(o - pb)], or the constant outside the input */
static void pad_emit_ref(Emit *e, const Layer *L) {
    const Shape *in = emit_in_shape(e, L, 0);
    const Window *w = &L->win;
    const char *mode = attr_word(L, "mode");
    bool constant = strcmp(mode, "zeros") == 0 || strcmp(mode, "constant") == 0;
    FOR(e, "c", L->shape.dim[0]) OUT_LOOPS(e, L) {
        char *inside = xstrdup("1");
        for (int i = 0; i < w->nd; i++) {
            const char *o = win_var('o', w->nd, i), *x = win_var('i', w->nd, i);
            long long n = (long long)in->dim[1 + i];
            if (constant) {
                emit_line(e, "const int %s = %s - %lld;", x, o, (long long)w->pb[i]);
                inside = xasprintf("%s && %s >= 0 && %s < %lld", inside, x, x, n);
            } else {
                emit_line(e, "const int %s = %s(%s - %lld, %lld);", x,
                          strcmp(mode, "reflect") == 0 ? "cnnrt_reflect" : "cnnrt_clamp", o, (long long)w->pb[i], n);
            }
        }
        const char *src = xasprintf("x0[%s]", emit_pixel(in, "c", 'i'));
        if (constant)
            emit_line(e, "y[%s] = (%s) ? %s : %s;", emit_pixel(&L->shape, "c", 'o'), inside, src,
                      emit_float(attr_float(L, "value")));
        else
            emit_line(e, "y[%s] = %s;", emit_pixel(&L->shape, "c", 'o'), src);
    }
}

const OpDesc op_pad = {
    .name = "pad", .flags = OPF_WINDOW, .min_in = 1, .max_in = 1,
    ATTRS(pad_attrs),
    .infer = pad_infer, .params = op_no_params, .macs = op_no_macs,
    .emit_ref = pad_emit_ref,
};
