/* onnx_model.c — what the ONNX reader builds a Program from, shared by the
 * driver (onnx.c) and the operator table (onnx_ops.c): identifiers and the
 * names taken, values (what each ONNX tensor name stands for), constant
 * tensors read from TensorProtos (raw or typed data, external files), and
 * the layers, attributes and parameters of the Program being written. */
#include "onnx_model.h"


#include <ctype.h>
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
const char *onnx_unique(Imp *m, const char *base) {
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

bool onnx_moved(Imp *m, const Val *v) {
    return onnx_fail(m, "input '%s' has the batch axis at position %d (a Transpose, or an axis put in before it, "
                        "moved it): only Transpose, "
                        "Split, Squeeze, Unsqueeze and Gather (and Shape, Identity, Dropout) read such a value, "
                        "until the batch axis is first again", v->name, v->bpos);
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

static int name_cmp(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

size_t onnx_attributes_twice(const Onnx__NodeProto *n, const char **twice) {
    if (n->n_attribute < 2) return 0;
    const char **names = xcalloc(n->n_attribute, sizeof *names);
    for (size_t i = 0; i < n->n_attribute; i++) names[i] = n->attribute[i]->name ? n->attribute[i]->name : "";
    qsort(names, n->n_attribute, sizeof *names, name_cmp);
    size_t nt = 0;
    for (size_t i = 1; i < n->n_attribute; i++)
        if (strcmp(names[i], names[i - 1]) == 0 && (i < 2 || strcmp(names[i], names[i - 2]) != 0)) twice[nt++] = names[i];
    return nt;
}

bool onnx_dims_within(int rank, const int64_t *dim, int64_t max) {
    int64_t n = 1;
    for (int i = 0; i < rank; i++)
        if (dim[i] < 0 || !mul_ok(n, dim[i] ? dim[i] : 1, &n) || n > max) return false;
    return true;
}

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

/* an external data entry's offset or length: decimal digits, all of it */
static bool byte_count(const char *s, int64_t *v) {
    char *end;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (end == s || *end || errno || x < 0 || !isdigit((unsigned char)s[0])) return false;
    *v = x;
    return true;
}

static const unsigned char *external_data(Imp *m, const Onnx__TensorProto *tp, const char *what, int64_t want) {
    const char *loc = NULL;
    int64_t off = 0, len = -1;
    for (size_t i = 0; i < tp->n_external_data; i++) {
        const Onnx__StringStringEntryProto *e = tp->external_data[i];
        if (!e->key || !e->value) continue;
        bool is_off = strcmp(e->key, "offset") == 0;
        if (strcmp(e->key, "location") == 0) loc = e->value;
        else if ((is_off || strcmp(e->key, "length") == 0) && !byte_count(e->value, is_off ? &off : &len)) {
            onnx_fail(m, "%s: external data %s '%s' is not a number of bytes", what, e->key, e->value);
            return NULL;
        }
    }
    if (m->no_files) {
        onnx_fail(m, "%s: external data is not read here", what);
        return NULL;
    }
    if (!loc || !*loc) {
        onnx_fail(m, "%s: external data without a location", what);
        return NULL;
    }
    if (strstr(loc, "..") || loc[0] == '/') {
        onnx_fail(m, "%s: external data at '%s', outside the model's folder", what, loc);
        return NULL;
    }
    if (off < 0 || (len >= 0 && len != want)) {
        onnx_fail(m, "%s: external data of %lld bytes at %lld; the tensor needs %lld", what, (long long)len,
                  (long long)off, (long long)want);
        return NULL;
    }
    const char *dir = strcmp(m->file, "-") == 0 ? "." : dirname(xstrdup(m->file));
    const char *path = xasprintf("%s/%s", dir, loc);
    /* through a symbolic link, the file may still lie outside the folder */
    char *real = realpath(path, NULL), *rdir = realpath(dir, NULL);
    if (real && rdir && (strncmp(real, rdir, strlen(rdir)) != 0 || real[strlen(rdir)] != '/')) {
        onnx_fail(m, "%s: external data at '%s' leads outside the model's folder (a link)", what, loc);
        free(real), free(rdir);
        return NULL;
    }
    free(real), free(rdir);
    if (!m->ext_path || strcmp(m->ext_path, path) != 0) {   /* exporters write one file for every tensor */
        free(m->ext_buf);
        m->ext_path = NULL;
        if (!(m->ext_buf = read_file_max(path, &m->ext_len, (size_t)1 << 32))) {
            onnx_fail(m, "%s: cannot read the external data file '%s': %s", what, path, read_error());
            return NULL;
        }
        m->ext_path = path;
    }
    if ((uint64_t)off + (uint64_t)want > m->ext_len) {
        onnx_fail(m, "%s: '%s' has %zu bytes, fewer than offset %lld + %lld", what, path, m->ext_len, (long long)off,
                  (long long)want);
        return NULL;
    }
    return (const unsigned char *)m->ext_buf + off;
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
    if (!onnx_dims_within((int)tp->n_dims, tp->dims, MAX_ELEMS)) {
        onnx_fail(m, "%s has a negative or too large shape", what);
        return NULL;
    }
    int64_t n = 1;
    for (size_t i = 0; i < tp->n_dims; i++) n *= tp->dims[i];
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

/* a list of integers */
Value *onnx_vlist(const int64_t *v, int n) {
    Value *l = ast_list(NOLOC);
    for (int i = 0; i < n; i++) ast_list_add(l, onnx_vint(v[i]));
    return l;
}

/* an integer, or a list when the entries differ */
Value *onnx_vints(const int64_t *v, int n) {
    bool same = true;
    for (int i = 1; i < n; i++) same &= v[i] == v[0];
    return same && n > 0 ? onnx_vint(v[0]) : onnx_vlist(v, n);
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
    L->ident = onnx_unique(m, name);
    L->st = ast_layer(NOLOC, op, L->ident, NOLOC);
    for (int i = 0; i < nin; i++) ast_add_arg(L->st, NULL, NOLOC, onnx_vword(onnx_ident_of(m, in[i])));
    L->src = nin > 0 ? onnx_ident_of(m, in[0]) : NULL;
    L->out = out;
    for (int i = 0; i < nin && i < 2; i++) L->in[i] = in[i];
    L->wt = L->bt = -1;
    Val *v = onnx_def(m, out);
    v->kind = V_DATA;
    v->layer = id;
    v->shape = *shape;
    v->bpos = 0;
    return id;
}

void onnx_attr(Imp *m, int layer, const char *key, Value *v) { ast_add_arg(m->layers[layer].st, key, NOLOC, v); }

/* a parameter tensor LAYER.KEY of the layer's, float data of `dims` */
void onnx_param(Imp *m, int layer, const char *key, int rank, const int64_t *dims, const float *data) {
    if (m->ntensors == m->captensors) {
        m->captensors = m->captensors ? 2 * m->captensors : 32;
        m->tensors = xrealloc(m->tensors, (size_t)m->captensors * sizeof(StTensor));
        m->tensor_layer = xrealloc(m->tensor_layer, (size_t)m->captensors * sizeof(int));
    }
    m->tensor_layer[m->ntensors] = layer;
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
