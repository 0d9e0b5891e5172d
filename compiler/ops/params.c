/* params.c — parameter tensors of a layer: declared by its op's params
 * hook (with the range --random-weights draws from), found by name, and
 * scaled row by row when a BatchNorm folds in. */
#include "cnnc.h"

#include <math.h>
#include <string.h>

void add_param(Layer *L, const char *name, int rank, const int64_t *dims) {
    if (L->nparam == MAX_PARAMS) unreachable();
    Param *p = &L->param[L->nparam++];
    p->name = name;
    p->lo = -0.5f;
    p->hi = 0.5f;
    p->shape.rank = rank;
    for (int i = 0; i < rank; i++) p->shape.dim[i] = dims[i];
}

void param_range(Layer *L, double lo, double hi) {
    L->param[L->nparam - 1].lo = (float)lo;
    L->param[L->nparam - 1].hi = (float)hi;
}

void param_fan_in(Layer *L, int64_t fan_in) {
    double b = 1.0 / sqrt((double)(fan_in > 0 ? fan_in : 1));
    param_range(L, -b, b);
}

Param *layer_param(const Layer *L, const char *name) {
    for (int k = 0; k < L->nparam; k++)
        if (strcmp(L->param[k].name, name) == 0) return (Param *)&L->param[k];
    return NULL;
}

const Param *layer_largest_param(const Layer *L) {
    const Param *big = NULL;
    for (int k = 0; k < L->nparam; k++)
        if (!big || shape_elems(&L->param[k].shape) > shape_elems(&big->shape)) big = &L->param[k];
    return big;
}

void fold_rows(Layer *L, const char *wname, const char *bname, int brank, const int64_t *bdims,
               const float *scale, const float *shift) {
    Param *w = layer_param(L, wname);
    int64_t rows = w->shape.dim[0], per = shape_elems(&w->shape) / rows;
    for (int64_t o = 0; o < rows; o++)
        for (int64_t j = 0; j < per; j++) w->data[o * per + j] *= scale[o];
    fold_bias(L, bname, brank, bdims, rows, scale, shift);
}

void fold_bias(Layer *L, const char *bname, int brank, const int64_t *bdims, int64_t rows, const float *scale,
               const float *shift) {
    Param *b = layer_param(L, bname);
    if (!b) {
        add_param(L, bname, brank, bdims);
        b = &L->param[L->nparam - 1];
        b->data = xcalloc((size_t)shape_elems(&b->shape), sizeof(float));
        b->source = "folded";
    }
    int64_t bper = shape_elems(&b->shape) / rows;
    for (int64_t o = 0; o < rows; o++)
        for (int64_t j = 0; j < bper; j++) b->data[o * bper + j] = b->data[o * bper + j] * scale[o] + shift[o];
}
