/* onnx_model.h — what the ONNX reader's three files share: the model's
 * values, tensors and the Program being written (onnx_model.c), the
 * operator table (onnx_ops.c) above them, and the driver (onnx.c) on top.
 * The rest of the compiler sees only onnx_import() in cnnc.h. */
#ifndef CNNC_ONNX_MODEL_H
#define CNNC_ONNX_MODEL_H

#include "cnnc.h"
#include "onnx.pb-c.h"

#define MAX_TRANK 8              /* rank of a constant tensor */
#define BATCH_SYM INT64_MIN      /* the batch size in a folded shape, when symbolic */

/* a constant: integers (shapes, indices) or floats (weights) */
typedef struct {
    bool is_int;
    int rank; int64_t dim[MAX_TRANK];
    int64_t n;
    float *f;                    /* !is_int */
    int64_t *i;                  /* is_int */
} Tensor;

/* what an ONNX tensor name stands for */
typedef enum {
    V_NONE,      /* not computed (yet) */
    V_DATA,      /* a layer's output (layer >= 0) or the input (layer == -1); shape per sample */
    V_CONST,     /* t */
    V_SCALED,    /* base * k, a layer only when something other than a pattern uses it */
    V_ERF,       /* erf(base / sqrt 2): the GELU pattern */
    V_ERF1,      /* 1 + erf(base / sqrt 2) */
    V_GELU2,     /* base * (1 + erf(base / sqrt 2)) */
    V_SOFTPLUS,  /* softplus(base): the Mish pattern */
    V_TANHSP,    /* tanh(softplus(base)) */
    V_EXPAND,    /* base broadcast to shape: an operand that broadcasts anyway reads base */
    V_VIEW,      /* base reshaped to more axes than a sample has: a pixel (un)shuffle's first step */
    V_PIXEL,     /* base through op (pixel_shuffle or pixel_unshuffle) by factor k, shape the
                    transposed view: the pattern's last Reshape makes it the layer */
} VKind;

typedef struct Val Val;
struct Val {
    const char *name;
    VKind kind;
    Tensor *t;
    int layer;
    Shape shape;
    int uses;                    /* node inputs and graph outputs that name it */
    bool bad;                    /* its node failed (reported): its users say nothing more */
    Val *base; double k;         /* pending kinds */
    const char *lname;           /* pending kinds: the name its layer would take (its node's) */
    const char *op;              /* V_PIXEL: the layer it becomes */
    int bpos;                    /* V_DATA: the model's axis of the batch: 0, unless a Transpose
                                  * moved it (the per-sample axes are the others, in order) */
};

/* an imported layer: its statement, and what patterns look at */
typedef struct {
    Stmt *st;
    const char *op, *ident;
    const char *src;             /* the name of its first input */
    const char *out;             /* the name of its output */
    Val *in[2];                  /* its first two inputs */
    bool dropped;                /* taken into a pattern's layer */
    unsigned axes;               /* reduce_*: the per-sample axes reduced (bits) */
    bool uniform;                /* an affine batchnorm of one scale and shift for all channels: */
    double scale, shift;         /*   y = x * scale + shift */
    int wt, bt;                  /* layernorm of a pattern: its weight and bias tensors (-1: none) */
} ILayer;

typedef struct {
    const char *file;
    bool no_files;               /* external data is refused */
    const char *ext_path;        /* the external data file read last, and its bytes */
    char *ext_buf; size_t ext_len;
    Onnx__ModelProto *model;
    int64_t opset;
    int64_t batch;               /* the batch size, or BATCH_SYM */
    Val **vals; int nvals, capvals; int *slots; int nslots;
    ILayer *layers; int nlayers, caplayers;
    StTensor *tensors; int ntensors, captensors;
    int *tensor_layer;           /* the layer each tensor is a parameter of */
    const char **names; int nnames, names_used;   /* identifiers taken */
    const char *input_ident;
    Stmt *input_stmt;
    const Onnx__NodeProto *node; int node_index;   /* the node being read */
} Imp;

/* onnx_model.c */
const char *onnx_ident(const char *s);
/* a name not taken yet: BASE, BASE_2, BASE_3, ... */
const char *onnx_unique(Imp *m, const char *base);
Val *onnx_val(Imp *m, const char *name);
Val *onnx_def(Imp *m, const char *name);
bool onnx_fail(Imp *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* the error for a value whose batch axis moved (Val.bpos) read by a node
 * that does not say where its axes go (onnx_node refuses such nodes) */
bool onnx_moved(Imp *m, const Val *v);
const char *onnx_type_name(int dt);
/* whether sizes dim[0..rank) are not negative and the product of those other
 * than 0 is at most max: the product of any of them (a stride, the elements
 * before or after an axis) fits, a tensor of no element too ([0, 2^62, 2^62]) */
bool onnx_dims_within(int rank, const int64_t *dim, int64_t max);
/* the names given to more than one of n's attributes (ONNX's checker wants
 * them unique), each once, in order, into twice[] (room for n_attribute);
 * their count. The names sorted first: n log n for a node of many */
size_t onnx_attributes_twice(const Onnx__NodeProto *n, const char **twice);
Tensor *onnx_tensor_new(bool is_int, int rank, const int64_t *dim);
Tensor *onnx_tensor(Imp *m, const Onnx__TensorProto *tp, const char *what);
const char *onnx_dims_str(int rank, const int64_t *dim);
Value *onnx_vint(int64_t v);
Value *onnx_vfloat(double v);
Value *onnx_vword(const char *s);
Value *onnx_vlist(const int64_t *v, int n);   /* [v0, v1, ...] */
Value *onnx_vints(const int64_t *v, int n);   /* the same, or v0 alone when all are equal (kernel=3) */
int onnx_layer(Imp *m, const char *op, const char *name, int nin, Val *const *in, const char *out, const Shape *shape);
void onnx_attr(Imp *m, int layer, const char *key, Value *v);
void onnx_param(Imp *m, int layer, const char *key, int rank, const int64_t *dims, const float *data);
const char *onnx_ident_of(const Imp *m, const Val *v);
const char *onnx_layer_name(Imp *m, const char *weight);

/* onnx_ops.c: an ONNX data type cnnc reads (not string or complex) */
bool elem_ok(int dt);
/* the node's layers, or its folded constant outputs */
bool onnx_node(Imp *m, const Onnx__NodeProto *n);
/* a pending value made a layer (V_SCALED, V_EXPAND), or an error (the other
 * pending kinds); true for data and constants */
bool onnx_data(Imp *m, Val *v);

#endif
