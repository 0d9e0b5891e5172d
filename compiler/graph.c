/* graph.c — the Program becomes a Graph: layers in source order (which is a
 * topological order, since a layer may only use names above it), inputs
 * resolved to layer ids, attributes parsed against the op's descriptor.
 *
 * Invariant after a successful graph_build: layers[0] is the input, every
 * in[] id is smaller than the layer's own id, attr[] has op->nattrs slots. */
#include "cnnc.h"

#include <string.h>

static const char *const param_keys[] = {"weight", "bias", "running_mean", "running_var", "value", NULL};

/* names are found through an open-addressing hash index (id + 1 per slot) */
static unsigned name_hash(const char *s) {
    unsigned h = 2166136261u;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static int find_id(const Graph *g, const char *name) {
    if (!g->nslots) return -1;
    for (unsigned i = name_hash(name) & (unsigned)(g->nslots - 1);; i = (i + 1) & (unsigned)(g->nslots - 1)) {
        int id = g->slots[i] - 1;
        if (id < 0) return -1;
        if (strcmp(g->layers[id]->name, name) == 0) return id;
    }
}

const Layer *graph_find(const Graph *g, const char *name) {
    int id = find_id(g, name);
    return id < 0 ? NULL : g->layers[id];
}

int graph_first_reader(const Graph *g, int id) {
    for (int i = id + 1; i < g->n; i++) {
        const Layer *L = g->layers[i];
        if (L->dead) continue;
        for (int k = 0; k < L->nin; k++)
            if (L->in[k] == id) return i;
    }
    return -1;
}

const Layer *layer_as_written(const Layer *L) { return L->written ? L->written : L; }

bool graph_is_output(const Graph *g, int id) {
    for (int i = 0; i < g->nout; i++)
        if (g->outputs[i] == id) return true;
    return false;
}

int64_t graph_output_at(const Graph *g, int id) {
    int64_t at = 0;
    for (int i = 0; i < g->nout && g->outputs[i] != id; i++) at += shape_elems(&g->layers[g->outputs[i]]->shape);
    return at;
}

int64_t graph_output_size(const Graph *g) {
    return graph_output_at(g, -1);
}


static void index_add(Graph *g, int id) {
    if (2 * (g->n + 1) > g->nslots) {   /* grow and rehash */
        g->nslots = g->nslots ? 2 * g->nslots : 64;
        g->slots = xcalloc((size_t)g->nslots, sizeof(int));
        for (int k = 0; k < g->n; k++)
            if (k != id) index_add(g, k);
    }
    unsigned i = name_hash(g->layers[id]->name) & (unsigned)(g->nslots - 1);
    while (g->slots[i]) i = (i + 1) & (unsigned)(g->nslots - 1);
    g->slots[i] = id + 1;
}

static void add_layer(Graph *g, Layer *L) {
    if ((g->n & (g->n - 1)) == 0)
        g->layers = xrealloc(g->layers, sizeof(Layer *) * (size_t)(g->n ? 2 * g->n : 1));
    L->id = g->n;
    g->layers[g->n] = L;
    if (!graph_find(g, L->name)) index_add(g, L->id);   /* the first of a name (others are errors) */
    g->n++;
}

/* the closest of words[0..n) to s, or NULL when none is close */
static const char *closest(const char *s, const char *const *words, int n) {
    const char *best = NULL;
    int bd = 1 << 30;
    for (int i = 0; i < n; i++) {
        int d = edit_distance(s, words[i]);
        if (d < bd) { bd = d; best = words[i]; }
    }
    int limit = (int)strlen(s) / 3 + 1;
    return bd <= limit ? best : NULL;
}

static void did_you_mean(Loc loc, const char *s, const char *const *words, int n) {
    const char *c = closest(s, words, n);
    if (c) diag_note(loc, "did you mean '%s'?", c);
}

/* ---- attributes */

static bool want_int(const Value *v, const char *key, int64_t min, int64_t *out) {
    if (v->bad) return false;
    if (v->kind != VAL_INT) {
        diag_error(v->loc, "attribute '%s' takes an integer, got %s", key, value_kind_name(v->kind));
        return false;
    }
    if (v->i < min) {
        if (min == 0 || min == 1)
            diag_error(v->loc, "attribute '%s' must be %s, got %lld", key, min ? "positive" : "zero or more",
                       (long long)v->i);
        else
            diag_error(v->loc, "attribute '%s' must be at least %lld, got %lld", key, (long long)min, (long long)v->i);
        return false;
    }
    *out = v->i;
    return true;
}

static bool parse_ints(const Value *v, const AttrDesc *d, Attr *a, int maxn) {
    if (v->kind != VAL_LIST) {
        a->n = 1;
        return want_int(v, d->name, d->min, &a->v[0]);
    }
    if (v->n < 1) {
        diag_error(v->loc, "attribute '%s' takes a list of 1 to %d entries, got an empty list", d->name, maxn);
        return false;
    }
    if (v->n > maxn) {
        diag_error(v->loc, "attribute '%s' takes at most %d entries, got %d", d->name, maxn, v->n);
        return false;
    }
    bool ok = true;
    for (int i = 0; i < v->n; i++) ok &= want_int(v->items[i], d->name, d->min, &a->v[i]);
    a->n = v->n;
    return ok;
}

static bool want_number(const Value *v, const char *key, double *out) {
    if (v->bad) return false;
    if (v->kind != VAL_INT && v->kind != VAL_FLOAT) {
        diag_error(v->loc, "attribute '%s' takes a number, got %s", key, value_kind_name(v->kind));
        return false;
    }
    *out = v->f;
    return true;
}

static bool parse_floats(const Value *v, const AttrDesc *d, Attr *a) {
    if (v->kind != VAL_LIST) {
        a->n = 1;
        return want_number(v, d->name, &a->fv[0]);
    }
    if (v->n < 1 || v->n > MAX_SPATIAL) {
        diag_error(v->loc, "attribute '%s' takes at most %d entries, got %d", d->name, MAX_SPATIAL, v->n);
        return false;
    }
    bool ok = true;
    for (int i = 0; i < v->n; i++) ok &= want_number(v->items[i], d->name, &a->fv[i]);
    a->n = v->n;
    return ok;
}

static bool parse_attr(const Value *v, const AttrDesc *d, Attr *a) {
    if (v->bad) return false;
    switch (d->type) {
    case A_INT:
        return want_int(v, d->name, d->min, &a->i);
    case A_FLOAT:
        return want_number(v, d->name, &a->f);
    case A_BOOL:
        if (v->kind != VAL_BOOL) {
            diag_error(v->loc, "attribute '%s' takes true or false, got %s", d->name, value_kind_name(v->kind));
            return false;
        }
        a->i = v->i;
        return true;
    case A_KEYWORD: {
        int n = 0;
        while (d->words[n]) n++;
        if (v->kind == VAL_WORD)
            for (int i = 0; i < n; i++)
                if (strcmp(v->s, d->words[i]) == 0) { a->kw = d->words[i]; return true; }
        char buf[256] = "";
        for (int i = 0; i < n; i++)
            snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s",
                     i == 0 ? "" : i == n - 1 ? " or " : ", ", d->words[i]);
        diag_error(v->loc, "attribute '%s' takes %s", d->name, buf);
        if (v->kind == VAL_WORD) did_you_mean(v->loc, v->s, d->words, n);
        return false;
    }
    case A_INTS:
        return parse_ints(v, d, a, MAX_SPATIAL);
    case A_DIMS:
        return parse_ints(v, d, a, MAX_DIMS);
    case A_PAD:
        if (v->kind == VAL_WORD) {
            if (strcmp(v->s, "same") == 0 || strcmp(v->s, "valid") == 0) {
                a->kw = strcmp(v->s, "same") == 0 ? "same" : "valid";
                return true;
            }
            diag_error(v->loc, "attribute '%s' takes an integer, a list, same or valid", d->name);
            static const char *const pw[] = {"same", "valid"};
            did_you_mean(v->loc, v->s, pw, 2);
            return false;
        }
        return parse_ints(v, d, a, 2 * MAX_SPATIAL);
    case A_FLOATS:
        return parse_floats(v, d, a);
    }
    unreachable();
}

static bool is_param_key(const char *key) {
    for (int i = 0; param_keys[i]; i++)
        if (strcmp(key, param_keys[i]) == 0) return true;
    return false;
}

static void attr_args(Layer *L, const Stmt *st) {
    const OpDesc *op = L->op;
    L->attr = xcalloc((size_t)op->nattrs + 1, sizeof(Attr));
    L->inl = xcalloc((size_t)st->nargs + 1, sizeof(Inline));
    const char *suggested = NULL;
    for (int i = 0; i < st->nargs; i++) {
        const Arg *a = &st->args[i];
        if (!a->key) continue;
        for (int j = 0; j < i; j++)
            if (st->args[j].key && strcmp(st->args[j].key, a->key) == 0) {
                diag_error(a->loc, "attribute '%s' given twice", a->key);
                diag_note(st->args[j].loc, "first given here");
                goto next;
            }
        int slot = -1;
        for (int k = 0; k < op->nattrs; k++)
            if (strcmp(op->attrs[k].name, a->key) == 0) slot = k;
        /* bias=false is the attribute; bias=[...] is inline data */
        bool data = a->val->kind == VAL_LIST || a->val->kind == VAL_INT || a->val->kind == VAL_FLOAT;
        if (is_param_key(a->key) && (slot < 0 || (data && op->attrs[slot].type == A_BOOL))) {
            Inline *in = &L->inl[L->ninl];
            in->key = a->key;
            in->loc = a->loc;
            if (value_numbers(a->val, &in->v, &in->n)) L->ninl++;
            else L->bad = true;
            continue;
        }
        if (slot < 0) {
            diag_error(a->loc, "%s has no attribute '%s'", op->name, a->key);
            const char *names[40];
            int n = 0;
            for (int k = 0; k < op->nattrs && n < 28; k++) names[n++] = op->attrs[k].name;
            for (int k = 0; param_keys[k]; k++) names[n++] = param_keys[k];
            const char *c = closest(a->key, names, n);
            if (c) diag_note(a->loc, "did you mean '%s'?", c);
            if (c) suggested = c;   /* its absence is this same mistake */
            continue;
        }
        Attr *at = &L->attr[slot];
        at->loc = a->loc;
        if (parse_attr(a->val, &op->attrs[slot], at)) at->set = true;
        else L->bad = true;   /* reported, here or by the lexer (an overflowing literal) */
    next:;
    }
    for (int k = 0; k < op->nattrs; k++)
        if (op->attrs[k].required && !L->attr[k].set) {
            bool given = false;   /* given but malformed: already reported */
            for (int i = 0; i < st->nargs; i++)
                given |= st->args[i].key && strcmp(st->args[i].key, op->attrs[k].name) == 0;
            if (!given && !(suggested && strcmp(suggested, op->attrs[k].name) == 0))
                diag_error(L->loc, "%s '%s' needs the attribute '%s'", op->name, L->name,
                           op->attrs[k].name);
        }
}

/* ---- inputs */

static const Stmt *later_def(const Program *p, int from, const char *name) {
    for (int i = from; i < p->n; i++)
        if (p->stmts[i]->name && strcmp(p->stmts[i]->name, name) == 0) return p->stmts[i];
    return NULL;
}

static void unknown_name(const Graph *g, const Program *p, int si, const char *name, Loc loc) {
    const Stmt *later = later_def(p, si, name);
    if (si < p->n && later == p->stmts[si]) {
        diag_error(loc, "'%s' cannot be an input of itself", name);
        return;
    }
    if (later) {
        diag_error(loc, "'%s' is used before it is defined", name);
        diag_note(later->name_loc, "'%s' is defined here; a layer may only use names above it", name);
        return;
    }
    diag_error(loc, "unknown name '%s'", name);
    const char **names = xcalloc((size_t)g->n + 1, sizeof(char *));
    for (int i = 0; i < g->n; i++) names[i] = g->layers[i]->name;
    did_you_mean(loc, name, names, g->n);
}

static void resolve_inputs(Graph *g, const Program *p, const Stmt *st, int si, Layer *L, int prev) {
    int n = 0;
    for (int i = 0; i < st->nargs; i++) n += st->args[i].key == NULL;
    L->in = xcalloc((size_t)n + 1, sizeof(int));
    L->in_loc = xcalloc((size_t)n + 1, sizeof(Loc));
    for (int i = 0; i < st->nargs; i++) {
        const Arg *a = &st->args[i];
        if (a->key) continue;
        int id = find_id(g, a->val->s);
        if (id < 0) {
            unknown_name(g, p, si, a->val->s, a->loc);
            id = 0;
        }
        L->in_loc[L->nin] = a->loc;
        L->in[L->nin++] = id;
    }
    const OpDesc *op = L->op;
    if ((op->flags & OPF_SOURCE) && L->nin > 0) {
        diag_error(L->in_loc[0], "%s '%s' takes no input, got %d", op->name, L->name, L->nin);
        L->nin = 0;
        return;
    }
    if (L->nin == 0 && prev >= 0 && !(op->flags & OPF_SOURCE)) {
        L->in[0] = prev;
        L->in_loc[0] = L->loc;
        L->nin = 1;
    }
    if (L->nin > MAX_INPUTS) {
        diag_error(L->in_loc[MAX_INPUTS], "%s '%s' has %d inputs; the limit is %d", op->name, L->name, L->nin,
                   MAX_INPUTS);
        L->nin = MAX_INPUTS;
        L->bad = true;
    } else if (L->nin < op->min_in)
        diag_error(L->loc, "%s '%s' %s %d inputs, got %d", op->name, L->name,
                   op->max_in == op->min_in ? "takes exactly" : "needs at least", op->min_in, L->nin);
    else if (op->max_in && L->nin > op->max_in)
        diag_error(L->in_loc[op->max_in], "%s '%s' takes %s %d input%s, got %d", op->name,
                   L->name, op->max_in == op->min_in ? "exactly" : "at most", op->max_in,
                   op->max_in == 1 ? "" : "s", L->nin);
}

/* ---- statements */

static bool check_name(Graph *g, const char *name, Loc loc) {
    const Layer *prev = graph_find(g, name);
    if (!prev) return true;
    diag_error(loc, "redefinition of '%s'", name);
    diag_note(prev->name_loc, "previous definition is here");
    return false;
}

static void add_input(Graph *g, const Stmt *st) {
    if (g->n > 0) {
        diag_error(st->loc, "a network has one input; '%s' is a second", st->name);
        diag_note(g->layers[0]->loc, "the input is declared here");
        return;
    }
    Layer *L = xcalloc(1, sizeof *L);
    L->name = st->name;
    L->loc = L->name_loc = st->name_loc;
    if (st->ndims < 1 || st->ndims > 1 + MAX_SPATIAL) {
        diag_error(st->name_loc, "input '%s' has %d dimensions; expected 1 to %d ([N], [C,W], [C,H,W] or [C,D,H,W])",
                   st->name, st->ndims, 1 + MAX_SPATIAL);
    } else {
        bool ok = true;
        for (int i = 0; i < st->ndims; i++) {
            const Value *v = st->dims[i];
            if (!v->bad && (v->kind != VAL_INT || v->i < 1))
                diag_error(v->loc, "input dimensions must be positive integers");
            ok &= !v->bad && v->kind == VAL_INT && v->i >= 1;
            L->shape.dim[i] = v->i;
        }
        if (ok) L->shape.rank = st->ndims;
        if (ok && shape_elems(&L->shape) > MAX_ELEMS) {
            diag_error(st->name_loc, "input '%s' %s has too many elements; the limit is %s", st->name,
                       shape_str(&L->shape), commas(MAX_ELEMS));
            L->shape.rank = 0;
        }
    }
    add_layer(g, L);
}

/* "relu" then a known layer kind on a later line reads as OP NAME: a ';' was
 * forgotten. Report it and take them as two statements. */
static bool missing_semicolon(const Stmt *st) {
    if (!st->name || st->name_loc.line == st->loc.line || !op_find(st->op) || !op_find(st->name))
        return false;
    Loc after = {st->loc.line, st->loc.col + (int)strlen(st->op), 1};
    diag_error(after, "expected ';' after '%s'", st->op);
    return true;
}

static void add_op_layer(Graph *g, const Program *p, const Stmt *st, int si, int *counts, int prev) {
    const OpDesc *op = op_find(st->op);
    if (!op) {
        diag_error(st->loc, "unknown layer kind '%s'", st->op);
        const char **names = xcalloc((size_t)op_count, sizeof(char *));
        for (int i = 0; i < op_count; i++) names[i] = op_table[i]->name;
        did_you_mean(st->loc, st->op, names, op_count);
        return;
    }
    int errs = diag_error_count();
    Layer *L = xcalloc(1, sizeof *L);
    L->op = op;
    L->loc = st->loc;
    int nth = 0;   /* the K of OP_K: this op's count so far, named or not */
    for (int i = 0; i < op_count; i++)
        if (op_table[i] == op) nth = ++counts[i];
    L->name = st->name ? st->name : xasprintf("%s_%d", op->name, nth);
    Loc nloc = L->name_loc = st->name ? st->name_loc : st->loc;
    check_name(g, L->name, nloc);
    resolve_inputs(g, p, st, si, L, prev);
    attr_args(L, st);
    L->bad |= diag_error_count() != errs;
    add_layer(g, L);
}

/* the output statement's names: each defined, none twice */
static void add_outputs(Graph *g, const Program *p, const Stmt *st) {
    g->outputs = xcalloc((size_t)st->nargs + 1, sizeof(int));
    for (int k = 0; k <= st->nargs; k++) {
        const char *name = k ? st->args[k - 1].val->s : st->name;
        Loc loc = k ? st->args[k - 1].loc : st->name_loc;
        int id = find_id(g, name);
        if (id < 0) {
            unknown_name(g, p, p->n, name, loc);
            continue;
        }
        if (graph_is_output(g, id)) {
            diag_error(loc, "'%s' is listed twice as an output", name);
            continue;
        }
        g->outputs[g->nout++] = id;
    }
}

bool graph_build(const Program *p, Graph *g) {
    int errs = diag_error_count();
    memset(g, 0, sizeof *g);
    g->name = p->name;
    g->loc = p->loc;
    int *counts = xcalloc((size_t)op_count + 2, sizeof(int));
    const Stmt *out = NULL;
    for (int i = 0; i < p->n; i++) {
        const Stmt *st = p->stmts[i];
        switch (st->kind) {
        case ST_INPUT:
            add_input(g, st);
            break;
        case ST_WEIGHTS:
            if (g->weights_file) {
                diag_error(st->loc, "a network names one weights file");
                diag_note(g->weights_loc, "the first is named here");
            }
            g->weights_file = st->path;
            g->weights_loc = st->loc;
            break;
        case ST_OUTPUT:
            if (out) {
                diag_error(st->loc, "a network has one output statement; list several outputs in it");
                diag_note(out->loc, "the outputs are marked here");
            }
            out = st;
            break;
        case ST_LAYER:
            if (g->n == 0) {
                diag_error(st->loc, "layer before the input: declare 'input NAME[...]' first");
                return false;
            }
            if (missing_semicolon(st)) {   /* "relu NL maxpool2d(...)": two statements */
                Stmt *first = ast_layer(st->loc, st->op, NULL, st->loc);
                Stmt *second = ast_layer(st->name_loc, st->name, NULL, st->name_loc);
                second->args = st->args;
                second->nargs = st->nargs;
                add_op_layer(g, p, first, i, counts, g->n - 1);
                add_op_layer(g, p, second, i, counts, g->n - 1);
                break;
            }
            add_op_layer(g, p, st, i, counts, g->n - 1);
            break;
        }
    }
    if (g->n == 0) {   /* after syntax errors the input may be what was lost */
        if (diag_error_count() == 0)
            diag_error(p->loc, "network '%s' has no input: declare 'input NAME[...]'", p->name);
        return false;
    }
    if (out) {
        add_outputs(g, p, out);
    } else {
        g->outputs = xcalloc(1, sizeof(int));
        g->outputs[g->nout++] = g->n - 1;
    }
    if (g->nout == 1 && g->outputs[0] == 0 && diag_error_count() == 0)
        diag_warning(g->layers[0]->loc, "the network's output is its input");
    return diag_error_count() == errs;
}
