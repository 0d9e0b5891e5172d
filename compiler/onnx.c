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
#include "onnx.h"

#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const Loc NOLOC = {0, 0, 0};

/* ---------------------------------------------------------------- names */

static unsigned str_hash(const char *s) {
    unsigned h = 2166136261u;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static bool reserved(const char *s) {
    static const char *const words[] = {"network", "input", "output", "weights", "true", "false", NULL};
    for (int i = 0; words[i]; i++)
        if (strcmp(s, words[i]) == 0) return true;
    return false;
}

/* an identifier from any string: runs of other characters become one '_',
 * no '_' at either end, a letter first */
const char *onnx_ident(const char *s) {
    size_t n = strlen(s);
    if (n > MAX_NAME_LEN - 16) n = MAX_NAME_LEN - 16;
    char *r = xcalloc(n + 3, 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (ok) r[k++] = (char)c;
        else if (k > 0 && r[k - 1] != '_') r[k++] = '_';
    }
    while (k > 0 && r[k - 1] == '_') k--;
    r[k] = 0;
    if (k == 0) return NULL;
    if (r[0] >= '0' && r[0] <= '9') return xasprintf("t%s", r);
    return r;
}

/* a name not taken yet: BASE, BASE_2, BASE_3, ... */
static const char *unique(Imp *m, const char *base) {
    if (!base) base = "layer";
    if (reserved(base)) base = xasprintf("%s_", base);
    for (int k = 1;; k++) {
        const char *s = k == 1 ? base : xasprintf("%s_%d", base, k);
        unsigned i = str_hash(s) & (unsigned)(m->nnames - 1);
        bool taken = false;
        for (; m->names[i]; i = (i + 1) & (unsigned)(m->nnames - 1))
            if (strcmp(m->names[i], s) == 0) { taken = true; break; }
        if (taken) continue;
        m->names[i] = s;
        if (2 * ++m->names_used > m->nnames) {   /* grow and rehash */
            const char **old = m->names;
            int n = m->nnames;
            m->nnames *= 2;
            m->names = xcalloc((size_t)m->nnames, sizeof(char *));
            for (int j = 0; j < n; j++)
                if (old[j]) {
                    unsigned h = str_hash(old[j]) & (unsigned)(m->nnames - 1);
                    while (m->names[h]) h = (h + 1) & (unsigned)(m->nnames - 1);
                    m->names[h] = old[j];
                }
        }
        return s;
    }
}

/* ---------------------------------------------------------------- values */

Val *onnx_val(Imp *m, const char *name) {
    if (!name || !*name || !m->nslots) return NULL;
    for (unsigned i = str_hash(name) & (unsigned)(m->nslots - 1);; i = (i + 1) & (unsigned)(m->nslots - 1)) {
        int id = m->slots[i] - 1;
        if (id < 0) return NULL;
        if (strcmp(m->vals[id]->name, name) == 0) return m->vals[id];
    }
}

/* the value named name, created (kind V_NONE) when new */
Val *onnx_def(Imp *m, const char *name) {
    Val *found = onnx_val(m, name);
    if (found) return found;
    if (m->nvals == m->capvals) {
        m->capvals = m->capvals ? 2 * m->capvals : 64;
        m->vals = xrealloc(m->vals, (size_t)m->capvals * sizeof(Val *));
    }
    if (2 * (m->nvals + 1) > m->nslots) {
        m->nslots = m->nslots ? 2 * m->nslots : 128;
        m->slots = xcalloc((size_t)m->nslots, sizeof(int));
        for (int k = 0; k < m->nvals; k++) {
            unsigned i = str_hash(m->vals[k]->name) & (unsigned)(m->nslots - 1);
            while (m->slots[i]) i = (i + 1) & (unsigned)(m->nslots - 1);
            m->slots[i] = k + 1;
        }
    }
    int id = m->nvals++;
    Val *v = m->vals[id] = xcalloc(1, sizeof(Val));
    v->name = name;
    v->layer = -2;
    unsigned i = str_hash(name) & (unsigned)(m->nslots - 1);
    while (m->slots[i]) i = (i + 1) & (unsigned)(m->nslots - 1);
    m->slots[i] = id + 1;
    return v;
}

/* ---------------------------------------------------------------- diagnostics */

static const char *node_label(const Imp *m) {
    const Onnx__NodeProto *n = m->node;
    if (n->name && *n->name) return xasprintf("node '%s' (%s)", n->name, n->op_type ? n->op_type : "?");
    return xasprintf("node %d (%s)", m->node_index, n->op_type ? n->op_type : "?");
}

bool onnx_fail(Imp *m, const char *fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (m->node) diag_error(NOLOC, "%s: %s", node_label(m), buf);
    else diag_error(NOLOC, "%s", buf);
    return false;
}

/* ---------------------------------------------------------------- tensors */

static float half_to_float(uint16_t h) {
    int e = (h >> 10) & 31, f = h & 1023;
    double v = e == 0 ? ldexp(f, -24) : e == 31 ? (f ? NAN : INFINITY) : ldexp(f + 1024, e - 25);
    return (float)((h & 0x8000) ? -v : v);
}

static float bf16_to_float(uint16_t h) {
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* bytes per element of an ONNX data type we read; 0: not one */
static int elem_bytes(int dt) {
    switch (dt) {
    case 1: case 6: case 12: return 4;      /* FLOAT, INT32, UINT32 */
    case 7: case 11: case 13: return 8;     /* INT64, DOUBLE, UINT64 */
    case 10: case 16: case 4: case 5: return 2;   /* FLOAT16, BFLOAT16, UINT16, INT16 */
    case 2: case 3: case 9: return 1;       /* UINT8, INT8, BOOL */
    }
    return 0;
}

const char *onnx_type_name(int dt) {
    static const char *const names[] = {"undefined", "float", "uint8", "int8", "uint16", "int16", "int32",
                                        "int64", "string", "bool", "float16", "double", "uint32", "uint64",
                                        "complex64", "complex128", "bfloat16"};
    if (dt >= 0 && dt < (int)(sizeof names / sizeof names[0])) return names[dt];
    return xasprintf("type %d", dt);
}

static bool is_float_type(int dt) { return dt == 1 || dt == 10 || dt == 11 || dt == 16; }

Tensor *onnx_tensor_new(bool is_int, int rank, const int64_t *dim) {
    Tensor *t = xcalloc(1, sizeof *t);
    t->is_int = is_int;
    t->rank = rank;
    t->n = 1;
    for (int i = 0; i < rank; i++) {
        t->dim[i] = dim[i];
        t->n *= dim[i];
    }
    if (is_int) t->i = xcalloc((size_t)t->n + 1, sizeof(int64_t));
    else t->f = xcalloc((size_t)t->n + 1, sizeof(float));
    return t;
}

/* the element k of raw little-endian data of type dt, as a double or int */
static void store_raw(Tensor *t, int64_t k, int dt, const unsigned char *p) {
    uint64_t u = 0;
    int b = elem_bytes(dt);
    for (int i = 0; i < b; i++) u |= (uint64_t)p[i] << (8 * i);
    if (t->is_int) {
        int64_t v;
        switch (dt) {
        case 6: v = (int32_t)(uint32_t)u; break;
        case 5: v = (int16_t)(uint16_t)u; break;
        case 3: v = (int8_t)(uint8_t)u; break;
        default: v = (int64_t)u; break;   /* INT64, UINT64 (as two's complement), unsigned, bool */
        }
        t->i[k] = v;
        return;
    }
    switch (dt) {
    case 1: { uint32_t w = (uint32_t)u; memcpy(&t->f[k], &w, 4); break; }
    case 11: { double d; memcpy(&d, &u, 8); t->f[k] = (float)d; break; }
    case 10: t->f[k] = half_to_float((uint16_t)u); break;
    default: t->f[k] = bf16_to_float((uint16_t)u); break;
    }
}

static const unsigned char *external_data(Imp *m, const Onnx__TensorProto *tp, const char *what, int64_t want) {
    const char *loc = NULL;
    int64_t off = 0, len = -1;
    for (size_t i = 0; i < tp->n_external_data; i++) {
        const Onnx__StringStringEntryProto *e = tp->external_data[i];
        if (!e->key || !e->value) continue;
        if (strcmp(e->key, "location") == 0) loc = e->value;
        else if (strcmp(e->key, "offset") == 0) off = strtoll(e->value, NULL, 10);
        else if (strcmp(e->key, "length") == 0) len = strtoll(e->value, NULL, 10);
    }
    if (m->no_files) {
        onnx_fail(m, "%s: external data is not read here", what);
        return NULL;
    }
    if (!loc || strstr(loc, "..") || loc[0] == '/') {
        onnx_fail(m, "%s: external data without a valid location", what);
        return NULL;
    }
    if (off < 0 || (len >= 0 && len != want)) {
        onnx_fail(m, "%s: external data of %lld bytes at %lld; the tensor needs %lld", what, (long long)len,
                  (long long)off, (long long)want);
        return NULL;
    }
    const char *dir = strcmp(m->file, "-") == 0 ? "." : dirname(xstrdup(m->file));
    const char *path = xasprintf("%s/%s", dir, loc);
    size_t flen;
    char *buf = read_file_max(path, &flen, (size_t)1 << 32);
    if (!buf) {
        onnx_fail(m, "%s: cannot read the external data file '%s': %s", what, path, strerror(errno));
        return NULL;
    }
    if ((uint64_t)off + (uint64_t)want > flen) {
        onnx_fail(m, "%s: '%s' has %zu bytes, fewer than offset %lld + %lld", what, path, flen, (long long)off,
                  (long long)want);
        return NULL;
    }
    return (const unsigned char *)buf + off;
}

/* a TensorProto as a Tensor; NULL after an error naming `what` */
Tensor *onnx_tensor(Imp *m, const Onnx__TensorProto *tp, const char *what) {
    int dt = tp->has_data_type ? tp->data_type : 0;
    if (!elem_bytes(dt)) {
        onnx_fail(m, "%s is of type %s; cnnc reads float, double, float16, bfloat16 and integer tensors", what,
                  onnx_type_name(dt));
        return NULL;
    }
    if (tp->n_dims > MAX_TRANK) {
        onnx_fail(m, "%s has %zu dimensions; the limit is %d", what, tp->n_dims, MAX_TRANK);
        return NULL;
    }
    int64_t n = 1;
    for (size_t i = 0; i < tp->n_dims; i++)
        if (tp->dims[i] < 0 || !mul_ok(n, tp->dims[i], &n) || n > MAX_ELEMS) {
            onnx_fail(m, "%s has a negative or too large shape", what);
            return NULL;
        }
    /* the data is checked against the shape before anything is allocated */
    int b = elem_bytes(dt);
    const unsigned char *raw = NULL;
    const char *shape = onnx_dims_str((int)tp->n_dims, tp->dims);
    if (tp->has_data_location && tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) {
        if (!(raw = external_data(m, tp, what, n * b))) return NULL;
    } else if (tp->has_raw_data) {
        if ((int64_t)tp->raw_data.len != n * b) {
            onnx_fail(m, "%s has %zu bytes of data; its shape %s of %s needs %lld", what, tp->raw_data.len, shape,
                      onnx_type_name(dt), (long long)(n * b));
            return NULL;
        }
        raw = tp->raw_data.data;
    }
    size_t have;
    switch (dt) {
    case 1: have = tp->n_float_data; break;
    case 11: have = tp->n_double_data; break;
    case 7: have = tp->n_int64_data; break;
    case 12: case 13: have = tp->n_uint64_data; break;
    default: have = tp->n_int32_data; break;
    }
    if (!raw && (int64_t)have != n) {
        onnx_fail(m, "%s has %zu values; its shape %s needs %lld", what, have, shape, (long long)n);
        return NULL;
    }
    Tensor *t = onnx_tensor_new(!is_float_type(dt), (int)tp->n_dims, tp->dims);
    if (raw) {
        for (int64_t k = 0; k < n; k++) store_raw(t, k, dt, raw + k * b);
        return t;
    }
    for (int64_t k = 0; k < n; k++) {
        switch (dt) {
        case 1: t->f[k] = tp->float_data[k]; break;
        case 11: t->f[k] = (float)tp->double_data[k]; break;
        case 7: t->i[k] = tp->int64_data[k]; break;
        case 12: case 13: t->i[k] = (int64_t)tp->uint64_data[k]; break;
        case 10: t->f[k] = half_to_float((uint16_t)tp->int32_data[k]); break;
        case 16: t->f[k] = bf16_to_float((uint16_t)tp->int32_data[k]); break;
        default: t->i[k] = tp->int32_data[k]; break;
        }
    }
    return t;
}

const char *onnx_dims_str(int rank, const int64_t *dim) {
    char *s = xstrdup("[");
    for (int i = 0; i < rank; i++)
        s = dim[i] == BATCH_SYM ? xasprintf("%s%sN", s, i ? "," : "") : xasprintf("%s%s%lld", s, i ? "," : "", (long long)dim[i]);
    return xasprintf("%s]", s);
}

/* ---------------------------------------------------------------- the Program */

Value *onnx_vint(int64_t v) { return ast_int(NOLOC, xasprintf("%lld", (long long)v)); }

Value *onnx_vfloat(double v) {
    Value *r = ast_float(NOLOC, "0");
    r->f = v;
    return r;
}

Value *onnx_vword(const char *s) { return ast_word(NOLOC, s); }

/* an integer, or a list when the entries differ */
Value *onnx_vints(const int64_t *v, int n) {
    bool same = true;
    for (int i = 1; i < n; i++) same &= v[i] == v[0];
    if (same && n > 0) return onnx_vint(v[0]);
    Value *l = ast_list(NOLOC);
    for (int i = 0; i < n; i++) ast_list_add(l, onnx_vint(v[i]));
    return l;
}

/* a new layer of kind op on the given inputs; its output is the value named
 * out, of per-sample shape `shape`. Returns the layer's index. */
int onnx_layer(Imp *m, const char *op, const char *name, int nin, Val *const *in, const char *out, const Shape *shape) {
    if (m->nlayers == m->caplayers) {
        m->caplayers = m->caplayers ? 2 * m->caplayers : 32;
        m->layers = xrealloc(m->layers, (size_t)m->caplayers * sizeof(ILayer));
    }
    int id = m->nlayers++;
    ILayer *L = &m->layers[id];
    memset(L, 0, sizeof *L);
    L->op = op;
    L->ident = unique(m, name);
    L->st = ast_layer(NOLOC, op, L->ident, NOLOC);
    for (int i = 0; i < nin; i++) ast_add_arg(L->st, NULL, NOLOC, onnx_vword(onnx_ident_of(m, in[i])));
    L->src = nin > 0 ? onnx_ident_of(m, in[0]) : NULL;
    for (int i = 0; i < nin && i < 2; i++) L->in[i] = in[i];
    L->wt = L->bt = -1;
    Val *v = onnx_def(m, out);
    v->kind = V_DATA;
    v->layer = id;
    v->shape = *shape;
    return id;
}

void onnx_attr(Imp *m, int layer, const char *key, Value *v) { ast_add_arg(m->layers[layer].st, key, NOLOC, v); }

/* a parameter tensor LAYER.KEY of the layer's, float data of `dims` */
void onnx_param(Imp *m, int layer, const char *key, int rank, const int64_t *dims, const float *data) {
    if (m->ntensors == m->captensors) {
        m->captensors = m->captensors ? 2 * m->captensors : 32;
        m->tensors = xrealloc(m->tensors, (size_t)m->captensors * sizeof(StTensor));
    }
    StTensor *t = &m->tensors[m->ntensors++];
    memset(t, 0, sizeof *t);
    t->name = xasprintf("%s.%s", m->layers[layer].ident, key);
    t->dtype = "F32";
    t->dtype_bytes = 4;
    t->rank = rank;
    t->elems = 1;
    for (int i = 0; i < rank; i++) {
        t->dim[i] = dims[i];
        t->elems *= dims[i];
    }
    unsigned char *raw = xcalloc((size_t)t->elems + 1, 4);   /* little-endian, as in a safetensors file */
    for (int64_t i = 0; i < t->elems; i++) {
        uint32_t u;
        memcpy(&u, &data[i], 4);
        for (int b = 0; b < 4; b++) raw[4 * i + b] = (unsigned char)(u >> (8 * b));
    }
    t->raw = raw;
}

const char *onnx_ident_of(const Imp *m, const Val *v) {
    return v->layer == -1 ? m->input_ident : m->layers[v->layer].ident;
}

/* PyTorch names a node by its module's scope and its operator,
 * "/layer1/layer1.0/conv1/Conv": the module's name is "layer1.0.conv1"
 * (each scope either extends the one before or is an attribute of it);
 * "/Relu_1" at the top is "Relu_1". Other names stay as they are. */
static const char *module_path(const char *name) {
    if (name[0] != '/') return name;
    const char *last = strrchr(name, '/');
    if (last == name) return name + 1;
    char *path = xstrdup("");
    for (const char *p = name + 1; p < last;) {
        const char *e = memchr(p, '/', (size_t)(last - p));
        if (!e) e = last;
        char *c = xstrndup(p, (size_t)(e - p));
        const char *dot = strrchr(path, '.'), *tail = dot ? dot + 1 : path;   /* the last module */
        size_t pl = strlen(path), tl = strlen(tail);
        if (pl && strncmp(c, path, pl) == 0 && c[pl] == '.') path = c;   /* layer1 -> layer1.0 */
        else if (pl && strncmp(c, tail, tl) == 0 && c[tl] == '.')        /* downsample -> downsample.0 */
            path = xasprintf("%.*s%s", (int)(tail - path), path, c);
        else path = pl ? xasprintf("%s.%s", path, c) : c;
        p = e + 1;
    }
    return *path ? path : last + 1;
}

/* the layer's name: the module of its weight initializer ("layer1.0.conv1"
 * of "layer1.0.conv1.weight"), else the node's name, else its output's */
const char *onnx_layer_name(Imp *m, const char *weight) {
    const Onnx__NodeProto *n = m->node;
    if (weight) {
        size_t len = strlen(weight);
        const char *dot = strrchr(weight, '.');
        if (dot && dot != weight && (strcmp(dot, ".weight") == 0 || strcmp(dot, ".bias") == 0)) {
            const char *id = onnx_ident(xstrndup(weight, (size_t)(dot - weight)));
            if (id) return id;
        }
        (void)len;
    }
    const char *id = n->name ? onnx_ident(module_path(n->name)) : NULL;
    if (id) return id;
    if (n->n_output > 0 && (id = onnx_ident(n->output[0]))) return id;
    return onnx_ident(n->op_type ? n->op_type : "layer");
}

/* ---------------------------------------------------------------- the graph */

/* nodes in an order where every input is defined before it is used (ONNX
 * asks for one; we check and sort anyway). Reports a cycle, or a missing
 * input, for each node it cannot place. */
static int *topo_order(Imp *m, const Onnx__GraphProto *g) {
    int n = (int)g->n_node;
    int *order = xcalloc((size_t)n + 1, sizeof(int));
    bool *done = xcalloc((size_t)n + 1, 1);
    /* producer of each tensor name: a value slot holding -(node + 3) in .layer */
    for (int i = 0; i < n; i++) {
        const Onnx__NodeProto *nd = g->node[i];
        for (size_t k = 0; k < nd->n_output; k++) {
            if (!nd->output[k] || !*nd->output[k]) continue;
            Val *v = onnx_def(m, nd->output[k]);
            if (v->kind == V_NONE && v->layer == -2) v->layer = -(i + 3);
        }
    }
    int placed = 0;
    bool progress = true;
    while (placed < n && progress) {   /* passes over the nodes; one for a sorted model */
        progress = false;
        for (int i = 0; i < n; i++) {
            if (done[i]) continue;
            const Onnx__NodeProto *nd = g->node[i];
            bool ready = true;
            for (size_t k = 0; k < nd->n_input && ready; k++) {
                Val *v = onnx_val(m, nd->input[k]);
                if (!v) continue;   /* missing: reported when the node runs */
                if (v->kind == V_NONE && v->layer <= -3 && !done[-(v->layer + 3)]) ready = false;
            }
            if (ready) {
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

typedef struct { Onnx__NodeProto **v; size_t n, cap; } Nodes;

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
        nodes_add(out, nd);
        return true;
    }
    const char *prefix = nd->name && *nd->name ? nd->name : xasprintf("%s_%zu", f->name, out->n);
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
    }
    return ok;
}

/* g with every call of a local function replaced by its nodes */
static const Onnx__GraphProto *inline_functions(Imp *m, const Onnx__GraphProto *g) {
    if (m->model->n_functions == 0) return g;
    Nodes out = {0};
    bool ok = true;
    for (size_t i = 0; i < g->n_node; i++) ok &= expand(m, g->node[i], 0, &out);
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
    m->input_ident = unique(m, onnx_ident(in->name) ? onnx_ident(in->name) : "x");
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

bool onnx_import(const char *file, const unsigned char *buf, size_t len, const OnnxOpts *o, Program *p, StFile *w) {
    int errs = diag_error_count();
    memset(p, 0, sizeof *p);
    memset(w, 0, sizeof *w);
    Imp *m = xcalloc(1, sizeof *m);
    m->file = file;
    m->no_files = o->no_files;
    m->nnames = 64;
    m->names = xcalloc((size_t)m->nnames, sizeof(char *));
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
    unique(m, p->name);
    if (!(g = inline_functions(m, g))) goto out;
    bool ok = read_initializers(m, g);
    ok &= read_input(m, g, o);
    if (!ok) goto out;
    int *order = topo_order(m, g);
    if (!order) goto out;
    /* how many times each value is used: patterns take a value only when
     * nothing else needs it */
    for (size_t i = 0; i < g->n_node; i++)
        for (size_t k = 0; k < g->node[i]->n_input; k++) {
            Val *v = onnx_val(m, g->node[i]->input[k]);
            if (v) v->uses++;
        }
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
    ast_add_stmt(p, m->input_stmt);
    for (int i = 0; i < m->nlayers; i++)
        if (!m->layers[i].dropped) ast_add_stmt(p, m->layers[i].st);
    ast_add_stmt(p, outs);
    w->path = file;
    w->t = m->tensors;
    w->n = m->ntensors;
out:
    onnx__model_proto__free_unpacked(model, NULL);
    return diag_error_count() == errs;
}
