/* common.c — the op table (ops.def), attribute access by name with the
 * op's defaults, and the hooks of layers with no parameters or MACs. */
#include "cnnc.h"

#include <string.h>

#define OP(name) &op_##name,
const OpDesc *const op_table[] = {
#include "ops.def"
};
#undef OP
const int op_count = (int)(sizeof op_table / sizeof op_table[0]);

const OpDesc *op_find(const char *name) {
    for (int i = 0; i < op_count; i++)
        if (strcmp(op_table[i]->name, name) == 0) return op_table[i];
    return NULL;
}

/* ---- attributes */

static int slot_of(const Layer *L, const char *name) {
    for (int i = 0; i < L->op->nattrs; i++)
        if (strcmp(L->op->attrs[i].name, name) == 0) return i;
    return -1;
}

const Attr *attr_get(const Layer *L, const char *name) {
    int k = slot_of(L, name);
    return k < 0 ? NULL : &L->attr[k];
}

static const AttrDesc *desc_of(const Layer *L, const char *name, const Attr **a) {
    int k = slot_of(L, name);
    if (k < 0) unreachable();
    *a = &L->attr[k];
    return &L->op->attrs[k];
}

int64_t attr_int(const Layer *L, const char *name) {
    const Attr *a;
    const AttrDesc *d = desc_of(L, name, &a);
    return a->set ? (d->type == A_INTS ? a->v[0] : a->i) : d->idef;
}

double attr_float(const Layer *L, const char *name) {
    const Attr *a;
    const AttrDesc *d = desc_of(L, name, &a);
    return a->set ? a->f : d->fdef;
}

bool attr_bool(const Layer *L, const char *name) { return attr_int(L, name) != 0; }

const char *attr_word(const Layer *L, const char *name) {
    const Attr *a;
    const AttrDesc *d = desc_of(L, name, &a);
    return a->set ? a->kw : d->words[0];
}

int attr_dims(const Layer *L, const char *name, int64_t *v) {
    const Attr *a;
    desc_of(L, name, &a);
    for (int i = 0; a->set && i < a->n; i++) v[i] = a->v[i];
    return a->set ? a->n : 0;
}

bool axis_resolve(const Layer *L, const char *attr, int64_t axis, const Shape *in, int *out) {
    int64_t a = axis < 0 ? axis + in->rank : axis;
    if (a < 0 || a >= in->rank) {
        diag_error(attr_loc(L, attr), "axis %lld of %s '%s' is out of range for %s", (long long)axis, L->op->name,
                   L->name, shape_str(in));
        return false;
    }
    *out = (int)a;
    return true;
}

Loc attr_loc(const Layer *L, const char *name) {
    const Attr *a = attr_get(L, name);
    return a && a->set ? a->loc : L->loc;
}

void op_no_params(Layer *L, const Shape *in) { (void)L; (void)in; }

int64_t op_no_macs(const Layer *L, const Shape *in) { (void)L; (void)in; return 0; }

bool op_same_shape(Layer *L, const Shape *in, int nin) {
    (void)nin;
    L->shape = *in;
    return true;
}
