/* onnx_ops.c — the operator table of the ONNX reader: each ONNX operator,
 * the attributes it may carry, how it folds when every input is a constant
 * (shape subgraphs, Cast, Gather, arithmetic), and the layers it becomes
 * when it reads data computed from the network's input.
 *
 * Shapes here are per sample (the batch dimension stripped); an ONNX axis
 * counts the batch, so axis 1 of ONNX is axis 0 (the channels) of cnnc. */
#include "onnx_model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FOLD (INT64_C(1) << 24)   /* elements of a constant computed at compile time */

/* ---------------------------------------------------------------- attributes */

static const Onnx__AttributeProto *attr(const Onnx__NodeProto *n, const char *name) {
    for (size_t i = 0; i < n->n_attribute; i++)
        if (n->attribute[i]->name && strcmp(n->attribute[i]->name, name) == 0) return n->attribute[i];
    return NULL;
}

static int64_t ai(const Onnx__NodeProto *n, const char *name, int64_t def) {
    const Onnx__AttributeProto *a = attr(n, name);
    return a && a->has_i ? a->i : def;
}

static double af(const Onnx__NodeProto *n, const char *name, double def) {
    const Onnx__AttributeProto *a = attr(n, name);
    return a && a->has_f ? a->f : def;
}

static const char *as(const Onnx__NodeProto *n, const char *name, const char *def) {
    const Onnx__AttributeProto *a = attr(n, name);
    return a && a->has_s ? xstrndup((const char *)a->s.data, a->s.len) : def;
}

/* the integers of a list attribute: their count, -1 when absent */
static int aints(const Onnx__NodeProto *n, const char *name, int64_t *out, int max) {
    const Onnx__AttributeProto *a = attr(n, name);
    if (!a) return -1;
    if (a->n_ints > (size_t)max) return max + 1;
    for (size_t i = 0; i < a->n_ints; i++) out[i] = a->ints[i];
    return (int)a->n_ints;
}

/* ---------------------------------------------------------------- inputs and outputs */

static Val *input(Imp *m, const Onnx__NodeProto *n, int k) {
    if (k >= (int)n->n_input || !n->input[k] || !*n->input[k]) return NULL;
    return onnx_val(m, n->input[k]);
}

static Tensor *cin(Imp *m, const Onnx__NodeProto *n, int k) {
    Val *v = input(m, n, k);
    return v && v->kind == V_CONST ? v->t : NULL;
}

/* input k as data: computed from the network's input */
static Val *din(Imp *m, const Onnx__NodeProto *n, int k) {
    Val *v = input(m, n, k);
    if (!v) {
        onnx_fail(m, "input %d is missing", k);
        return NULL;
    }
    if (!onnx_data(m, v)) return NULL;
    if (v->kind != V_DATA) {
        onnx_fail(m, "input %d ('%s') is a constant; cnnc supports %s only on data computed from the network's input",
                  k, v->name, n->op_type);
        return NULL;
    }
    return v;
}

/* input k as data whose batch axis may have moved (Val.bpos): for the
 * nodes that map the model's axes to the sample's with moved_axis */
static Val *din_moved(Imp *m, const Onnx__NodeProto *n, int k) {
    Val *v = input(m, n, k);
    return v && v->kind == V_DATA && v->bpos ? v : din(m, n, k);
}

/* the sample's axis of the model's axis a of x (not its batch axis) */
static int moved_axis(const Val *x, int a) { return a < x->bpos ? a : a - 1; }

/* input 0 as data, or a view of data to more axes than a sample has
 * (V_VIEW, V_PIXEL), which Reshape, Squeeze and Unsqueeze take on */
static Val *din_view(Imp *m, const Onnx__NodeProto *n) {
    Val *v = input(m, n, 0);
    return v && (v->kind == V_VIEW || v->kind == V_PIXEL) ? v : din(m, n, 0);
}

/* input k as a constant of floats */
static Tensor *fin(Imp *m, const Onnx__NodeProto *n, int k, const char *what) {
    Val *v = input(m, n, k);
    if (!v || v->kind != V_CONST) {
        onnx_fail(m, "the %s (input %d) must be a constant (an initializer)", what, k);
        return NULL;
    }
    if (v->t->is_int) {
        Tensor *t = onnx_tensor_new(false, v->t->rank, v->t->dim);
        for (int64_t i = 0; i < t->n; i++) t->f[i] = (float)v->t->i[i];
        return t;
    }
    return v->t;
}

static const char *out_name(const Onnx__NodeProto *n, int k) {
    return k < (int)n->n_output && n->output[k] && *n->output[k] ? n->output[k] : NULL;
}

static void set_const(Imp *m, const Onnx__NodeProto *n, int k, Tensor *t) {
    const char *o = out_name(n, k);
    if (!o) return;
    Val *v = onnx_def(m, o);
    v->kind = V_CONST;
    v->t = t;
}

static void alias(Imp *m, const Onnx__NodeProto *n, int k, const Val *src) {
    const char *o = out_name(n, k);
    if (!o) return;
    Val *v = onnx_def(m, o);
    int uses = v->uses;
    const char *name = v->name;
    *v = *src;
    v->uses = uses;
    v->name = name;
}

/* an optional output (BatchNormalization's statistics, MaxPool's indices)
 * that cnnc does not compute: an error when something uses it */
static bool unused_output(Imp *m, const Onnx__NodeProto *n, int k, const char *what) {
    const char *o = out_name(n, k);
    Val *v = o ? onnx_val(m, o) : NULL;
    if (v && v->uses > 0) return onnx_fail(m, "output %d (%s) is used; cnnc does not compute it", k, what);
    return true;
}

static int layer(Imp *m, const Onnx__NodeProto *n, const char *op, const char *weight, int nin, Val *const *in,
                 const Shape *shape) {
    return onnx_layer(m, op, onnx_layer_name(m, weight), nin, in, n->output[0], shape);
}

static bool axis_of(Imp *m, int64_t a, int rank, int *out) {
    if (a < -rank || a >= rank) return onnx_fail(m, "axis %lld is out of range for rank %d", (long long)a, rank);
    *out = (int)(a < 0 ? a + rank : a);
    return true;
}

static bool near(double a, double b) { return fabs(a - b) <= 1e-6 * fabs(b) + 1e-7; }

static bool scalar_is(const Tensor *t, double v) {
    if (!t || t->n != 1) return false;
    return near(t->is_int ? (double)t->i[0] : (double)t->f[0], v);
}

static double scalar(const Tensor *t) { return t->is_int ? (double)t->i[0] : (double)t->f[0]; }

/* a per-sample shape for messages: "[N,3,32,32]" */
static const char *full_str(const Shape *s) {
    int64_t d[MAX_RANK + 1];
    d[0] = BATCH_SYM;
    for (int i = 0; i < s->rank; i++) d[i + 1] = s->dim[i];
    return onnx_dims_str(s->rank + 1, d);
}

/* ---------------------------------------------------------------- windows */

/* strides, dilations, pads and auto_pad of Conv and the pooling operators
 * for input sizes in[] and kernel k[]; the output sizes into out[] */
/* a list attribute of one integer per spatial dimension, or `def` for each */
static bool spatial_ints(Imp *m, const Onnx__NodeProto *n, const char *name, int nd, int64_t def, int64_t *out) {
    int64_t tmp[MAX_SPATIAL];
    for (int i = 0; i < nd; i++) out[i] = def;
    int c = aints(n, name, tmp, MAX_SPATIAL);
    if (c >= 0 && c != nd) return onnx_fail(m, "'%s' has %d entries for %d spatial dimensions", name, c, nd);
    for (int i = 0; i < c; i++) out[i] = tmp[i];
    return true;
}

/* the integers v[0..nv) of `name` (an attribute, or an input's values)
 * within [lo, hi], checked before any arithmetic on them: past cnnc's
 * limits (MAX_WINDOW, MAX_ELEMS) a value such as 2^62 or INT64_MAX would
 * overflow int64 in it, before the checks of the sizes it gives */
static bool ints_within(Imp *m, const char *name, int nv, const int64_t *v, int64_t lo, int64_t hi) {
    for (int i = 0; i < nv; i++)
        if (v[i] < lo || v[i] > hi)
            return onnx_fail(m, "'%s' holds %lld, outside the %lld to %lld that cnnc supports", name, (long long)v[i],
                             (long long)lo, (long long)hi);
    return true;
}

/* strides and dilations of kernel k[], each from 1 to MAX_WINDOW */
static bool strides_dilations(Imp *m, const Onnx__NodeProto *n, int nd, const int64_t *k, int64_t *s, int64_t *d) {
    if (!spatial_ints(m, n, "strides", nd, 1, s) || !spatial_ints(m, n, "dilations", nd, 1, d)) return false;
    for (int i = 0; i < nd; i++)
        if (s[i] < 1 || d[i] < 1 || k[i] < 1) return onnx_fail(m, "kernel sizes, strides and dilations must be positive");
    return ints_within(m, "strides", nd, s, 1, MAX_WINDOW) && ints_within(m, "dilations", nd, d, 1, MAX_WINDOW);
}

/* auto_pad of Conv, ConvTranspose and the pooling operators: NOTSET (the
 * default: the pads given, if any), SAME_UPPER, SAME_LOWER or VALID, the
 * last three without pads (ONNX: the two cannot be used together); NULL
 * after an error */
static const char *auto_pad(Imp *m, const Onnx__NodeProto *n) {
    const char *ap = as(n, "auto_pad", "NOTSET");
    if (strcmp(ap, "NOTSET") != 0 && strcmp(ap, "SAME_UPPER") != 0 && strcmp(ap, "SAME_LOWER") != 0 &&
        strcmp(ap, "VALID") != 0) {
        onnx_fail(m, "auto_pad '%s' is not supported", ap);
        return NULL;
    }
    if (strcmp(ap, "NOTSET") != 0 && attr(n, "pads")) {
        onnx_fail(m, "'pads' is given with auto_pad '%s' (ONNX takes pads only with auto_pad NOTSET)", ap);
        return NULL;
    }
    return ap;
}

static bool onnx_window(Imp *m, const Onnx__NodeProto *n, int nd, const int64_t *in, const int64_t *k, bool ceil,
                         int64_t *s, int64_t *d, int64_t *pb, int64_t *pe, int64_t *out) {
    int64_t tmp[2 * MAX_SPATIAL];
    int c;
    for (int i = 0; i < nd; i++) pb[i] = pe[i] = 0;
    if (!strides_dilations(m, n, nd, k, s, d)) return false;
    const char *ap = auto_pad(m, n);
    if (!ap) return false;
    if (strcmp(ap, "NOTSET") == 0) {
        c = aints(n, "pads", tmp, 2 * MAX_SPATIAL);
        if (c >= 0 && c != 2 * nd) return onnx_fail(m, "'pads' has %d entries for %d spatial dimensions", c, nd);
        for (int i = 0; i < c / 2; i++) {
            pb[i] = tmp[i];
            pe[i] = tmp[nd + i];
            if (pb[i] < 0 || pe[i] < 0) return onnx_fail(m, "negative padding is not supported");
        }
    } else if (strcmp(ap, "SAME_UPPER") == 0 || strcmp(ap, "SAME_LOWER") == 0) {
        for (int i = 0; i < nd; i++) {
            int64_t o = (in[i] + s[i] - 1) / s[i];
            int64_t total = (o - 1) * s[i] + (k[i] - 1) * d[i] + 1 - in[i];
            if (total < 0) total = 0;
            pb[i] = ap[5] == 'L' ? total - total / 2 : total / 2;
            pe[i] = total - pb[i];
        }
    }
    for (int i = 0; i < nd; i++) {
        if (k[i] > MAX_WINDOW || s[i] > MAX_WINDOW || d[i] > MAX_WINDOW || pb[i] > MAX_WINDOW || pe[i] > MAX_WINDOW)
            return onnx_fail(m, "window sizes too large");
        out[i] = window_out(in[i], k[i], s[i], pb[i], pe[i], d[i], ceil);
        if (out[i] < 1)
            return onnx_fail(m, "output size %lld below 1 in spatial dimension %d (input %lld, kernel %lld)",
                             (long long)out[i], i, (long long)in[i], (long long)k[i]);
    }
    return true;
}

static void window_out_attrs(Imp *m, int L, int nd, const int64_t *s, const int64_t *d, const int64_t *pb,
                             const int64_t *pe, bool stride_always, bool dilation) {
    bool s1 = true, d1 = true, p0 = true, sym = true;
    for (int i = 0; i < nd; i++) {
        s1 &= s[i] == 1, d1 &= d[i] == 1, p0 &= pb[i] == 0 && pe[i] == 0;
        sym &= pb[i] == pe[i];
    }
    if (!s1 || stride_always) onnx_attr(m, L, "stride", onnx_vints(s, nd));
    if (!p0) {
        if (sym) {
            onnx_attr(m, L, "pad", onnx_vints(pb, nd));
        } else {
            int64_t p[2 * MAX_SPATIAL];
            for (int i = 0; i < nd; i++) p[i] = pb[i], p[nd + i] = pe[i];
            Value *l = ast_list((Loc){0, 0, 0});
            for (int i = 0; i < 2 * nd; i++) ast_list_add(l, onnx_vint(p[i]));
            onnx_attr(m, L, "pad", l);
        }
    }
    if (dilation && !d1) onnx_attr(m, L, "dilation", onnx_vints(d, nd));
}

/* ---------------------------------------------------------------- layers */

static const char *const conv_ops[] = {NULL, "conv1d", "conv2d", "conv3d"};

/* the kernel of weight w (checked against kernel_shape) and the optional
 * bias (input 2) of M values */
static bool kernel_bias(Imp *m, const Onnx__NodeProto *n, const Tensor *w, int nd, int64_t M, int64_t *ks, Tensor **b) {
    int64_t tmp[MAX_SPATIAL];
    for (int i = 0; i < nd; i++) ks[i] = w->dim[2 + i];
    int c = aints(n, "kernel_shape", tmp, MAX_SPATIAL);
    for (int i = 0; i < c; i++)
        if (c != nd || tmp[i] != ks[i]) return onnx_fail(m, "kernel_shape does not match the weight's shape");
    *b = NULL;
    if (input(m, n, 2)) {
        if (!(*b = fin(m, n, 2, "bias"))) return false;
        if ((*b)->rank != 1 || (*b)->n != M)
            return onnx_fail(m, "the bias %s is not of shape [%lld], one value per output channel",
                             onnx_dims_str((*b)->rank, (*b)->dim), (long long)M);
    }
    return true;
}

/* the data input and the weight of Conv and ConvTranspose, nd spatial dimensions */
static bool conv_inputs(Imp *m, const Onnx__NodeProto *n, Val **x, Tensor **w, int *nd) {
    *x = din(m, n, 0);
    *w = *x ? fin(m, n, 1, "weight") : NULL;
    if (!*x || !*w) return false;
    *nd = (*x)->shape.rank - 1;
    if (*nd < 1 || *nd > MAX_SPATIAL)
        return onnx_fail(m, "input %s has no spatial dimensions to convolve", full_str(&(*x)->shape));
    if ((*w)->rank != *nd + 2)
        return onnx_fail(m, "the weight %s is not of rank %d", onnx_dims_str((*w)->rank, (*w)->dim), *nd + 2);
    if ((*w)->n == 0) return onnx_fail(m, "the weight %s is empty", onnx_dims_str((*w)->rank, (*w)->dim));
    return true;
}

/* the layer of Conv and ConvTranspose: out, kernel, the window, groups, weight and bias */
static void conv_layer(Imp *m, const Onnx__NodeProto *n, const char *op, Val *x, const Shape *out, const int64_t *ks,
                       const int64_t *s, const int64_t *d, const int64_t *pb, const int64_t *pe, const int64_t *opad,
                       int64_t g, const Tensor *w, const Tensor *b) {
    int nd = x->shape.rank - 1;
    int64_t M = out->dim[0];
    int L = layer(m, n, op, n->input[1], 1, &x, out);
    onnx_attr(m, L, "out", onnx_vint(M));
    onnx_attr(m, L, "kernel", onnx_vints(ks, nd));
    window_out_attrs(m, L, nd, s, d, pb, pe, false, true);
    bool op0 = true;
    for (int i = 0; opad && i < nd; i++) op0 &= opad[i] == 0;
    if (!op0) onnx_attr(m, L, "output_padding", onnx_vints(opad, nd));
    if (g != 1) onnx_attr(m, L, "groups", onnx_vint(g));
    if (!b) onnx_attr(m, L, "bias", ast_bool((Loc){0, 0, 0}, false));
    onnx_param(m, L, "weight", w->rank, w->dim, w->f);
    if (b) onnx_param(m, L, "bias", 1, &M, b->f);
}

static bool on_conv(Imp *m, const Onnx__NodeProto *n) {
    Val *x;
    Tensor *w;
    int nd;
    if (!conv_inputs(m, n, &x, &w, &nd)) return false;
    int64_t g = ai(n, "group", 1), C = x->shape.dim[0], M = w->dim[0];
    if (g < 1 || C % g || w->dim[1] * g != C || M % g)
        return onnx_fail(m, "group %lld does not fit %lld input channels and the weight %s", (long long)g,
                         (long long)C, onnx_dims_str(w->rank, w->dim));
    int64_t ks[MAX_SPATIAL];
    Tensor *b = NULL;
    if (!kernel_bias(m, n, w, nd, M, ks, &b)) return false;
    int64_t s[MAX_SPATIAL], d[MAX_SPATIAL], pb[MAX_SPATIAL], pe[MAX_SPATIAL], o[MAX_SPATIAL];
    if (!onnx_window(m, n, nd, x->shape.dim + 1, ks, false, s, d, pb, pe, o)) return false;
    Shape out = {.rank = nd + 1};
    out.dim[0] = M;
    for (int i = 0; i < nd; i++) out.dim[1 + i] = o[i];
    conv_layer(m, n, conv_ops[nd], x, &out, ks, s, d, pb, pe, NULL, g, w, b);
    return true;
}

static bool on_pool(Imp *m, const Onnx__NodeProto *n) {
    Val *x = din(m, n, 0);
    if (!x) return false;
    bool max = strcmp(n->op_type, "MaxPool") == 0;
    int nd = x->shape.rank - 1;
    if (nd < 1 || nd > MAX_SPATIAL) return onnx_fail(m, "input %s has no spatial dimensions to pool", full_str(&x->shape));
    int64_t k[MAX_SPATIAL];
    int c = aints(n, "kernel_shape", k, MAX_SPATIAL);
    if (c != nd) return onnx_fail(m, "'kernel_shape' must give %d sizes", nd);
    if (!ints_within(m, "kernel_shape", nd, k, 1, MAX_WINDOW)) return false;
    bool ceil = ai(n, "ceil_mode", 0) != 0;
    int64_t s[MAX_SPATIAL], d[MAX_SPATIAL], pb[MAX_SPATIAL], pe[MAX_SPATIAL], o[MAX_SPATIAL];
    if (!onnx_window(m, n, nd, x->shape.dim + 1, k, ceil, s, d, pb, pe, o)) return false;
    for (int i = 0; i < nd && !max; i++)
        if (d[i] != 1) return onnx_fail(m, "dilated average pooling is not supported");
    /* end padding past the last window changes nothing: dropped (PyTorch
     * writes ceil_mode before opset 10 as pads up to the kernel's size) */
    for (int i = 0; i < nd; i++) {
        int64_t need = (o[i] - 1) * s[i] + (k[i] - 1) * d[i] + 1 - x->shape.dim[1 + i] - pb[i];
        if (need >= 0 && pe[i] > need) pe[i] = need;
    }
    if (max && !unused_output(m, n, 1, "the indices")) return false;
    Shape out = x->shape;
    for (int i = 0; i < nd; i++) out.dim[1 + i] = o[i];
    int L = layer(m, n, xasprintf("%spool%dd", max ? "max" : "avg", nd), NULL, 1, &x, &out);
    onnx_attr(m, L, "kernel", onnx_vints(k, nd));
    window_out_attrs(m, L, nd, s, d, pb, pe, true, max);
    if (ceil) onnx_attr(m, L, "ceil_mode", ast_bool((Loc){0, 0, 0}, true));
    if (!max && !ai(n, "count_include_pad", 0)) onnx_attr(m, L, "count_include_pad", ast_bool((Loc){0, 0, 0}, false));
    return true;
}

static bool on_global_pool(Imp *m, const Onnx__NodeProto *n) {
    Val *x = din(m, n, 0);
    if (!x) return false;
    if (x->shape.rank < 2) return onnx_fail(m, "input %s has no spatial dimensions to pool", full_str(&x->shape));
    Shape out = x->shape;
    for (int i = 1; i < out.rank; i++) out.dim[i] = 1;
    layer(m, n, strcmp(n->op_type, "GlobalMaxPool") == 0 ? "global_maxpool" : "global_avgpool", NULL, 1, &x, &out);
    return true;
}

/* a dense layer of weight w[out][in] (row-major) and an optional bias */
static bool dense(Imp *m, const Onnx__NodeProto *n, Val *x, const char *wname, int64_t out, const float *w,
                  const float *bias) {
    Shape s = x->shape;   /* over the last axis */
    s.dim[s.rank - 1] = out;
    int L = layer(m, n, "dense", wname, 1, &x, &s);
    onnx_attr(m, L, "out", onnx_vint(out));
    if (!bias) onnx_attr(m, L, "bias", ast_bool((Loc){0, 0, 0}, false));
    int64_t dims[2] = {out, x->shape.dim[x->shape.rank - 1]};
    onnx_param(m, L, "weight", 2, dims, w);
    if (bias) onnx_param(m, L, "bias", 1, &out, bias);
    return true;
}

static bool on_gemm(Imp *m, const Onnx__NodeProto *n) {
    Val *x = din(m, n, 0);
    Tensor *B = x ? fin(m, n, 1, "matrix B") : NULL;
    if (!x || !B) return false;
    if (x->shape.rank != 1) return onnx_fail(m, "input A %s is not a matrix of samples", full_str(&x->shape));
    if (ai(n, "transA", 0)) return onnx_fail(m, "transA=1 would mix the samples of the batch");
    if (B->rank != 2) return onnx_fail(m, "B is not a matrix");
    bool tb = ai(n, "transB", 0) != 0;
    int64_t K = tb ? B->dim[1] : B->dim[0], N = tb ? B->dim[0] : B->dim[1];
    if (K != x->shape.dim[0])
        return onnx_fail(m, "B %s does not fit A %s", onnx_dims_str(2, B->dim), full_str(&x->shape));
    double alpha = af(n, "alpha", 1.0), beta = af(n, "beta", 1.0);
    float *w = xcalloc((size_t)(N * K) + 1, sizeof(float));
    for (int64_t o = 0; o < N; o++)
        for (int64_t k = 0; k < K; k++) w[o * K + k] = (float)(alpha * (tb ? B->f[o * K + k] : B->f[k * N + o]));
    float *bias = NULL;
    if (input(m, n, 2) && beta != 0) {
        Tensor *C = fin(m, n, 2, "matrix C");
        if (!C) return false;
        bool row = C->n == N && (C->rank == 1 || (C->rank == 2 && C->dim[0] == 1));
        if (!row && C->n != 1) return onnx_fail(m, "C %s is not one row of %lld values", onnx_dims_str(C->rank, C->dim), (long long)N);
        bias = xcalloc((size_t)N + 1, sizeof(float));
        for (int64_t o = 0; o < N; o++) bias[o] = (float)(beta * C->f[row ? o : 0]);
    }
    return dense(m, n, x, n->input[1], N, w, bias);
}

/* a constant [P,K] by data [N,K,M]: the K channels of each of M positions
 * mixed into P, a conv1d of kernel 1 */
static bool matmul_constant_by_data(Imp *m, const Onnx__NodeProto *n, const Tensor *A, Val *x) {
    if (A->dim[0] < 1) return onnx_fail(m, "the constant %s has no rows", onnx_dims_str(A->rank, A->dim));
    int64_t dims[3] = {A->dim[0], A->dim[1], 1};
    Shape out = {.rank = 2, .dim = {A->dim[0], x->shape.dim[1]}};
    int L = layer(m, n, "conv1d", n->input[0], 1, &x, &out);
    onnx_attr(m, L, "out", onnx_vint(dims[0]));
    onnx_attr(m, L, "kernel", onnx_vint(1));
    onnx_attr(m, L, "bias", ast_bool((Loc){0, 0, 0}, false));
    onnx_param(m, L, "weight", 3, dims, A->f);
    return true;
}

/* data [N,...,K] by a constant [K,M]: a dense layer on the last axis */
static bool matmul_data_by_constant(Imp *m, const Onnx__NodeProto *n, Val *x, const Tensor *B) {
    int64_t K = B->dim[0], N = B->dim[1];
    if (N < 1) return onnx_fail(m, "the constant %s has no columns", onnx_dims_str(B->rank, B->dim));
    float *w = xcalloc((size_t)(N * K) + 1, sizeof(float));
    for (int64_t o = 0; o < N; o++)
        for (int64_t k = 0; k < K; k++) w[o * K + k] = B->f[k * N + o];
    /* a bias of zeros, which an Add of a constant [M] after it becomes */
    dense(m, n, x, n->input[1], N, w, xcalloc((size_t)N + 1, sizeof(float)));
    m->layers[m->nlayers - 1].bt = m->ntensors - 1;
    return true;
}

static Val *const_layer(Imp *m, const char *cname, const Tensor *c, int R);

/* MatMul as a matmul layer of two values, a constant one a constant layer:
 * NumPy's matmul on the per-sample shapes is the model's when each input
 * of data has the batch axis first and two more (a matrix a sample), two of
 * data have as many axes, and a constant has no more axes than the data
 * (1 on the batch's, if as many) */
static bool matmul_values(Imp *m, const Onnx__NodeProto *n, const Val *const *in) {
    Val *v[2];
    const char *as[2];   /* the shapes as the model gives them, for a message */
    int R = 0;   /* the data's axes, the batch's counted */
    for (int k = 0; k < 2; k++) {
        as[k] = in[k]->kind == V_CONST ? onnx_dims_str(in[k]->t->rank, in[k]->t->dim) : full_str(&in[k]->shape);
        if (in[k]->kind == V_CONST) continue;
        if (!onnx_data(m, (Val *)in[k])) return false;
        if (in[k]->shape.rank < 2 && in[1 - k]->kind == V_CONST && in[1 - k]->t->rank == 1)
            return onnx_fail(m, "data %s by a vector of %lld would be one number a sample, the batch alone, which is "
                             "not supported", full_str(&in[k]->shape), (long long)in[1 - k]->t->n);
        if (in[k]->shape.rank < 2)
            return onnx_fail(m, "input %c %s is one row a sample: a matrix product of it would mix the samples of the batch",
                             "AB"[k], full_str(&in[k]->shape));
        if (R && in[k]->shape.rank + 1 != R)
            return onnx_fail(m, "A %s and B %s have different numbers of axes: aligned at the last, the batch axis of "
                             "one would meet another axis of the other", as[0], as[1]);
        R = in[k]->shape.rank + 1;
    }
    for (int k = 0; k < 2; k++) {
        v[k] = (Val *)in[k];
        if (in[k]->kind != V_CONST) continue;
        const Tensor *c = in[k]->t;
        if (c->rank == 0) return onnx_fail(m, "input %c is a scalar, not a matrix or a vector", "AB"[k]);
        if (c->n == 0) return onnx_fail(m, "input %c, a constant of shape %s, is empty", "AB"[k], as[k]);
        if (c->rank > R || !(v[k] = const_layer(m, in[k]->name, c, R)))
            return onnx_fail(m, "input %c, a constant of shape %s, %s", "AB"[k], onnx_dims_str(c->rank, c->dim),
                             c->rank > R ? "has more axes than the data" : "varies along the batch axis");
    }
    Shape to;
    switch (matmul_shape(&v[0]->shape, &v[1]->shape, &to)) {
    case MM_OK:
        layer(m, n, "matmul", NULL, 2, v, &to);
        return true;
    case MM_INNER:
        return onnx_fail(m, "A %s and B %s do not fit: A's last axis must be B's second to last", as[0], as[1]);
    case MM_LEADING:
        break;
    }
    return onnx_fail(m, "the axes before the last two of A %s and B %s do not broadcast", as[0], as[1]);
}

static bool on_matmul(Imp *m, const Onnx__NodeProto *n) {
    const Val *in[2] = {input(m, n, 0), input(m, n, 1)};
    for (int k = 0; k < 2; k++)
        if (!in[k]) return onnx_fail(m, "input %c is missing", "AB"[k]);
    if (in[0]->kind == V_CONST && in[1]->kind == V_CONST) return onnx_fail(m, "not supported when both inputs are constants");
    Tensor *A = in[0]->kind == V_CONST ? fin(m, n, 0, "matrix A") : NULL;
    Tensor *B = in[1]->kind == V_CONST ? fin(m, n, 1, "matrix B") : NULL;
    if ((in[0]->kind == V_CONST && !A) || (in[1]->kind == V_CONST && !B)) return false;
    Val *x = A ? din(m, n, 1) : din(m, n, 0);
    if (!x) return false;
    if (A && A->rank == 2 && x->shape.rank == 2 && A->dim[1] == x->shape.dim[0])
        return matmul_constant_by_data(m, n, A, x);
    if (B && B->rank == 2 && B->dim[0] == x->shape.dim[x->shape.rank - 1]) return matmul_data_by_constant(m, n, x, B);
    return matmul_values(m, n, in);
}

static bool on_batchnorm(Imp *m, const Onnx__NodeProto *n) {
    Val *x = din(m, n, 0);
    if (!x) return false;
    if (ai(n, "training_mode", 0)) return onnx_fail(m, "training_mode=1 (batch statistics) is not supported: export the model in eval mode");
    /* before opset 14 the mode is in the outputs: more than Y means batch
     * statistics (PyTorch's export of a model left in train()) */
    int nout = 0;
    for (int k = 0; k < 5; k++) nout += out_name(n, k) != NULL;
    if (nout > 1)
        return onnx_fail(m, "%d outputs mean training mode (batch statistics), which is not supported: "
                         "export the model in eval mode", nout);
    if (!ai(n, "spatial", 1)) return onnx_fail(m, "spatial=0 is not supported");
    static const char *const what[] = {"scale", "bias", "mean", "variance"};
    static const char *const keys[] = {"weight", "bias", "running_mean", "running_var"};
    Tensor *t[4];
    int64_t C = x->shape.dim[0];
    for (int i = 0; i < 4; i++) {
        if (!(t[i] = fin(m, n, 1 + i, what[i]))) return false;
        if (t[i]->n != C)
            return onnx_fail(m, "the %s has %lld values for %lld channels", what[i], (long long)t[i]->n, (long long)C);
    }
    int L = layer(m, n, "batchnorm", n->input[1], 1, &x, &x->shape);
    double eps = af(n, "epsilon", 1e-5);
    if (eps != 1e-5 && (float)eps != (float)1e-5) onnx_attr(m, L, "eps", onnx_vfloat(eps));
    for (int i = 0; i < 4; i++) onnx_param(m, L, keys[i], 1, &C, t[i]->f);
    return true;
}

/* y = x * scale[c] + shift[c]: a batchnorm of mean 0, variance 1, eps 0 */
static void affine(Imp *m, Val *x, const char *name, const float *scale, const float *shift, const char *out) {
    int64_t C = x->shape.dim[0];
    float *zero = xcalloc((size_t)C + 1, sizeof(float)), *one = xcalloc((size_t)C + 1, sizeof(float));
    for (int64_t c = 0; c < C; c++) one[c] = 1.0f;
    Shape s = x->shape;
    int L = onnx_layer(m, "batchnorm", name, 1, &x, out, &s);
    bool uniform = true;
    for (int64_t c = 1; c < C; c++) uniform &= scale[c] == scale[0] && shift[c] == shift[0];
    m->layers[L].uniform = uniform;
    m->layers[L].scale = scale[0];
    m->layers[L].shift = shift[0];
    onnx_attr(m, L, "eps", onnx_vfloat(0.0));
    onnx_param(m, L, "weight", 1, &C, scale);
    onnx_param(m, L, "bias", 1, &C, shift);
    onnx_param(m, L, "running_mean", 1, &C, zero);
    onnx_param(m, L, "running_var", 1, &C, one);
}

bool onnx_data(Imp *m, Val *v) {
    if (v->kind == V_SCALED) {
        Val *x = v->base;
        int64_t C = x->shape.dim[0];
        float *scale = xcalloc((size_t)C + 1, sizeof(float)), *shift = xcalloc((size_t)C + 1, sizeof(float));
        for (int64_t c = 0; c < C; c++) scale[c] = (float)v->k;
        affine(m, x, v->lname, scale, shift, v->name);
        return true;
    }
    if (v->kind == V_EXPAND) {   /* base * ones over the axes it widens */
        Val *x = v->base;
        Shape os = {.rank = v->shape.rank};
        int64_t n = 1;
        for (int i = 0; i < os.rank; i++) {
            os.dim[i] = x->shape.dim[i] == 1 ? v->shape.dim[i] : 1;
            n *= os.dim[i];
        }
        float *one = xcalloc((size_t)n, sizeof(float));
        for (int64_t i = 0; i < n; i++) one[i] = 1.0f;
        const char *kname = xasprintf("%s#ones", v->name);
        int L = onnx_layer(m, "constant", xasprintf("%s_ones", v->lname), 0, NULL, kname, &os);
        onnx_attr(m, L, "shape", onnx_vlist(os.dim, os.rank));
        onnx_param(m, L, "value", os.rank, os.dim, one);
        Val *in[2] = {x, onnx_val(m, kname)};
        onnx_layer(m, "mul", v->lname, 2, in, v->name, &v->shape);
        return true;
    }
    if (v->kind == V_ERF || v->kind == V_ERF1 || v->kind == V_GELU2) {
        /* a part of GELU's form that is not GELU: x / sqrt 2, erf, + 1, * x as
         * layers (the last of them defines v's name anew: its fields first) */
        const VKind kind = v->kind;
        const char *name = v->name, *lname = v->lname;
        const Shape shape = v->shape;
        Val *x = v->base;
        int64_t C = x->shape.dim[0];
        float *scale = xcalloc((size_t)C + 1, sizeof(float)), *shift = xcalloc((size_t)C + 1, sizeof(float));
        float *one = xcalloc((size_t)C + 1, sizeof(float));
        for (int64_t c = 0; c < C; c++) scale[c] = (float)(1.0 / sqrt(2.0)), one[c] = 1.0f;
        const char *sc = xasprintf("%s#scaled", name), *ef = kind == V_ERF ? name : xasprintf("%s#erf", name);
        const char *e1 = kind == V_ERF1 ? name : xasprintf("%s#erf1", name);
        affine(m, x, xasprintf("%s_scaled", lname), scale, shift, sc);
        Val *s = onnx_val(m, sc);
        onnx_layer(m, "erf", kind == V_ERF ? lname : xasprintf("%s_erf", lname), 1, &s, ef, &shape);
        if (kind == V_ERF) return true;
        affine(m, onnx_val(m, ef), kind == V_ERF1 ? lname : xasprintf("%s_plus1", lname), one, one, e1);
        if (kind == V_ERF1) return true;
        Val *in[2] = {x, onnx_val(m, e1)};
        onnx_layer(m, "mul", lname, 2, in, name, &shape);
        return true;
    }
    if (v->kind == V_VIEW || v->kind == V_PIXEL)
        return onnx_fail(m, "input '%s' is %s viewed as %s, which cnnc supports only in PixelShuffle's and "
                         "PixelUnshuffle's Reshape, Transpose, Reshape (a sample has at most %d axes, [C, D, H, W])",
                         v->name, full_str(&v->base->shape), full_str(&v->shape), MAX_DIMS);
    if (v->kind == V_SOFTPLUS) {   /* not Mish: the softplus layer */
        onnx_layer(m, "softplus", v->lname, 1, &v->base, v->name, &v->shape);
        return true;
    }
    if (v->kind == V_TANHSP) {   /* tanh(softplus(x)) not times x */
        const char *sp = xasprintf("%s#softplus", v->name);
        onnx_layer(m, "softplus", xasprintf("%s_softplus", v->lname), 1, &v->base, sp, &v->shape);
        Val *s = onnx_val(m, sp);
        onnx_layer(m, "tanh", v->lname, 1, &s, v->name, &v->shape);
    }
    return true;
}

static bool layernorm_pattern(Imp *m, const Onnx__NodeProto *n, Val *d, Val *s);
static bool layernorm_affine(Imp *m, const Onnx__NodeProto *n, Val *a, Val *b);

/* ---- activations */

static bool unary(Imp *m, const Onnx__NodeProto *n, const char *op) {
    Val *x = din(m, n, 0);
    if (!x) return false;
    layer(m, n, op, NULL, 1, &x, &x->shape);
    return true;
}

/* the node's output a pattern's part, computed when the pattern completes */
static bool pending(Imp *m, const Onnx__NodeProto *n, VKind kind, Val *base) {
    Val *v = onnx_def(m, n->output[0]);
    v->kind = kind;
    v->base = base;
    v->shape = base->shape;
    v->lname = onnx_layer_name(m, NULL);
    return true;
}

static bool on_act(Imp *m, const Onnx__NodeProto *n) {
    Val *v = input(m, n, 0);
    if (v && v->kind == V_SOFTPLUS && strcmp(n->op_type, "Tanh") == 0) return pending(m, n, V_TANHSP, v->base);
    static const char *const map[][2] = {{"Relu", "relu"}, {"Sigmoid", "sigmoid"}, {"Tanh", "tanh"},
                                         {"Abs", "abs"}, {"Sqrt", "sqrt"}, {"HardSwish", "hardswish"},
                                         {"Mish", "mish"}, {"Exp", "exp"}, {"Log", "log"}, {"Floor", "floor"},
                                         {"Ceil", "ceil"}, {"Round", "round"}, {"Sign", "sign"}, {"Sin", "sin"},
                                         {"Cos", "cos"}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(n->op_type, map[i][0]) == 0) return unary(m, n, map[i][1]);
    unreachable();
}

static bool on_alpha(Imp *m, const Onnx__NodeProto *n) {
    bool leaky = strcmp(n->op_type, "LeakyRelu") == 0;
    double alpha = af(n, "alpha", leaky ? 0.01 : 1.0);
    Val *x = din(m, n, 0);
    if (!x) return false;
    int L = layer(m, n, leaky ? "leaky_relu" : "elu", NULL, 1, &x, &x->shape);
    if ((float)alpha != (float)(leaky ? 0.01 : 1.0)) onnx_attr(m, L, "alpha", onnx_vfloat(alpha));
    return true;
}

/* Selu of PyTorch's constants (ONNX's defaults) */
static bool on_selu(Imp *m, const Onnx__NodeProto *n) {
    double a = af(n, "alpha", 1.67326319217681884765625), g = af(n, "gamma", 1.05070102214813232421875);
    if ((float)a != 1.67326319217681884765625f || (float)g != 1.05070102214813232421875f)
        return onnx_fail(m, "alpha=%g, gamma=%g are not supported (cnnc's selu has PyTorch's 1.6732632, 1.0507010)", a, g);
    return unary(m, n, "selu");
}

static bool on_celu(Imp *m, const Onnx__NodeProto *n) {
    double alpha = af(n, "alpha", 1.0);
    if (alpha == 0) return onnx_fail(m, "alpha=0 is not supported (celu divides by it)");
    Val *x = din(m, n, 0);
    if (!x) return false;
    int L = layer(m, n, "celu", NULL, 1, &x, &x->shape);
    if ((float)alpha != 1.0f) onnx_attr(m, L, "alpha", onnx_vfloat(alpha));
    return true;
}

static bool on_hardsigmoid(Imp *m, const Onnx__NodeProto *n) {
    double a = af(n, "alpha", 0.2), b = af(n, "beta", 0.5);
    if (!near(a, 1.0 / 6) || !near(b, 0.5))
        return onnx_fail(m, "alpha=%g, beta=%g are not supported (cnnc's hardsigmoid is relu6(x+3)/6: alpha=1/6, "
                         "beta=0.5)", a, b);
    return unary(m, n, "hardsigmoid");
}

static bool on_gelu(Imp *m, const Onnx__NodeProto *n) {
    const char *ap = as(n, "approximate", "none");
    if (strcmp(ap, "none") != 0 && strcmp(ap, "tanh") != 0) return onnx_fail(m, "approximate='%s' is not supported", ap);
    Val *x = din(m, n, 0);
    if (!x) return false;
    int L = layer(m, n, "gelu", NULL, 1, &x, &x->shape);
    if (strcmp(ap, "tanh") == 0) onnx_attr(m, L, "approximate", onnx_vword("tanh"));
    return true;
}

/* Clip's bounds: attributes before opset 11, constant inputs after */
static bool clip_bounds(Imp *m, const Onnx__NodeProto *n, double *lo, double *hi) {
    *lo = -INFINITY, *hi = INFINITY;
    if (m->opset < 11) {
        *lo = af(n, "min", -INFINITY);
        *hi = af(n, "max", INFINITY);
        return true;
    }
    for (int k = 1; k <= 2; k++) {
        if (!input(m, n, k)) continue;
        Tensor *t = cin(m, n, k);
        if (!t || t->n != 1) return onnx_fail(m, "the %s (input %d) must be a constant scalar", k == 1 ? "min" : "max", k);
        *(k == 1 ? lo : hi) = scalar(t);
    }
    return true;
}

static bool on_clip(Imp *m, const Onnx__NodeProto *n) {
    double lo, hi;
    if (!clip_bounds(m, n, &lo, &hi)) return false;
    Val *x = din(m, n, 0);
    if (!x) return false;
    if (lo == 0 && hi == 6) return unary(m, n, "relu6");
    if (lo == 0 && hi == INFINITY) return unary(m, n, "relu");
    int L = layer(m, n, "clip", NULL, 1, &x, &x->shape);
    if (lo > -INFINITY) onnx_attr(m, L, "min", onnx_vfloat(lo));
    if (hi < INFINITY) onnx_attr(m, L, "max", onnx_vfloat(hi));
    return true;
}

static bool on_softmax(Imp *m, const Onnx__NodeProto *n) {
    Val *x = din(m, n, 0);
    if (!x) return false;
    int R = x->shape.rank + 1, a = 0;
    if (!axis_of(m, ai(n, "axis", m->opset < 13 ? 1 : -1), R, &a)) return false;
    if (a == 0) return onnx_fail(m, "softmax over the batch axis mixes samples");
    /* before opset 13 over everything from the axis on: one axis when the
     * axes after it are 1 */
    bool ok = true;
    for (int i = a; m->opset < 13 && i < x->shape.rank; i++) ok &= x->shape.dim[i] == 1;
    if (!ok) return onnx_fail(m, "softmax (opset %d) over axes %d.. of %s together is not supported", (int)m->opset, a,
                              full_str(&x->shape));
    int L = layer(m, n, strcmp(n->op_type, "LogSoftmax") == 0 ? "log_softmax" : "softmax", NULL, 1, &x, &x->shape);
    if (a != 1) onnx_attr(m, L, "axis", onnx_vint(a - 1));
    return true;
}

/* ---- shapes of data */

/* the output shape of pixel_shuffle (up) or pixel_unshuffle by factor r of [C, H, W] */
static Shape pixel_shape(const Shape *x, int64_t r, bool up) {
    Shape out = *x;
    out.dim[0] = up ? x->dim[0] / (r * r) : x->dim[0] * r * r;
    for (int i = 1; i < 3; i++) out.dim[i] = up ? x->dim[i] * r : x->dim[i] / r;
    return out;
}

/* x given the per-sample shape `to` (as many elements) */
static bool reshape_to(Imp *m, const Onnx__NodeProto *n, Val *x, const Shape *to) {
    if (shape_elems(to) != shape_elems(&x->shape))
        return onnx_fail(m, "cannot reshape %s to %s", full_str(&x->shape), full_str(to));
    bool pending = x->kind == V_VIEW || x->kind == V_PIXEL;
    if (to->rank > MAX_DIMS) {   /* pending: the Transpose of a pixel (un)shuffle may take it */
        const char *o = out_name(n, 0);
        Val *v = o ? onnx_def(m, o) : NULL;
        if (v)
            *v = (Val){.name = v->name, .uses = v->uses, .kind = pending ? x->kind : V_VIEW,
                       .base = pending ? x->base : x, .k = x->k, .op = x->op, .shape = *to,
                       .lname = onnx_layer_name(m, NULL)};
        return true;
    }
    if (x->kind == V_PIXEL) {   /* the layer, its [C, H, W] output viewed as `to` */
        int64_t r = (int64_t)x->k;
        Shape out = pixel_shape(&x->base->shape, r, strcmp(x->op, "pixel_shuffle") == 0);
        const char *o = xasprintf("%s#%s", n->output[0], x->op);
        int L = onnx_layer(m, x->op, onnx_layer_name(m, NULL), 1, &x->base, o, &out);
        onnx_attr(m, L, "factor", onnx_vint(r));
        return reshape_to(m, n, onnx_val(m, o), to);
    }
    if (x->kind == V_VIEW) x = x->base;   /* a view back to the axes of a sample: a reshape of its data */
    /* a reshape of a reshape read nowhere else (the layer's own output, not
     * an alias of it; not of a value whose batch axis moved): one reshape */
    if (x->kind == V_DATA && x->layer >= 0 && x->uses == 1 && !m->layers[x->layer].dropped &&
        strcmp(x->name, m->layers[x->layer].out) == 0 && !m->layers[x->layer].in[0]->bpos &&
        (strcmp(m->layers[x->layer].op, "reshape") == 0 || strcmp(m->layers[x->layer].op, "flatten") == 0)) {
        m->layers[x->layer].dropped = true;
        x = m->layers[x->layer].in[0];
    }
    if (shape_eq(to, &x->shape)) {
        alias(m, n, 0, x);
        return true;
    }
    if (to->rank == 1) {
        layer(m, n, "flatten", NULL, 1, &x, to);
        return true;
    }
    if (op_find("reshape")) {
        int L = layer(m, n, "reshape", NULL, 1, &x, to);
        onnx_attr(m, L, "shape", onnx_vlist(to->dim, to->rank));
        return true;
    }
    return onnx_fail(m, "reshaping %s to %s is not supported (cnnc reshapes only to a vector, with flatten)",
                     full_str(&x->shape), full_str(to));
}

static bool on_flatten(Imp *m, const Onnx__NodeProto *n) {
    Val *x = din(m, n, 0);
    if (!x) return false;
    /* the split comes before axis a, in [-R, R] (R itself is allowed) */
    int R = x->shape.rank + 1;
    int64_t a = ai(n, "axis", 1);
    if (a < -R || a > R) return onnx_fail(m, "axis %lld is out of range for rank %d", (long long)a, R);
    if (a < 0) a += R;
    if (a != 1) return onnx_fail(m, "Flatten at axis %lld merges the batch with other dimensions", (long long)a);
    Shape to = {.rank = 1, .dim = {shape_elems(&x->shape)}};
    return reshape_to(m, n, x, &to);
}

static bool on_reshape(Imp *m, const Onnx__NodeProto *n) {
    Val *x = din_view(m, n);
    if (!x) return false;
    Tensor *t = cin(m, n, 1);
    if (!t || !t->is_int || t->rank != 1) return onnx_fail(m, "the shape (input 1) must be a constant list of integers");
    if (t->n < 1 || t->n > MAX_RANK + 1) return onnx_fail(m, "a target shape of %lld dimensions is not supported", (long long)t->n);
    bool allowzero = ai(n, "allowzero", 0) != 0;
    int64_t elems = shape_elems(&x->shape), known = 1;
    int infer = -1;
    Shape to = {.rank = (int)t->n - 1};
    int64_t first = t->i[0];
    for (int i = 1; i < t->n; i++) {
        int64_t d = t->i[i];
        if (d == 0 && !allowzero) {
            if (i > x->shape.rank) return onnx_fail(m, "shape entry %d copies a dimension the input lacks", i);
            d = x->shape.dim[i - 1];
        }
        if (d == -1 && infer < 0) { infer = i - 1; continue; }
        if (d < 1) return onnx_fail(m, "target shape %s is not supported", onnx_dims_str(t->rank ? (int)t->n : 0, t->i));
        to.dim[i - 1] = d;
        if (!mul_ok(known, d, &known)) return onnx_fail(m, "target shape overflows");
    }
    bool batch = first == BATCH_SYM || (first == 0 && !allowzero) || (m->batch != BATCH_SYM && first == m->batch);
    if (first == -1 && infer < 0 && known == elems) batch = true;
    if (!batch) return onnx_fail(m, "reshaping to %s changes the batch dimension", onnx_dims_str((int)t->n, t->i));
    if (infer >= 0) {
        if (known == 0 || elems % known) return onnx_fail(m, "cannot reshape %s to %s", full_str(&x->shape),
                                                          onnx_dims_str((int)t->n, t->i));
        to.dim[infer] = elems / known;
    }
    if (to.rank == 0) return onnx_fail(m, "reshaping to the batch dimension alone is not supported");
    return reshape_to(m, n, x, &to);
}

static int node_axes(Imp *m, const Onnx__NodeProto *n, int64_t *axes);

/* dims after Squeeze (sq) or Unsqueeze of full dims d[0..r); false on bad axes */
static bool squeeze_dims(Imp *m, bool sq, const int64_t *axes, int na, const int64_t *d, int r, int batch, int64_t *out,
                         int *ro) {
    bool mark[MAX_TRANK + 1] = {false};
    int R = sq ? r : r + na;
    if (R > MAX_TRANK) return onnx_fail(m, "rank above %d", MAX_TRANK);
    for (int i = 0; i < na; i++) {
        int a = 0;
        if (!axis_of(m, axes[i], R, &a)) return false;
        if (mark[a]) return onnx_fail(m, "axis %d given twice", a);
        if (sq && a == batch)
            return onnx_fail(m, "cannot squeeze axis %d, the batch axis: cnnc compiles a network for any batch size", a);
        if (sq && d[a] != 1) return onnx_fail(m, "cannot squeeze axis %d of size %lld", a, (long long)d[a]);
        mark[a] = true;
    }
    int k = 0, j = 0;
    for (int i = 0; i < R; i++) {
        if (sq) {
            if (na == 0 ? d[i] != 1 : !mark[i]) out[k++] = d[i];
        } else {
            out[k++] = mark[i] ? 1 : d[j++];
        }
    }
    *ro = k;
    return true;
}

static bool on_squeeze(Imp *m, const Onnx__NodeProto *n) {
    bool sq = strcmp(n->op_type, "Squeeze") == 0;
    int64_t axes[MAX_TRANK + 1];
    int na = node_axes(m, n, axes);
    if (na == -2) return false;
    if (na < 0 && !sq) return onnx_fail(m, "Unsqueeze needs axes");
    if (na < 0) na = 0;
    Val *v = input(m, n, 0);
    if (v && v->kind == V_CONST) {
        int64_t d[MAX_TRANK + 1];
        int r;
        if (!squeeze_dims(m, sq, axes, na, v->t->dim, v->t->rank, -1, d, &r)) return false;
        Tensor *t = xcalloc(1, sizeof *t);
        *t = *v->t;
        t->rank = r;
        memcpy(t->dim, d, sizeof(int64_t) * (size_t)r);
        set_const(m, n, 0, t);
        return true;
    }
    Val *v0 = input(m, n, 0);
    Val *x = v0 && v0->kind == V_DATA && v0->bpos ? v0 : din_view(m, n);
    if (!x) return false;
    int64_t full[MAX_TRANK + 1], d[MAX_TRANK + 1];
    int R = x->shape.rank + 1;
    for (int i = 0; i < R; i++) full[i] = i == x->bpos ? 2 : x->shape.dim[moved_axis(x, i)];   /* the batch: never 1 */
    int r;
    if (!squeeze_dims(m, sq, axes, na, full, R, x->bpos, d, &r)) return false;
    /* where the batch axis goes: past the axes taken out before it, or put in */
    Val at = {.bpos = x->bpos};
    for (int i = 0, k = 0; i < (sq ? R : r); i++) {
        bool given = false;
        for (int j = 0; j < na; j++) given |= (axes[j] < 0 ? axes[j] + (sq ? R : r) : axes[j]) == i;
        if (sq && i < x->bpos && (na ? given : full[i] == 1)) at.bpos--;
        if (!sq && !given && k++ == x->bpos) at.bpos = i;
    }
    if (r - 1 > MAX_RANK) return onnx_fail(m, "a result of %d axes is not supported (at most %d)", r, MAX_RANK + 1);
    if (r < 2 || d[at.bpos] != 2) return onnx_fail(m, "changing the batch axis is not supported");
    Shape to = {.rank = r - 1};
    for (int i = 0; i < r; i++)
        if (i != at.bpos) to.dim[moved_axis(&at, i)] = d[i];
    if (at.bpos && to.rank > MAX_DIMS)
        return onnx_fail(m, "a sample of %d axes is not supported (at most %d, [C, D, H, W])", to.rank, MAX_DIMS);
    bool ok = reshape_to(m, n, x, &to);
    Val *o = out_name(n, 0) ? onnx_val(m, out_name(n, 0)) : NULL;
    if (ok && o && o->kind == V_DATA) o->bpos = at.bpos;
    return ok;
}

/* ONNX Slice's bounds of an axis of D elements (step not 0), clamped as
 * its definition says: negative ones count from the end; starts then to
 * [0, D], ends to [0, D], or for a negative step starts to [0, D - 1] and
 * ends to [-1, D - 1] (-1: past the first). A step beyond the axis takes
 * one element, as a step of the axis's length does. Returns the count. */
static int64_t slice_bounds(int64_t D, int64_t *lo, int64_t *hi, int64_t *step) {
    int64_t top = *step > 0 ? D : D - 1, bot = *step > 0 ? 0 : -1;
    if (*lo < 0) *lo = *lo < INT64_MIN / 2 ? 0 : *lo + D;
    if (*hi < 0) *hi = *hi < INT64_MIN / 2 ? bot : *hi + D;
    *lo = *lo < 0 ? 0 : *lo > top ? top : *lo;
    *hi = *hi < bot ? bot : *hi > top ? top : *hi;
    if (*step > D) *step = D > 0 ? D : 1;
    if (*step < -D) *step = D > 0 ? -D : -1;
    if (*step > 0) return *hi > *lo ? (*hi - *lo - 1) / *step + 1 : 0;
    return *lo > *hi ? (*lo - *hi - 1) / -*step + 1 : 0;
}

/* a slice layer along per-sample axis a from lo by step to hi (not taken;
 * for a negative step hi -1 is past the first element), its output named o */
static Val *slice_layer(Imp *m, Val *x, int a, int64_t lo, int64_t hi, int64_t step, const char *o) {
    Shape s = x->shape;
    /* backwards (step < 0) from lo to hi + 1, hi -1 past the first element:
     * the layer's end not given */
    if (step > 0) s.dim[a] = hi <= lo ? 0 : 1 + (hi - lo - 1) / step;
    else s.dim[a] = hi >= lo ? 0 : 1 + (lo - hi - 1) / -step;
    int L = onnx_layer(m, "slice", onnx_layer_name(m, NULL), 1, &x, o, &s);
    if (a) onnx_attr(m, L, "axis", onnx_vint(a));
    if (step > 0 ? lo != 0 : lo != x->shape.dim[a] - 1) onnx_attr(m, L, "start", onnx_vint(lo));
    if (step > 0 ? hi != x->shape.dim[a] : hi != -1) onnx_attr(m, L, "end", onnx_vint(hi));
    if (step != 1) onnx_attr(m, L, "step", onnx_vint(step));
    return onnx_val(m, o);
}

static bool on_pad(Imp *m, const Onnx__NodeProto *n) {
    Val *x = din(m, n, 0);
    if (!x) return false;
    int R = x->shape.rank + 1, nd = R - 2;
    int64_t pads[2 * (MAX_RANK + 1)];
    int np;
    double value = 0;
    if (m->opset < 11) {
        np = aints(n, "pads", pads, 2 * (MAX_RANK + 1));
        value = af(n, "value", 0.0);
    } else {
        Tensor *p = cin(m, n, 1);
        if (!p || !p->is_int || p->n > 2 * (MAX_RANK + 1)) return onnx_fail(m, "the pads (input 1) must be a constant list of integers");
        np = (int)p->n;
        for (int i = 0; i < np; i++) pads[i] = p->i[i];
        if (input(m, n, 2)) {
            Tensor *v = cin(m, n, 2);
            if (!v || v->n != 1) return onnx_fail(m, "the constant_value (input 2) must be a constant scalar");
            value = scalar(v);
        }
        if (input(m, n, 3)) return onnx_fail(m, "the axes input is not supported");
    }
    if (np != 2 * R) return onnx_fail(m, "'pads' has %d entries for rank %d", np, R);
    if (!ints_within(m, "pads", np, pads, -MAX_WINDOW, MAX_WINDOW)) return false;
    for (int a = 0; a < 2; a++)
        if (pads[a] || pads[R + a])
            return onnx_fail(m, "padding axis %d of %s is not supported (only the spatial axes, 2 and after, of "
                             "[N, C, ...])", a, full_str(&x->shape));
    if (nd < 1) return onnx_fail(m, "input %s has no spatial dimensions to pad", full_str(&x->shape));
    const char *mode = as(n, "mode", "constant");
    const char *cm = strcmp(mode, "constant") == 0 ? "zeros" : strcmp(mode, "reflect") == 0 ? "reflect"
                   : strcmp(mode, "edge") == 0 ? "replicate" : NULL;
    if (!cm) return onnx_fail(m, "mode '%s' is not supported", mode);
    int64_t pb[MAX_SPATIAL], pe[MAX_SPATIAL];
    bool any = false;
    for (int i = 0; i < nd; i++) {
        pb[i] = pads[2 + i];
        pe[i] = pads[R + 2 + i];
        if ((pb[i] < 0 || pe[i] < 0) && strcmp(cm, "zeros") != 0)
            return onnx_fail(m, "negative padding (cropping) in mode '%s' is not supported", mode);
        /* negative padding crops: a slice */
        int64_t lo = pb[i] < 0 ? -pb[i] : 0, hi = x->shape.dim[1 + i] - (pe[i] < 0 ? -pe[i] : 0);
        if (lo >= hi) return onnx_fail(m, "negative padding crops all of %s", full_str(&x->shape));
        if (lo || hi < x->shape.dim[1 + i])
            x = slice_layer(m, x, 1 + i, lo, hi, 1, xasprintf("%s#crop%d", n->output[0], i));
        pb[i] = pb[i] < 0 ? 0 : pb[i];
        pe[i] = pe[i] < 0 ? 0 : pe[i];
        any |= pb[i] || pe[i];
    }
    if (!any) {
        alias(m, n, 0, x);
        return true;
    }
    Shape out = x->shape;
    for (int i = 0; i < nd; i++) out.dim[1 + i] += pb[i] + pe[i];
    int L = layer(m, n, "pad", NULL, 1, &x, &out);
    int64_t p[2 * MAX_SPATIAL];
    for (int i = 0; i < nd; i++) p[i] = pb[i], p[nd + i] = pe[i];
    Value *l = ast_list((Loc){0, 0, 0});
    for (int i = 0; i < 2 * nd; i++) ast_list_add(l, onnx_vint(p[i]));
    onnx_attr(m, L, "pad", l);
    if (strcmp(cm, "zeros") != 0) onnx_attr(m, L, "mode", onnx_vword(cm));
    if (value != 0) onnx_attr(m, L, "value", onnx_vfloat(value));
    return true;
}

/* ---- several inputs */

/* Concat's axis, of inputs of rank R, into *a: required from opset 4
 * (opset 1's default, 1, before) */
static bool concat_axis(Imp *m, const Onnx__NodeProto *n, int R, int *a) {
    if (m->opset >= 4 && !attr(n, "axis"))
        return onnx_fail(m, "'axis' must be given (it is required from opset 4; the model's opset is %d)",
                         (int)m->opset);
    return axis_of(m, ai(n, "axis", 1), R, a);
}

/* the node's output: its inputs concatenated along per-sample axis a, giving `out` */
static void concat_layer(Imp *m, const Onnx__NodeProto *n, int nin, Val **in, int a, const Shape *out) {
    int L = layer(m, n, "concat", NULL, nin, in, out);
    if (a) onnx_attr(m, L, "axis", onnx_vint(a));
}

static Val *const_layer(Imp *m, const char *cname, const Tensor *c, int R);

/* Tile of data by constant repeats (x.repeat(1, 2, 1, 1)): along each
 * per-sample axis repeated r times, r copies of it concatenated */
static bool on_tile(Imp *m, const Onnx__NodeProto *n) {
    Val *x = din(m, n, 0);
    if (!x) return false;
    Tensor *r = cin(m, n, 1);
    if (!input(m, n, 1) || !r || !r->is_int || r->rank != 1)
        return onnx_fail(m, "the repeats (input 1) must be a constant list of integers");
    int R = x->shape.rank + 1, last = 0;
    if (r->n != R) return onnx_fail(m, "%lld repeats for a tensor of rank %d", (long long)r->n, R);
    for (int a = 0; a < R; a++) {
        if (a == 0 && r->i[a] != 1) return onnx_fail(m, "tiling the batch axis mixes samples");
        if (r->i[a] == BATCH_SYM) return onnx_fail(m, "repeat %d depends on the batch size", a);
        if (r->i[a] < 0) return onnx_fail(m, "repeat %d is negative", a);
        if (r->i[a] == 0) return onnx_fail(m, "a repeat of 0 leaves axis %d empty", a);
        if (r->i[a] > MAX_INPUTS)
            return onnx_fail(m, "%lld copies along axis %d are not supported (at most %d)", (long long)r->i[a], a,
                             MAX_INPUTS);
        if (r->i[a] > 1) last = a;
    }
    if (last == 0) {
        alias(m, n, 0, x);
        return true;
    }
    Val *cur = x, *copy[MAX_INPUTS];
    for (int a = 1; a <= last; a++) {
        if (r->i[a] == 1) continue;
        Shape out = cur->shape;
        out.dim[a - 1] *= r->i[a];
        for (int64_t k = 0; k < r->i[a]; k++) copy[k] = cur;
        const char *o = a == last ? n->output[0] : xasprintf("%s#%d", n->output[0], a);
        int L = onnx_layer(m, "concat", onnx_layer_name(m, NULL), (int)r->i[a], copy, o, &out);
        if (a > 1) onnx_attr(m, L, "axis", onnx_vint(a - 1));
        cur = onnx_val(m, o);
    }
    return true;
}

static bool on_concat_data(Imp *m, const Onnx__NodeProto *n) {
    int nin = (int)n->n_input;
    if (nin < 1) return onnx_fail(m, "no inputs");
    Val **in = xcalloc((size_t)nin, sizeof(Val *));
    int R = 0, a = 0;
    for (int i = 0; i < nin; i++) {   /* the data's rank; a constant of it is a constant layer */
        Val *v = input(m, n, i);
        if (v && v->kind != V_CONST) R = v->shape.rank + 1;
    }
    for (int i = 0; i < nin; i++) {
        Tensor *c = cin(m, n, i);
        if (c && c->rank == R && !(in[i] = const_layer(m, n->input[i], c, R)))
            return onnx_fail(m, "input %d, a constant of shape %s, varies along the batch axis", i,
                             onnx_dims_str(c->rank, c->dim));
        if (!in[i] && !(in[i] = din(m, n, i))) return false;
    }
    if (!concat_axis(m, n, R, &a)) return false;
    if (a == 0) return onnx_fail(m, "concatenating along the batch axis mixes samples");
    Shape out = in[0]->shape;
    for (int i = 1; i < nin; i++) {
        const Shape *s = &in[i]->shape;
        bool ok = s->rank == out.rank;
        for (int j = 0; ok && j < s->rank; j++) ok = j == a - 1 || s->dim[j] == out.dim[j];
        if (!ok) return onnx_fail(m, "inputs %s and %s do not fit along axis %d", full_str(&out), full_str(s), a);
        out.dim[a - 1] += s->dim[a - 1];
    }
    if (nin == 1) {
        alias(m, n, 0, in[0]);
        return true;
    }
    concat_layer(m, n, nin, in, a - 1, &out);
    return true;
}

/* c is one value, or one per channel of x: *per is 1 or C */
static bool is_channel_const(const Val *x, const Tensor *c, int64_t *per) {
    int R = x->shape.rank + 1;
    int64_t C = x->shape.dim[0];
    bool ok = c->rank <= R;
    *per = 1;
    for (int j = 0; ok && j < c->rank; j++) {
        int axis = R - c->rank + j;
        if (c->dim[j] == 1) continue;
        if (axis == 1 && c->dim[j] == C) *per = C;
        else ok = false;
    }
    return ok;
}

/* data with a constant: one value, or one per channel, as y = x * s + t */
static bool channel_const(Imp *m, const Val *x, const Tensor *c, float *out) {
    int64_t C = x->shape.dim[0], per;
    if (!is_channel_const(x, c, &per))
        return onnx_fail(m, "a constant of shape %s with data of shape %s is not supported (only a single value or "
                         "one per channel)", onnx_dims_str(c->rank, c->dim), full_str(&x->shape));
    for (int64_t i = 0; i < C; i++) {
        int64_t k = per == 1 ? 0 : i;
        out[i] = c->is_int ? (float)c->i[k] : c->f[k];
    }
    return true;
}

static const char *elementwise_op(const char *t) {
    return strcmp(t, "Add") == 0 || strcmp(t, "Sum") == 0 ? "add" : strcmp(t, "Mul") == 0 ? "mul"
         : strcmp(t, "Sub") == 0 ? "sub" : strcmp(t, "Div") == 0 ? "div"
         : strcmp(t, "Max") == 0 ? "max" : "min";
}

static bool same_data(const Imp *m, const Val *a, const Val *b) {
    return a->kind == V_DATA && b->kind == V_DATA && strcmp(onnx_ident_of(m, a), onnx_ident_of(m, b)) == 0;
}

/* the node's output x * k, pending: a layer only when something other
 * than a pattern reads it */
static bool scaled(Imp *m, const Onnx__NodeProto *n, Val *x, double k) {
    Val *v = onnx_def(m, n->output[0]);
    v->kind = V_SCALED;
    v->base = x;
    v->k = k;
    v->shape = x->shape;
    v->lname = onnx_layer_name(m, NULL);
    return true;
}

/* the forms exporters write for SiLU, HardSwish, GELU and Mish */
static bool patterns(Imp *m, const Onnx__NodeProto *n, Val *a, Val *b, bool *done) {
    *done = true;
    const char *t = n->op_type;
    Tensor *cb = b->kind == V_CONST ? b->t : NULL;
    if (strcmp(t, "Add") == 0) {
        if (a->kind == V_CONST && b->kind == V_ERF) { Val *s = a; a = b; b = s; cb = s->t; }
        if (a->kind == V_ERF && scalar_is(cb, 1.0)) return pending(m, n, V_ERF1, a->base);
    }
    if (strcmp(t, "Mul") == 0) {
        /* x * tanh(softplus(x)): mish */
        Val *tsp = a->kind == V_TANHSP ? a : b->kind == V_TANHSP ? b : NULL, *o = tsp == a ? b : a;
        if (tsp && same_data(m, o, tsp->base)) {
            layer(m, n, "mish", NULL, 1, &o, &o->shape);
            return true;
        }
        if (a->kind == V_CONST || (b->kind == V_ERF1 && a->kind != V_ERF1) || b->kind == V_GELU2) {
            Val *s = a; a = b; b = s;
            cb = b->kind == V_CONST ? b->t : NULL;
        }
        Val *x = NULL;
        if (a->kind == V_GELU2 && scalar_is(cb, 0.5)) x = a->base;
        if (a->kind == V_ERF1 && b->kind == V_SCALED && near(b->k, 0.5) && b->base == a->base) x = a->base;
        if (x) {
            layer(m, n, "gelu", NULL, 1, &x, &x->shape);
            return true;
        }
        if (a->kind == V_ERF1 && same_data(m, b, a->base)) return pending(m, n, V_GELU2, a->base);
        /* x * sigmoid(x): silu; x * hardsigmoid(x): hardswish */
        for (int swap = 0; swap < 2 && a->kind == V_DATA && b->kind == V_DATA; swap++) {
            Val *xv = swap ? b : a, *s = swap ? a : b;
            if (s->layer < 0 || s->uses != 1) continue;
            ILayer *sl = &m->layers[s->layer];
            if (sl->dropped || !sl->src || strcmp(sl->src, onnx_ident_of(m, xv)) != 0) continue;
            const char *op = strcmp(sl->op, "sigmoid") == 0 ? "silu" : strcmp(sl->op, "hardsigmoid") == 0 ? "hardswish" : NULL;
            if (!op) continue;
            sl->dropped = true;
            layer(m, n, op, NULL, 1, &xv, &xv->shape);
            return true;
        }
    }
    /* x * k, x / k: pending, a layer only when something else needs it */
    if ((strcmp(t, "Mul") == 0 || strcmp(t, "Div") == 0) && a->kind == V_DATA && cb && cb->n == 1 && scalar(cb) != 0)
        return scaled(m, n, a, t[0] == 'M' ? scalar(cb) : 1.0 / scalar(cb));
    *done = false;
    return true;
}

/* the per-sample shapes broadcast as the language's elementwise layers do */
static bool broadcast_shape(Val *const *in, int nin, Shape *out) {
    *out = in[0]->shape;
    for (int i = 1; i < nin; i++)
        if (!shape_broadcast(out, &in[i]->shape, out, NULL)) return false;
    return true;
}

/* data and a constant of another shape (a position embedding [1, 1, H, W]):
 * a constant layer of its per-sample shape, and the elementwise layer */
/* the constant named cname (c, of at most R axes, the first of R axes the
 * batch's, 1) as a constant layer of its per-sample shape: one layer,
 * named after it, however many nodes read it; NULL for another shape */
static Val *const_layer(Imp *m, const char *cname, const Tensor *c, int R) {
    Shape cs = {.rank = c->rank < R ? c->rank : c->rank - 1};
    if (c->rank > R || (c->rank == R && c->dim[0] != 1)) return NULL;
    for (int i = 0; i < cs.rank; i++) cs.dim[i] = c->dim[c->rank - cs.rank + i];
    if (cs.rank == 0) cs = (Shape){.rank = 1, .dim = {1}};   /* a scalar */
    const char *kname = xasprintf("%s#constant", cname);
    if (!onnx_val(m, kname)) {
        float *v = xcalloc((size_t)c->n + 1, sizeof(float));
        for (int64_t i = 0; i < c->n; i++) v[i] = c->is_int ? (float)c->i[i] : c->f[i];
        const char *id = onnx_ident(cname);
        int L = onnx_layer(m, "constant", id ? id : onnx_layer_name(m, NULL), 0, NULL, kname, &cs);
        onnx_attr(m, L, "shape", onnx_vlist(cs.dim, cs.rank));
        onnx_param(m, L, "value", cs.rank, cs.dim, v);
    }
    return onnx_val(m, kname);
}

static bool const_binary(Imp *m, const Onnx__NodeProto *n, const char *op, Val *x, const Tensor *c, bool cfirst) {
    Val *k = op_find(op) ? const_layer(m, n->input[cfirst ? 0 : 1], c, x->shape.rank + 1) : NULL;
    if (!k)
        return onnx_fail(m, "a constant of shape %s with data of shape %s is not supported", onnx_dims_str(c->rank, c->dim),
                         full_str(&x->shape));
    Val *in[2] = {cfirst ? k : x, cfirst ? x : k};
    Shape to;
    if (!broadcast_shape(in, 2, &to))
        return onnx_fail(m, "inputs of shapes %s and %s do not broadcast", full_str(&x->shape),
                         onnx_dims_str(c->rank, c->dim));
    layer(m, n, op, NULL, 2, in, &to);
    return true;
}

static bool expand_dims(Imp *m, int rank, const int64_t *dim, const Tensor *s, int *R, int64_t *d);

/* Expand of data: nothing when the shape widens no axis; else pending, read
 * as its input by an elementwise operation that broadcasts to the same shape */
static bool on_expand(Imp *m, const Onnx__NodeProto *n) {
    Val *x = din(m, n, 0);
    Tensor *s = cin(m, n, 1);
    if (!x) return false;
    if (!s) return onnx_fail(m, "the shape must be a constant");
    if (!s->is_int || s->rank != 1) return onnx_fail(m, "the shape must be a list of integers");
    int xr = x->shape.rank + 1;
    if (s->n > xr)
        return onnx_fail(m, "expanding %s to %s adds axes, which is not supported", full_str(&x->shape),
                         onnx_dims_str((int)s->n, s->i));
    /* the batch axis stays: the shape's entry for it is 1 or the batch */
    Tensor *ps = onnx_tensor_new(true, 1, &s->n);
    memcpy(ps->i, s->i, (size_t)s->n * sizeof(int64_t));
    if (s->n == xr) {
        int64_t b = ps->i[0];
        if (b != 1 && b != BATCH_SYM && !(m->batch != BATCH_SYM && b == m->batch))
            return onnx_fail(m, "expanding %s to %s widens the batch axis, which is not supported",
                             full_str(&x->shape), onnx_dims_str((int)s->n, s->i));
        ps->i[0] = 1;
    }
    int64_t xd[MAX_TRANK] = {1}, d[MAX_TRANK];
    for (int i = 0; i < x->shape.rank; i++) xd[i + 1] = x->shape.dim[i];
    int R;
    if (!expand_dims(m, xr, xd, ps, &R, d)) return false;
    Shape to = {.rank = x->shape.rank};
    for (int i = 0; i < to.rank; i++) to.dim[i] = d[i + 1];
    if (shape_eq(&to, &x->shape)) {
        alias(m, n, 0, x);
        return true;
    }
    Val *v = onnx_def(m, n->output[0]);
    v->kind = V_EXPAND;
    v->base = x;
    v->shape = to;
    v->lname = onnx_layer_name(m, NULL);
    return true;
}

/* an Expand's output read by an elementwise operation with `other`: its
 * input, when that broadcasts with `other` to the same shape */
static Val *unexpand(Val *v, const Val *other) {
    if (v->kind != V_EXPAND || other->kind != V_DATA) return v;
    Shape s1, s2;
    if (!shape_broadcast(&v->shape, &other->shape, &s1, NULL) ||
        !shape_broadcast(&v->base->shape, &other->shape, &s2, NULL) || !shape_eq(&s1, &s2))
        return v;
    return v->base;
}

static bool on_binary(Imp *m, const Onnx__NodeProto *n) {
    int nin = (int)n->n_input;
    if (nin != 2) {   /* Sum, Max, Min of several: all data, one layer */
        bool variadic = !strcmp(n->op_type, "Sum") || !strcmp(n->op_type, "Max") || !strcmp(n->op_type, "Min");
        if (nin < 1 || !variadic) return onnx_fail(m, "%d input%s (%s)", nin, nin == 1 ? "" : "s",
                                                   variadic ? "it takes one or more" : "it takes two");
        Val **in = xcalloc((size_t)nin + 1, sizeof(Val *));
        for (int i = 0; i < nin; i++)
            if (!(in[i] = din(m, n, i))) return false;
        if (nin == 1) { alias(m, n, 0, in[0]); return true; }
        Shape to;
        if (!broadcast_shape(in, nin, &to))
            return onnx_fail(m, "inputs of shapes %s and %s do not broadcast", full_str(&in[0]->shape),
                             full_str(&in[1]->shape));
        const char *op = elementwise_op(n->op_type);
        if (!op_find(op)) return onnx_fail(m, "%s of several computed inputs is not supported", n->op_type);
        layer(m, n, op, NULL, nin, in, &to);
        return true;
    }
    Val *a = input(m, n, 0), *b = input(m, n, 1);
    if (!a || !b) return onnx_fail(m, "needs two inputs");
    a = unexpand(a, b);
    b = unexpand(b, a);
    if (layernorm_affine(m, n, a, b)) return true;
    bool done;
    if (!patterns(m, n, a, b, &done) || done) return done;
    if (!onnx_data(m, a) || !onnx_data(m, b)) return false;
    const char *op = elementwise_op(n->op_type);
    if (a->kind == V_DATA && b->kind == V_DATA) {   /* NumPy broadcasting, as the layers do */
        Val *in[2] = {a, b};
        Shape to;
        if (!broadcast_shape(in, 2, &to))
            return onnx_fail(m, "inputs of shapes %s and %s do not broadcast", full_str(&a->shape),
                             full_str(&b->shape));
        if (!op_find(op)) return onnx_fail(m, "%s of two computed inputs is not supported", n->op_type);
        if (strcmp(op, "div") == 0 && layernorm_pattern(m, n, a, b)) return true;
        layer(m, n, op, NULL, 2, in, &to);
        return true;
    }
    const char *t = strcmp(op, "add") == 0 ? "Add" : strcmp(op, "sub") == 0 ? "Sub" : strcmp(op, "mul") == 0 ? "Mul"
                  : strcmp(op, "div") == 0 ? "Div" : n->op_type;
    bool cfirst = a->kind == V_CONST;
    Val *x = cfirst ? b : a;
    Tensor *c = cfirst ? a->t : b->t;
    int64_t C = x->shape.dim[0], per;
    if (!is_channel_const(x, c, &per) || (t[0] == 'M' && t[1] != 'u') || (t[0] == 'D' && cfirst))
        return const_binary(m, n, op, x, c, cfirst);   /* Max, Min, a constant divided by the data: layers */
    float *k = xcalloc((size_t)C + 1, sizeof(float)), *scale = xcalloc((size_t)C + 1, sizeof(float)),
          *shift = xcalloc((size_t)C + 1, sizeof(float));
    if (!channel_const(m, x, c, k)) return false;
    for (int64_t i = 0; i < C; i++) {
        scale[i] = 1.0f;
        switch (t[0]) {
        case 'A': shift[i] = k[i]; break;
        case 'S': if (cfirst) scale[i] = -1.0f, shift[i] = k[i]; else shift[i] = -k[i]; break;
        case 'M': scale[i] = k[i]; break;   /* Mul: Max and Min took const_binary */
        case 'D':
            if (k[i] == 0) return onnx_fail(m, "dividing by zero is not supported");
            scale[i] = 1.0f / k[i];
            break;
        }
    }
    affine(m, x, onnx_layer_name(m, NULL), scale, shift, n->output[0]);
    return true;
}

/* -x: pending, as x * -1 */
static bool on_neg(Imp *m, const Onnx__NodeProto *n) {
    Val *x = din(m, n, 0);
    return x && scaled(m, n, x, -1.0);
}

/* 1 / x: a constant layer of one 1, divided by the data */
static bool on_reciprocal(Imp *m, const Onnx__NodeProto *n) {
    Val *x = din(m, n, 0);
    if (!x) return false;
    Tensor *one = onnx_tensor_new(false, 0, NULL);
    one->f[0] = 1.0f;
    Val *in[2] = {const_layer(m, xasprintf("%s_one", n->output[0]), one, x->shape.rank + 1), x};
    layer(m, n, "div", NULL, 2, in, &x->shape);
    return true;
}

/* softplus(x): Mish's first part when Tanh and a product with x follow, else
 * the softplus layer */
static bool on_softplus(Imp *m, const Onnx__NodeProto *n) {
    Val *x = din(m, n, 0);
    return x && pending(m, n, V_SOFTPLUS, x);
}

static bool on_erf(Imp *m, const Onnx__NodeProto *n) {
    Val *x = input(m, n, 0);
    if (x && x->kind == V_SCALED && near(x->k, 1.0 / sqrt(2.0))) return pending(m, n, V_ERF, x->base);
    return unary(m, n, "erf");
}

static bool on_dropout(Imp *m, const Onnx__NodeProto *n) {
    Tensor *tm = cin(m, n, 2);
    if (input(m, n, 2) && (!tm || scalar(tm) != 0)) return onnx_fail(m, "training_mode must be a constant false: export the model in eval mode");
    if (!unused_output(m, n, 1, "the mask")) return false;
    Val *x = input(m, n, 0);
    if (!x) return onnx_fail(m, "input 0 is missing");
    alias(m, n, 0, x);
    return true;
}

static bool on_identity(Imp *m, const Onnx__NodeProto *n) {
    Val *x = input(m, n, 0);
    if (!x) return onnx_fail(m, "input 0 is missing");
    alias(m, n, 0, x);
    return true;
}

/* an elementwise layer of the node's inputs, data or constants (a constant
 * layer each, of its per-sample shape), broadcast as NumPy */
static bool elementwise_any(Imp *m, const Onnx__NodeProto *n, const char *op, int nin, Val **in) {
    int R = 0;   /* the data's rank, the batch axis counted: a constant of more axes would move it */
    const char *shapes = "";   /* as the model gives them, for a message */
    for (int k = 0; k < nin; k++) {
        if (!in[k]) return onnx_fail(m, "input %d is missing", k);
        shapes = xasprintf("%s%s%s", shapes, k == 0 ? "" : k + 1 < nin ? ", " : " and ",
                           in[k]->kind == V_CONST ? onnx_dims_str(in[k]->t->rank, in[k]->t->dim) : full_str(&in[k]->shape));
        if (in[k]->kind == V_CONST) continue;
        if (!onnx_data(m, in[k])) return false;
        R = in[k]->shape.rank + 1 > R ? in[k]->shape.rank + 1 : R;
    }
    if (R == 0) return onnx_fail(m, "not supported when every input is a constant");
    for (int k = 0; k < nin; k++) {
        if (in[k]->kind != V_CONST) continue;
        const Tensor *c = in[k]->t;
        if (c->rank > R) return onnx_fail(m, "input %d, a constant of shape %s, has more axes than the data (%s)", k,
                                          onnx_dims_str(c->rank, c->dim), shapes);
        if (!(in[k] = const_layer(m, in[k]->name, c, R)))
            return onnx_fail(m, "input %d, a constant of shape %s, varies along the batch axis", k,
                             onnx_dims_str(c->rank, c->dim));
    }
    Shape to;
    if (!broadcast_shape(in, nin, &to)) return onnx_fail(m, "inputs of shapes %s do not broadcast", shapes);
    layer(m, n, op, NULL, nin, in, &to);
    return true;
}

/* x compared with a constant 0 (Not of a condition, a cast to bool) */
static bool versus_zero(Imp *m, const Onnx__NodeProto *n, const char *op) {
    Val *x = din(m, n, 0);
    if (!x) return false;
    Tensor *zero = onnx_tensor_new(false, 0, NULL);
    Val *in[2] = {x, const_layer(m, xasprintf("%s_zero", n->output[0]), zero, x->shape.rank + 1)};
    return elementwise_any(m, n, op, 2, in);
}

/* comparisons, 1 or 0 as floats; the logical operators on such values: And
 * the smaller, Or the larger, Xor unequal, Not equal to 0 */
static bool on_compare(Imp *m, const Onnx__NodeProto *n) {
    static const char *const map[][2] = {{"Greater", "greater"}, {"Less", "less"}, {"GreaterOrEqual", "greater_equal"},
                                         {"LessOrEqual", "less_equal"}, {"Equal", "equal"}, {"And", "min"},
                                         {"Or", "max"}, {"Xor", "not_equal"}};
    if (strcmp(n->op_type, "Not") == 0) return versus_zero(m, n, "equal");
    if (n->n_input != 2) return onnx_fail(m, "%d input%s (it takes two)", (int)n->n_input, n->n_input == 1 ? "" : "s");
    Val *in[2] = {input(m, n, 0), input(m, n, 1)};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(n->op_type, map[i][0]) == 0) return elementwise_any(m, n, map[i][1], 2, in);
    unreachable();
}

/* Where of data: the condition (a comparison's 1 or 0, or any number: not
 * 0 is true) and the two values, each data or a constant */
static bool on_where(Imp *m, const Onnx__NodeProto *n) {
    if (n->n_input != 3) return onnx_fail(m, "%d input%s (it takes three)", (int)n->n_input, n->n_input == 1 ? "" : "s");
    Val *in[3] = {input(m, n, 0), input(m, n, 1), input(m, n, 2)};
    return elementwise_any(m, n, "where", 3, in);
}

/* a comparison's output: 1 or 0 */
static bool is_condition(const Imp *m, const Val *v) {
    return v->kind == V_DATA && v->layer >= 0 && (op_find(m->layers[v->layer].op)->flags & OPF_CONDITION);
}

/* data to float: itself (a condition's 1 or 0 too); to bool: x != 0, or a
 * comparison's output itself */
static bool on_cast_data(Imp *m, const Onnx__NodeProto *n) {
    int64_t to = ai(n, "to", 0);
    Val *x = input(m, n, 0);
    if (to == 9 && x && is_condition(m, x)) return on_identity(m, n);
    if (to == 9) return versus_zero(m, n, "not_equal");
    if (to != 1) return onnx_fail(m, "casting data to %s is not supported (cnnc computes in float)", onnx_type_name((int)to));
    return on_identity(m, n);
}

/* Shape's start and end (opset 15), clamped to the rank R */
static void shape_range(const Onnx__NodeProto *n, int R, int64_t *start, int64_t *len) {
    int64_t s = ai(n, "start", 0), e = ai(n, "end", R);
    if (s < 0) s += R;
    if (e < 0) e += R;
    s = s < 0 ? 0 : s > R ? R : s;
    e = e < s ? s : e > R ? R : e;
    *start = s;
    *len = e - s;
}

/* Shape of data: the batch (symbolic or its size) and the per-sample dims */
static bool on_shape_data(Imp *m, const Onnx__NodeProto *n) {
    Val *x = input(m, n, 0);
    if (!x) return onnx_fail(m, "input 0 is missing");
    int R = x->shape.rank + 1;
    int64_t d[MAX_RANK + 1];
    for (int i = 0; i < R; i++) d[i] = i == x->bpos ? m->batch : x->shape.dim[moved_axis(x, i)];
    int64_t start, len;
    shape_range(n, R, &start, &len);
    Tensor *t = onnx_tensor_new(true, 1, &len);
    for (int64_t i = 0; i < len; i++) t->i[i] = d[start + i];
    set_const(m, n, 0, t);
    return true;
}

/* ---- transposed convolution */

static const char *const convt_ops[] = {NULL, "conv_transpose1d", "conv_transpose2d", "conv_transpose3d"};

static int64_t floor_half(int64_t t) { return t >= 0 ? t / 2 : -((1 - t) / 2); }

/* ConvTranspose: the output positions i*S + k*D - Pb of each dimension,
 * [0, O) taken. pads, output_padding, output_shape and auto_pad all become
 * a start Pb and an end that is cropped (pad) or extended (output_padding) */
static bool on_conv_transpose(Imp *m, const Onnx__NodeProto *n) {
    Val *x;
    Tensor *w;
    int nd;
    if (!conv_inputs(m, n, &x, &w, &nd)) return false;
    int64_t g = ai(n, "group", 1), C = x->shape.dim[0];
    if (g < 1 || C % g || w->dim[0] != C)
        return onnx_fail(m, "group %lld does not fit %lld input channels and the weight %s", (long long)g,
                         (long long)C, onnx_dims_str(w->rank, w->dim));
    int64_t M = w->dim[1] * g;   /* g divides C: each factor at most MAX_ELEMS */
    int64_t ks[MAX_SPATIAL], s[MAX_SPATIAL], d[MAX_SPATIAL], op[MAX_SPATIAL], pb[MAX_SPATIAL], pe[MAX_SPATIAL],
        o[MAX_SPATIAL], os[MAX_SPATIAL + 2], pads[2 * MAX_SPATIAL];
    Tensor *b = NULL;
    if (!kernel_bias(m, n, w, nd, M, ks, &b) || !strides_dilations(m, n, nd, ks, s, d) ||
        !spatial_ints(m, n, "output_padding", nd, 0, op) ||
        !ints_within(m, "output_padding", nd, op, 0, MAX_WINDOW))   /* as PyTorch: no negative output padding */
        return false;
    int nos = aints(n, "output_shape", os, MAX_SPATIAL + 2);
    if (nos == nd + 2) memmove(os, os + 2, sizeof(int64_t) * (size_t)nd);
    else if (nos >= 0 && nos != nd) return onnx_fail(m, "'output_shape' has %d entries for %d spatial dimensions", nos, nd);
    if (nos >= 0 && !ints_within(m, "output_shape", nd, os, 1, MAX_ELEMS)) return false;
    const char *ap = auto_pad(m, n);
    if (!ap) return false;
    bool same = strcmp(ap, "SAME_UPPER") == 0 || strcmp(ap, "SAME_LOWER") == 0;
    int np = strcmp(ap, "NOTSET") == 0 ? aints(n, "pads", pads, 2 * MAX_SPATIAL) : -1;
    if (np >= 0 && np != 2 * nd) return onnx_fail(m, "'pads' has %d entries for %d spatial dimensions", np, nd);
    if (np > 0 && !ints_within(m, "pads", np, pads, 0, MAX_WINDOW)) return false;
    for (int i = 0; i < nd; i++) {
        /* each term within MAX_WINDOW or MAX_ELEMS (2^31): no sum or product below overflows */
        int64_t I = x->shape.dim[1 + i], full = s[i] * (I - 1) + (ks[i] - 1) * d[i] + 1;
        if (ks[i] > MAX_WINDOW || full > MAX_ELEMS) return onnx_fail(m, "window sizes too large");
        pb[i] = np > 0 ? pads[i] : 0;
        int64_t pend = np > 0 ? pads[nd + i] : 0;
        if (same) {   /* as the ONNX reference: the total padding split with floor division */
            int64_t target = nos >= 0 ? os[i] : I * s[i], total = full + op[i] - target;
            pb[i] = strcmp(ap, "SAME_UPPER") == 0 ? floor_half(total) : total - floor_half(total);
        } else if (nos >= 0 && np <= 0) {   /* pads from output_shape: the larger half at the start, as ONNX
                                               and ONNX Runtime; an output past the full one extends its end */
            int64_t total = full + op[i] - os[i];
            pb[i] = total > 0 ? total - total / 2 : 0;
        }
        o[i] = nos >= 0 || same ? (nos >= 0 ? os[i] : I * s[i]) : full + op[i] - pb[i] - pend;
        if (pb[i] < 0 || pend < 0) return onnx_fail(m, "negative padding is not supported");
        if (o[i] < 1) return onnx_fail(m, "output size %lld below 1 in spatial dimension %d", (long long)o[i], i);
        int64_t end = full - pb[i] - o[i];   /* cropped at the end; below 0: extended */
        pe[i] = end > 0 ? end : 0;
        op[i] = end < 0 ? -end : 0;
        if (op[i] >= s[i] && op[i] >= d[i])
            return onnx_fail(m, "an output of %lld in spatial dimension %d extends %lld positions past the last input's "
                             "window; cnnc's output_padding must be smaller than the stride or the dilation",
                             (long long)o[i], i, (long long)op[i]);
        if (pb[i] > MAX_WINDOW || pe[i] > MAX_WINDOW) return onnx_fail(m, "padding too large");
    }
    Shape out = {.rank = nd + 1};
    out.dim[0] = M;
    for (int i = 0; i < nd; i++) out.dim[1 + i] = o[i];
    conv_layer(m, n, convt_ops[nd], x, &out, ks, s, d, pb, pe, op, g, w, b);
    return true;
}

/* ---- Resize, Upsample */

/* the mode of a Resize or Upsample and how it maps positions: *coords and
 * *rounding the upsample attributes (NULL: PyTorch's, the layer's default) */
static bool resize_mode(Imp *m, const Onnx__NodeProto *n, const char **mode, const char **coords,
                        const char **rounding) {
    bool old = strcmp(n->op_type, "Upsample") == 0 || m->opset < 11;   /* no coordinate modes: asymmetric */
    *mode = as(n, "mode", "nearest");
    const char *ctm = old ? "asymmetric" : as(n, "coordinate_transformation_mode", "half_pixel");
    const char *nm = old ? "floor" : as(n, "nearest_mode", "round_prefer_floor");
    static const char *const ctms[] = {"half_pixel", "pytorch_half_pixel", "asymmetric", "align_corners",
                                       "tf_half_pixel_for_nn"};
    static const char *const nms[] = {"floor", "ceil", "round_prefer_floor", "round_prefer_ceil"};
    *coords = *rounding = NULL;
    for (size_t k = 0; k < sizeof ctms / sizeof *ctms; k++)
        if (strcmp(ctm, ctms[k]) == 0) *coords = ctms[k];
    if (!*coords)
        return onnx_fail(m, "coordinate_transformation_mode '%s' is not supported (half_pixel, pytorch_half_pixel, "
                         "asymmetric, align_corners and tf_half_pixel_for_nn are)", ctm);
    if (strcmp(*mode, "nearest") == 0) {
        for (size_t k = 0; k < sizeof nms / sizeof *nms; k++)
            if (strcmp(nm, nms[k]) == 0) *rounding = nms[k];
        if (!*rounding)
            return onnx_fail(m, "nearest_mode '%s' is not supported (floor, ceil, round_prefer_floor and "
                             "round_prefer_ceil are)", nm);
        if (strcmp(ctm, "asymmetric") == 0 && strcmp(nm, "floor") == 0) *coords = *rounding = NULL;   /* PyTorch's */
        return true;
    }
    if (strcmp(*mode, "cubic") == 0) {
        if (old) return onnx_fail(m, "cubic mode is not supported in %s of opset %d", n->op_type, (int)m->opset);
    } else if (strcmp(*mode, "linear") == 0 || strcmp(*mode, "bilinear") == 0 || strcmp(*mode, "trilinear") == 0) {
        *mode = "linear";
    } else {
        return onnx_fail(m, "mode '%s' is not supported (nearest, linear and cubic are)", *mode);
    }
    if (strcmp(ctm, "half_pixel") == 0) *coords = NULL;   /* PyTorch's */
    return true;
}

/* the float f as the shortest decimal that reads back as f: 1.70000005
 * (1.7 in float) is 1.7, the scale_factor the exporter was given, so that
 * upsample's steps of 1/scale are PyTorch's */
static double shortest_decimal(float f) { return strtod(shortest_g(f, true), NULL); }

static bool on_resize(Imp *m, const Onnx__NodeProto *n) {
    const char *mode, *coords, *rounding;
    if (!resize_mode(m, n, &mode, &coords, &rounding)) return false;
    bool align = coords && strcmp(coords, "align_corners") == 0;
    Val *x = din(m, n, 0);
    if (!x) return false;
    int R = x->shape.rank + 1, nd = R - 2;
    if (nd < 1 || nd > MAX_SPATIAL) return onnx_fail(m, "input %s has no spatial dimensions to resize", full_str(&x->shape));
    double sc[MAX_RANK + 1];
    int64_t sz[MAX_RANK + 1], axes[MAX_RANK + 1];
    int64_t full[MAX_RANK + 1] = {m->batch};
    for (int i = 1; i < R; i++) full[i] = x->shape.dim[i - 1];
    bool sizes = false;
    int na = aints(n, "axes", axes, MAX_RANK + 1);
    if (na > R) return onnx_fail(m, "'axes' has %d entries for rank %d", na, R);
    if (na < 0)
        for (int i = 0; i < R; i++) axes[i] = i;
    for (int i = 0; i < R; i++) sc[i] = 1, sz[i] = full[i];
    const Onnx__AttributeProto *sa = attr(n, "scales");
    Tensor *t = NULL;
    if (sa) {   /* Upsample before opset 9 */
        if ((int)sa->n_floats != R) return onnx_fail(m, "'scales' has %zu entries for rank %d", sa->n_floats, R);
        t = onnx_tensor_new(false, 1, (int64_t[]){R});
        for (int i = 0; i < R; i++) t->f[i] = sa->floats[i];
    } else {
        int k = strcmp(n->op_type, "Upsample") == 0 || m->opset < 11 ? 1 : 2;
        Tensor *z = k == 2 && input(m, n, 3) ? cin(m, n, 3) : NULL;
        if (k == 2 && input(m, n, 3) && (!z || !z->is_int)) return onnx_fail(m, "the sizes (input 3) must be a constant list of integers");
        if (z && z->n > 0) sizes = true, t = z;
        else if (!input(m, n, k) || !(t = cin(m, n, k)) || t->is_int)
            return onnx_fail(m, "the scales (input %d) must be a constant list of floats", k);
    }
    int cnt = na >= 0 ? na : R;
    if (t->n != cnt) return onnx_fail(m, "the %s have %lld entries for %d axes", sizes ? "sizes" : "scales", (long long)t->n, cnt);
    for (int i = 0; i < cnt; i++) {
        int a = 0;
        if (!axis_of(m, axes[i], R, &a)) return false;
        if (sizes) sz[a] = t->i[i];
        else sc[a] = shortest_decimal(t->f[i]);
    }
    if (sizes && strcmp(as(n, "keep_aspect_ratio_policy", "stretch"), "stretch") != 0)
        return onnx_fail(m, "keep_aspect_ratio_policy '%s' is not supported", as(n, "keep_aspect_ratio_policy", ""));
    if (sizes ? (sz[0] != m->batch && sz[0] != BATCH_SYM) || sz[1] != full[1] : sc[0] != 1 || sc[1] != 1)
        return onnx_fail(m, "resizing the batch or channel axis is not supported");
    Shape out = x->shape;
    bool down = false;
    for (int i = 2; i < R; i++) {
        if (sizes ? sz[i] < 1 : !(sc[i] > 0 && sc[i] < 1e6)) return onnx_fail(m, "sizes and scales must be positive");
        /* the size by a scale is floor(size * scale) in float, as ONNX Runtime
         * computes it: 10 by 2.3 (2.29999995 in float) is 23, as in PyTorch
         * and the exporter's shapes. cnnc's upsample computes it in double,
         * as PyTorch from its double scale_factor: there the scale is raised
         * to the least that gives that size (a step of 1/scale as close) */
        out.dim[i - 1] = sizes ? sz[i] : (int64_t)floor((float)((float)full[i] * (float)sc[i]));
        if (!sizes && out.dim[i - 1] != (int64_t)floor((double)full[i] * sc[i]))
            for (sc[i] = (double)out.dim[i - 1] / (double)full[i]; floor((double)full[i] * sc[i]) < (double)out.dim[i - 1];)
                sc[i] = nextafter(sc[i], INFINITY);
        if (out.dim[i - 1] < 1) out.dim[i - 1] = 1;
        if (out.dim[i - 1] > MAX_ELEMS) return onnx_fail(m, "the output is too large");
        down |= out.dim[i - 1] < full[i];
        if (align && !sizes && (double)out.dim[i - 1] != (double)full[i] * sc[i])
            return onnx_fail(m, "align_corners with scale %g of a size of %lld is not supported (ONNX aligns to the "
                             "fractional size %g)", sc[i], (long long)full[i], (double)full[i] * sc[i]);
    }
    bool one = false;   /* an output size of 1, where pytorch_half_pixel is not half_pixel */
    for (int i = 2; i < R; i++) one |= out.dim[i - 1] == 1;
    if (coords && strcmp(coords, "pytorch_half_pixel") == 0 && !one && strcmp(mode, "nearest") != 0) coords = NULL;
    if (ai(n, "antialias", 0) && down && strcmp(mode, "nearest") != 0) return onnx_fail(m, "antialias=1 when shrinking is not supported");
    /* Resize of opset 10 has no nearest_mode: ONNX Runtime takes the floor
     * where it enlarges and rounds (a tie up) where it shrinks */
    if (strcmp(n->op_type, "Resize") == 0 && m->opset < 11 && strcmp(mode, "nearest") == 0 && down) {
        for (int i = 2; i < R; i++)
            if (out.dim[i - 1] > full[i])
                return onnx_fail(m, "nearest that enlarges one axis and shrinks another is not supported in Resize of "
                                 "opset 10 (its rounding differs between the two)");
        coords = "asymmetric", rounding = "round_prefer_ceil";
    }
    int L = layer(m, n, "upsample", NULL, 1, &x, &out);
    if (sizes) {
        onnx_attr(m, L, "size", onnx_vints(out.dim + 1, nd));
    } else {
        bool same = true;
        for (int i = 2; i < R; i++) same &= sc[i] == sc[2];
        Value *l = same ? onnx_vfloat(sc[2]) : ast_list((Loc){0, 0, 0});
        for (int i = 2; i < R && !same; i++) ast_list_add(l, onnx_vfloat(sc[i]));
        onnx_attr(m, L, "scale", l);
    }
    if (strcmp(mode, "nearest") != 0) onnx_attr(m, L, "mode", onnx_vword(mode));
    if (align && strcmp(mode, "nearest") != 0) onnx_attr(m, L, "align_corners", ast_bool((Loc){0, 0, 0}, true));
    else if (coords) onnx_attr(m, L, "coordinates", onnx_vword(coords));
    if (rounding) onnx_attr(m, L, "rounding", onnx_vword(rounding));
    if (strcmp(mode, "cubic") == 0 && af(n, "cubic_coeff_a", -0.75) != -0.75)
        onnx_attr(m, L, "cubic_a", onnx_vfloat(af(n, "cubic_coeff_a", -0.75)));
    if (strcmp(mode, "cubic") == 0 && ai(n, "exclude_outside", 0))
        onnx_attr(m, L, "exclude_outside", ast_bool((Loc){0, 0, 0}, true));
    return true;
}

/* ---- Transpose, Slice, Split of data */

static bool is_layer(const Imp *m, const Val *v, const char *op) {
    return v->kind == V_DATA && v->layer >= 0 && !m->layers[v->layer].dropped && strcmp(m->layers[v->layer].op, op) == 0;
}

/* the Transpose of a pixel (un)shuffle, of x viewed as [C, H/r, r, W/r, r]
 * by perm [0, 1, 3, 5, 2, 4] (PyTorch's PixelUnshuffle) or as [C, r, r, H, W]
 * by [0, 1, 4, 2, 5, 3] (PixelShuffle's before DepthToSpace): a pending
 * V_PIXEL for the Reshape after it; false when it is not one */
static bool pixel_transpose(Imp *m, const Onnx__NodeProto *n, Val *v) {
    static const int64_t unshuffle[] = {0, 1, 3, 5, 2, 4}, shuffle[] = {0, 1, 4, 2, 5, 3};
    int64_t perm[MAX_TRANK + 1];
    const Shape *b = &v->base->shape, *s = &v->shape;
    if (aints(n, "perm", perm, MAX_TRANK) != 6 || b->rank != 3 || s->rank != 5) return false;
    bool un = memcmp(perm, unshuffle, sizeof unshuffle) == 0, up = memcmp(perm, shuffle, sizeof shuffle) == 0;
    int64_t r = un ? s->dim[2] : s->dim[1];
    if (un ? !(s->dim[0] == b->dim[0] && s->dim[4] == r && s->dim[1] * r == b->dim[1] && s->dim[3] * r == b->dim[2])
           : !(up && s->dim[2] == r && s->dim[0] * r * r == b->dim[0] && s->dim[3] == b->dim[1] && s->dim[4] == b->dim[2]))
        return false;
    const char *o = out_name(n, 0);
    Val *w = o ? onnx_def(m, o) : NULL;
    if (w) {
        *w = (Val){.name = w->name, .uses = w->uses, .kind = V_PIXEL, .base = v->base, .k = (double)r,
                   .op = un ? "pixel_unshuffle" : "pixel_shuffle", .lname = onnx_layer_name(m, NULL)};
        for (int i = 0; i < 5; i++) w->shape.dim[i] = s->dim[perm[i + 1] - 1];
        w->shape.rank = 5;
    }
    return true;
}

static void perm_attr(Imp *m, int L, const int64_t *p, int n) {
    Value *l = ast_list((Loc){0, 0, 0});
    for (int i = 0; i < n; i++) ast_list_add(l, onnx_vint(p[i]));
    onnx_attr(m, L, "perm", l);
}

static bool on_transpose(Imp *m, const Onnx__NodeProto *n) {
    Val *view = input(m, n, 0);
    if (view && view->kind == V_VIEW && pixel_transpose(m, n, view)) return true;
    Val *x = din_moved(m, n, 0);
    if (!x) return false;
    int R = x->shape.rank + 1;
    int64_t perm[MAX_TRANK + 1], p[MAX_RANK];
    int np = aints(n, "perm", perm, MAX_TRANK);
    if (np < 0)
        for (np = 0; np < R; np++) perm[np] = R - 1 - np;
    if (np != R) return onnx_fail(m, "'perm' has %d entries for rank %d", np, R);
    unsigned seen = 0;
    for (int i = 0; i < R; i++) {
        if (perm[i] < 0 || perm[i] >= R || (seen >> perm[i] & 1)) return onnx_fail(m, "'perm' is not a permutation");
        seen |= 1u << perm[i];
    }
    /* the batch axis may move: the sample's axes are permuted as the
     * others, and the output says where the batch axis went (timm's
     * attention: [N, L, 3, h, d] to [3, N, h, L, d], split along its
     * first axis and squeezed, N first again) */
    Val to = {.bpos = 0};
    while (perm[to.bpos] != x->bpos) to.bpos++;
    Shape out = {.rank = R - 1};
    bool ident = true;
    for (int i = 0; i < R; i++) {
        if (i == to.bpos) continue;
        int j = moved_axis(&to, i);
        p[j] = moved_axis(x, (int)perm[i]);
        out.dim[j] = x->shape.dim[p[j]];
        ident &= p[j] == j;
    }
    if (ident && x->bpos == to.bpos) {
        alias(m, n, 0, x);
        return true;
    }
    if (x->bpos || to.bpos) {
        /* a layer, no alias, where the batch axis moves: an alias would
         * share its source's name, which patterns take for the same value.
         * A reshape to the same shape where the sample's axes stay */
        int L = layer(m, n, ident ? "reshape" : "transpose", NULL, 1, &x, &out);
        if (ident) onnx_attr(m, L, "shape", onnx_vlist(out.dim, out.rank));
        else perm_attr(m, L, p, R - 1);
        onnx_val(m, n->output[0])->bpos = to.bpos;
        return true;
    }
    if (ident) {
        alias(m, n, 0, x);
        return true;
    }
    /* ShuffleNet's channel shuffle: [C, ...] viewed as [g, C/g, ...], the
     * two first axes swapped (and viewed back as [C, ...] by the next Reshape) */
    bool swap01 = R >= 3 && p[0] == 1 && p[1] == 0;
    for (int i = 2; i < R - 1; i++) swap01 &= p[i] == i;
    if (swap01 && is_layer(m, x, "reshape") && x->uses == 1) {
        Val *src = m->layers[x->layer].in[0];
        bool split = src->shape.rank == x->shape.rank - 1 && x->shape.dim[0] * x->shape.dim[1] == src->shape.dim[0];
        for (int i = 1; split && i < src->shape.rank; i++) split = src->shape.dim[i] == x->shape.dim[i + 1];
        if (split && x->shape.dim[0] > 1 && x->shape.dim[1] > 1) {
            m->layers[x->layer].dropped = true;
            const char *o = xasprintf("%s#shuffled", n->output[0]);
            int L = onnx_layer(m, "channel_shuffle", onnx_layer_name(m, NULL), 1, &src, o, &src->shape);
            onnx_attr(m, L, "groups", onnx_vint(x->shape.dim[0]));
            Shape v = out;
            return reshape_to(m, n, onnx_val(m, o), &v);
        }
    }
    int L = layer(m, n, "transpose", NULL, 1, &x, &out);
    perm_attr(m, L, p, R - 1);
    return true;
}

/* DepthToSpace (mode DCR or CRD, PyTorch's PixelShuffle) and SpaceToDepth
 * (DCR's order): pixel_shuffle and pixel_unshuffle */
static bool on_depth_space(Imp *m, const Onnx__NodeProto *n) {
    Val *x = din(m, n, 0);
    if (!x) return false;
    bool up = strcmp(n->op_type, "DepthToSpace") == 0;
    int64_t r = ai(n, "blocksize", 0);
    const char *mode = up ? as(n, "mode", "DCR") : "DCR";
    if (x->shape.rank != 3) return onnx_fail(m, "input %s is not [N, C, H, W]", full_str(&x->shape));
    if (r < 1 || r > 65536) return onnx_fail(m, "'blocksize' must be given, from 1 to 65536");
    if (strcmp(mode, "DCR") != 0 && strcmp(mode, "CRD") != 0) return onnx_fail(m, "mode '%s' is not DCR or CRD", mode);
    if (up ? x->shape.dim[0] % (r * r) : x->shape.dim[1] % r || x->shape.dim[2] % r)
        return onnx_fail(m, "blocksize %lld does not divide %s", (long long)r, full_str(&x->shape));
    Shape out = pixel_shape(&x->shape, r, up);
    int L = layer(m, n, up ? "pixel_shuffle" : "pixel_unshuffle", NULL, 1, &x, &out);
    onnx_attr(m, L, "factor", onnx_vint(r));
    if (strcmp(mode, "DCR") == 0) onnx_attr(m, L, "mode", onnx_vword("dcr"));
    return true;
}

static bool on_slice(Imp *m, const Onnx__NodeProto *n) {
    Val *x = din(m, n, 0);
    if (!x) return false;
    int64_t b[4][MAX_TRANK];   /* starts, ends, axes, steps */
    int cnt[4] = {-1, -1, -1, -1};
    static const char *const what[] = {"starts", "ends", "axes", "steps"};
    for (int k = 0; k < 4; k++) {
        if (m->opset < 10) {
            if (k < 3) cnt[k] = aints(n, what[k], b[k], MAX_TRANK);
            continue;
        }
        if (!input(m, n, k + 1)) continue;
        Tensor *t = cin(m, n, k + 1);
        if (!t || !t->is_int || t->n > MAX_TRANK)
            return onnx_fail(m, "the %s (input %d) must be a constant list of integers", what[k], k + 1);
        cnt[k] = (int)t->n;
        for (int64_t i = 0; i < t->n; i++) b[k][i] = t->i[i];
    }
    int ns = cnt[0];
    if (ns < 0 || cnt[1] != ns || (cnt[2] >= 0 && cnt[2] != ns) || (cnt[3] >= 0 && cnt[3] != ns))
        return onnx_fail(m, "starts, ends, axes and steps must have as many entries");
    int R = x->shape.rank + 1;
    unsigned seen = 0;
    Val *cur = x;
    int last = -1;
    int64_t lo[MAX_TRANK], hi[MAX_TRANK], st[MAX_TRANK];
    int ax[MAX_TRANK];
    for (int k = 0; k < ns; k++) {
        int a = 0;
        if (!axis_of(m, cnt[2] >= 0 ? b[2][k] : k, R, &a)) return false;
        if (seen >> a & 1) return onnx_fail(m, "axis %d is sliced twice", a);
        seen |= 1u << a;
        st[k] = cnt[3] >= 0 ? b[3][k] : 1;
        lo[k] = b[0][k], hi[k] = b[1][k], ax[k] = a;
        if (st[k] == 0) return onnx_fail(m, "a step of 0");
        if (a == 0) {
            if (lo[k] == 0 && st[k] == 1 && hi[k] >= INT32_MAX) continue;
            return onnx_fail(m, "slicing the batch axis mixes samples");
        }
        int64_t D = x->shape.dim[a - 1];
        if (slice_bounds(D, &lo[k], &hi[k], &st[k]) == 0) return onnx_fail(m, "the slice of axis %d takes no element", a);
        if (lo[k] == 0 && hi[k] == D && st[k] == 1) continue;
        last = k;
    }
    for (int k = 0; k <= last; k++) {
        if (ax[k] == 0 || (lo[k] == 0 && hi[k] == x->shape.dim[ax[k] - 1] && st[k] == 1)) continue;
        const char *o = k == last ? n->output[0] : xasprintf("%s#%d", n->output[0], k);
        cur = slice_layer(m, cur, ax[k] - 1, lo[k], hi[k], st[k], o);
    }
    if (last < 0) alias(m, n, 0, x);
    return true;
}

/* Gather from data by constant indices along a per-sample axis: the runs of
 * indices one stride apart are slices, several of them concatenated
 * (x[:, [2, 1, 0]], BGR to RGB: one slice backwards); a scalar index drops the axis, a
 * reshape after its slice (x[:, 0], as torchvision's GoogLeNet and
 * Inception v3 begin). */
static bool gather_data(Imp *m, const Onnx__NodeProto *n, Val *x) {
    Tensor *t = cin(m, n, 1);
    if (!input(m, n, 1) || !t || !t->is_int)
        return onnx_fail(m, "the indices (input 1) must be constant integers");
    if (t->rank > 1) return onnx_fail(m, "indices of rank %d are not supported (one index or a list)", t->rank);
    if (t->n < 1) return onnx_fail(m, "no indices");
    int R = x->shape.rank + 1, a = 0;
    if (!axis_of(m, ai(n, "axis", 0), R, &a)) return false;
    if (a == x->bpos) return onnx_fail(m, "gathering along the batch axis mixes samples");
    a = moved_axis(x, a) + 1;   /* the sample's, plus one */
    bool scalar = t->rank == 0;
    if (scalar && R < 3) return onnx_fail(m, "a result of rank 1 (the batch alone) is not supported");
    int64_t D = x->shape.dim[a - 1], *ix = xcalloc((size_t)t->n, sizeof(int64_t));
    for (int64_t j = 0; j < t->n; j++) {
        if (t->i[j] == BATCH_SYM) return onnx_fail(m, "the indices depend on the batch size");
        ix[j] = t->i[j] < 0 ? t->i[j] + D : t->i[j];
        if (ix[j] < 0 || ix[j] >= D)
            return onnx_fail(m, "index %lld is out of range for %lld entries", (long long)t->i[j], (long long)D);
    }
    const char *o = scalar ? xasprintf("%s#1", n->output[0]) : n->output[0];
    Val **part = xcalloc((size_t)t->n, sizeof(Val *));
    Shape out = x->shape;
    out.dim[a - 1] = 0;
    int np = 0;
    for (int64_t j = 0, k; j < t->n; j = k) {   /* the run from j: ix[j], ix[j] + step, ... */
        int64_t step = j + 1 < t->n && ix[j + 1] != ix[j] ? ix[j + 1] - ix[j] : 1;
        for (k = j + 1; k < t->n && ix[k] - ix[k - 1] == step; k++) {}
        bool whole = ix[j] == 0 && ix[k - 1] == D - 1 && step == 1;
        bool last = j == 0 && k == t->n;   /* one run: the result itself */
        part[np] = whole ? x : slice_layer(m, x, a - 1, ix[j], ix[k - 1] + (step > 0 ? 1 : -1), step,
                                           last ? o : xasprintf("%s#s%d", n->output[0], np + 1));
        out.dim[a - 1] += k - j;
        np++;
    }
    if (!scalar) {
        if (np > 1) concat_layer(m, n, np, part, a - 1, &out);
        else if (part[0] == x) alias(m, n, 0, x);
        return true;
    }
    Shape to = {.rank = x->shape.rank - 1};
    for (int i = 0, r = 0; i < x->shape.rank; i++)
        if (i != a - 1) to.dim[r++] = x->shape.dim[i];
    return reshape_to(m, n, part[0], &to);
}

/* Gather of data by constant indices; of a value whose batch axis moved,
 * along another axis, the batch axis one closer to the first for one index
 * before it */
static bool on_gather_data(Imp *m, const Onnx__NodeProto *n) {
    Val *x = din_moved(m, n, 0);
    if (!x) return false;
    bool ok = gather_data(m, n, x);
    Val *o = out_name(n, 0) ? onnx_val(m, out_name(n, 0)) : NULL;
    if (!ok || !x->bpos || !o || o->kind != V_DATA) return ok;
    int64_t a = ai(n, "axis", 0);
    a = a < 0 ? a + x->shape.rank + 1 : a;
    o->bpos = x->bpos - (cin(m, n, 1)->rank == 0 && a < x->bpos);
    return true;
}

static bool on_split(Imp *m, const Onnx__NodeProto *n) {
    Val *x = din_moved(m, n, 0);
    if (!x) return false;
    int R = x->shape.rank + 1, a = 0, no = (int)n->n_output;
    if (!axis_of(m, ai(n, "axis", 0), R, &a)) return false;
    if (a == x->bpos) return onnx_fail(m, "splitting the batch axis mixes samples");
    a = moved_axis(x, a);   /* the sample's */
    int64_t D = x->shape.dim[a], *len = xcalloc((size_t)no + 1, sizeof(int64_t)), sum = 0;
    const Onnx__AttributeProto *sp = attr(n, "split");
    Tensor *t = input(m, n, 1) ? cin(m, n, 1) : NULL;
    if (input(m, n, 1) && (!t || !t->is_int)) return onnx_fail(m, "the split (input 1) must be a constant list of integers");
    int64_t given = sp ? (int64_t)sp->n_ints : t ? t->n : -1;
    if (given >= 0 && given != no) return onnx_fail(m, "%lld split sizes for %d outputs", (long long)given, no);
    int64_t nout = ai(n, "num_outputs", no);
    if (nout != no) return onnx_fail(m, "num_outputs is %lld for %d outputs", (long long)nout, no);
    for (int k = 0; k < no; k++) {
        len[k] = sp ? sp->ints[k] : t ? t->i[k] : m->opset >= 18 ? (D + no - 1) / no : D / no;
        if (given < 0 && m->opset >= 18 && k == no - 1) len[k] = D - sum;
        if (given < 0 && m->opset < 18 && D % no) return onnx_fail(m, "%lld does not split into %d equal parts", (long long)D, no);
        if (len[k] < 1) return onnx_fail(m, "an empty output is not supported");
        if (len[k] > D)   /* each at most D: their sum does not overflow */
            return onnx_fail(m, "split size %lld is larger than the axis (%lld)", (long long)len[k], (long long)D);
        sum += len[k];
    }
    if (sum != D) return onnx_fail(m, "split sizes add up to %lld for an axis of %lld", (long long)sum, (long long)D);
    for (int k = 0, lo = 0; k < no; lo += (int)len[k], k++) {
        if (!out_name(n, k)) continue;
        if (len[k] == D) alias(m, n, k, x);
        else slice_layer(m, x, a, lo, lo + len[k], 1, n->output[k])->bpos = x->bpos;   /* where x's is */
    }
    return true;
}

/* ---- reductions, PRelu, normalizations */

/* the axes of a reduction, Squeeze or Unsqueeze into axes[]: an attribute
 * before the opset that made them input 1 (13 for ReduceSum, Squeeze and
 * Unsqueeze, 18 for the other reductions), a constant input from it, the
 * other form an error. Their count; -1 when none are given, -2 after an
 * error */
static int node_axes(Imp *m, const Onnx__NodeProto *n, int64_t *axes) {
    int from = strncmp(n->op_type, "Reduce", 6) != 0 || strcmp(n->op_type, "ReduceSum") == 0 ? 13 : 18;
    bool has_input = n->n_input > 1 && n->input[1] && *n->input[1];
    int na = aints(n, "axes", axes, MAX_TRANK);
    if (na >= 0 && m->opset >= from) {
        onnx_fail(m, "an 'axes' attribute in opset %d: %s takes its axes as input 1 from opset %d", (int)m->opset,
                  n->op_type, from);
        return -2;
    }
    if (has_input && m->opset < from) {
        onnx_fail(m, "axes as input 1 in opset %d: %s takes them as the attribute 'axes' before opset %d",
                  (int)m->opset, n->op_type, from);
        return -2;
    }
    if (na > MAX_TRANK) {
        onnx_fail(m, "too many axes");
        return -2;
    }
    if (na >= 0 || !has_input) return na;
    Tensor *c = cin(m, n, 1);
    if (!c || !c->is_int || c->n > MAX_TRANK) {
        onnx_fail(m, "the axes (input 1) must be a constant list of integers");
        return -2;
    }
    for (int64_t i = 0; i < c->n; i++) axes[i] = c->i[i];
    return (int)c->n;
}

static bool on_reduce(Imp *m, const Onnx__NodeProto *n) {
    Val *x = din(m, n, 0);
    if (!x) return false;
    const char *t = n->op_type;
    const char *op = strcmp(t, "ReduceMean") == 0  ? "reduce_mean"
                     : strcmp(t, "ReduceMax") == 0 ? "reduce_max"
                     : strcmp(t, "ReduceMin") == 0 ? "reduce_min"
                                                   : "reduce_sum";
    /* ReduceL1, ReduceL2 and ReduceSumSquare sum |x| or x * x; ReduceL2 a sqrt after */
    bool l1 = strcmp(t, "ReduceL1") == 0, l2 = strcmp(t, "ReduceL2") == 0, sq = l2 || strcmp(t, "ReduceSumSquare") == 0;
    int64_t axes[MAX_TRANK + 1];
    int na = node_axes(m, n, axes);
    if (na == -2) return false;
    if (na <= 0 && ai(n, "noop_with_empty_axes", 0)) {
        alias(m, n, 0, x);
        return true;
    }
    if (na <= 0) return onnx_fail(m, "reducing every axis, the batch axis too, mixes samples");
    int R = x->shape.rank + 1;
    unsigned mask = 0;
    for (int i = 0; i < na; i++) {
        int a = 0;
        if (!axis_of(m, axes[i], R, &a)) return false;
        if (a == 0) return onnx_fail(m, "reducing the batch axis mixes samples");
        if (mask >> (a - 1) & 1) return onnx_fail(m, "axis %d given twice", a);
        mask |= 1u << (a - 1);
    }
    bool keep = ai(n, "keepdims", 1) != 0;
    Shape out = {.rank = 0};
    Value *l = ast_list((Loc){0, 0, 0});
    for (int i = 0; i < x->shape.rank; i++) {
        if (mask >> i & 1) ast_list_add(l, onnx_vint(i));
        if (!(mask >> i & 1) || keep) out.dim[out.rank++] = mask >> i & 1 ? 1 : x->shape.dim[i];
    }
    if (out.rank == 0) out.dim[out.rank++] = 1;
    const char *name = onnx_layer_name(m, NULL);
    if (l1 || sq) {
        const char *tmp = xasprintf("%s#%s", n->output[0], l1 ? "abs" : "square");
        Val *in[2] = {x, x};
        onnx_layer(m, l1 ? "abs" : "mul", xasprintf("%s_%s", name, l1 ? "abs" : "square"), l1 ? 1 : 2, in, tmp, &x->shape);
        x = onnx_val(m, tmp);
    }
    const char *sum = l2 ? xasprintf("%s#sum", n->output[0]) : n->output[0];
    int L = onnx_layer(m, op, l2 ? xasprintf("%s_sum", name) : name, 1, &x, sum, &out);
    onnx_attr(m, L, "axes", l);
    if (!keep) onnx_attr(m, L, "keepdims", ast_bool((Loc){0, 0, 0}, false));
    m->layers[L].axes = mask;
    if (l2) {
        Val *v = onnx_val(m, sum);
        onnx_layer(m, "sqrt", name, 1, &v, n->output[0], &out);
    }
    return true;
}

static bool on_prelu(Imp *m, const Onnx__NodeProto *n) {
    Val *x = din(m, n, 0);
    Tensor *s = x ? fin(m, n, 1, "slope") : NULL;
    if (!x || !s) return false;
    int64_t C = x->shape.dim[0], one = 1;
    float *k = xcalloc((size_t)C + 1, sizeof(float));
    if (!channel_const(m, x, s, k)) return false;
    int L = layer(m, n, "prelu", n->input[1], 1, &x, &x->shape);
    onnx_param(m, L, "weight", 1, s->n == 1 ? &one : &C, k);
    return true;
}

static void eps_attr(Imp *m, int L, double eps) {
    if ((float)eps != (float)1e-5) onnx_attr(m, L, "eps", onnx_vfloat(eps));
}

/* a layernorm over per-sample axes a.. of x, weight and bias of n values
 * each (NULL: ones, zeros); its index */
static int layernorm(Imp *m, const Onnx__NodeProto *n, Val *x, int a, double eps, const char *wname, const float *w,
                     const float *b) {
    int64_t cnt = 1;
    for (int i = a; i < x->shape.rank; i++) cnt *= x->shape.dim[i];
    float *one = xcalloc((size_t)cnt + 1, sizeof(float)), *zero = xcalloc((size_t)cnt + 1, sizeof(float));
    for (int64_t i = 0; i < cnt; i++) one[i] = 1.0f;
    int L = layer(m, n, "layernorm", wname, 1, &x, &x->shape);
    if (a) onnx_attr(m, L, "axis", onnx_vint(a));
    eps_attr(m, L, eps);
    onnx_param(m, L, "weight", x->shape.rank - a, x->shape.dim + a, w ? w : one);
    m->layers[L].wt = m->ntensors - 1;
    onnx_param(m, L, "bias", x->shape.rank - a, x->shape.dim + a, b ? b : zero);
    m->layers[L].bt = m->ntensors - 1;
    return L;
}

/* a layer of op on in[0..nin) whose value is named out; its value */
static Val *step(Imp *m, const char *op, int nin, Val *const *in, const char *out, const Shape *shape) {
    onnx_layer(m, op, onnx_layer_name(m, NULL), nin, in, out, shape);
    return onnx_val(m, out);
}

/* LayerNormalization's optional outputs, when something reads them: the
 * mean over the normalized axes a.. (kept as 1s), and the inverse standard
 * deviation 1 / sqrt(var + eps), computed as sqrt(v) / v with v = var + eps
 * (the language has no reciprocal); var is the mean of (x - mean)^2 */
static bool layernorm_stats(Imp *m, const Onnx__NodeProto *n, Val *x, int a, double eps) {
    const char *mo = out_name(n, 1), *io = out_name(n, 2);
    Val *mv = mo ? onnx_val(m, mo) : NULL, *iv = io ? onnx_val(m, io) : NULL;
    if (!(mv && mv->uses > 0) && !(iv && iv->uses > 0)) return true;
    Shape ks = x->shape;
    Value *axes[2] = {ast_list((Loc){0, 0, 0}), ast_list((Loc){0, 0, 0})};
    unsigned mask = 0;
    for (int i = a; i < x->shape.rank; i++) {
        ks.dim[i] = 1;
        mask |= 1u << i;
        for (int k = 0; k < 2; k++) ast_list_add(axes[k], onnx_vint(i));
    }
    const char *tmp = xasprintf("%s/mean", n->output[0]);
    Val *mean = step(m, "reduce_mean", 1, &x, mv && mv->uses > 0 ? mo : tmp, &ks);
    onnx_attr(m, mean->layer, "axes", axes[0]);
    m->layers[mean->layer].axes = mask;
    if (!(iv && iv->uses > 0)) return true;
    Val *xm[2] = {x, mean};
    Val *d = step(m, "sub", 2, xm, xasprintf("%s/centered", n->output[0]), &x->shape);
    Val *dd[2] = {d, d};
    Val *sq = step(m, "mul", 2, dd, xasprintf("%s/squared", n->output[0]), &x->shape);
    Val *var = step(m, "reduce_mean", 1, &sq, xasprintf("%s/variance", n->output[0]), &ks);
    onnx_attr(m, var->layer, "axes", axes[1]);
    m->layers[var->layer].axes = mask;
    int64_t C = ks.dim[0];
    float *one = xcalloc((size_t)C + 1, sizeof(float)), *e = xcalloc((size_t)C + 1, sizeof(float));
    for (int64_t c = 0; c < C; c++) one[c] = 1.0f, e[c] = (float)eps;
    const char *vo = xasprintf("%s/variance_eps", n->output[0]);
    affine(m, var, onnx_layer_name(m, NULL), one, e, vo);
    Val *v = onnx_val(m, vo);
    Val *sd = step(m, "sqrt", 1, &v, xasprintf("%s/deviation", n->output[0]), &ks);
    Val *sv[2] = {sd, v};
    step(m, "div", 2, sv, io, &ks);
    return true;
}

static bool on_layernorm(Imp *m, const Onnx__NodeProto *n) {
    Val *x = din(m, n, 0);
    if (!x) return false;
    int a = 0;
    if (!axis_of(m, ai(n, "axis", -1), x->shape.rank + 1, &a)) return false;
    if (a == 0) return onnx_fail(m, "normalizing over the batch axis mixes samples");
    int64_t cnt = 1;
    for (int i = a - 1; i < x->shape.rank; i++) cnt *= x->shape.dim[i];
    Tensor *t[2] = {fin(m, n, 1, "scale"), input(m, n, 2) ? fin(m, n, 2, "bias") : NULL};
    if (!t[0] || (input(m, n, 2) && !t[1])) return false;
    for (int k = 0; k < 2; k++)
        if (t[k] && t[k]->n != cnt)
            return onnx_fail(m, "the %s has %lld values for the %lld elements normalized together", k ? "bias" : "scale",
                             (long long)t[k]->n, (long long)cnt);
    layernorm(m, n, x, a - 1, af(n, "epsilon", 1e-5), n->input[1], t[0]->f, t[1] ? t[1]->f : NULL);
    return layernorm_stats(m, n, x, a - 1, af(n, "epsilon", 1e-5));
}

static bool on_instancenorm(Imp *m, const Onnx__NodeProto *n) {
    Val *x = din(m, n, 0);
    if (!x) return false;
    int64_t C = x->shape.dim[0];
    Tensor *t[2] = {fin(m, n, 1, "scale"), fin(m, n, 2, "bias")};
    if (!t[0] || !t[1]) return false;
    for (int k = 0; k < 2; k++)
        if (t[k]->n != C)
            return onnx_fail(m, "the %s has %lld values for %lld channels", k ? "bias" : "scale", (long long)t[k]->n, (long long)C);
    int L = layer(m, n, "instancenorm", n->input[1], 1, &x, &x->shape);
    eps_attr(m, L, af(n, "epsilon", 1e-5));
    onnx_attr(m, L, "affine", ast_bool((Loc){0, 0, 0}, true));
    onnx_param(m, L, "weight", 1, &C, t[0]->f);
    onnx_param(m, L, "bias", 1, &C, t[1]->f);
    return true;
}

/* LRN: PyTorch's window (c - size/2 .. c + (size-1)/2) is ONNX's
 * (c - (size-1)/2 .. c + ceil((size-1)/2)) for odd sizes only */
static bool on_lrn(Imp *m, const Onnx__NodeProto *n) {
    Val *x = din(m, n, 0);
    if (!x) return false;
    int64_t size = ai(n, "size", 0);
    if (!attr(n, "size") || size < 1) return onnx_fail(m, "'size' must be given, a positive integer");
    if (size % 2 == 0)
        return onnx_fail(m, "size %lld is not supported: an even window is centred one channel later in ONNX than in "
                         "PyTorch's local_response_norm (odd sizes are)", (long long)size);
    if (x->shape.rank < 2) return onnx_fail(m, "input %s has no spatial dimensions", full_str(&x->shape));
    int L = layer(m, n, "local_response_norm", NULL, 1, &x, &x->shape);
    onnx_attr(m, L, "size", onnx_vint(size));
    static const char *const names[] = {"alpha", "beta", "bias"}, *const ours[] = {"alpha", "beta", "k"};
    const double defs[] = {1e-4, 0.75, 1.0};
    for (int k = 0; k < 3; k++)
        if ((float)af(n, names[k], defs[k]) != (float)defs[k]) onnx_attr(m, L, ours[k], onnx_vfloat(af(n, names[k], defs[k])));
    return true;
}

/* Pow of data by a constant: x^2 is x * x (the variance in exporters'
 * layernorm), x^0.5 is sqrt, x^1 is x */
static bool on_pow(Imp *m, const Onnx__NodeProto *n) {
    Val *x = din(m, n, 0);
    Tensor *e = x ? cin(m, n, 1) : NULL;
    if (!x) return false;
    if (!e || e->n != 1) return onnx_fail(m, "the exponent must be a constant scalar");
    if (scalar_is(e, 1.0)) {
        alias(m, n, 0, x);
        return true;
    }
    if (scalar_is(e, 0.5)) return unary(m, n, "sqrt");
    if (!scalar_is(e, 2.0)) {
        int L = layer(m, n, "pow", NULL, 1, &x, &x->shape);
        onnx_attr(m, L, "exponent", onnx_vfloat(scalar(e)));
        return true;
    }
    Val *in[2] = {x, x};
    layer(m, n, "mul", NULL, 2, in, &x->shape);
    return true;
}

/* ---- the layernorm exporters write below opset 17:
 *   mu = ReduceMean(x), d = x - mu, v = ReduceMean(d^2), y = d / sqrt(v + eps)
 * over the same last axes (keepdims), then optionally * gamma + beta */

static float st_get(const StTensor *t, int64_t i) {
    uint32_t u = 0;
    for (int b = 0; b < 4; b++) u |= (uint32_t)t->raw[4 * i + b] << (8 * b);
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static void st_set(StTensor *t, int64_t i, float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    unsigned char *raw = (unsigned char *)t->raw;
    for (int b = 0; b < 4; b++) raw[4 * i + b] = (unsigned char)(u >> (8 * b));
}

/* y = d / s: a layernorm when d and s come from the pattern above and
 * nothing else reads its parts */
static bool layernorm_pattern(Imp *m, const Onnx__NodeProto *n, Val *d, Val *s) {
    ILayer *Ls = m->layers;
    if (!is_layer(m, d, "sub") || d->uses != 2 || !is_layer(m, s, "sqrt") || s->uses != 1) return false;
    Val *x = Ls[d->layer].in[0], *mu = Ls[d->layer].in[1], *e = Ls[s->layer].in[0];
    if (!is_layer(m, mu, "reduce_mean") || mu->uses != 1 || !same_data(m, Ls[mu->layer].in[0], x)) return false;
    if (!is_layer(m, e, "batchnorm") || e->uses != 1 || !Ls[e->layer].uniform || Ls[e->layer].scale != 1 ||
        Ls[e->layer].shift < 0)
        return false;
    Val *v = Ls[e->layer].in[0];
    if (!is_layer(m, v, "reduce_mean") || v->uses != 1 || Ls[v->layer].axes != Ls[mu->layer].axes) return false;
    Val *p = Ls[v->layer].in[0];
    if (!is_layer(m, p, "mul") || p->uses != 1 || !same_data(m, Ls[p->layer].in[0], d) ||
        !same_data(m, Ls[p->layer].in[1], d))
        return false;
    int R = x->shape.rank, a = R;
    unsigned mask = Ls[mu->layer].axes;
    while (a > 0 && (mask >> (a - 1) & 1)) a--;
    if (mask != ((1u << R) - 1) - ((1u << a) - 1) || mu->shape.rank != R || v->shape.rank != R) return false;
    const Val *parts[] = {d, mu, e, v, p, s};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) Ls[parts[i]->layer].dropped = true;
    layernorm(m, n, x, a, m->layers[e->layer].shift, NULL, NULL, NULL);
    return true;
}

/* after a layernorm, Mul and Add by a constant of the normalized shape (or
 * a scalar) are its weight and bias; after MatMul's dense, Add of [M] its bias */
static bool layernorm_affine(Imp *m, const Onnx__NodeProto *n, Val *a, Val *b) {
    bool mul = strcmp(n->op_type, "Mul") == 0;
    if (!mul && strcmp(n->op_type, "Add") != 0) return false;
    if (a->kind == V_CONST) { Val *t = a; a = b; b = t; }
    if (b->kind != V_CONST || a->kind != V_DATA || a->layer < 0 || a->uses != 1 || m->layers[a->layer].dropped ||
        m->layers[a->layer].bt < 0 || (mul && m->layers[a->layer].wt < 0))
        return false;
    ILayer *L = &m->layers[a->layer];
    StTensor *bias = &m->tensors[L->bt], *w = L->wt >= 0 ? &m->tensors[L->wt] : bias;
    const Tensor *c = b->t;
    int rc = c->rank, rw = w->rank;
    while (rc > 0 && c->dim[c->rank - rc] == 1) rc--;
    while (rw > 0 && w->dim[w->rank - rw] == 1) rw--;
    bool fits = c->n == 1 || (rc == rw && c->n == w->elems);
    for (int i = 0; fits && c->n > 1 && i < rc; i++) fits = c->dim[c->rank - rc + i] == w->dim[w->rank - rw + i];
    if (!fits) return false;
    for (int64_t i = 0; i < w->elems; i++) {
        float k = c->is_int ? (float)c->i[c->n == 1 ? 0 : i] : c->f[c->n == 1 ? 0 : i];
        if (mul) st_set(w, i, st_get(w, i) * k), st_set(bias, i, st_get(bias, i) * k);
        else st_set(bias, i, st_get(bias, i) + k);
    }
    alias(m, n, 0, a);
    return true;
}

/* ---------------------------------------------------------------- constant folding */

/* the symbolic batch size as a float: a NaN of its own bits, which the
 * arithmetic of constants passes on (an operation on a NaN gives that NaN) */
#define BATCH_NAN_BITS 0x7fc0ba7cu

static float batch_nan(void) {
    uint32_t b = BATCH_NAN_BITS;
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

/* whether a constant holds the symbolic batch size, or a float computed from it */
static bool batch_dependent(const Tensor *t) {
    for (int64_t i = 0; i < t->n; i++) {
        if (t->is_int ? t->i[i] == BATCH_SYM : isnan(t->f[i])) {
            uint32_t b;
            if (t->is_int) return true;
            memcpy(&b, &t->f[i], sizeof b);
            if ((b & 0x7fffffu) == (BATCH_NAN_BITS & 0x7fffffu)) return true;
        }
    }
    return false;
}

static Tensor *to_type(const Tensor *a, bool is_int) {
    if (a->is_int == is_int) return (Tensor *)a;
    Tensor *t = onnx_tensor_new(is_int, a->rank, a->dim);
    for (int64_t i = 0; i < a->n; i++) {
        if (is_int) t->i[i] = isfinite(a->f[i]) && fabs(a->f[i]) < 9.2e18 ? (int64_t)a->f[i] : 0;
        else t->f[i] = a->i[i] == BATCH_SYM ? batch_nan() : (float)a->i[i];
    }
    return t;
}

static bool fold_constant(Imp *m, const Onnx__NodeProto *n, Tensor **in, int nin) {
    (void)in, (void)nin;
    const Onnx__AttributeProto *a = n->n_attribute == 1 ? n->attribute[0] : NULL;
    if (!a || !a->name) return onnx_fail(m, "needs one attribute giving the value");
    Tensor *t = NULL;
    if (strcmp(a->name, "value") == 0 && a->t) {
        t = onnx_tensor(m, a->t, "the value");
        if (!t) return false;
    } else if (strcmp(a->name, "value_float") == 0 || strcmp(a->name, "value_int") == 0) {
        t = onnx_tensor_new(a->name[6] == 'i', 0, NULL);
        if (t->is_int) t->i[0] = a->i;
        else t->f[0] = a->f;
    } else if (strcmp(a->name, "value_floats") == 0 || strcmp(a->name, "value_ints") == 0) {
        bool isint = a->name[6] == 'i';
        int64_t len = (int64_t)(isint ? a->n_ints : a->n_floats);
        t = onnx_tensor_new(isint, 1, &len);
        for (int64_t i = 0; i < len; i++) {
            if (isint) t->i[i] = a->ints[i];
            else t->f[i] = a->floats[i];
        }
    } else {
        return onnx_fail(m, "attribute '%s' is not supported", a->name);
    }
    set_const(m, n, 0, t);
    return true;
}

static bool fold_shape(Imp *m, const Onnx__NodeProto *n, Tensor **in, int nin) {
    (void)nin;
    Tensor *x = in[0];
    int R = x->rank;
    int64_t start, len;
    shape_range(n, R, &start, &len);
    Tensor *t = onnx_tensor_new(true, 1, &len);
    for (int64_t i = 0; i < len; i++) t->i[i] = x->dim[start + i];
    set_const(m, n, 0, t);
    return true;
}

static bool fold_cast(Imp *m, const Onnx__NodeProto *n, Tensor **in, int nin) {
    (void)nin;
    int64_t to = ai(n, "to", 0);
    if (!elem_ok((int)to)) return onnx_fail(m, "casting to %s is not supported", onnx_type_name((int)to));
    set_const(m, n, 0, to_type(in[0], !(to == 1 || to == 10 || to == 11 || to == 16)));
    return true;
}

static bool new_big(Imp *m, int rank, const int64_t *dim) {
    if (!onnx_dims_within(rank, dim, MAX_FOLD))
        return onnx_fail(m, "a constant of shape %s is too large to compute at compile time", onnx_dims_str(rank, dim));
    return true;
}

static bool fold_constant_of_shape(Imp *m, const Onnx__NodeProto *n, Tensor **in, int nin) {
    (void)nin;
    Tensor *s = in[0];
    if (!s->is_int || s->rank != 1 || s->n > MAX_TRANK) return onnx_fail(m, "the shape must be a list of integers");
    for (int64_t i = 0; i < s->n; i++)
        if (s->i[i] == BATCH_SYM) return onnx_fail(m, "a constant of the batch's size is not supported");
    if (!new_big(m, (int)s->n, s->i)) return false;
    Tensor *v = NULL;
    const Onnx__AttributeProto *a = attr(n, "value");
    if (a && a->t && !(v = onnx_tensor(m, a->t, "the value"))) return false;
    if (v && v->n != 1) return onnx_fail(m, "the value must hold one element");
    Tensor *t = onnx_tensor_new(v ? v->is_int : false, (int)s->n, s->i);
    for (int64_t i = 0; i < t->n; i++) {
        if (t->is_int) t->i[i] = v->i[0];
        else t->f[i] = v ? v->f[0] : 0.0f;
    }
    set_const(m, n, 0, t);
    return true;
}

/* NumPy broadcasting of two constants */
/* the shape d[*R] that tensors of ranks r[] and dims dims[] broadcast to
 * (NumPy's rule), or an error */
static bool bcast_dims(Imp *m, int nt, const int *r, const int64_t *const *dims, int *R, int64_t *d) {
    *R = 0;
    for (int t = 0; t < nt; t++) *R = r[t] > *R ? r[t] : *R;
    for (int i = 0; i < *R; i++) {
        d[i] = 1;
        for (int t = 0; t < nt; t++) {
            int it = i - (*R - r[t]);
            int64_t dt = it >= 0 ? dims[t][it] : 1;
            if (dt != d[i] && dt != 1 && d[i] != 1)
                return onnx_fail(m, "shapes %s and %s do not broadcast", onnx_dims_str(r[0], dims[0]),
                                 onnx_dims_str(r[t], dims[t]));
            if (dt != 1) d[i] = dt;
        }
    }
    return new_big(m, *R, d);
}

/* the index in t of element k of the shape d[R] that t broadcasts to */
static int64_t bcast_at(const Tensor *t, int R, const int64_t *d, int64_t k) {
    int64_t at = 0, stride = 1;
    for (int i = R - 1; i >= 0; i--) {
        int64_t idx = k % d[i];
        k /= d[i];
        int it = i - (R - t->rank);
        if (it >= 0) {
            if (t->dim[it] != 1) at += idx * stride;
            stride *= t->dim[it];
        }
    }
    return at;
}

/* the output element of a reduction over the axes of mask that input
 * element k falls in */
static int64_t reduce_at(const Tensor *x, unsigned mask, int64_t k) {
    int64_t o = 0, stride = 1;
    for (int i = x->rank - 1; i >= 0; i--) {
        int64_t idx = k % x->dim[i];
        k /= x->dim[i];
        if (!(mask >> i & 1)) o += idx * stride, stride *= x->dim[i];
    }
    return o;
}

/* x + y, x - y or x * y (op '+', '-' or '*') of integer constants into *z;
 * an error where int64 would overflow (and the result wrap), and for a
 * result of INT64_MIN, which would read as the symbolic batch size
 * (BATCH_SYM). That as an operand is the callers' to handle first */
static bool int_arith(Imp *m, const Onnx__NodeProto *n, char op, int64_t x, int64_t y, int64_t *z) {
    bool over = op == '+' ? __builtin_add_overflow(x, y, z) : op == '-' ? __builtin_sub_overflow(x, y, z)
                                                                         : __builtin_mul_overflow(x, y, z);
    if (over) return onnx_fail(m, "integer overflow in %s (%lld %c %lld)", n->op_type, (long long)x, op, (long long)y);
    if (*z == BATCH_SYM)
        return onnx_fail(m, "integer result %lld in %s (%lld %c %lld): cnnc holds the symbolic batch size as that "
                         "value", (long long)*z, n->op_type, (long long)x, op, (long long)y);
    return true;
}

/* a reduction of a constant (a shape's element count by ReduceProd, a
 * weight's mean): over the axes given (all by default, or none with
 * noop_with_empty_axes), accumulated in double for floats. Integers stay
 * integers: exact for the sum, product, maximum, minimum, L1 and sum of
 * squares, else computed in double and truncated (as NumPy's astype). The
 * symbolic batch size reduced with sizes that change nothing (1 in a
 * product, 0 in a sum), or alone, stays the symbol; with others the result
 * depends on the batch size, an error. LogSumExp takes the group's maximum
 * out before exp. */
static bool fold_reduce(Imp *m, const Onnx__NodeProto *n, Tensor **in, int nin) {
    (void)nin;
    const Tensor *x = in[0];
    const char *t = n->op_type + strlen("Reduce");
    int64_t axes[MAX_TRANK + 1];
    int na = node_axes(m, n, axes);
    if (na == -2) return false;
    if (na <= 0 && ai(n, "noop_with_empty_axes", 0)) {
        set_const(m, n, 0, (Tensor *)x);
        return true;
    }
    unsigned mask = 0;
    for (int i = 0; i < na; i++) {
        int a = 0;
        if (!axis_of(m, axes[i], x->rank, &a)) return false;
        if (mask >> a & 1) return onnx_fail(m, "axis %d given twice", a);
        mask |= 1u << a;
    }
    if (na <= 0) mask = (1u << x->rank) - 1;
    bool keep = ai(n, "keepdims", 1) != 0, mean = strcmp(t, "Mean") == 0;
    bool isint = x->is_int && (strcmp(t, "Sum") == 0 || strcmp(t, "Prod") == 0 || strcmp(t, "Max") == 0 ||
                               strcmp(t, "Min") == 0 || strcmp(t, "L1") == 0 || strcmp(t, "SumSquare") == 0);
    bool sym_any = false;   /* the symbolic batch among integers computed in double */
    for (int64_t k = 0; x->is_int && !isint && k < x->n; k++) sym_any |= x->i[k] == BATCH_SYM;
    if (sym_any) return onnx_fail(m, "Reduce%s of the symbolic batch size is not supported", t);
    int64_t d[MAX_TRANK], group = 1;
    int R = 0;
    for (int i = 0; i < x->rank; i++) {
        if (mask >> i & 1) group *= x->dim[i];
        if (!(mask >> i & 1) || keep) d[R++] = mask >> i & 1 ? 1 : x->dim[i];
    }
    if (group == 0 && (strcmp(t, "Max") == 0 || strcmp(t, "Min") == 0 || mean))
        return onnx_fail(m, "Reduce%s of no element", t);
    Tensor *r = onnx_tensor_new(x->is_int, R, d), *xf = x->is_int && !isint ? to_type(x, false) : (Tensor *)x;
    double *acc = xcalloc((size_t)r->n + 1, sizeof(double));
    int64_t *iacc = xcalloc((size_t)r->n + 1, sizeof(int64_t));
    int64_t *nsym = xcalloc((size_t)r->n + 1, sizeof(int64_t));   /* symbolic batch sizes in the group */
    bool *set = xcalloc((size_t)r->n + 1, sizeof(bool)), *plain = xcalloc((size_t)r->n + 1, sizeof(bool));
    bool prod = strcmp(t, "Prod") == 0, mx = strcmp(t, "Max") == 0, mn = strcmp(t, "Min") == 0;
    bool lse = strcmp(t, "LogSumExp") == 0, add = strcmp(t, "Sum") == 0 || strcmp(t, "L1") == 0;
    double *top = xcalloc((size_t)r->n + 1, sizeof(double));   /* LogSumExp: the group's maximum, taken out */
    for (int64_t k = 0; lse && k < x->n; k++) {
        int64_t o = reduce_at(x, mask, k);
        if (!set[o] || xf->f[k] > top[o]) top[o] = xf->f[k];
        set[o] = true;
    }
    for (int64_t k = 0; k < r->n; k++) plain[k] = true, set[k] = false;
    for (int64_t k = 0; k < x->n; k++) {
        int64_t o = reduce_at(x, mask, k);
        if (isint) {
            int64_t v = x->i[k], a = iacc[o];
            if (v == BATCH_SYM) {
                nsym[o]++;
                continue;
            }
            /* the batch size stays a symbol only past elements that change nothing */
            if (!(prod ? v == 1 : add ? v == 0 : false)) plain[o] = false;
            if (strcmp(t, "L1") == 0) v = v < 0 ? -v : v;   /* v is not INT64_MIN: that is BATCH_SYM */
            if (strcmp(t, "SumSquare") == 0 && !int_arith(m, n, '*', v, v, &v)) return false;
            if (!set[o] || mx || mn) iacc[o] = !set[o] ? v : mx ? (v > a ? v : a) : (v < a ? v : a);
            else if (!int_arith(m, n, prod ? '*' : '+', a, v, &iacc[o])) return false;
        } else {
            double v = xf->f[k], a = acc[o];
            if (strcmp(t, "L1") == 0 || strcmp(t, "L2") == 0 || strcmp(t, "SumSquare") == 0)
                v = strcmp(t, "L1") == 0 ? fabs(v) : v * v;
            if (lse) v = exp(isfinite(top[o]) ? v - top[o] : v);
            acc[o] = !set[o] ? v : prod ? a * v : mx ? (v > a ? v : a) : mn ? (v < a ? v : a) : a + v;
        }
        set[o] = true;
    }
    for (int64_t k = 0; k < r->n; k++) {
        if (isint) {
            if (nsym[k] && (nsym[k] > 1 || !plain[k] || !(prod || add || ((mx || mn) && !set[k]))))
                return onnx_fail(m, "Reduce%s over the batch size and other sizes depends on the batch size", t);
            r->i[k] = nsym[k] ? BATCH_SYM : !set[k] ? (prod ? 1 : 0) : iacc[k];
            continue;
        }
        double v = !set[k] ? (prod ? 1 : 0) : acc[k];
        if (mean) v /= (double)group;
        if (strcmp(t, "L2") == 0) v = sqrt(v);
        if (strcmp(t, "LogSum") == 0 || lse) v = log(v) + (lse && isfinite(top[k]) ? top[k] : 0);
        if (!x->is_int) {
            r->f[k] = (float)v;
            continue;
        }
        if (!(fabs(v) < 9e18)) return onnx_fail(m, "Reduce%s of integers gives %g", t, v);
        r->i[k] = (int64_t)v;
    }
    set_const(m, n, 0, r);
    return true;
}

static bool fold_binary(Imp *m, const Onnx__NodeProto *n, Tensor **in, int nin) {
    if (nin != 2) return onnx_fail(m, "folding %d inputs is not supported", nin);
    Tensor *a = in[0], *b = in[1];
    int R, rk[2] = {a->rank, b->rank};
    const int64_t *dims[2] = {a->dim, b->dim};
    int64_t d[MAX_TRANK];
    if (!bcast_dims(m, 2, rk, dims, &R, d)) return false;
    const char *t = n->op_type;
    bool isint = a->is_int && b->is_int && strcmp(t, "Pow") != 0;
    bool cmp = strcmp(t, "Equal") == 0 || strcmp(t, "Less") == 0 || strcmp(t, "Greater") == 0;
    Tensor *r = onnx_tensor_new(isint || cmp, R, d);
    a = to_type(a, isint);
    b = to_type(b, isint);
    bool py_mod = !ai(n, "fmod", 0);   /* Mod: the divisor's sign (Python's %), else the dividend's (C's) */
    for (int64_t k = 0; k < r->n; k++) {
        int64_t ka = bcast_at(a, R, d, k), kb = bcast_at(b, R, d, k);
        if (isint) {
            int64_t x = a->i[ka], y = b->i[kb], z = 0;
            if (x == BATCH_SYM || y == BATCH_SYM) { r->i[k] = BATCH_SYM; continue; }
            switch (t[0]) {
            case 'A': if (!int_arith(m, n, '+', x, y, &z)) return false; break;
            case 'S': if (!int_arith(m, n, '-', x, y, &z)) return false; break;
            case 'M':
                if (t[1] == 'o') {
                    if (y == 0) return onnx_fail(m, "integer division by zero in %s", t);
                    z = x % y;   /* x is not INT64_MIN (BATCH_SYM): no overflow by -1 */
                    if (z != 0 && (z < 0) != (y < 0) && py_mod) z += y;   /* |z| < |y|, of opposite signs */
                } else if (t[1] == 'u') {
                    if (!int_arith(m, n, '*', x, y, &z)) return false;
                } else z = t[1] == 'a' ? (x > y ? x : y) : (x < y ? x : y);
                break;
            case 'D':
                if (y == 0) return onnx_fail(m, "integer division by zero in %s", t);
                z = x / y;   /* as Mod's */
                break;
            case 'E': z = x == y; break;
            case 'L': z = x < y; break;
            case 'G': z = x > y; break;
            }
            r->i[k] = z;
        } else {
            double x = a->f[ka], y = b->f[kb], z = 0;
            switch (t[0]) {
            case 'A': z = x + y; break;
            case 'S': z = x - y; break;
            case 'M':
                if (t[1] == 'o') {
                    z = fmod(x, y);
                    if (z != 0 && (z < 0) != (y < 0) && py_mod) z += y;
                } else z = t[1] == 'u' ? x * y : t[1] == 'a' ? fmax(x, y) : fmin(x, y);
                break;
            case 'D': z = x / y; break;
            case 'P': z = pow(x, y); break;
            case 'E': z = x == y; break;
            case 'L': z = x < y; break;
            case 'G': z = x > y; break;
            }
            if (cmp) r->i[k] = (int64_t)z;
            else r->f[k] = (float)z;
        }
    }
    set_const(m, n, 0, r);
    return true;
}

/* GreaterOrEqual, LessOrEqual, And, Or, Xor of constants, and Not: 1 or 0 */
static bool fold_logic(Imp *m, const Onnx__NodeProto *n, Tensor **in, int nin) {
    const char *t = n->op_type;
    bool is_not = strcmp(t, "Not") == 0;   /* of one input (onnx_node) */
    if (!is_not && nin != 2) return onnx_fail(m, "%d input%s (it takes two)", nin, nin == 1 ? "" : "s");
    Tensor *a = in[0], *b = in[is_not ? 0 : 1];
    int R, rk[2] = {a->rank, b->rank};
    const int64_t *dims[2] = {a->dim, b->dim};
    int64_t d[MAX_TRANK];
    if (!bcast_dims(m, 2, rk, dims, &R, d)) return false;
    bool isint = a->is_int && b->is_int;
    enum { GE, LE, AND, OR, XOR, NOT } f = strcmp(t, "GreaterOrEqual") == 0 ? GE : strcmp(t, "LessOrEqual") == 0 ? LE
                                        : strcmp(t, "And") == 0 ? AND : strcmp(t, "Or") == 0 ? OR
                                        : strcmp(t, "Xor") == 0 ? XOR : NOT;
    Tensor *r = onnx_tensor_new(true, R, d);
    a = to_type(a, isint);
    b = to_type(b, isint);
    for (int64_t k = 0; k < r->n; k++) {
        int64_t ka = bcast_at(a, R, d, k), kb = bcast_at(b, R, d, k);
        if (isint && (a->i[ka] == BATCH_SYM || b->i[kb] == BATCH_SYM))
            return onnx_fail(m, "a %s of the batch size is not supported", t);
        /* as C compares (a NaN is neither above nor below nor equal) */
        bool ge = isint ? a->i[ka] >= b->i[kb] : a->f[ka] >= b->f[kb];
        bool le = isint ? a->i[ka] <= b->i[kb] : a->f[ka] <= b->f[kb];
        bool x = isint ? a->i[ka] != 0 : a->f[ka] != 0, y = isint ? b->i[kb] != 0 : b->f[kb] != 0;
        r->i[k] = f == GE ? ge : f == LE ? le : f == AND ? x && y : f == OR ? x || y : f == XOR ? x != y : !x;
    }
    set_const(m, n, 0, r);
    return true;
}

/* If of a condition known when compiling (a shape's size, a constant): the
 * nodes of the branch it takes, read as the graph's, its outputs the If's */
static bool fold_if(Imp *m, const Onnx__NodeProto *n, Tensor **in, int nin) {
    (void)nin;
    if (in[0]->n != 1) return onnx_fail(m, "the condition has %lld values, not one", (long long)in[0]->n);
    bool cond = in[0]->is_int ? in[0]->i[0] != 0 : in[0]->f[0] != 0;
    const Onnx__AttributeProto *a = attr(n, cond ? "then_branch" : "else_branch");
    const Onnx__GraphProto *g = a ? a->g : NULL;
    if (!g) return onnx_fail(m, "the %s branch is missing", cond ? "then" : "else");
    if (g->n_output != n->n_output)
        return onnx_fail(m, "the %s branch has %zu outputs for the node's %zu", cond ? "then" : "else", g->n_output,
                         n->n_output);
    const Onnx__NodeProto *self = m->node;
    int index = m->node_index;
    bool ok = true;
    for (size_t i = 0; i < g->n_node; i++) {
        m->node = g->node[i];
        ok &= onnx_node(m, g->node[i]);
    }
    m->node = self;
    m->node_index = index;
    for (size_t k = 0; ok && k < g->n_output; k++) {
        Val *v = g->output[k]->name ? onnx_val(m, g->output[k]->name) : NULL;
        if (!v || v->kind == V_NONE) return onnx_fail(m, "the branch's output '%s' is not computed", g->output[k]->name);
        if (v->bad) return false;
        alias(m, n, (int)k, v);
    }
    return ok;
}

static bool on_if(Imp *m, const Onnx__NodeProto *n) {
    (void)n;
    return onnx_fail(m, "a condition computed from data is not supported (only one known when compiling, such as a "
                     "test of a shape)");
}

/* Where(condition, x, y), broadcasting the three */
static bool fold_where(Imp *m, const Onnx__NodeProto *n, Tensor **in, int nin) {
    if (nin != 3) return onnx_fail(m, "%d input%s (it takes three)", nin, nin == 1 ? "" : "s");
    int R, rk[3] = {in[0]->rank, in[1]->rank, in[2]->rank};
    const int64_t *dims[3] = {in[0]->dim, in[1]->dim, in[2]->dim};
    int64_t d[MAX_TRANK];
    if (!bcast_dims(m, 3, rk, dims, &R, d)) return false;
    bool isint = in[1]->is_int && in[2]->is_int;
    Tensor *c = to_type(in[0], true), *x = to_type(in[1], isint), *y = to_type(in[2], isint);
    Tensor *r = onnx_tensor_new(isint, R, d);
    for (int64_t k = 0; k < r->n; k++) {
        const Tensor *s = c->i[bcast_at(c, R, d, k)] ? x : y;
        int64_t at = bcast_at(s, R, d, k);
        if (isint) r->i[k] = s->i[at];
        else r->f[k] = s->f[at];
    }
    set_const(m, n, 0, r);
    return true;
}

/* the shape Expand's input and shape make: the two broadcast, a 1 of either
 * taking the other's size; an error for a shape that is not a list of sizes */
static bool expand_dims(Imp *m, int rank, const int64_t *dim, const Tensor *s, int *R, int64_t *d) {
    if (!s->is_int || s->rank != 1 || s->n > MAX_TRANK)
        return onnx_fail(m, "the shape must be a list of at most %d integers", MAX_TRANK);
    for (int64_t i = 0; i < s->n; i++)
        if (s->i[i] < 0 && s->i[i] != BATCH_SYM) return onnx_fail(m, "the shape %s has a negative size",
                                                                 onnx_dims_str((int)s->n, s->i));
    int rk[2] = {rank, (int)s->n};
    const int64_t *dims[2] = {dim, s->i};
    return bcast_dims(m, 2, rk, dims, R, d);
}

static bool fold_expand(Imp *m, const Onnx__NodeProto *n, Tensor **in, int nin) {
    if (nin != 2) return onnx_fail(m, "%d input%s (it takes two)", nin, nin == 1 ? "" : "s");
    for (int64_t i = 0; in[1]->is_int && i < in[1]->n; i++)
        if (in[1]->i[i] == BATCH_SYM) return onnx_fail(m, "a constant of the batch's size is not supported");
    int R;
    int64_t d[MAX_TRANK];
    if (!expand_dims(m, in[0]->rank, in[0]->dim, in[1], &R, d)) return false;
    Tensor *r = onnx_tensor_new(in[0]->is_int, R, d);
    for (int64_t k = 0; k < r->n; k++) {
        int64_t at = bcast_at(in[0], R, d, k);
        if (r->is_int) r->i[k] = in[0]->i[at];
        else r->f[k] = in[0]->f[at];
    }
    set_const(m, n, 0, r);
    return true;
}

/* a float bound of Clip on integers as an int64 (the lower one rounded up,
 * the upper one down); one past int64 on the side that clips nothing is the
 * type's limit, on the other (or a NaN) an error: a double converted to
 * int64 out of its range is undefined */
static bool clip_int_bound(Imp *m, double v, bool upper, int64_t *b) {
    double r = upper ? floor(v) : ceil(v);
    if (upper ? r >= 0x1p63 : r <= -0x1p63) {
        *b = upper ? INT64_MAX : INT64_MIN;
        return true;
    }
    if (!(r > -0x1p63 && r < 0x1p63))
        return onnx_fail(m, "the %s bound %g of integers is beyond int64", upper ? "upper" : "lower", v);
    *b = (int64_t)r;
    return true;
}

/* Clip's bounds of integers, as integers: an integer bound as it is (through
 * a double, one near INT64_MAX rounded to 2^63, past int64), a float one by
 * clip_int_bound */
static bool clip_int_bounds(Imp *m, const Onnx__NodeProto *n, int64_t *lo, int64_t *hi) {
    double f[2];
    if (!clip_bounds(m, n, &f[0], &f[1])) return false;
    for (int k = 0; k < 2; k++) {
        int64_t *b = k ? hi : lo;
        Tensor *t = m->opset >= 11 ? cin(m, n, 1 + k) : NULL;
        if (!t || !t->is_int) {
            if (!clip_int_bound(m, f[k], k == 1, b)) return false;
        } else if (t->i[0] == BATCH_SYM) {
            return onnx_fail(m, "a Clip bound of the symbolic batch size is not supported");
        } else {
            *b = t->i[0];
        }
    }
    return true;
}

/* Clip of constants: min(max(x, lo), hi), which is hi for every x when lo
 * > hi (ONNX); integers compared as integers */
static bool fold_clip(Imp *m, const Onnx__NodeProto *n, Tensor **in, int nin) {
    (void)nin;
    double lo, hi;
    int64_t ilo = 0, ihi = 0;
    if (in[0]->is_int ? !clip_int_bounds(m, n, &ilo, &ihi) : !clip_bounds(m, n, &lo, &hi)) return false;
    Tensor *r = onnx_tensor_new(in[0]->is_int, in[0]->rank, in[0]->dim);
    for (int64_t k = 0; k < r->n; k++) {
        if (r->is_int) {
            int64_t x = in[0]->i[k];
            /* the batch size N (at least 1) stays where the bounds cannot clip it */
            if (x == BATCH_SYM && (ilo > 1 || ihi < INT64_MAX))
                return onnx_fail(m, "Clip of the symbolic batch size is not supported");
            r->i[k] = x == BATCH_SYM ? x : x < ilo ? (ilo < ihi ? ilo : ihi) : x > ihi ? ihi : x;
        } else
            r->f[k] = (float)fmin(fmax(in[0]->f[k], lo), hi);
    }
    set_const(m, n, 0, r);
    return true;
}

static bool fold_unary(Imp *m, const Onnx__NodeProto *n, Tensor **in, int nin) {
    (void)nin;
    const char *t = n->op_type;
    Tensor *r = onnx_tensor_new(in[0]->is_int && strcmp(t, "Sqrt") && strcmp(t, "Exp") && strcmp(t, "Log"), in[0]->rank, in[0]->dim);
    Tensor *a = to_type(in[0], r->is_int);
    for (int64_t k = 0; k < r->n; k++) {
        if (r->is_int) {
            /* the batch size N: |N| and relu(N) are N; -N is no size */
            int64_t x = a->i[k];
            if (strcmp(t, "Reciprocal") == 0)
                return onnx_fail(m, "Reciprocal of integers (ONNX defines it for floating-point types only)");
            if (x == BATCH_SYM && strcmp(t, "Neg") == 0)
                return onnx_fail(m, "Neg of the symbolic batch size is not supported");
            r->i[k] = x == BATCH_SYM ? BATCH_SYM : strcmp(t, "Neg") == 0 ? -x : strcmp(t, "Abs") == 0 ? (x < 0 ? -x : x)
                    : strcmp(t, "Relu") == 0 ? (x < 0 ? 0 : x) : x;
        } else {
            double x = a->f[k];
            r->f[k] = (float)(strcmp(t, "Neg") == 0 ? -x : strcmp(t, "Sqrt") == 0 ? sqrt(x) : strcmp(t, "Abs") == 0 ? fabs(x)
                              : strcmp(t, "Floor") == 0 ? floor(x) : strcmp(t, "Ceil") == 0 ? ceil(x)
                              : strcmp(t, "Reciprocal") == 0 ? 1.0 / x : strcmp(t, "Relu") == 0 ? fmax(x, 0)
                              : strcmp(t, "Exp") == 0 ? exp(x) : strcmp(t, "Log") == 0 ? log(x) : x);
        }
    }
    set_const(m, n, 0, r);
    return true;
}

static bool fold_gather(Imp *m, const Onnx__NodeProto *n, Tensor **in, int nin) {
    if (nin != 2) return onnx_fail(m, "%d input%s (it takes two)", nin, nin == 1 ? "" : "s");
    Tensor *x = in[0], *idx = in[1];
    if (!idx->is_int) return onnx_fail(m, "the indices must be integers");
    if (x->rank < 1) return onnx_fail(m, "cannot gather from a scalar");
    int a = 0;
    if (!axis_of(m, ai(n, "axis", 0), x->rank, &a)) return false;
    int R = x->rank - 1 + idx->rank;
    if (R > MAX_TRANK) return onnx_fail(m, "rank above %d", MAX_TRANK);
    int64_t d[MAX_TRANK], outer = 1, inner = 1;
    int k = 0;
    for (int i = 0; i < a; i++) d[k++] = x->dim[i], outer *= x->dim[i];
    for (int i = 0; i < idx->rank; i++) d[k++] = idx->dim[i];
    for (int i = a + 1; i < x->rank; i++) d[k++] = x->dim[i], inner *= x->dim[i];
    if (!new_big(m, R, d)) return false;
    Tensor *r = onnx_tensor_new(x->is_int, R, d);
    int64_t A = x->dim[a], p = 0;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < idx->n; j++) {
            int64_t i = idx->i[j] < 0 ? idx->i[j] + A : idx->i[j];
            if (i < 0 || i >= A) return onnx_fail(m, "index %lld is out of range for %lld entries", (long long)idx->i[j], (long long)A);
            for (int64_t q = 0; q < inner; q++, p++) {
                int64_t s = (o * A + i) * inner + q;
                if (r->is_int) r->i[p] = x->i[s];
                else r->f[p] = x->f[s];
            }
        }
    set_const(m, n, 0, r);
    return true;
}

static bool fold_concat(Imp *m, const Onnx__NodeProto *n, Tensor **in, int nin) {
    if (nin < 1) return onnx_fail(m, "no inputs");
    int R = in[0]->rank, a = 0;
    if (R < 1) return onnx_fail(m, "cannot concatenate scalars");
    if (!concat_axis(m, n, R, &a)) return false;
    bool isint = true;
    int64_t d[MAX_TRANK];
    memcpy(d, in[0]->dim, sizeof d);
    d[a] = 0;
    for (int i = 0; i < nin; i++) {
        isint &= in[i]->is_int;
        bool ok = in[i]->rank == R;
        for (int j = 0; ok && j < R; j++) ok = j == a || in[i]->dim[j] == in[0]->dim[j];
        if (!ok) return onnx_fail(m, "input shapes do not fit along axis %d", a);
        d[a] += in[i]->dim[a];
    }
    if (!new_big(m, R, d)) return false;
    Tensor *r = onnx_tensor_new(isint, R, d);
    int64_t outer = 1, inner = 1, p = 0;
    for (int j = 0; j < a; j++) outer *= d[j];
    for (int j = a + 1; j < R; j++) inner *= d[j];
    for (int64_t o = 0; o < outer; o++)
        for (int i = 0; i < nin; i++) {
            Tensor *t = to_type(in[i], isint);
            int64_t len = t->dim[a] * inner;
            for (int64_t q = 0; q < len; q++, p++) {
                if (isint) r->i[p] = t->i[o * len + q];
                else r->f[p] = t->f[o * len + q];
            }
        }
    set_const(m, n, 0, r);
    return true;
}

static bool fold_reshape(Imp *m, const Onnx__NodeProto *n, Tensor **in, int nin) {
    if (nin != 2) return onnx_fail(m, "%d input%s (it takes two)", nin, nin == 1 ? "" : "s");
    Tensor *x = in[0], *s = in[1];
    if (!s->is_int || s->rank != 1 || s->n > MAX_TRANK) return onnx_fail(m, "the shape must be a list of integers");
    Tensor *r = xcalloc(1, sizeof *r);
    *r = *x;
    r->rank = (int)s->n;
    int64_t known = 1;
    int infer = -1;
    for (int i = 0; i < r->rank; i++) {
        int64_t d = s->i[i];
        if (d == 0 && !ai(n, "allowzero", 0)) d = i < x->rank ? x->dim[i] : -2;
        if (d == -1 && infer < 0) { infer = i; continue; }
        if (d < 0) return onnx_fail(m, "target shape entry %lld is not supported", (long long)s->i[i]);
        r->dim[i] = d;
        if (!mul_ok(known, d, &known)) return onnx_fail(m, "target shape overflows");
    }
    if (infer >= 0) r->dim[infer] = known ? x->n / known : 0;
    if (!onnx_dims_within(r->rank, r->dim, MAX_ELEMS))   /* [0, 2^62, 2^62] of allowzero */
        return onnx_fail(m, "target shape %s is too large", onnx_dims_str(r->rank, r->dim));
    int64_t total = 1;
    for (int i = 0; i < r->rank; i++) total *= r->dim[i];   /* at most x->n with the inferred entry */
    if (total != x->n) return onnx_fail(m, "cannot reshape %s to %s", onnx_dims_str(x->rank, x->dim), onnx_dims_str(r->rank, r->dim));
    set_const(m, n, 0, r);
    return true;
}

static bool fold_slice(Imp *m, const Onnx__NodeProto *n, Tensor **in, int nin) {
    Tensor *x = in[0];
    int64_t st[MAX_TRANK], en[MAX_TRANK], ax[MAX_TRANK], sp[MAX_TRANK];
    int ns, ne, na = -1, nsp = -1;
    if (m->opset < 10) {
        ns = aints(n, "starts", st, MAX_TRANK);
        ne = aints(n, "ends", en, MAX_TRANK);
        na = aints(n, "axes", ax, MAX_TRANK);
    } else {
        Tensor *t[4] = {nin > 1 ? in[1] : NULL, nin > 2 ? in[2] : NULL, nin > 3 ? in[3] : NULL, nin > 4 ? in[4] : NULL};
        int64_t *dst[4] = {st, en, ax, sp};
        int cnt[4] = {-1, -1, -1, -1};
        for (int k = 0; k < 4; k++) {
            if (!t[k]) continue;
            if (!t[k]->is_int || t[k]->n > MAX_TRANK) return onnx_fail(m, "slice bounds must be lists of integers");
            cnt[k] = (int)t[k]->n;
            for (int64_t i = 0; i < t[k]->n; i++) dst[k][i] = t[k]->i[i];
        }
        ns = cnt[0], ne = cnt[1], na = cnt[2], nsp = cnt[3];
    }
    if (ns < 0 || ns != ne || (na >= 0 && na != ns) || (nsp >= 0 && nsp != ns) || ns > MAX_TRANK)
        return onnx_fail(m, "starts, ends, axes and steps must have as many entries");
    int64_t b[MAX_TRANK], s[MAX_TRANK], d[MAX_TRANK];
    for (int i = 0; i < x->rank; i++) b[i] = 0, s[i] = 1, d[i] = x->dim[i];
    for (int k = 0; k < ns; k++) {
        int a = 0;
        if (!axis_of(m, na >= 0 ? ax[k] : k, x->rank, &a)) return false;
        int64_t step = nsp >= 0 ? sp[k] : 1, lo = st[k], hi = en[k];
        /* INT64_MIN: the symbolic batch size, but for the end of a negative
         * step what ONNX's definition writes for "past the first" */
        if (step == 0 || lo == BATCH_SYM || (hi == BATCH_SYM && step > 0)) return onnx_fail(m, "unsupported slice bounds");
        d[a] = slice_bounds(x->dim[a], &lo, &hi, &step);
        b[a] = lo, s[a] = step;
    }
    Tensor *r = onnx_tensor_new(x->is_int, x->rank, d);
    for (int64_t k = 0; k < r->n; k++) {
        int64_t rem = k, src = 0, stride = 1;
        for (int i = x->rank - 1; i >= 0; i--) {
            int64_t idx = rem % d[i];
            rem /= d[i];
            src += (b[i] + idx * s[i]) * stride;
            stride *= x->dim[i];
        }
        if (r->is_int) r->i[k] = x->i[src];
        else r->f[k] = x->f[src];
    }
    set_const(m, n, 0, r);
    return true;
}

static bool fold_transpose(Imp *m, const Onnx__NodeProto *n, Tensor **in, int nin) {
    (void)nin;
    Tensor *x = in[0];
    int64_t perm[MAX_TRANK + 1], d[MAX_TRANK];
    int np = aints(n, "perm", perm, MAX_TRANK);
    if (np < 0)
        for (int i = 0; i < x->rank; i++) perm[i] = x->rank - 1 - i;
    else if (np != x->rank) return onnx_fail(m, "'perm' has %d entries for rank %d", np, x->rank);
    bool seen[MAX_TRANK] = {false};
    for (int i = 0; i < x->rank; i++) {
        if (perm[i] < 0 || perm[i] >= x->rank || seen[perm[i]]) return onnx_fail(m, "'perm' is not a permutation");
        seen[perm[i]] = true;
        d[i] = x->dim[perm[i]];
    }
    Tensor *r = onnx_tensor_new(x->is_int, x->rank, d);
    int64_t stride[MAX_TRANK];
    for (int i = x->rank - 1, s = 1; i >= 0; s *= (int)x->dim[i], i--) stride[i] = s;
    for (int64_t k = 0; k < r->n; k++) {
        int64_t rem = k, src = 0;
        for (int i = x->rank - 1; i >= 0; i--) {
            src += rem % d[i] * stride[perm[i]];
            rem /= d[i];
        }
        if (r->is_int) r->i[k] = x->i[src];
        else r->f[k] = x->f[src];
    }
    set_const(m, n, 0, r);
    return true;
}

static bool fold_identity(Imp *m, const Onnx__NodeProto *n, Tensor **in, int nin) {
    (void)nin;
    set_const(m, n, 0, in[0]);
    return true;
}

/* ---------------------------------------------------------------- the table */

typedef bool (*FoldFn)(Imp *m, const Onnx__NodeProto *n, Tensor **in, int nin);
typedef bool (*DataFn)(Imp *m, const Onnx__NodeProto *n);

/* attrs: the attribute names the operator may carry, space-separated */
static const struct {
    const char *type, *attrs;
    FoldFn fold;   /* every input a constant */
    DataFn data;   /* otherwise */
} ops[] = {
    {"Conv", "auto_pad dilations group kernel_shape pads strides", NULL, on_conv},
    {"MaxPool", "auto_pad ceil_mode dilations kernel_shape pads storage_order strides", NULL, on_pool},
    {"AveragePool", "auto_pad ceil_mode count_include_pad kernel_shape pads strides", NULL, on_pool},
    {"GlobalAveragePool", "", NULL, on_global_pool},
    {"GlobalMaxPool", "", NULL, on_global_pool},
    {"Gemm", "alpha beta transA transB", NULL, on_gemm},
    {"MatMul", "", NULL, on_matmul},
    {"BatchNormalization", "epsilon momentum spatial training_mode consumed_inputs is_test", NULL, on_batchnorm},
    {"Relu", "", fold_unary, on_act},
    {"Sigmoid", "", NULL, on_act},
    {"Tanh", "", NULL, on_act},
    {"Abs", "", fold_unary, on_act},
    {"Sqrt", "", fold_unary, on_act},
    {"HardSwish", "", NULL, on_act},
    {"Mish", "", NULL, on_act},
    {"LeakyRelu", "alpha", NULL, on_alpha},
    {"Elu", "alpha", NULL, on_alpha},
    {"HardSigmoid", "alpha beta", NULL, on_hardsigmoid},
    {"Gelu", "approximate", NULL, on_gelu},
    {"Clip", "min max", fold_clip, on_clip},
    {"Softmax", "axis", NULL, on_softmax},
    {"LogSoftmax", "axis", NULL, on_softmax},
    {"Erf", "", NULL, on_erf},
    {"Softplus", "", NULL, on_softplus},
    {"Selu", "alpha gamma", NULL, on_selu},
    {"Celu", "alpha", NULL, on_celu},
    {"Exp", "", fold_unary, on_act},
    {"Log", "", fold_unary, on_act},
    {"Add", "axis broadcast", fold_binary, on_binary},
    {"Sub", "axis broadcast", fold_binary, on_binary},
    {"Mul", "axis broadcast", fold_binary, on_binary},
    {"Div", "axis broadcast", fold_binary, on_binary},
    {"Mod", "fmod", fold_binary, NULL},
    {"Sum", "", NULL, on_binary},
    {"Max", "", fold_binary, on_binary},
    {"Min", "", fold_binary, on_binary},
    {"Pow", "", fold_binary, on_pow},
    {"Equal", "", fold_binary, on_compare},
    {"Less", "", fold_binary, on_compare},
    {"Greater", "", fold_binary, on_compare},
    {"LessOrEqual", "", fold_logic, on_compare},
    {"GreaterOrEqual", "", fold_logic, on_compare},
    {"And", "", fold_logic, on_compare},
    {"Or", "", fold_logic, on_compare},
    {"Xor", "", fold_logic, on_compare},
    {"Not", "", fold_logic, on_compare},
    {"Neg", "", fold_unary, on_neg},
    {"Floor", "", fold_unary, on_act},
    {"Ceil", "", fold_unary, on_act},
    {"Round", "", NULL, on_act},
    {"Sign", "", NULL, on_act},
    {"Sin", "", NULL, on_act},
    {"Cos", "", NULL, on_act},
    {"Reciprocal", "", fold_unary, on_reciprocal},
    {"Where", "", fold_where, on_where},
    {"If", "then_branch else_branch", fold_if, on_if},
    {"Expand", "", fold_expand, on_expand},
    {"Tile", "", NULL, on_tile},
    {"Concat", "axis", fold_concat, on_concat_data},
    {"Flatten", "axis", NULL, on_flatten},
    {"DepthToSpace", "blocksize mode", NULL, on_depth_space},
    {"SpaceToDepth", "blocksize", NULL, on_depth_space},
    {"Reshape", "allowzero", fold_reshape, on_reshape},
    {"Squeeze", "axes", NULL, on_squeeze},
    {"Unsqueeze", "axes", NULL, on_squeeze},
    {"Pad", "mode pads value", NULL, on_pad},
    {"Dropout", "ratio seed is_test", NULL, on_dropout},
    {"Identity", "", fold_identity, on_identity},
    {"Constant", "value value_float value_floats value_int value_ints", fold_constant, NULL},
    {"Shape", "start end", fold_shape, on_shape_data},
    {"Gather", "axis", fold_gather, on_gather_data},
    {"Cast", "to saturate", fold_cast, on_cast_data},
    {"ConstantOfShape", "value", fold_constant_of_shape, NULL},
    {"Slice", "axes ends starts", fold_slice, on_slice},
    {"Transpose", "perm", fold_transpose, on_transpose},
    {"ConvTranspose", "auto_pad dilations group kernel_shape output_padding output_shape pads strides", NULL,
     on_conv_transpose},
    {"Resize", "antialias axes coordinate_transformation_mode cubic_coeff_a exclude_outside extrapolation_value "
               "keep_aspect_ratio_policy mode nearest_mode", NULL, on_resize},
    {"Upsample", "mode scales", NULL, on_resize},
    {"Split", "axis num_outputs split", NULL, on_split},
    {"ReduceMean", "axes keepdims noop_with_empty_axes", fold_reduce, on_reduce},
    {"ReduceMax", "axes keepdims noop_with_empty_axes", fold_reduce, on_reduce},
    {"ReduceMin", "axes keepdims noop_with_empty_axes", fold_reduce, on_reduce},
    {"ReduceSum", "axes keepdims noop_with_empty_axes", fold_reduce, on_reduce},
    {"ReduceL1", "axes keepdims noop_with_empty_axes", fold_reduce, on_reduce},
    {"ReduceL2", "axes keepdims noop_with_empty_axes", fold_reduce, on_reduce},
    {"ReduceSumSquare", "axes keepdims noop_with_empty_axes", fold_reduce, on_reduce},
    {"ReduceProd", "axes keepdims noop_with_empty_axes", fold_reduce, NULL},
    {"ReduceLogSum", "axes keepdims noop_with_empty_axes", fold_reduce, NULL},
    {"ReduceLogSumExp", "axes keepdims noop_with_empty_axes", fold_reduce, NULL},
    {"PRelu", "", NULL, on_prelu},
    {"LayerNormalization", "axis epsilon stash_type", NULL, on_layernorm},
    {"InstanceNormalization", "epsilon", NULL, on_instancenorm},
    {"LRN", "alpha beta bias size", NULL, on_lrn},
};

bool elem_ok(int dt) { return dt >= 1 && dt <= 16 && dt != 8 && dt != 14 && dt != 15; }

static bool in_list(const char *list, const char *word) {
    size_t n = strlen(word);
    if (n == 0) return false;
    for (const char *p = list; (p = strstr(p, word)); p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == 0)) return true;
    return false;
}

/* a node's attribute names are unique (ONNX's checker): one given twice is
 * an error, not one value taken and the other ignored */
static bool attributes_once(Imp *m, const Onnx__NodeProto *n) {
    const char **twice = xcalloc(n->n_attribute + 1, sizeof *twice);
    size_t nt = onnx_attributes_twice(n, twice);
    for (size_t i = 0; i < nt; i++) onnx_fail(m, "attribute '%s' is given twice", twice[i]);
    return nt == 0;
}

static void mark_outputs_bad(Imp *m, const Onnx__NodeProto *n) {
    for (size_t k = 0; k < n->n_output; k++)
        if (n->output[k] && *n->output[k]) onnx_def(m, n->output[k])->bad = true;
}

bool onnx_node(Imp *m, const Onnx__NodeProto *n) {
    if (!n->op_type) return onnx_fail(m, "the node has no operator type");
    if (n->n_output < 1 || !n->output[0] || !*n->output[0]) return onnx_fail(m, "the node has no output");
    /* inputs: computed, or reported where they failed */
    int nin = (int)n->n_input;
    bool all_const = true, ok = true;
    Tensor **cins = xcalloc((size_t)nin + 1, sizeof(Tensor *));
    for (int k = 0; k < nin; k++) {
        if (!n->input[k] || !*n->input[k]) { cins[k] = NULL; continue; }
        Val *v = onnx_val(m, n->input[k]);
        if (v && v->bad) ok = false;
        else if (!v || v->kind == V_NONE)
            ok = onnx_fail(m, "input '%s' is not computed by any node, nor an initializer or the graph's input",
                           n->input[k]);
        else if (v->kind == V_CONST) cins[k] = v->t;
        else all_const = false;
    }
    /* a value whose batch axis a Transpose moved: only the operators that
     * say where its axes go read it (Shape puts the batch where it is, an
     * Identity or Dropout passes it on); every other, patterns included, is
     * refused here, before it looks at its inputs */
    static const char *const moved_readers = "Transpose Split Squeeze Unsqueeze Gather Shape Identity Dropout";
    for (int k = 0; k < nin && ok; k++) {
        Val *v = n->input[k] && *n->input[k] ? onnx_val(m, n->input[k]) : NULL;
        if (v && v->kind == V_DATA && v->bpos && !in_list(moved_readers, n->op_type)) ok = onnx_moved(m, v);
    }
    /* what the node is, even after its inputs failed: every unsupported
     * node is reported */
    int op = -1;
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (strcmp(ops[i].type, n->op_type) == 0) op = (int)i;
    if (n->domain && *n->domain && strcmp(n->domain, "ai.onnx") != 0)
        ok = onnx_fail(m, "operators of domain '%s' are not supported", n->domain);
    else if (op < 0)
        ok = onnx_fail(m, "operator not supported");
    for (size_t i = 0; op >= 0 && i < n->n_attribute; i++) {
        const char *a = n->attribute[i]->name ? n->attribute[i]->name : "";
        if (!in_list(ops[op].attrs, a)) ok = onnx_fail(m, "attribute '%s' is not supported", a);
    }
    if (!attributes_once(m, n)) ok = false;
    /* the operators of one input: another is an error, not ignored */
    static const char *const one_input = "Relu Sigmoid Tanh Abs Sqrt HardSwish Mish LeakyRelu Elu HardSigmoid Gelu "
                                         "Softplus Selu Celu Exp Log Neg Floor Ceil Round Sign Sin Cos Reciprocal Erf "
                                         "Not GlobalAveragePool GlobalMaxPool Identity Flatten DepthToSpace SpaceToDepth "
                                         "Softmax LogSoftmax Shape Cast ConstantOfShape LRN Transpose";
    if (op >= 0 && nin > 1 && in_list(one_input, n->op_type))
        ok = onnx_fail(m, "%d inputs (it takes one)", nin);
    if (ok) {
        if (all_const && ops[op].fold) {
            /* the inputs a fold reads: all but Slice's and Clip's optional ones (each
             * fold checks it has as many as it reads) */
            int need = strcmp(n->op_type, "Slice") == 0 ? (m->opset < 10 ? 1 : 3) : strcmp(n->op_type, "Clip") == 0 ? 1 : nin;
            if (need > nin) ok = onnx_fail(m, "%d input%s where it needs %d", nin, nin == 1 ? "" : "s", need);
            for (int k = 0; k < need && ok; k++)
                if (!cins[k]) ok = onnx_fail(m, "input %d is missing", k);
            if (ok && (nin > 0 || strcmp(n->op_type, "Constant") == 0)) ok = ops[op].fold(m, n, cins, nin);
            else if (ok) ok = onnx_fail(m, "no inputs");
        } else if (ops[op].data) {
            /* a constant operand of the symbolic batch size (x * x.shape[0]):
             * the network is compiled per sample, its N unknown */
            static const char *const values = "Add Sub Mul Div Pow Max Min Sum Mean Where Greater Less GreaterOrEqual "
                                              "LessOrEqual Equal And Or Xor MatMul Gemm PRelu Clip";
            for (int k = 0; k < nin && ok; k++)
                if (cins[k] && in_list(values, n->op_type) && batch_dependent(cins[k]))
                    ok = onnx_fail(m, "input %d is computed from the batch size, which cnnc leaves symbolic: the "
                                   "network is compiled per sample", k);
            if (ok) ok = ops[op].data(m, n);
        } else {
            ok = onnx_fail(m, "supported only on constants; here it reads data computed from the network's input");
        }
    }
    if (!ok) mark_outputs_bad(m, n);
    return ok;
}
