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
    int nd = spatial_dims(in);
    if (nd < 1) {
        diag_error(L->loc, "pad '%s' needs a [C, ...] input with spatial dimensions, got %s", L->name,
                   shape_str(in));
        return false;
    }
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

const OpDesc op_pad = {
    .name = "pad", .flags = OPF_WINDOW, .min_in = 1, .max_in = 1,
    .attrs = pad_attrs, .nattrs = 3,
    .infer = pad_infer, .params = op_no_params, .macs = op_no_macs,
};
