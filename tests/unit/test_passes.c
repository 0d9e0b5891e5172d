/* test_passes.c — the graph passes of plan.c, fold_bn.c and fuse.c:
 *
 *   - BatchNorm folding: after plan_build() marks the fold and
 *     fold_bn_apply() applies it, the weights and bias of the layer before
 *     the BatchNorm are w' = w * s and b' = (b - mean) * s + beta with
 *     s = gamma / sqrt(var + eps), recomputed here in double from a copy of
 *     the numbers taken before the fold; every other parameter is unchanged.
 *     Where folding is not allowed (after an activation or an add, at the
 *     input, on a tensor read twice, after the output) the BatchNorm stays
 *     and has a kernel; at -O0 nothing folds and every layer that computes
 *     is a kernel of its own.
 *   - Kernel lists: the ResNet basic block is two kernels; dropout is no part
 *     of a kernel's name; a layer that does not reach the output is dead,
 *     with a warning, and in no kernel.
 *   - The arena, on every network of tests/numeric/cases, examples and
 *     tests/golden and on 300 random DAGs, at -O0, -O1 and -O2: liveness is
 *     recomputed here from the kernel list (not from plan.c's own tables):
 *     kernel k writes K->out's buffer and reads the homes of its head's
 *     inputs and of K->extra; a buffer lives from its writer to its last
 *     reader, a temporary during its kernel. Checked: no two buffers live at
 *     once overlap (except an in-place kernel's output on the input it is
 *     the last reader of), all lie inside the scratch, the scratch is at
 *     least the largest sum of live sizes, offsets are 64-byte aligned, no
 *     value is read before it is written. The checker is itself checked on
 *     plans broken on purpose.
 *   - Budgets: ResNet-18 at 224x224 in <= 4.5 MiB of scratch at -O2, LeNet-5
 *     in <= 80 KiB.
 *
 * The files are read by paths relative to the repository root, where the
 * runner runs (make unit). */
#include "suites.h"

#include <glob.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers */

static Layer *layer_named(Net *n, const char *name) { return (Layer *)net_layer(n, name); }

/* plan_build with its warnings captured into *err (may be NULL) */
static Plan plan_of(Net *n, int opt, char **err) {
    Plan p;
    capture_begin();
    pipeline_plan(&n->u, opt_level(opt), NULL);
    p = n->u.plan;
    char *e = capture_end();
    if (err) *err = e;
    return p;
}

/* index of the kernel holding layer id, -1 if none */
static int kernel_of(const Plan *p, int id) {
    for (int k = 0; k < p->nkernels; k++)
        for (int j = 0; j < p->kernels[k].n; j++)
            if (p->kernels[k].layers[j] == id) return k;
    return -1;
}

static int kernel_named(const Plan *p, const char *name) {
    for (int k = 0; k < p->nkernels; k++)
        if (strcmp(p->kernels[k].name, name) == 0) return k;
    return -1;
}

/* "a, b, c": the kernel names, for messages */
static const char *kernel_list(const Plan *p) {
    char *s = xstrdup("");
    for (int k = 0; k < p->nkernels; k++) s = xasprintf("%s%s%s", s, k ? ", " : "", p->kernels[k].name);
    return s;
}

static Net *compile_ok(int line, const char *src) {
    Net *n = net_compile(src);
    check_at(net_ok(n), line, __FILE__, "compiles:\n%s\n%s", src, n->err);
    return net_ok(n) ? n : NULL;
}
#define COMPILE(src) compile_ok(__LINE__, src)

/* random but valid parameters (BatchNorm variances in [0.5, 2]) */
static bool load_random(Net *n, uint64_t seed) {
    WeightOpts o = {.weights_path = NULL, .random = true, .seed = seed};
    capture_begin();
    bool ok = weights_load(&n->u.g, "test.cnn", &o);
    char *err = capture_end();
    CHECK(ok && !*err, "weights_load: %s", err);
    return ok;
}

/* a copy of every parameter of the graph, in double */
typedef struct {
    int n;
    double *v[MAX_PARAMS];
    int64_t len[MAX_PARAMS];
    const char *name[MAX_PARAMS];
} Snap;

static Snap *snapshot(const Graph *g) {
    Snap *s = xcalloc((size_t)g->n, sizeof(Snap));
    for (int i = 1; i < g->n; i++) {
        const Layer *L = g->layers[i];
        s[i].n = L->nparam;
        for (int k = 0; k < L->nparam; k++) {
            int64_t len = shape_elems(&L->param[k].shape);
            s[i].len[k] = len;
            s[i].name[k] = L->param[k].name;
            s[i].v[k] = xcalloc((size_t)len, sizeof(double));
            for (int64_t j = 0; j < len; j++) s[i].v[k][j] = L->param[k].data[j];
        }
    }
    return s;
}

static const double *snap_get(const Snap *s, const char *name, int64_t *len) {
    for (int k = 0; k < s->n; k++)
        if (strcmp(s->name[k], name) == 0) {
            if (len) *len = s->len[k];
            return s->v[k];
        }
    return NULL;
}

/* |got - want| <= 1e-6 relative to the size of the terms that made want */
static bool close_to(double got, double want, double mag) {
    return fabs(got - want) <= 1e-6 * (fabs(want) + mag) + 1e-30;
}

/* check the fold of batchnorm bn into its producer P against the snapshot */
static int check_fold(const char *what, const Graph *g, const Snap *before, const Layer *bn) {
    const Layer *P = g->layers[bn->folded];
    bool sep = P->op == &op_separable_conv2d;
    const char *wname = sep ? "pointwise.weight" : "weight", *bname = sep ? "pointwise.bias" : "bias";
    const Snap *sb = &before[bn->id], *sp = &before[P->id];
    const double *gamma = snap_get(sb, "weight", NULL), *beta = snap_get(sb, "bias", NULL),
                 *mean = snap_get(sb, "running_mean", NULL), *var = snap_get(sb, "running_var", NULL);
    double eps = attr_float(bn, "eps");
    int64_t wlen = 0, blen = 0;
    const double *w0 = snap_get(sp, wname, &wlen), *b0 = snap_get(sp, bname, &blen);
    const Param *w = layer_param(P, wname), *b = layer_param(P, bname);
    int64_t rows = P->shape.dim[0];
    int bad = 0;
    CHECK(w && w0 && b, "%s: %s has %s and %s after folding %s", what, P->name, wname, bname, bn->name);
    if (!w || !w0 || !b) return 1;
    CHECK(bn->shape.dim[0] == rows, "%s: %s has %lld channels, %s %lld", what, bn->name,
          (long long)bn->shape.dim[0], P->name, (long long)rows);
    /* a created bias has the shape of the layer's own: [out] or [out, OH, OW] */
    int64_t per_out = P->op == &op_local2d ? P->shape.dim[1] * P->shape.dim[2] : 1;
    CHECK(shape_elems(&b->shape) == rows * per_out && b->shape.dim[0] == rows,
          "%s: %s.%s has shape %s", what, P->name, bname, shape_str(&b->shape));
    if (b0) CHECK(blen == shape_elems(&b->shape), "%s: %s.%s keeps its size", what, P->name, bname);
    int64_t wper = wlen / rows, bper = shape_elems(&b->shape) / rows;
    for (int64_t o = 0; o < rows; o++) {
        double s = gamma[o] / sqrt(var[o] + eps);
        for (int64_t j = 0; j < wper && bad < 5; j++) {
            double want = w0[o * wper + j] * s, got = w->data[o * wper + j];
            if (!close_to(got, want, 0)) {
                CHECK(false, "%s: %s.%s[%lld] = %.9g, want %.9g (w %.9g * %.9g)", what, P->name, wname,
                      (long long)(o * wper + j), got, want, w0[o * wper + j], s);
                bad++;
            }
        }
        for (int64_t j = 0; j < bper && bad < 5; j++) {
            double bb = b0 ? b0[o * bper + j] : 0.0;
            double want = (bb - mean[o]) * s + beta[o], got = b->data[o * bper + j];
            if (!close_to(got, want, fabs(bb * s) + fabs(mean[o] * s) + fabs(beta[o]))) {
                CHECK(false, "%s: %s.%s[%lld] = %.9g, want %.9g", what, P->name, bname,
                      (long long)(o * bper + j), got, want);
                bad++;
            }
        }
    }
    CHECK(bad == 0, "%s: %s folded into %s", what, bn->name, P->name);
    return bad;
}

/* every parameter of layer L is what the snapshot says */
static void check_unchanged(const char *what, const Layer *L, const Snap *s) {
    CHECK(L->nparam == s->n, "%s: %s keeps %d parameter tensors, has %d", what, L->name, s->n, L->nparam);
    for (int k = 0; k < L->nparam && k < s->n; k++) {
        int64_t len = shape_elems(&L->param[k].shape), diff = -1;
        for (int64_t j = 0; j < len && j < s->len[k] && diff < 0; j++)
            if (L->param[k].data[j] != (float)s->v[k][j]) diff = j;
        CHECK(len == s->len[k] && diff < 0, "%s: %s.%s unchanged (first difference at %lld)", what, L->name,
              L->param[k].name, (long long)diff);
    }
}

/* after fold_bn_apply: the layers a batchnorm folded into have the folded
 * numbers, every other parameter is unchanged */
static void check_params_after(int line, const char *what, const Graph *g, const Snap *before) {
    for (int i = 1; i < g->n; i++) {
        const Layer *L = g->layers[i];
        const Layer *bn = NULL;
        int nb = 0;
        for (int j = 1; j < g->n; j++)
            if (g->layers[j]->folded == i) {
                bn = g->layers[j];
                nb++;
            }
        check_at(nb <= 1, line, __FILE__, "%s: %d batchnorms fold into %s", what, nb, L->name);
        if (bn) {
            int bad = check_fold(what, g, before, bn);
            check_at(bad == 0, line, __FILE__, "%s: the fold of %s into %s", what, bn->name, L->name);
        } else {
            check_unchanged(what, L, &before[i]);
        }
    }
}

/* compile src, random weights, plan at opt, fold; check that each batchnorm
 * named in folds (NULL-terminated pairs "bn", "producer") folded into that
 * producer with the right numbers, and that all other parameters stay */
static void fold_case(int line, const char *what, const char *src, int opt, const char *const *folds) {
    Net *n = compile_ok(line, src);
    if (!n || !load_random(n, 7)) return;
    Snap *before = snapshot(&n->u.g);
    Plan p = plan_of(n, opt, NULL);
    for (int i = 0; folds[i]; i += 2) {
        Layer *bn = layer_named(n, folds[i]), *P = layer_named(n, folds[i + 1]);
        check_at(bn && P, line, __FILE__, "%s: layers %s and %s", what, folds[i], folds[i + 1]);
        if (!bn || !P) return;
        check_at(bn->folded == P->id, line, __FILE__, "%s: %s folds into %s (folded = %d, want %d)", what,
                 bn->name, P->name, bn->folded, P->id);
        int k = kernel_of(&p, bn->id);
        check_at(k >= 0 && p.kernels[k].layers[0] == P->id, line, __FILE__,
                 "%s: %s is in the kernel of %s (kernels: %s)", what, bn->name, P->name, kernel_list(&p));
    }
    fold_bn_apply(&n->u.g);
    check_params_after(line, what, &n->u.g, before);
}
#define FOLD(what, src, ...) fold_case(__LINE__, what, src, 1, (const char *const[]){__VA_ARGS__, NULL})

/* ---- folding arithmetic */

static void test_fold_exact(void) {
    /* s = 3 / sqrt(3.99 + 0.01) = 1.5: w' = 2 * 1.5 = 3, b' = (1 - 0.25) * 1.5 + 0.5 = 1.625 */
    Net *n = COMPILE("network t { input x[1, 2, 2];\n"
                     "  conv2d c(out=1, kernel=1, weight=[2], bias=[1]);\n"
                     "  batchnorm b(eps=0.01, weight=[3], bias=[0.5], running_mean=[0.25], running_var=[3.99]);\n"
                     "}\n");
    if (!n) return;
    WeightOpts o = {0};
    capture_begin();
    bool ok = weights_load(&n->u.g, "test.cnn", &o);
    char *err = capture_end();
    CU_ASSERT_TRUE_FATAL(ok);
    CHECK(!*err, "no diagnostics: %s", err);
    Plan p = plan_of(n, 1, NULL);
    Layer *c = layer_named(n, "c"), *b = layer_named(n, "b");
    CU_ASSERT_EQUAL(b->folded, c->id);
    CU_ASSERT_EQUAL(p.nkernels, 1);
    CU_ASSERT_STRING_EQUAL(p.kernels[0].name, "c+b");
    fold_bn_apply(&n->u.g);
    CU_ASSERT_DOUBLE_EQUAL(layer_param(c, "weight")->data[0], 3.0, 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(layer_param(c, "bias")->data[0], 1.625, 1e-6);
    /* the batchnorm's own numbers are left as they were */
    CU_ASSERT_DOUBLE_EQUAL(layer_param(b, "weight")->data[0], 3.0, 0);
    CU_ASSERT_DOUBLE_EQUAL(layer_param(b, "running_var")->data[0], 3.99f, 0);

    /* without bias: the fold creates one, b' = (0 - 0.25) * 1.5 + 0.5 = 0.125 */
    n = COMPILE("network t { input x[1, 2, 2];\n"
                "  conv2d c(out=1, kernel=1, bias=false, weight=[2]);\n"
                "  batchnorm b(eps=0.01, weight=[3], bias=[0.5], running_mean=[0.25], running_var=[3.99]);\n"
                "}\n");
    if (!n) return;
    capture_begin();
    ok = weights_load(&n->u.g, "test.cnn", &o);
    capture_end();
    CU_ASSERT_TRUE_FATAL(ok);
    c = layer_named(n, "c");
    CU_ASSERT_PTR_NULL(layer_param(c, "bias"));
    plan_of(n, 2, NULL);
    fold_bn_apply(&n->u.g);
    CU_ASSERT_EQUAL(c->nparam, 2);
    const Param *bias = layer_param(c, "bias");
    CU_ASSERT_PTR_NOT_NULL_FATAL(bias);
    CU_ASSERT_STRING_EQUAL(shape_str(&bias->shape), "[1]");
    CU_ASSERT_DOUBLE_EQUAL(bias->data[0], 0.125, 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(layer_param(c, "weight")->data[0], 3.0, 1e-6);
}

static void test_fold_kinds(void) {
    FOLD("conv2d without bias",
         "network t { input x[3, 8, 8];\n"
         "  conv2d c(out=5, kernel=3, pad=1, bias=false);\n"
         "  batchnorm bn;\n"
         "  relu;\n"
         "}\n",
         "bn", "c");
    FOLD("conv2d with bias, eps=1e-3, groups=2, stride 2",
         "network t { input x[4, 9, 9];\n"
         "  conv2d c(out=6, kernel=3, stride=2, groups=2);\n"
         "  batchnorm bn(eps=1e-3);\n"
         "}\n",
         "bn", "c");
    FOLD("conv1d and conv3d",
         "network t { input x[2, 4, 5, 6];\n"
         "  conv3d c3(out=3, kernel=[1, 2, 3]);\n"
         "  batchnorm b3;\n"
         "  flatten;\n"
         "  dense d(out=12);\n"
         "  batchnorm bd;\n"
         "}\n",
         "b3", "c3", "bd", "d");
    FOLD("conv1d",
         "network t { input x[3, 20];\n"
         "  conv1d c(out=4, kernel=5, pad=same, bias=false);\n"
         "  batchnorm bn(eps=0.1);\n"
         "  tanh;\n"
         "}\n",
         "bn", "c");
    FOLD("depthwise, multiplier 2",
         "network t { input x[3, 7, 7];\n"
         "  depthwise_conv2d dw(kernel=3, multiplier=2, pad=1);\n"
         "  batchnorm bn;\n"
         "  relu6;\n"
         "}\n",
         "bn", "dw");
    FOLD("depthwise without bias",
         "network t { input x[4, 6, 6];\n"
         "  depthwise_conv2d dw(kernel=3, bias=false);\n"
         "  batchnorm bn;\n"
         "}\n",
         "bn", "dw");
    FOLD("dense",
         "network t { input x[10];\n"
         "  dense fc(out=7);\n"
         "  batchnorm bn;\n"
         "  dense fc2(out=3, bias=false);\n"
         "  batchnorm bn2(eps=0.5);\n"
         "}\n",
         "bn", "fc", "bn2", "fc2");
    FOLD("local2d with and without bias",
         "network t { input x[2, 6, 6];\n"
         "  local2d lc(out=3, kernel=3);\n"
         "  batchnorm bn;\n"
         "  local2d lc2(out=2, kernel=2, stride=2, bias=false);\n"
         "  batchnorm bn2;\n"
         "}\n",
         "bn", "lc", "bn2", "lc2");
    FOLD("separable with and without bias",
         "network t { input x[3, 8, 8];\n"
         "  separable_conv2d sp(out=5, kernel=3, pad=1);\n"
         "  batchnorm bn;\n"
         "  elu;\n"
         "  separable_conv2d sp2(out=4, kernel=3, stride=2, bias=false);\n"
         "  batchnorm bn2;\n"
         "}\n",
         "bn", "sp", "bn2", "sp2");
    FOLD("depthwise, separable and local2d in a row (tests/numeric/cases/bn_fold_kinds.cnn)",
         "network t { input x[4, 9, 9];\n"
         "  depthwise_conv2d dw(kernel=3, multiplier=2, pad=1, bias=false);\n"
         "  batchnorm b1;\n"
         "  separable_conv2d sp(out=6, kernel=3, stride=2);\n"
         "  batchnorm b2;\n"
         "  local2d lc(out=3, kernel=2);\n"
         "  batchnorm b3;\n"
         "  elu;\n"
         "}\n",
         "b1", "dw", "b2", "sp", "b3", "lc");
    FOLD("batchnorm that is the output",
         "network t { input x[2, 5, 5];\n"
         "  conv2d c(out=3, kernel=3);\n"
         "  batchnorm bn;\n"
         "}\n",
         "bn", "c");
}

/* the batchnorm stays (folded == 0), is in a kernel, and its producer's
 * parameters are untouched by fold_bn_apply */
static void no_fold_at(int line, const char *what, const char *src, const char *bn_name, int opt) {
    Net *n = compile_ok(line, src);
    if (!n || !load_random(n, 3)) return;
    Snap *before = snapshot(&n->u.g);
    Plan p = plan_of(n, opt, NULL);
    Layer *bn = layer_named(n, bn_name);
    check_at(bn != NULL, line, __FILE__, "%s: %s exists", what, bn_name);
    if (!bn) return;
    check_at(bn->folded == 0, line, __FILE__, "%s -O%d: %s is not folded (folded = %d)", what, opt, bn_name,
             bn->folded);
    check_at(!bn->dead && kernel_of(&p, bn->id) >= 0, line, __FILE__, "%s -O%d: %s is in a kernel (kernels: %s)",
             what, opt, bn_name, kernel_list(&p));
    fold_bn_apply(&n->u.g);
    check_params_after(line, what, &n->u.g, before);
}
#define NO_FOLD(what, src, bn) \
    do { no_fold_at(__LINE__, what, src, bn, 1); no_fold_at(__LINE__, what, src, bn, 2); } while (0)

static void test_fold_not_allowed(void) {
    NO_FOLD("after an activation",
            "network t { input x[3, 6, 6];\n"
            "  conv2d c(out=4, kernel=3);\n"
            "  relu;\n"
            "  batchnorm bn;\n"
            "}\n",
            "bn");
    NO_FOLD("after an add",
            "network t { input x[3, 6, 6];\n"
            "  conv2d c(out=3, kernel=3, pad=1);\n"
            "  add s(c, x);\n"
            "  batchnorm bn;\n"
            "}\n",
            "bn");
    NO_FOLD("at the input",
            "network t { input x[3, 6, 6];\n"
            "  batchnorm bn;\n"
            "  conv2d c(out=4, kernel=3);\n"
            "}\n",
            "bn");
    NO_FOLD("on a tensor also read elsewhere",
            "network t { input x[3, 6, 6];\n"
            "  conv2d c(out=4, kernel=3, pad=1);\n"
            "  batchnorm bn;\n"
            "  add s(bn, c);\n"
            "  relu;\n"
            "}\n",
            "bn");
    NO_FOLD("on a tensor read twice by a mul",
            "network t { input x[6];\n"
            "  dense d(out=4);\n"
            "  batchnorm bn(d);\n"
            "  mul m(d, bn);\n"
            "}\n",
            "bn");
    NO_FOLD("after a pooling",
            "network t { input x[3, 6, 6];\n"
            "  conv2d c(out=4, kernel=3);\n"
            "  maxpool2d(kernel=2);\n"
            "  batchnorm bn;\n"
            "}\n",
            "bn");
    NO_FOLD("after a flatten",
            "network t { input x[3, 4, 4];\n"
            "  conv2d c(out=2, kernel=3);\n"
            "  flatten;\n"
            "  batchnorm bn;\n"
            "}\n",
            "bn");
    NO_FOLD("after another batchnorm (the first folds, the second stays)",
            "network t { input x[3, 6, 6];\n"
            "  conv2d c(out=4, kernel=3);\n"
            "  batchnorm b1;\n"
            "  batchnorm bn;\n"
            "}\n",
            "bn");

    /* after the network's output: the batchnorm is dead, so neither folded nor in a kernel */
    static const char *const after_output = "network t { input x[3, 6, 6];\n"
                                            "  conv2d c(out=4, kernel=3);\n"
                                            "  batchnorm bn;\n"
                                            "  output c;\n"
                                            "}\n";
    for (int opt = 0; opt <= 2; opt++) {
        Net *n = COMPILE(after_output);
        if (!n) return;
        char *err;
        Plan p = plan_of(n, opt, &err);
        const Layer *bn = net_layer(n, "bn"), *c = net_layer(n, "c");
        CHECK(bn->folded == 0 && bn->dead, "-O%d: a batchnorm after the output is dead and not folded", opt);
        CHECK(kernel_of(&p, bn->id) < 0, "-O%d: it has no kernel (kernels: %s)", opt, kernel_list(&p));
        CHECK(p.nkernels == 1 && p.kernels[0].n == 1 && p.kernels[0].out == c->id,
              "-O%d: one kernel, c (kernels: %s)", opt, kernel_list(&p));
        CHECK(strstr(err, "'bn' does not reach the output 'c'") != NULL, "-O%d: the warning: %s", opt, err);
    }
}

/* -O0: nothing folds and every layer that computes is a kernel of its own */
static void test_O0_nothing_fused(void) {
    static const char *const srcs[] = {
        "network t { input x[3, 8, 8];\n"
        "  conv2d c1(out=4, kernel=3, pad=1, bias=false);\n"
        "  batchnorm bn1;\n"
        "  relu;\n"
        "  dropout;\n"
        "  conv2d c2(out=3, kernel=3, pad=1);\n"
        "  batchnorm bn2;\n"
        "  add s(bn2, x);\n"
        "  relu;\n"
        "  maxpool2d(kernel=2);\n"
        "  flatten;\n"
        "  dense fc(out=5);\n"
        "  batchnorm bn3;\n"
        "  softmax;\n"
        "}\n",
        "network t { input x[4, 9, 9];\n"
        "  depthwise_conv2d dw(kernel=3, multiplier=2, pad=1, bias=false);\n"
        "  batchnorm b1;\n"
        "  separable_conv2d sp(out=6, kernel=3, stride=2);\n"
        "  batchnorm b2;\n"
        "  local2d lc(out=3, kernel=2);\n"
        "  batchnorm b3;\n"
        "  elu;\n"
        "}\n",
    };
    for (size_t s = 0; s < sizeof srcs / sizeof srcs[0]; s++) {
        Net *n = COMPILE(srcs[s]);
        if (!n || !load_random(n, 5)) continue;
        Snap *before = snapshot(&n->u.g);
        Plan p = plan_of(n, 0, NULL);
        int computing = 0;
        for (int i = 1; i < n->u.g.n; i++) {
            const Layer *L = n->u.g.layers[i];
            CHECK(L->folded == 0, "source %zu -O0: %s is not folded", s, L->name);
            if (L->dead) continue;
            bool alias = (L->op->flags & (OPF_IDENTITY | OPF_SOURCE)) && !graph_is_output(&n->u.g, i);
            int k = kernel_of(&p, i);
            if (alias) {
                CHECK(k < 0, "source %zu -O0: %s (an alias) has no kernel", s, L->name);
                continue;
            }
            computing++;
            CHECK(k >= 0 && p.kernels[k].n == 1 && p.kernels[k].nextra == 0 && p.kernels[k].out == i &&
                      strcmp(p.kernels[k].name, L->name) == 0,
                  "source %zu -O0: %s is a kernel of its own (kernels: %s)", s, L->name, kernel_list(&p));
        }
        CHECK(p.nkernels == computing, "source %zu -O0: %d kernels for %d computing layers (%s)", s, p.nkernels,
              computing, kernel_list(&p));
        fold_bn_apply(&n->u.g);
        for (int i = 1; i < n->u.g.n; i++) check_unchanged("-O0", n->u.g.layers[i], &before[i]);
    }
}

/* ---- kernel lists */

static void expect_kernels(int line, const char *src, int opt, const char *const *want) {
    Net *n = compile_ok(line, src);
    if (!n) return;
    Plan p = plan_of(n, opt, NULL);
    int nw = 0;
    while (want[nw]) nw++;
    bool same = p.nkernels == nw;
    for (int k = 0; same && k < nw; k++) same = strcmp(p.kernels[k].name, want[k]) == 0;
    const char *w = xstrdup("");
    for (int k = 0; k < nw; k++) w = xasprintf("%s%s%s", w, k ? ", " : "", want[k]);
    check_at(same, line, __FILE__, "-O%d kernels: want %s, got %s", opt, w, kernel_list(&p));
}
#define KERNELS(src, opt, ...) expect_kernels(__LINE__, src, opt, (const char *const[]){__VA_ARGS__, NULL})

static const char resnet_block[] = "network resnet_block {\n"
                                   "  input x[16, 32, 32];\n"
                                   "  conv2d c1(out=16, kernel=3, pad=1, bias=false);\n"
                                   "  batchnorm bn1;\n"
                                   "  relu;\n"
                                   "  conv2d c2(out=16, kernel=3, pad=1, bias=false);\n"
                                   "  batchnorm bn2;\n"
                                   "  add sum(bn2, x);\n"
                                   "  relu out;\n"
                                   "}\n";

static void test_kernels_resnet_block(void) {
    for (int opt = 1; opt <= 2; opt++) {
        KERNELS(resnet_block, opt, "c1+bn1+relu_1", "c2+bn2+sum+out");
        Net *n = COMPILE(resnet_block);
        if (!n) return;
        Plan p = plan_of(n, opt, NULL);
        if (p.nkernels != 2) continue;
        const Kernel *k2 = &p.kernels[1];
        CHECK(k2->nextra == 1 && k2->extra[0] == 0, "-O%d: the second kernel reads x as its residual", opt);
        CHECK(graph_is_output(&n->u.g, k2->out) && p.offset[k2->out] == PLAN_OUTPUT, "-O%d: it stores the output", opt);
        CHECK(net_layer(n, "bn1")->folded == net_layer(n, "c1")->id, "-O%d: bn1 folds into c1", opt);
        CHECK(net_layer(n, "bn2")->folded == net_layer(n, "c2")->id, "-O%d: bn2 folds into c2", opt);
        /* the residual x must stay readable until the second kernel: it is the input */
        CHECK(p.offset[0] == PLAN_INPUT, "the input is the caller's");
        /* one buffer in scratch: relu_1's value, 16x32x32 floats (plus temporaries) */
        int relu_1 = net_layer(n, "relu_1")->id;
        CHECK(p.kernels[0].out == relu_1 && p.home[relu_1] == relu_1 && p.offset[relu_1] >= 0,
              "-O%d: the first kernel stores relu_1 in scratch", opt);
        CHECK(p.scratch_floats >= 16 * 32 * 32, "-O%d: scratch %lld floats", opt, (long long)p.scratch_floats);
    }
    KERNELS(resnet_block, 0, "c1", "bn1", "relu_1", "c2", "bn2", "sum", "out");
    /* the shortcut written after the main branch is computed before the head: still fused */
    KERNELS("network t { input x[4, 8, 8];\n"
            "  conv2d a(out=4, kernel=3, pad=1);\n"
            "  relu r(a);\n"
            "  conv2d sc(x, out=4, kernel=1);\n"
            "  conv2d b(r, out=4, kernel=3, pad=1);\n"
            "  batchnorm bnb;\n"
            "  add s(bnb, sc);\n"
            "  relu;\n"
            "}\n",
            2, "a+r", "sc", "b+bnb+s+relu_2");
    /* the other input of the add is computed after the head: the add is a kernel of its own */
    KERNELS("network t { input x[4, 8, 8];\n"
            "  conv2d a(out=4, kernel=3, pad=1);\n"
            "  conv2d b(x, out=4, kernel=1);\n"
            "  add s(a, b);\n"
            "  relu;\n"
            "}\n",
            2, "a", "b+s+relu_1");
}

/* the elementwise binary ops fuse when the kernel's value has the output's
 * shape and every other input is read at the store's index, per channel or
 * as one number; prelu fuses as an activation */
static void test_kernels_broadcast(void) {
    for (int opt = 1; opt <= 2; opt++) {
        KERNELS("network t { input x[4, 8, 8];\n"
                "  global_avgpool g(x);\n"
                "  conv2d c(x, out=4, kernel=3, pad=1);\n"
                "  mul m(g, c);\n"
                "  prelu p;\n"
                "  conv2d c2(out=4, kernel=1);\n"
                "  sub s(c2, g);\n"
                "  flatten f(x);\n"
                "  dense d(out=1);\n"
                "  conv2d c3(s, out=4, kernel=1);\n"
                "  div v(c3, d);\n"
                "  conv2d c4(out=4, kernel=1);\n"
                "  max a(c4, v, g, d);\n"
                "}\n",
                opt, "g", "c+m+p", "c2+s", "d", "c3+v", "c4+a");
        /* [1,H,W] is read at an index of its own: a kernel of its own */
        KERNELS("network t { input x[4, 8, 8];\n"
                "  conv2d p(x, out=1, kernel=1);\n"
                "  conv2d c(x, out=4, kernel=3, pad=1);\n"
                "  min m(c, p);\n"
                "}\n",
                opt, "p", "c", "m");
        /* the kernel's own value is the broadcast one: a kernel of its own */
        KERNELS("network t { input x[4, 8, 8];\n"
                "  global_avgpool g(x);\n"
                "  conv2d c(out=4, kernel=1);\n"
                "  hardsigmoid s;\n"
                "  mul m(x, s);\n"
                "}\n",
                opt, "g", "c+s", "m");
    }
}

static void test_kernels_dropout(void) {
    KERNELS("network t { input x[3, 8, 8];\n"
            "  conv2d c(out=4, kernel=3);\n"
            "  dropout(p=0.2);\n"
            "  relu;\n"
            "  dropout d2;\n"
            "  maxpool2d mp(kernel=2);\n"
            "}\n",
            2, "c+relu_1", "mp");
    KERNELS("network t { input x[12];\n"
            "  dense fc(out=8);\n"
            "  batchnorm bn;\n"
            "  dropout;\n"
            "  relu;\n"
            "  dense fc2(out=3);\n"
            "}\n",
            1, "fc+bn+relu_1", "fc2");
    /* the dropout is in the kernel's layers, not in its name */
    Net *n = COMPILE("network t { input x[3, 8, 8];\n"
                     "  conv2d c(out=4, kernel=3);\n"
                     "  dropout dr;\n"
                     "  relu r;\n"
                     "  conv2d c2(out=2, kernel=1);\n"
                     "}\n");
    if (!n) return;
    Plan p = plan_of(n, 2, NULL);
    int k = kernel_of(&p, net_layer(n, "dr")->id);
    CHECK(k >= 0 && strcmp(p.kernels[k].name, "c+r") == 0 && p.kernels[k].n == 3,
          "dropout is a silent member of c+r (kernels: %s)", kernel_list(&p));
    /* a dropout that is the output is copied by a kernel of its own */
    KERNELS("network t { input x[3, 8, 8];\n"
            "  conv2d c(out=4, kernel=3);\n"
            "  relu;\n"
            "  dropout last;\n"
            "}\n",
            2, "c+relu_1", "last");
    /* at -O0 dropout is an alias: no kernel, no name */
    KERNELS("network t { input x[3, 8, 8];\n"
            "  conv2d c(out=4, kernel=3);\n"
            "  dropout;\n"
            "  relu;\n"
            "}\n",
            0, "c", "relu_1");
}

/* ConvNeXt's block: the run between the transposes computes channels-first
 * at -O2 (the transposes gone, the denses 1x1 convolutions with their
 * weights as the file holds them, the layer scale [C,1,1]); the report
 * shows the layers as written; a run that reads along the first axis
 * (prelu) or whose value is read twice stays */
static void test_channels_first(void) {
    static const char src[] = "network t { input x[8, 5, 6];\n"
                              "  depthwise_conv2d dw(kernel=7, pad=3);\n"
                              "  transpose t1(perm=[1, 2, 0]);\n"
                              "  layernorm ln(axis=-1);\n"
                              "  dense up(out=32); gelu g;\n"
                              "  dense down(out=8);\n"
                              "  constant gamma(shape=[8]);\n"
                              "  mul s(down, gamma);\n"
                              "  transpose t2(s, perm=[2, 0, 1]);\n"
                              "  add y(x, t2);\n}\n";
    KERNELS(src, 2, "dw", "ln", "up+g", "down+s+y");
    KERNELS(src, 1, "dw", "t1", "ln", "up+g", "down", "s", "t2", "y");
    Net *n = COMPILE(src);
    if (!n) return;
    plan_of(n, 2, NULL);
    const Layer *up = net_layer(n, "up"), *gamma = net_layer(n, "gamma"), *y = net_layer(n, "y");
    CU_ASSERT(up->op == &op_conv2d && up->shape.dim[0] == 32 && up->param[0].shape.rank == 4);
    CU_ASSERT(shape_eq(param_file_shape(&up->param[0]), &(Shape){.rank = 2, .dim = {32, 8}}));
    CU_ASSERT(layer_as_written(up)->op == &op_dense && layer_as_written(up)->shape.dim[2] == 32);
    CU_ASSERT(gamma->shape.rank == 3 && gamma->shape.dim[0] == 8 && param_file_shape(&gamma->param[0])->rank == 1);
    CU_ASSERT(y->in[1] == net_layer(n, "s")->id && layer_as_written(y)->in[1] == net_layer(n, "t2")->id);
    CU_ASSERT(load_random(n, 1));
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    report_text(f, &n->u.g, 0, &n->u.plan);
    fclose(f);
    CHECK(strstr(buf, "\nup     dense             [5,6,32]") && strstr(buf, "\nt2     transpose"), "as written:\n%s", buf);
    /* a binary op reading the network input stays (no constant); a constant
     * transposed keeps its shape (only a binary op's constant is reshaped) */
    KERNELS("network t { input x[8, 8]; transpose t1(perm=[1, 0]); add a(t1, x); transpose t2(perm=[1, 0]); }", 2,
            "t1", "a", "t2");
    n = COMPILE("network t { input x[4, 5, 6]; constant k(shape=[4, 5, 6]); transpose t1(k, perm=[1, 2, 0]);\n"
                "  relu r; transpose t2(perm=[2, 0, 1]); add y(x, t2); }");
    if (n) {
        plan_of(n, 2, NULL);
        const Layer *k = net_layer(n, "k");
        CU_ASSERT(k->shape.rank == 3 && k->shape.dim[0] == 4 && k->shape.dim[2] == 6 && k->param[0].stored.rank == 0);
        CU_ASSERT(net_layer(n, "r")->in[0] == k->id && net_layer(n, "t1")->dead);
    }
    KERNELS("network t { input x[8, 5, 6]; transpose t1(perm=[1, 2, 0]); dense d(out=4); prelu p;\n"
            "  transpose t2(perm=[2, 0, 1]); }", 2, "t1", "d+p", "t2");
    KERNELS("network t { input x[8, 5, 6]; transpose t1(perm=[1, 2, 0]); dense d(out=4);\n"
            "  transpose t2(perm=[2, 0, 1]); flatten f1(t2); flatten f2(t1); concat(f1, f2); }", 2, "t1", "d", "t2",
            "concat_1");
}

static void test_kernels_dead(void) {
    static const char *const src = "network t { input x[3, 8, 8];\n"
                                   "  conv2d a(out=4, kernel=3);\n"
                                   "  conv2d side(x, out=2, kernel=1);\n"
                                   "  relu side_act;\n"
                                   "  relu r(a);\n"
                                   "  output r;\n"
                                   "}\n";
    for (int opt = 0; opt <= 2; opt++) {
        Net *n = COMPILE(src);
        if (!n) return;
        char *err;
        Plan p = plan_of(n, opt, &err);
        const Layer *side = net_layer(n, "side"), *act = net_layer(n, "side_act");
        CHECK(side->dead && act->dead, "-O%d: side and side_act are dead", opt);
        CHECK(!net_layer(n, "a")->dead && !net_layer(n, "r")->dead, "-O%d: a and r live", opt);
        CHECK(kernel_of(&p, side->id) < 0 && kernel_of(&p, act->id) < 0, "-O%d: no kernel for dead layers (%s)",
              opt, kernel_list(&p));
        CHECK(strstr(err, "'side' does not reach the output 'r'; it is dropped") != NULL,
              "-O%d: warning for side: %s", opt, err);
        CHECK(strstr(err, "'side_act' does not reach the output 'r'") != NULL, "-O%d: warning for side_act: %s",
              opt, err);
        CHECK(strstr(err, "warning:") != NULL && strstr(err, "error:") == NULL, "-O%d: warnings only: %s", opt,
              err);
        CHECK(p.nkernels == (opt ? 1 : 2), "-O%d: kernels %s", opt, kernel_list(&p));
    }
    /* nothing dead: no warning */
    Net *n = COMPILE(resnet_block);
    if (!n) return;
    char *err;
    plan_of(n, 2, &err);
    CHECK(*err == 0, "no warnings for the resnet block: %s", err);
}

/* ---- the arena */

typedef struct {
    const char *what;     /* for messages */
    int64_t off, size;    /* floats */
    int from, to;         /* kernel indices, inclusive */
    int buf;              /* the layer whose value it holds; -1: a temporary */
    int over;             /* written in place over this buffer's value (layer id), or -1 */
    bool handed;          /* its memory goes on as an in-place kernel's output at `to` */
} Live;

/* an in-place kernel's output may share its input's memory at the one
 * kernel where the input dies and the output is born */
static bool in_place_pair(const Live *a, const Live *b) {
    return b->over >= 0 && b->over == a->buf && a->to == b->from && a->off == b->off && a->size == b->size;
}

static int64_t scratch_lower_bound(const Live *v, int nv, int nk) {
    int64_t best = 0;
    for (int t = 0; t < nk; t++) {
        int64_t sum = 0;
        for (int i = 0; i < nv; i++)
            if (v[i].from <= t && t <= v[i].to - (v[i].handed ? 1 : 0)) sum += v[i].size;
        if (sum > best) best = sum;
    }
    return best;
}

/* set by the checker's own test: count failures without reporting them */
static bool arena_quiet;

/* recompute liveness from the kernel list and check the arena; returns the
 * number of failed checks (and, through lb, the lower bound) */
static int check_arena(const char *file, int opt, Net *n, const Plan *p, int64_t *lb) {
    const Graph *g = &n->u.g;
    int nk = p->nkernels, fails = 0;
    int *writer = xcalloc((size_t)g->n, sizeof(int)), *last = xcalloc((size_t)g->n, sizeof(int));
    int *over = xcalloc((size_t)g->n, sizeof(int));   /* in-place kernels: the buffer written over */
    for (int i = 0; i < g->n; i++) writer[i] = last[i] = over[i] = -1;
#define ACHECK(ok, ...)                                                                                   \
    do {                                                                                                  \
        bool ok_ = (ok);                                                                                  \
        if (!ok_ && fails < 8 && !arena_quiet) CHECK(false, "%s -O%d: %s", file, opt, xasprintf(__VA_ARGS__)); \
        if (!ok_) fails++;                                                                                \
    } while (0)
    ACHECK(p->home[0] == 0 && p->offset[0] == PLAN_INPUT, "the input is the caller's");
    /* every live layer that computes is in exactly one kernel, dead ones in none */
    for (int i = 1; i < g->n; i++) {
        const Layer *L = g->layers[i];
        int count = 0;
        for (int k = 0; k < nk; k++)
            for (int j = 0; j < p->kernels[k].n; j++) count += p->kernels[k].layers[j] == i;
        bool alias = (L->op->flags & (OPF_IDENTITY | OPF_SOURCE)) && !graph_is_output(g, i);   /* or a constant */
        if (L->dead) ACHECK(count == 0, "dead %s is in %d kernels", L->name, count);
        else if (!alias) ACHECK(count == 1, "%s is in %d kernels", L->name, count);
        else ACHECK(count <= 1, "%s is in %d kernels", L->name, count);
    }
    Live *v = xcalloc((size_t)(2 * nk + 1), sizeof(Live));
    int nv = 0;
    for (int k = 0; k < nk; k++) {
        const Kernel *K = &p->kernels[k];
        const Layer *h = g->layers[K->layers[0]];
        /* reads: the head's inputs and the epilogue's extra inputs */
        for (int i = 0; i < h->nin + K->nextra; i++) {
            int src = i < h->nin ? h->in[i] : K->extra[i - h->nin];
            int b = p->home[src];
            if (b == 0) continue;   /* the network input */
            if (b > 0 && b < g->n && p->offset[b] == PLAN_CONST) {   /* a constant: its array */
                ACHECK(g->layers[b]->op->flags & OPF_SOURCE, "kernel %s reads %s as a constant", K->name,
                       g->layers[src]->name);
                continue;
            }
            ACHECK(b > 0 && b < g->n && p->home[b] == b, "kernel %s reads %s whose home %d is no buffer", K->name,
                   g->layers[src]->name, b);
            if (!(b > 0 && b < g->n)) continue;
            ACHECK(p->offset[b] != PLAN_INPUT, "kernel %s reads %s from the input buffer", K->name,
                   g->layers[src]->name);
            ACHECK(p->offset[b] != PLAN_OUTPUT || graph_is_output(g, b),
                   "kernel %s reads %s from the output buffer", K->name, g->layers[src]->name);
            ACHECK(writer[b] >= 0 && writer[b] < k, "kernel %s (#%d) reads %s before it is written (writer #%d)",
                   K->name, k, g->layers[b]->name, writer[b]);
            if (k > last[b]) last[b] = k;
        }
        /* the write */
        ACHECK(p->home[K->out] == K->out, "kernel %s stores %s whose home is %d", K->name, g->layers[K->out]->name,
               p->home[K->out]);
        if (graph_is_output(g, K->out)) {
            ACHECK(p->offset[K->out] == PLAN_OUTPUT, "kernel %s stores the output in scratch", K->name);
            ACHECK(writer[K->out] < 0, "%s is written twice", g->layers[K->out]->name);
            writer[K->out] = k;   /* later kernels may read an output */
        } else if (p->offset[K->out] == PLAN_OUTPUT) {
            ACHECK(false, "kernel %s stores %s, not the output, in the output buffer", K->name,
                   g->layers[K->out]->name);
        } else {
            ACHECK(writer[K->out] < 0, "%s is written twice", g->layers[K->out]->name);
            writer[K->out] = k;
        }
        if (K->inplace) {
            /* y is x0: an elementwise head, over a scratch buffer of the same size */
            int src = h->nin ? p->home[h->in[0]] : 0;
            ACHECK(opt >= 2, "kernel %s runs in place at -O%d", K->name, opt);
            ACHECK((h->op->flags & OPF_INPLACE) && K->n == 1, "kernel %s runs in place but %s is no in-place op",
                   K->name, h->name);
            ACHECK(src > 0 && p->offset[src] >= 0 && p->offset[K->out] == p->offset[src] &&
                       shape_elems(&g->layers[src]->shape) == shape_elems(&g->layers[K->out]->shape),
                   "kernel %s runs in place but its output (offset %lld) is not its input's buffer (%s, offset %lld)",
                   K->name, (long long)p->offset[K->out], src > 0 ? g->layers[src]->name : "none",
                   src > 0 ? (long long)p->offset[src] : -1LL);
            if (src > 0 && !graph_is_output(g, K->out)) over[K->out] = src;
        }
    }
    /* an in-place kernel is the last reader of the value it writes over */
    for (int b = 1; b < g->n; b++)
        if (over[b] >= 0)
            ACHECK(last[over[b]] == writer[b], "%s is written over by %s in kernel #%d but read until #%d",
                   g->layers[over[b]]->name, g->layers[b]->name, writer[b], last[over[b]]);
    /* every value some live layer reads has its home written */
    for (int i = 1; i < g->n; i++) {
        const Layer *L = g->layers[i];
        if (L->dead) continue;
        for (int j = 0; j < L->nin; j++) {
            int b = p->home[L->in[j]];
            ACHECK(b == 0 || writer[b] >= 0 || p->offset[b] == PLAN_OUTPUT || p->offset[b] == PLAN_CONST,
                   "%s reads %s, which no kernel writes",
                   L->name, g->layers[L->in[j]]->name);
        }
    }
    for (int b = 1; b < g->n; b++) {
        if (writer[b] < 0 || p->offset[b] == PLAN_OUTPUT) continue;   /* scratch values only */
        const Layer *L = g->layers[b];
        ACHECK(last[b] >= 0, "%s is written but never read", L->name);
        bool handed = false;
        for (int c = 1; c < g->n; c++) handed |= over[c] == b;
        v[nv++] = (Live){L->name, p->offset[b], shape_elems(&L->shape), writer[b],
                         last[b] < writer[b] ? writer[b] : last[b], b, over[b], handed};
    }
    for (int k = 0; k < nk; k++) {
        const Layer *h = g->layers[p->kernels[k].layers[0]];
        Shape in = g->layers[h->in[0]]->shape;
        /* the scratch of the kernel chosen (-O2), or of the op's own emitters */
        int64_t t = opt >= 2 && h->op->choose ? p->choice[h->id].temp : h->op->temp ? h->op->temp(h, &in, opt) : 0;
        if (t <= 0) {
            ACHECK(p->temp[h->id] == -1, "%s has a temporary of %lld floats", h->name, (long long)t);
            continue;
        }
        ACHECK(p->temp[h->id] >= 0, "%s needs %lld floats of temporary and has none", h->name, (long long)t);
        v[nv++] = (Live){xasprintf("temporary of %s", h->name), p->temp[h->id], t, k, k, -1, -1, false};
    }
    /* (b) inside the scratch, (d) aligned */
    for (int i = 0; i < nv; i++) {
        ACHECK(v[i].off >= 0 && v[i].off + v[i].size <= p->scratch_floats,
               "%s at [%lld, %lld) is outside the scratch of %lld floats", v[i].what, (long long)v[i].off,
               (long long)(v[i].off + v[i].size), (long long)p->scratch_floats);
        ACHECK(v[i].off % PLAN_ALIGN_FLOATS == 0, "%s at %lld is not 64-byte aligned", v[i].what,
               (long long)v[i].off);
    }
    /* (a) no overlap of buffers live at once */
    for (int i = 0; i < nv; i++)
        for (int j = i + 1; j < nv; j++) {
            bool same_time = v[i].from <= v[j].to && v[j].from <= v[i].to;
            bool same_place = v[i].off < v[j].off + v[j].size && v[j].off < v[i].off + v[i].size;
            if (in_place_pair(&v[i], &v[j]) || in_place_pair(&v[j], &v[i])) continue;
            ACHECK(!(same_time && same_place),
                   "%s [%lld, %lld) live in kernels #%d..#%d overlaps %s [%lld, %lld) live in #%d..#%d", v[i].what,
                   (long long)v[i].off, (long long)(v[i].off + v[i].size), v[i].from, v[i].to, v[j].what,
                   (long long)v[j].off, (long long)(v[j].off + v[j].size), v[j].from, v[j].to);
        }
    /* (c) no plan can be smaller than the largest sum of live sizes (a value
     * written over in place counts until the kernel before) */
    *lb = scratch_lower_bound(v, nv, nk);
    ACHECK(p->scratch_floats >= *lb, "scratch %lld floats < %lld live at once", (long long)p->scratch_floats,
           (long long)*lb);
    /* no scratch at all when nothing lives in it */
    if (nv == 0) ACHECK(p->scratch_floats == 0, "scratch %lld floats with no buffer", (long long)p->scratch_floats);
#undef ACHECK
    return fails;
}

/* the checker itself finds broken plans: buffers moved onto each other,
 * a scratch too small, a misaligned buffer, kernels out of order */
static void test_arena_checker(void) {
    static const char *const path = "examples/lenet5/lenet5.cnn";
    size_t len;
    char *src = read_file(path, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(src);
    for (int mutation = 0; mutation < 5; mutation++) {
        Net *n = net_compile(src);
        CU_ASSERT_TRUE_FATAL(net_ok(n));
        Plan p = plan_of(n, 0, NULL);
        int64_t lb;
        CHECK(check_arena(path, 0, n, &p, &lb) == 0, "the plan as made passes");
        int first = -1, second = -1;   /* two buffers in scratch */
        for (int k = 0; k < p.nkernels; k++)
            if (p.offset[p.kernels[k].out] >= 0) {
                if (first < 0) first = p.kernels[k].out;
                else if (second < 0) second = p.kernels[k].out;
            }
        CU_ASSERT_TRUE_FATAL(second > 0);
        const char *what = "";
        switch (mutation) {
        case 0: what = "every buffer at offset 0";
            for (int i = 1; i < n->u.g.n; i++)
                if (p.offset[i] > 0) p.offset[i] = 0;
            break;
        case 1: what = "the scratch 16 floats short"; p.scratch_floats -= 16; break;
        case 2: what = "a buffer moved by one float"; p.offset[second] += 1; p.scratch_floats += 16; break;
        case 3: what = "the first two kernels swapped"; {
                Kernel t = p.kernels[0];
                p.kernels[0] = p.kernels[1];
                p.kernels[1] = t;
            }
            break;
        case 4: what = "the second buffer on the first"; p.offset[second] = p.offset[first]; break;
        }
        arena_quiet = true;
        int fails = check_arena(path, 0, n, &p, &lb);
        arena_quiet = false;
        CHECK(fails > 0, "the checker finds %s", what);
    }
}

/* a kernel marked in place over a value that a later kernel still reads */
static void test_arena_checker_inplace(void) {
    static const char *const src = "network t { input x[4, 8, 8];\n"
                                   "  conv2d c(out=4, kernel=3, pad=1);\n"
                                   "  relu r(c);\n"
                                   "  conv2d c2(r, out=4, kernel=1);\n"
                                   "  add s(c2, c);\n"
                                   "  sigmoid;\n"
                                   "}\n";
    Net *n = net_compile(src);
    CU_ASSERT_TRUE_FATAL(net_ok(n));
    Plan p = plan_of(n, 2, NULL);
    int64_t lb;
    CHECK(check_arena("in place", 2, n, &p, &lb) == 0, "the plan as made passes");
    int c = net_layer(n, "c")->id, r = net_layer(n, "r")->id, k = kernel_of(&p, r);
    CU_ASSERT_TRUE_FATAL(k >= 0 && p.kernels[k].out == r && !p.kernels[k].inplace);
    p.kernels[k].inplace = true;
    p.offset[r] = p.offset[c];
    arena_quiet = true;
    int fails = check_arena("in place", 2, n, &p, &lb);
    arena_quiet = false;
    CHECK(fails > 0, "the checker finds relu written in place over c, which the add still reads");
}

static void test_arena_invariants(void) {
    static const char *const patterns[] = {"tests/numeric/cases/*.cnn", "examples/*/*.cnn", "tests/golden/*.cnn"};
    int files = 0, plans = 0, failed = 0;
    bool verbose = getenv("PASSES_VERBOSE") != NULL;
    for (size_t i = 0; i < sizeof patterns / sizeof patterns[0]; i++) {
        glob_t gl;
        int rc = glob(patterns[i], 0, NULL, &gl);
        CHECK(rc == 0 && gl.gl_pathc > 0, "%s finds networks (run from the repository root)", patterns[i]);
        if (rc != 0) continue;
        for (size_t f = 0; f < gl.gl_pathc; f++) {
            const char *path = xstrdup(gl.gl_pathv[f]);
            size_t len;
            char *src = read_file(path, &len);
            CHECK(src != NULL, "%s can be read", path);
            if (!src) continue;
            files++;
            for (int opt = 0; opt <= 2; opt++) {
                Net *n = net_compile(src);
                CHECK(net_ok(n), "%s compiles:\n%s", path, n->err);
                if (!net_ok(n)) break;
                Plan p = plan_of(n, opt, NULL);
                int64_t lb = 0;
                int fails = check_arena(path, opt, n, &p, &lb);
                plans++;
                failed += fails > 0;
                if (verbose)
                    printf("\n  %-48s -O%d %3d kernels, scratch %9lld floats, lower bound %9lld%s", path, opt,
                           p.nkernels, (long long)p.scratch_floats, (long long)lb, fails ? "  FAILED" : "");
            }
        }
        globfree(&gl);
    }
    CHECK(files >= 100, "%d networks checked", files);
    CHECK(failed == 0, "%d of %d plans break an arena invariant", failed, plans);
}

/* ---- random networks: branches, residual adds, shared tensors, aliases,
 * dead layers and an output in the middle, all [4, 8, 8] so that any two
 * tensors can be added */

static uint64_t rng_next(uint64_t *s) {
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 33;
}

static const char *random_net(uint64_t seed) {
    uint64_t s = seed * 2654435761u + 1;
    int n = 4 + (int)(rng_next(&s) % 20);
    char *src = xstrdup("network r {\n  input x[4, 8, 8];\n");
    for (int i = 1; i <= n; i++) {
        /* an input: mostly the latest value, sometimes an older one */
        int a = rng_next(&s) % 3 ? i - 1 : (int)(rng_next(&s) % (unsigned)i);
        int b = (int)(rng_next(&s) % (unsigned)i);
        const char *in = a ? xasprintf("n%d", a) : "x", *in2 = b ? xasprintf("n%d", b) : "x";
        const char *stmt;
        switch (rng_next(&s) % 17) {
        case 0: case 1: stmt = xasprintf("conv2d n%d(%s, out=4, kernel=%d, pad=same%s)", i, in,
                                          (int)(rng_next(&s) % 2) * 2 + 1, rng_next(&s) % 2 ? ", bias=false" : ""); break;
        case 2: stmt = xasprintf("depthwise_conv2d n%d(%s, kernel=3, pad=1)", i, in); break;
        case 3: stmt = xasprintf("separable_conv2d n%d(%s, out=4, kernel=3, pad=1)", i, in); break;
        case 4: stmt = xasprintf("local2d n%d(%s, out=4, kernel=3, pad=1)", i, in); break;
        case 5: case 6: stmt = xasprintf("batchnorm n%d(%s)", i, in); break;
        case 7: stmt = xasprintf("relu n%d(%s)", i, in); break;
        case 8: stmt = xasprintf("sigmoid n%d(%s)", i, in); break;
        case 9: stmt = xasprintf("dropout n%d(%s)", i, in); break;
        case 10: stmt = xasprintf("add n%d(%s, %s)", i, in, in2); break;
        case 11: stmt = xasprintf("mul n%d(%s, %s)", i, in2, in); break;
        case 12: stmt = xasprintf("maxpool2d n%d(%s, kernel=3, stride=1, pad=1)", i, in); break;
        case 13: stmt = xasprintf("global_avgpool n%d(%s)", i, in); break;   /* [4,1,1]: broadcast */
        case 14: stmt = xasprintf("%s n%d(%s, %s)", rng_next(&s) % 2 ? "sub" : "max", i, in, in2); break;
        case 15: stmt = xasprintf("prelu n%d(%s)", i, in); break;
        default: stmt = xasprintf("instancenorm n%d(%s)", i, in); break;
        }
        src = xasprintf("%s  %s;\n", src, stmt);
    }
    switch (rng_next(&s) % 4) {
    case 0: src = xasprintf("%s  flatten n%d(n%d);\n  dense n%d(out=5);\n", src, n + 1, n, n + 2); break;
    case 1: src = xasprintf("%s  output n%d;\n", src, 1 + (int)(rng_next(&s) % (unsigned)n)); break;
    case 2: src = xasprintf("%s  add n%d(n%d, x);\n  relu;\n", src, n + 1, n); break;
    default: break;
    }
    return xasprintf("%s}\n", src);
}

static void test_arena_random(void) {
    int failed = 0, inplace = 0;
    for (uint64_t seed = 1; seed <= 300; seed++) {
        const char *src = random_net(seed);
        for (int opt = 0; opt <= 2; opt++) {
            Net *n = net_compile(src);
            CHECK(net_ok(n), "random network %llu compiles:\n%s\n%s", (unsigned long long)seed, src, n->err);
            if (!net_ok(n)) break;
            Plan p = plan_of(n, opt, NULL);
            int64_t lb;
            int fails = check_arena(xasprintf("random network %llu", (unsigned long long)seed), opt, n, &p, &lb);
            if (fails && failed++ < 3) CHECK(false, "random network %llu -O%d:\n%s", (unsigned long long)seed, opt, src);
            for (int k = 0; k < p.nkernels; k++) inplace += p.kernels[k].inplace;
        }
    }
    CHECK(failed == 0, "%d random plans break an arena invariant", failed);
    if (getenv("PASSES_VERBOSE")) printf("\n  %d in-place kernels in the random plans", inplace);
}

/* ---- budgets */

static int64_t scratch_bytes_of(const char *path, int opt) {
    size_t len;
    char *src = read_file(path, &len);
    CHECK(src != NULL, "%s can be read", path);
    if (!src) return -1;
    Net *n = net_compile(src);
    CHECK(net_ok(n), "%s compiles:\n%s", path, n->err);
    if (!net_ok(n)) return -1;
    Plan p = plan_of(n, opt, NULL);
    return p.scratch_floats * 4;
}

static void test_resnet18_budget(void) {
    int64_t b = scratch_bytes_of("examples/resnet18/resnet18.cnn", 2);
    CHECK(b > 0 && b <= 4718592, "ResNet-18 at -O2: %lld bytes of scratch, at most 4.5 MiB (4,718,592)", (long long)b);
    /* it cannot be below conv1's output and the max pool's together */
    CHECK(b >= 4 * (64 * 112 * 112 + 64 * 56 * 56), "ResNet-18 at -O2: %lld bytes holds conv1 and maxpool",
          (long long)b);
    size_t len;
    char *src = read_file("examples/resnet18/resnet18.cnn", &len);
    if (!src) return;
    Net *n = net_compile(src);
    if (!net_ok(n)) return;
    Plan p = plan_of(n, 2, NULL);
    int folded = 0, bns = 0;
    for (int i = 1; i < n->u.g.n; i++)
        if (n->u.g.layers[i]->op == &op_batchnorm) {
            bns++;
            folded += n->u.g.layers[i]->folded != 0;
        }
    CHECK(bns == 20 && folded == 20, "ResNet-18: %d of %d batchnorms fold", folded, bns);
    /* conv1+bn1+relu, maxpool, 8 blocks of 2 kernels, 3 downsamples, avgpool, fc */
    CHECK(p.nkernels == 23, "ResNet-18: 23 kernels, got %d: %s", p.nkernels, kernel_list(&p));
    CHECK(kernel_named(&p, "conv1+bn1+relu") == 0, "ResNet-18: the stem kernel: %s", kernel_list(&p));
    CHECK(kernel_named(&p, "layer2_0_conv2+layer2_0_bn2+layer2_0_add+layer2_0_out") >= 0,
          "ResNet-18: the residual add fuses: %s", kernel_list(&p));
    CHECK(kernel_named(&p, "layer4_0_downsample_0+layer4_0_downsample_1") >= 0,
          "ResNet-18: the downsample kernel: %s", kernel_list(&p));
}

static void test_lenet5_budget(void) {
    int64_t b = scratch_bytes_of("examples/lenet5/lenet5.cnn", 2);
    CHECK(b > 0 && b <= 80 * 1024, "LeNet-5 at -O2: %lld bytes of scratch, at most 80 KiB (81,920)", (long long)b);
}

void suite_passes(void) {
    static const TestDef tests[] = {
        {"fold: exact numbers", test_fold_exact},
        {"fold: conv, depthwise, dense, local2d, separable", test_fold_kinds},
        {"fold: not after activation/add/input/shared/output", test_fold_not_allowed},
        {"-O0: no folding, one kernel per layer", test_O0_nothing_fused},
        {"kernels: ResNet basic block", test_kernels_resnet_block},
        {"kernels: dropout", test_kernels_dropout},
        {"kernels: broadcasting binary ops, prelu", test_kernels_broadcast},
        {"kernels: dead layers", test_kernels_dead},
        {"kernels: channels-first runs between transposes", test_channels_first},
        {"arena: the checker finds broken plans", test_arena_checker},
        {"arena: the checker finds a wrong in-place kernel", test_arena_checker_inplace},
        {"arena: invariants on every network", test_arena_invariants},
        {"arena: invariants on random networks", test_arena_random},
        {"budget: ResNet-18 <= 4.5 MiB at -O2", test_resnet18_budget},
        {"budget: LeNet-5 <= 80 KiB at -O2", test_lenet5_budget},
        {NULL, NULL},
    };
    add_suite("passes", tests);
}
