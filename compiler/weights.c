/* weights.c — every parameter gets its numbers: inline values first, then
 * the weights file (--weights FILE overrides the network's own, which is
 * relative to the .cnn file), then --random-weights.
 *
 * Errors: tensors found nowhere make one error with a hint, then every one
 * of them with its expected shape (notes, so the error cap hides none); a
 * wrong shape names both; tensors of the file that no layer uses draw a
 * warning (PyTorch's *.num_batches_tracked is ignored). Random values in
 * place of a named file, or of tensors it lacks, draw a warning. Random
 * weights are deterministic for a seed and independent of layer order: each
 * tensor's generator is seeded by its name. */
#include "cnnc.h"

#include <errno.h>
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
    if (p->one_ok && ts.rank == 1 && ts.dim[0] == 1 && !shape_eq(&ts, &p->shape)) {
        L->nparams -= shape_elems(&p->shape) - 1;   /* one number for all (prelu's shared slope) */
        p->shape = ts;
    }
    const Shape *want = param_file_shape(p);
    if (!shape_eq(&ts, want)) {
        diag_error(L->loc, "tensor '%s' in '%s' is %s; %s '%s' needs %s%s", name, f->path, shape_str(&ts),
                   layer_as_written(L)->op->name, L->name, shape_str(want), p->one_ok ? " or [1]" : "");
        if (p->hint && shape_eq(&ts, &p->likely)) diag_note(L->loc, "%s", p->hint);
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

typedef struct { const Layer *L; const Param *p; } Missing;

/* one error for every tensor found nowhere: the count, a hint, then each
 * tensor with its shape at its layer. `searched` is the file looked in (NULL:
 * none); `stated` when it comes from the network's weights statement. */
static void report_missing(const Graph *g, const char *searched, bool stated, const Missing *m, int n) {
    const char *them = n == 1 ? "it" : "them";
    if (searched) {
        diag_error(stated ? g->weights_loc : g->loc, "%d parameter tensor%s not in '%s'", n,
                   n == 1 ? " is" : "s are", searched);
        diag_note((Loc){0}, "'%s' was searched for tensors named LAYER.TENSOR; add %s there or inline, "
                  "or use --random-weights to fill %s with random values", searched, them, them);
    } else {
        diag_error(g->loc, "no weights file: %d parameter tensor%s no values", n, n == 1 ? " has" : "s have");
        diag_note((Loc){0}, "give a safetensors file with 'weights \"FILE\";' or --weights FILE, "
                  "or use --random-weights to try the network");
    }
    for (int i = 0; i < n; i++)
        diag_note(m[i].L->loc, "missing '%s.%s' %s", m[i].L->name, m[i].p->name,
                  shape_str(param_file_shape(m[i].p)));
}

bool weights_load(Graph *g, const char *cnn_path, const WeightOpts *o) {
    int errs = diag_error_count();
    StFile file = {0};
    bool have_file = false;
    const char *stated = NULL;   /* the weights statement's file, when it is the one read */
    if (o->mem) {
        file = *o->mem;
        have_file = true;
    } else if (o->weights_path) {
        have_file = st_load(o->weights_path, &file);
    } else if (g->weights_file) {
        stated = resolve_path(cnn_path, g->weights_file);
        errno = 0;
        if (o->random && access(stated, F_OK) != 0 && errno == ENOENT) {
            /* --random-weights stands in for a weights file not made yet, but says so */
            diag_warning(g->weights_loc, "weights file '%s' not found; using --random-weights values instead",
                         stated);
            stated = NULL;
        } else if (!(have_file = st_load(stated, &file))) {
            diag_note(g->weights_loc, "the weights file is named here");
        }
    }
    if (diag_error_count() != errs) return false;
    Missing *missing = NULL;
    int nmissing = 0, cap = 0, nrandom = 0;
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
                nrandom++;
            } else {
                if (nmissing == cap) {
                    cap = cap ? 2 * cap : 16;
                    missing = xrealloc(missing, (size_t)cap * sizeof *missing);
                }
                missing[nmissing++] = (Missing){L, p};
            }
        }
    }
    if (nmissing) report_missing(g, have_file ? file.path : NULL, stated != NULL, missing, nmissing);
    if (have_file && nrandom) {
        const char *s = nrandom == 1 ? " is" : "s are", *them = nrandom == 1 ? "it" : "them";
        if (stated)
            diag_warning(g->weights_loc, "%d parameter tensor%s not in '%s'; using --random-weights values for %s",
                         nrandom, s, file.path, them);
        else
            diag_file_warning(file.path, "%d parameter tensor%s not in the file; using --random-weights values "
                              "for %s", nrandom, s, them);
    }
    for (int i = 0; have_file && i < file.n; i++) {
        const char *nm = file.t[i].name;
        size_t len = strlen(nm), suf = strlen(".num_batches_tracked");
        if (!file.t[i].used && !(len > suf && strcmp(nm + len - suf, ".num_batches_tracked") == 0))
            diag_file_warning(file.path, "tensor '%s' is not used by any layer", nm);
    }
    return diag_error_count() == errs;
}
