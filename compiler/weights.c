/* weights.c — every parameter gets its numbers: inline values first, then
 * the weights file (--weights FILE overrides the network's own, which is
 * relative to the .cnn file), then --random-weights.
 *
 * Errors: every missing tensor is listed with its expected shape; a wrong
 * shape names both; tensors of the file that no layer uses draw a warning
 * (PyTorch's *.num_batches_tracked is ignored). Random weights are
 * deterministic for a seed and independent of layer order: each tensor's
 * generator is seeded by its name. */
#include "cnnc.h"

#include <libgen.h>
#include <string.h>
#include <unistd.h>

/* ---- deterministic random numbers: splitmix64 */

static uint64_t mix(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double uniform(uint64_t *s, double lo, double hi) {
    return lo + (hi - lo) * (double)(mix(s) >> 11) * (1.0 / 9007199254740992.0);
}

static uint64_t hash(const char *a, const char *b, uint64_t seed) {
    uint64_t h = 1469598103934665603ull ^ seed;
    for (const char *p = a; *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211ull;
    h = (h ^ '.') * 1099511628211ull;
    for (const char *p = b; *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211ull;
    return h;
}

/* U(lo, hi) as the op set it: fan-in scaled weights like PyTorch's default
 * initialisation, normalization statistics random but valid */
static void random_fill(const Layer *L, Param *p, uint64_t seed) {
    uint64_t s = hash(L->name, p->name, seed);
    int64_t n = shape_elems(&p->shape);
    for (int64_t i = 0; i < n; i++) p->data[i] = (float)uniform(&s, p->lo, p->hi);
    p->source = "random";
}

/* ---- sources */

static const Inline *find_inline(const Layer *L, const char *name) {
    for (int i = 0; i < L->ninl; i++)
        if (strcmp(L->inl[i].key, name) == 0) return &L->inl[i];
    return NULL;
}

static bool from_file(Layer *L, Param *p, StFile *f) {
    char *name = xasprintf("%s.%s", L->name, p->name);
    StTensor *t = st_find(f, name);
    if (!t) return false;
    t->used = true;
    Shape ts = {.rank = t->rank};
    for (int i = 0; i < t->rank; i++) ts.dim[i] = t->dim[i];
    if (!st_is_float(t)) {
        diag_error(L->loc, "tensor '%s' in '%s' is %s; parameters must be F32, F16, BF16 or F64", name,
                   f->path, t->dtype);
        return true;
    }
    if (!shape_eq(&ts, &p->shape)) {
        diag_error(L->loc, "tensor '%s' in '%s' is %s; %s '%s' needs %s", name, f->path, shape_str(&ts),
                   L->op->name, L->name, shape_str(&p->shape));
        return true;
    }
    st_to_f32(t, p->data);
    p->source = f->path;
    return true;
}

static const char *resolve_path(const char *cnn_path, const char *file) {
    if (file[0] == '/' || strcmp(cnn_path, "-") == 0) return file;
    char *dir = dirname(xstrdup(cnn_path));
    return strcmp(dir, ".") == 0 ? file : xasprintf("%s/%s", dir, file);
}

bool weights_load(Graph *g, const char *cnn_path, const WeightOpts *o) {
    int errs = diag_error_count();
    StFile file = {0};
    bool have_file = false;
    if (o->weights_path) {
        have_file = st_load(o->weights_path, &file);
    } else if (g->weights_file) {
        const char *path = resolve_path(cnn_path, g->weights_file);
        if (o->random && access(path, R_OK) != 0) {
            /* --random-weights stands in for a weights file not made yet */
        } else if (!(have_file = st_load(path, &file))) {
            diag_note(g->weights_loc, "the weights file is named here");
        }
    }
    if (diag_error_count() != errs) return false;
    int missing = 0;
    for (int i = 1; i < g->n; i++) {
        Layer *L = g->layers[i];
        for (int k = 0; k < L->nparam; k++) {
            Param *p = &L->param[k];
            int64_t n = shape_elems(&p->shape);
            p->data = xcalloc((size_t)n, sizeof(float));
            const Inline *in = find_inline(L, p->name);
            if (in) {
                for (int64_t j = 0; j < n; j++) p->data[j] = (float)in->v[j];
                p->source = "inline";
            } else if (have_file && from_file(L, p, &file)) {
            } else if (o->random) {
                random_fill(L, p, o->seed);
            } else {
                diag_error(L->loc, "no values for parameter '%s.%s' %s", L->name, p->name, shape_str(&p->shape));
                missing++;
            }
        }
    }
    if (missing)
        diag_note(g->loc, "%d parameter tensor%s missing: give them inline, in a weights file "
                  "(--weights FILE) or use --random-weights", missing, missing == 1 ? " is" : "s are");
    for (int i = 0; have_file && i < file.n; i++) {
        const char *nm = file.t[i].name;
        size_t len = strlen(nm), suf = strlen(".num_batches_tracked");
        if (!file.t[i].used && !(len > suf && strcmp(nm + len - suf, ".num_batches_tracked") == 0))
            diag_file_warning(file.path, "tensor '%s' is not used by any layer", nm);
    }
    return diag_error_count() == errs;
}
