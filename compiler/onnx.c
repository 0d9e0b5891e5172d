/* onnx.c — an ONNX model read as what the parser makes of a .cnn file: a
 * Program (input, layers with named inputs and attributes, output) built
 * with the ast.c constructors, and the parameters as an in-memory tensor
 * table that weights.c reads like a safetensors file (StFile). Everything
 * after the front end (graph, shapes, report, passes, emitter) is shared.
 *
 *   bytes --protobuf-c--> ModelProto --nodes in topological order--> values
 *
 * Each ONNX tensor name becomes a value: a constant (initializers, Constant
 * nodes and whatever is computed from constants alone, folded here: shape
 * subgraphs, Cast, Gather, ...), the output of a layer (per-sample shape,
 * the batch dimension stripped), or a pending part of a pattern that
 * becomes one layer (x/sqrt(2) -> Erf -> +1 -> *x -> *0.5 is gelu). The
 * operator table (onnx_ops.c) maps each node to layers.
 *
 * Errors name the node, "model.onnx: error: node 'NAME' (OpType): reason",
 * and every node is tried so that one run reports them all. */
#include "onnx_model.h"

#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const Loc NOLOC = {0, 0, 0};

/* ---------------------------------------------------------------- the graph */

/* If's branches, as deep as they nest (the protobuf reader caps that) */
#define SUBGRAPH_DEPTH 32

/* every value the subgraphs of node nd (If's branches) compute, defined, so
 * that their uses are counted */
static void define_subgraph_values(Imp *m, const Onnx__NodeProto *nd, int depth) {
    for (size_t a = 0; a < nd->n_attribute && depth < SUBGRAPH_DEPTH; a++) {
        const Onnx__GraphProto *g = nd->attribute[a]->g;
        for (size_t i = 0; g && i < g->n_node; i++) {
            for (size_t k = 0; k < g->node[i]->n_output; k++)
                if (g->node[i]->output[k] && *g->node[i]->output[k]) onnx_def(m, g->node[i]->output[k]);
            define_subgraph_values(m, g->node[i], depth + 1);
        }
    }
}

/* fn on each value node nd reads: its inputs and those of its subgraphs'
 * nodes (an If reads what its branches read) */
static void each_read(Imp *m, const Onnx__NodeProto *nd, int depth, void (*fn)(Val *v, void *ctx), void *ctx) {
    for (size_t k = 0; k < nd->n_input; k++) {
        Val *v = onnx_val(m, nd->input[k]);
        if (v) fn(v, ctx);
    }
    for (size_t a = 0; a < nd->n_attribute && depth < SUBGRAPH_DEPTH; a++) {
        const Onnx__GraphProto *g = nd->attribute[a]->g;
        for (size_t i = 0; g && i < g->n_node; i++) each_read(m, g->node[i], depth + 1, fn, ctx);
    }
}

typedef struct {
    const bool *done;
    bool ready;
} Readiness;

static void check_ready(Val *v, void *ctx) {   /* missing: reported when the node runs */
    Readiness *r = ctx;
    if (v->kind == V_NONE && v->layer <= -3 && !r->done[-(v->layer + 3)]) r->ready = false;
}

static void count_use(Val *v, void *ctx) {
    (void)ctx;
    v->uses++;
}

/* nodes in an order where every input is defined before it is used (ONNX
 * asks for one; we check and sort anyway). Reports a cycle, or a missing
 * input, for each node it cannot place. */
static int *topo_order(Imp *m, const Onnx__GraphProto *g) {
    int n = (int)g->n_node;
    int *order = xcalloc((size_t)n + 1, sizeof(int));
    bool *done = xcalloc((size_t)n + 1, 1);
    /* producer of each tensor name: a value slot holding -(node + 3) in .layer;
     * a name two nodes compute is an error (ONNX values are assigned once) */
    bool twice = false;
    for (int i = 0; i < n; i++) {
        const Onnx__NodeProto *nd = g->node[i];
        for (size_t k = 0; k < nd->n_output; k++) {
            if (!nd->output[k] || !*nd->output[k]) continue;
            Val *v = onnx_def(m, nd->output[k]);
            const Onnx__NodeProto *first = v->kind == V_NONE && v->layer <= -3 ? g->node[-(v->layer + 3)] : NULL;
            const char *also = v->kind == V_CONST ? "the name of an initializer"
                             : v->kind != V_NONE ? "the name of the graph's input"
                             : !first ? NULL
                             : first->name && *first->name ? xasprintf("computed by node '%s'", first->name)
                             : xasprintf("computed by node %d (%s)", -(v->layer + 3), first->op_type ? first->op_type : "?");
            if (also) {
                m->node = nd;
                m->node_index = i;
                onnx_fail(m, "its output '%s' is also %s (a value has one producer)", nd->output[k], also);
                twice = true;
            } else if (v->layer == -2) {
                v->layer = -(i + 3);
            }
        }
        define_subgraph_values(m, nd, 0);
    }
    m->node = NULL;
    if (twice) return NULL;
    int placed = 0;
    bool progress = true;
    while (placed < n && progress) {   /* passes over the nodes; one for a sorted model */
        progress = false;
        for (int i = 0; i < n; i++) {
            if (done[i]) continue;
            const Onnx__NodeProto *nd = g->node[i];
            Readiness r = {done, true};
            each_read(m, nd, 0, check_ready, &r);
            if (r.ready) {
                order[placed++] = i;
                done[i] = progress = true;
                for (size_t k = 0; k < nd->n_output; k++) {
                    Val *v = onnx_val(m, nd->output[k]);
                    if (v && v->kind == V_NONE && v->layer == -(i + 3)) v->layer = -2;
                }
            }
        }
    }
    for (int i = 0; i < n; i++)
        if (!done[i]) {
            m->node = g->node[i];
            m->node_index = i;
            onnx_fail(m, "its inputs depend on its own output (the graph has a cycle)");
        }
    m->node = NULL;
    return placed == n ? order : NULL;
}

/* ---------------------------------------------------------------- local functions
 * A node whose operator is one of the model's local functions (same name and
 * domain) is replaced by the function's nodes: its formal inputs and outputs
 * become the node's, its other values get names of their own (the calling
 * node's name, '/', the value's), and an attribute that refers to one of the
 * function's (ref_attr_name) takes the calling node's value, or is dropped
 * when the call does not set it. Functions may call functions, to a depth of
 * FUNC_DEPTH (deeper is a cycle). */
#define FUNC_DEPTH 32
/* nodes after inlining: functions that call the next one twice double them
 * at each level, 2^32 within FUNC_DEPTH */
#define FUNC_NODES 200000

typedef struct { Onnx__NodeProto **v; size_t n, cap; bool over; } Nodes;

static void nodes_add(Nodes *l, Onnx__NodeProto *nd) {
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->v = xrealloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = nd;
}

static const Onnx__FunctionProto *function_of(const Imp *m, const Onnx__NodeProto *nd) {
    for (size_t i = 0; nd->op_type && i < m->model->n_functions; i++) {
        const Onnx__FunctionProto *f = m->model->functions[i];
        const char *fd = f->domain ? f->domain : "", *nd_dom = nd->domain ? nd->domain : "";
        if (f->name && strcmp(f->name, nd->op_type) == 0 && strcmp(fd, nd_dom) == 0) return f;
    }
    return NULL;
}

/* a function's value name as seen from the call */
static char *actual_name(const Onnx__FunctionProto *f, const Onnx__NodeProto *call, const char *prefix,
                         const char *name) {
    if (!name || !*name) return "";
    for (size_t i = 0; i < f->n_input; i++)
        if (f->input[i] && strcmp(f->input[i], name) == 0) return i < call->n_input ? call->input[i] : "";
    for (size_t i = 0; i < f->n_output; i++)
        if (f->output[i] && strcmp(f->output[i], name) == 0) return i < call->n_output ? call->output[i] : "";
    return xasprintf("%s/%s", prefix, name);
}

static bool expand(Imp *m, Onnx__NodeProto *nd, int depth, Nodes *out) {
    const Onnx__FunctionProto *f = function_of(m, nd);
    if (!f) {
        if (out->n >= FUNC_NODES) {
            diag_error(NOLOC, "the model's local functions inlined make more than %d nodes", FUNC_NODES);
            out->over = true;
            return false;
        }
        nodes_add(out, nd);
        return true;
    }
    const char *prefix = nd->name && *nd->name ? nd->name : xasprintf("%s_%zu", f->name, out->n);
    if (nd->n_input > f->n_input || nd->n_output > f->n_output) {
        bool in = nd->n_input > f->n_input;
        diag_error(NOLOC, "node '%s' (%s): called with %zu %s; the local function has %zu", prefix, f->name,
                   in ? nd->n_input : nd->n_output, in ? "inputs" : "outputs", in ? f->n_input : f->n_output);
        return false;
    }
    /* the call's attributes: what the function's refer to (unique, as any node's) */
    const char **twice = xcalloc(nd->n_attribute + 1, sizeof *twice);
    size_t nt = onnx_attributes_twice(nd, twice);
    for (size_t i = 0; i < nt; i++)
        diag_error(NOLOC, "node '%s' (%s): attribute '%s' is given twice", prefix, f->name, twice[i]);
    if (nt) return false;
    if (depth >= FUNC_DEPTH) {
        diag_error(NOLOC, "node '%s' (%s): local functions call each other more than %d deep (a cycle?)", prefix,
                   f->name, FUNC_DEPTH);
        return false;
    }
    bool ok = true;
    for (size_t k = 0; k < f->n_node; k++) {
        const Onnx__NodeProto *fn = f->node[k];
        Onnx__NodeProto *c = xcalloc(1, sizeof *c);
        *c = *fn;
        c->name = xasprintf("%s/%s", prefix, fn->name && *fn->name ? fn->name : xasprintf("%zu", k));
        c->input = xcalloc(fn->n_input + 1, sizeof(char *));
        for (size_t i = 0; i < fn->n_input; i++) c->input[i] = actual_name(f, nd, prefix, fn->input[i]);
        c->output = xcalloc(fn->n_output + 1, sizeof(char *));
        for (size_t i = 0; i < fn->n_output; i++) c->output[i] = actual_name(f, nd, prefix, fn->output[i]);
        c->attribute = xcalloc(fn->n_attribute + 1, sizeof *c->attribute);
        c->n_attribute = 0;
        for (size_t i = 0; i < fn->n_attribute; i++) {
            Onnx__AttributeProto *a = fn->attribute[i];
            if (a->ref_attr_name && *a->ref_attr_name) {   /* the caller's value, renamed */
                Onnx__AttributeProto *given = NULL;
                for (size_t j = 0; j < nd->n_attribute; j++)
                    if (nd->attribute[j]->name && strcmp(nd->attribute[j]->name, a->ref_attr_name) == 0)
                        given = nd->attribute[j];
                if (!given) continue;
                Onnx__AttributeProto *r = xcalloc(1, sizeof *r);
                *r = *given;
                r->name = a->name;
                a = r;
            }
            c->attribute[c->n_attribute++] = a;
        }
        ok &= expand(m, c, depth + 1, out);
        if (out->over) break;
    }
    return ok;
}

/* g with every call of a local function replaced by its nodes */
static const Onnx__GraphProto *inline_functions(Imp *m, const Onnx__GraphProto *g) {
    if (m->model->n_functions == 0) return g;
    Nodes out = {0};
    bool ok = true;
    for (size_t i = 0; i < m->model->n_functions; i++) {   /* one function per name and domain */
        const Onnx__FunctionProto *f = m->model->functions[i];
        Onnx__NodeProto call = {.op_type = f->name, .domain = f->domain};
        if (f->name && function_of(m, &call) != f) {
            diag_error(NOLOC, "local function '%s' is defined twice", f->name);
            ok = false;
        }
    }
    for (size_t i = 0; i < g->n_node && !out.over; i++) ok &= expand(m, g->node[i], 0, &out);
    if (!ok) return NULL;
    Onnx__GraphProto *c = xcalloc(1, sizeof *c);
    *c = *g;
    c->node = out.v;
    c->n_node = out.n;
    return c;
}

static bool read_input(Imp *m, const Onnx__GraphProto *g, const OnnxOpts *o) {
    const Onnx__ValueInfoProto *in = NULL;
    for (size_t i = 0; i < g->n_input; i++) {
        const Onnx__ValueInfoProto *vi = g->input[i];
        if (!vi->name || onnx_val(m, vi->name)) continue;   /* an initializer: a weight */
        if (in) {
            onnx_fail(m, "the model has a second data input '%s' (after '%s'); cnnc compiles networks of one input",
                      vi->name, in->name);
            onnx_def(m, vi->name)->bad = true;   /* its users say nothing more */
            continue;
        }
        in = vi;
    }
    if (!in) return onnx_fail(m, "the model has no data input");
    const Onnx__TypeProto *tp = in->type;
    if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type)
        return onnx_fail(m, "input '%s' is not a tensor", in->name);
    const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
    if (!tt->has_elem_type || tt->elem_type != 1)
        return onnx_fail(m, "input '%s' is of type %s; cnnc compiles float networks", in->name,
                         onnx_type_name(tt->has_elem_type ? tt->elem_type : 0));
    if (!tt->shape) return onnx_fail(m, "input '%s' has no shape; give one with --input-shape", in->name);
    int rank = (int)tt->shape->n_dim;
    if (rank < 2 || rank > 2 + MAX_SPATIAL)
        return onnx_fail(m, "input '%s' has %d dimensions; cnnc takes a batch dimension and 1 to %d more", in->name,
                         rank, 1 + MAX_SPATIAL);
    if (o->shape_n && o->shape_n != rank - 1)
        return onnx_fail(m, "--input-shape gives %d dimensions; input '%s' has %d besides the batch", o->shape_n,
                         in->name, rank - 1);
    Shape s = {.rank = rank - 1};
    const Onnx__TensorShapeProto__Dimension *b = tt->shape->dim[0];
    m->batch = b->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE && b->dim_value > 0
                   ? b->dim_value : BATCH_SYM;
    bool ok = true;
    for (int i = 1; i < rank; i++) {
        const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[i];
        bool fixed = d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE && d->dim_value > 0;
        if (o->shape_n) {
            if (fixed && d->dim_value != o->shape[i - 1])
                ok = onnx_fail(m, "--input-shape gives %lld for dimension %d of input '%s', which is %lld",
                               (long long)o->shape[i - 1], i, in->name, (long long)d->dim_value);
            s.dim[i - 1] = o->shape[i - 1];
        } else if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE && !fixed) {
            ok = onnx_fail(m, "dimension %d of input '%s' is %lld; cnnc takes sizes of 1 or more", i, in->name,
                           (long long)d->dim_value);
        } else if (!fixed) {
            ok = onnx_fail(m, "dimension %d of input '%s' is symbolic ('%s'); give the per-sample shape with "
                           "--input-shape", i, in->name,
                           d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM && d->dim_param
                               ? d->dim_param : "?");
        } else {
            s.dim[i - 1] = d->dim_value;
        }
    }
    if (!ok) return false;
    if (shape_elems(&s) > MAX_ELEMS) return onnx_fail(m, "input '%s' is too large", in->name);
    m->input_ident = onnx_unique(m, onnx_ident(in->name) ? onnx_ident(in->name) : "x");
    Val *v = onnx_def(m, in->name);
    v->kind = V_DATA;
    v->layer = -1;
    v->shape = s;
    Value *dims = ast_list(NOLOC);
    for (int i = 0; i < s.rank; i++) ast_list_add(dims, onnx_vint(s.dim[i]));
    m->input_stmt = ast_input(NOLOC, m->input_ident, NOLOC, dims);
    return true;
}

static bool read_initializers(Imp *m, const Onnx__GraphProto *g) {
    bool ok = true;
    for (size_t i = 0; i < g->n_initializer; i++) {
        const Onnx__TensorProto *tp = g->initializer[i];
        if (!tp->name || !*tp->name) {
            ok = onnx_fail(m, "initializer %zu has no name", i);
            continue;
        }
        const Val *seen = onnx_val(m, tp->name);
        if (seen && seen->kind == V_CONST) {   /* the checker's rule: a name is defined once */
            ok = onnx_fail(m, "initializer %zu is named '%s', as an initializer before it", i, tp->name);
            continue;
        }
        Tensor *t = onnx_tensor(m, tp, xasprintf("initializer '%s'", tp->name));
        if (!t) { ok = false; continue; }
        Val *v = onnx_def(m, tp->name);
        v->kind = V_CONST;
        v->t = t;
        v->layer = -2;
    }
    if (g->n_sparse_initializer) ok = onnx_fail(m, "sparse initializers are not supported");
    return ok;
}

static const char *network_name(const char *file) {
    if (strcmp(file, "-") == 0 || strcmp(file, "<stdin>") == 0) return "net";
    char *base = basename(xstrdup(file));
    char *dot = strrchr(base, '.');
    if (dot && dot != base) *dot = 0;
    const char *id = onnx_ident(base);
    return id ? id : "net";
}

/* ---- the wire format, walked before protobuf-c unpacks it:
 *  - how deep the model's messages nest. protobuf-c unpacks a message by
 *    recursion, without a limit: subgraphs within subgraphs (an If's branch
 *    holding an If, thousands deep) ran it out of stack. The walk follows
 *    the fields that can nest without end: graphs in attributes, types in
 *    types;
 *  - the external data entries of tensors (initializers and attributes'
 *    tensors). protobuf-c gives a string as C text, ended at its first NUL
 *    byte: a location "w.bin\0..." would be read as "w.bin", another file
 *    than the one the entry names. */

#define MAX_NEST 100   /* messages within messages; a subgraph is 3 deeper than its graph */

enum { P_MODEL, P_TRAINING, P_GRAPH, P_FUNCTION, P_NODE, P_ATTRIBUTE, P_VALUE_INFO, P_TYPE, P_TYPE_ELEM, P_TYPE_MAP,
       P_INITIALIZER, P_TENSOR };

/* the kind of message field `field` of a `kind` holds, along those paths; -1 elsewhere */
static int nest_child(int kind, uint64_t field) {
    switch (kind) {
    case P_MODEL: return field == 7 ? P_GRAPH : field == 25 ? P_FUNCTION : field == 20 ? P_TRAINING : -1;
    case P_TRAINING: return field == 1 || field == 2 ? P_GRAPH : -1;
    case P_GRAPH:
        return field == 1 ? P_NODE : field >= 11 && field <= 13 ? P_VALUE_INFO : field == 5 ? P_INITIALIZER : -1;
    case P_FUNCTION: return field == 7 ? P_NODE : field == 11 ? P_ATTRIBUTE : field == 12 ? P_VALUE_INFO : -1;
    case P_NODE: return field == 5 ? P_ATTRIBUTE : -1;
    case P_ATTRIBUTE:
        return field == 6 || field == 11 ? P_GRAPH : field == 14 || field == 15 ? P_TYPE
             : field == 5 || field == 10 ? P_TENSOR : -1;
    case P_VALUE_INFO: return field == 2 ? P_TYPE : -1;
    case P_TYPE: return field == 4 || field == 9 ? P_TYPE_ELEM : field == 5 ? P_TYPE_MAP : -1;
    case P_TYPE_ELEM: return field == 1 ? P_TYPE : -1;
    case P_TYPE_MAP: return field == 2 ? P_TYPE : -1;
    }
    return -1;
}

static bool wire_varint(const unsigned char *p, size_t n, size_t *i, uint64_t *v) {
    *v = 0;
    for (int shift = 0; shift < 64 && *i < n; shift += 7) {
        unsigned char b = p[(*i)++];
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) return true;
    }
    return false;
}

/* the next field of the message p[0..n) from *i: its number, and for a
 * length-delimited one its bytes *f[0..*len) (*f NULL for the others);
 * false at its end or where it cannot be walked */
static bool wire_field(const unsigned char *p, size_t n, size_t *i, uint64_t *field, const unsigned char **f,
                       size_t *len) {
    uint64_t key, v;
    *f = NULL;
    if (*i >= n || !wire_varint(p, n, i, &key)) return false;
    *field = key >> 3;
    switch (key & 7) {
    case 0: return wire_varint(p, n, i, &v);
    case 1: *i += 8; return *i <= n;
    case 5: *i += 4; return *i <= n;
    case 2:
        if (!wire_varint(p, n, i, &v) || v > n - *i) return false;
        *f = p + *i, *len = (size_t)v;
        *i += (size_t)v;
        return true;
    }
    return false;
}

/* the text of a string field, up to its first NUL byte, if any */
static const char *wire_text(const unsigned char *f, size_t len) {
    const unsigned char *nul = memchr(f, 0, len);
    return xstrndup((const char *)f, nul ? (size_t)(nul - f) : len);
}

/* false, after an error, when one of a tensor's external data entries holds
 * a NUL byte in its key or its value */
static bool tensor_entries_ok(const unsigned char *p, size_t n, bool initializer) {
    const unsigned char *f, *g, *name = NULL;
    size_t i = 0, len, glen, name_len = 0;
    uint64_t field, gfield;
    while (wire_field(p, n, &i, &field, &f, &len))
        if (field == 8 && f) name = f, name_len = len;
    for (i = 0; wire_field(p, n, &i, &field, &f, &len);) {
        if (field != 13 || !f) continue;
        const unsigned char *key = NULL, *value = NULL;
        size_t klen = 0, vlen = 0;
        for (size_t j = 0; wire_field(f, len, &j, &gfield, &g, &glen);) {
            if (gfield == 1 && g) key = g, klen = glen;
            if (gfield == 2 && g) value = g, vlen = glen;
        }
        bool nul_key = key && memchr(key, 0, klen), nul_value = value && memchr(value, 0, vlen);
        if (!nul_key && !nul_value) continue;
        const char *nm = name ? wire_text(name, name_len) : "", *k = key ? wire_text(key, klen) : "";
        const char *what = initializer ? xasprintf("initializer '%s'", nm)
                         : *nm ? xasprintf("tensor '%s'", nm) : "an attribute's tensor";
        if (nul_key) diag_error(NOLOC, "%s: an external data key holds a NUL byte (after '%s')", what, k);
        else diag_error(NOLOC, "%s: the external data '%s' holds a NUL byte (after '%s')", what, k,
                        wire_text(value, vlen));
        return false;
    }
    return true;
}

/* false, after an error, when a message lies deeper than MAX_NEST or a
 * tensor's external data entry holds a NUL byte; data it cannot walk is
 * left to the unpacking, which reports it */
static bool wire_ok(const unsigned char *p, size_t n, int kind, int depth) {
    if (depth > MAX_NEST) {
        diag_error(NOLOC, "the model's messages nest more than %d deep (subgraphs within subgraphs); cnnc reads %d",
                   MAX_NEST, MAX_NEST);
        return false;
    }
    if (kind == P_INITIALIZER || kind == P_TENSOR) return tensor_entries_ok(p, n, kind == P_INITIALIZER);
    const unsigned char *f;
    size_t len;
    uint64_t field;
    for (size_t i = 0; wire_field(p, n, &i, &field, &f, &len);) {
        int c = f ? nest_child(kind, field) : -1;
        if (c >= 0 && !wire_ok(f, len, c, depth + 1)) return false;
    }
    return true;
}

bool onnx_import(const char *file, const unsigned char *buf, size_t len, const OnnxOpts *o, Program *p, StFile *w) {
    int errs = diag_error_count();
    memset(p, 0, sizeof *p);
    memset(w, 0, sizeof *w);
    Imp *m = xcalloc(1, sizeof *m);
    m->file = file;
    m->no_files = o->no_files;
    m->nnames = 64;
    m->names = xcalloc((size_t)m->nnames, sizeof(char *));
    if (!wire_ok(buf, len, P_MODEL, 0)) return false;
    Onnx__ModelProto *model = onnx__model_proto__unpack(NULL, len, buf);
    if (!model) {
        diag_error(NOLOC, "not a valid ONNX model (the protobuf data is truncated or malformed)");
        return false;
    }
    m->model = model;
    const Onnx__GraphProto *g = model->graph;
    if (!g) {
        diag_error(NOLOC, "the ONNX model has no graph");
        onnx__model_proto__free_unpacked(model, NULL);
        return false;
    }
    m->opset = 1;
    bool have_opset = false;
    for (size_t i = 0; i < model->n_opset_import; i++) {
        const Onnx__OperatorSetIdProto *os = model->opset_import[i];
        if (!os->domain || !*os->domain || strcmp(os->domain, "ai.onnx") == 0) {
            m->opset = os->has_version ? os->version : 1;
            have_opset = true;
        }
    }
    if (!have_opset && model->n_opset_import == 0) m->opset = 1;
    if (m->opset < 1 || m->opset > 21)
        diag_warning(NOLOC, "the model's opset is %lld; cnnc knows opsets 1 to 21", (long long)m->opset);
    ast_program(p, network_name(file), NOLOC);
    onnx_unique(m, p->name);
    if (!(g = inline_functions(m, g))) goto out;
    bool ok = read_initializers(m, g);
    ok &= read_input(m, g, o);
    if (!ok) goto out;
    int *order = topo_order(m, g);
    if (!order) goto out;
    /* how many times each value is used: patterns take a value only when
     * nothing else needs it */
    for (size_t i = 0; i < g->n_node; i++) each_read(m, g->node[i], 0, count_use, NULL);
    for (size_t i = 0; i < g->n_output; i++) {
        Val *v = g->output[i]->name ? onnx_val(m, g->output[i]->name) : NULL;
        if (v) v->uses++;
    }
    for (size_t i = 0; i < g->n_node; i++) {
        m->node = g->node[order[i]];
        m->node_index = order[i];
        onnx_node(m, m->node);
        m->node = NULL;
    }
    if (diag_error_count() != errs) goto out;
    if (g->n_output < 1) {
        diag_error(NOLOC, "the model has no outputs");
        goto out;
    }
    /* the Program: input, the layers no pattern took, the outputs in the
     * model's order */
    Stmt *outs = NULL;
    for (size_t k = 0; k < g->n_output; k++) {
        const char *name = g->output[k]->name ? g->output[k]->name : "";
        Val *v = onnx_val(m, name);
        if (!v || v->kind == V_NONE) {
            diag_error(NOLOC, "the model's output '%s' is not computed by any node", name);
            continue;
        }
        if (v->bpos) {
            diag_error(NOLOC, "the model's output '%s' has the batch axis at position %d (a Transpose, or an axis put in "
                              "before it, moved it); cnnc's outputs have it first", name, v->bpos);
            continue;
        }
        if (!onnx_data(m, v)) continue;
        if (v->kind != V_DATA) {
            diag_error(NOLOC, "the model's output '%s' is a constant; cnnc compiles networks whose outputs depend "
                              "on the input", name);
            continue;
        }
        const char *id = onnx_ident_of(m, v);
        if (!outs) outs = ast_output(NOLOC, id, NOLOC);
        else ast_add_arg(outs, NULL, NOLOC, ast_word(NOLOC, id));
    }
    if (diag_error_count() != errs) goto out;
    /* a pattern's part that nothing reads (a Neg, a view, a Softplus) is no
     * layer: dropped, with the warning a layer that reaches no output gets */
    for (int i = 0; i < m->nvals; i++) {
        const Val *v = m->vals[i];
        if (v->uses == 0 && v->kind != V_NONE && v->kind != V_DATA && v->kind != V_CONST)
            diag_warning(NOLOC, "'%s' does not reach the output; it is dropped", v->lname);
    }
    ast_add_stmt(p, m->input_stmt);
    for (int i = 0; i < m->nlayers; i++)
        if (!m->layers[i].dropped) ast_add_stmt(p, m->layers[i].st);
    ast_add_stmt(p, outs);
    /* the parameters of the layers patterns took (an Add of eps made an
     * affine batchnorm first) are in no file: they go, with no warning */
    int nt = 0;
    for (int i = 0; i < m->ntensors; i++)
        if (!m->layers[m->tensor_layer[i]].dropped) m->tensors[nt++] = m->tensors[i];
    w->path = file;
    w->t = m->tensors;
    w->n = nt;
out:
    onnx__model_proto__free_unpacked(model, NULL);
    return diag_error_count() == errs;
}
