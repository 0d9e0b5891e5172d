/* cnnc.h — the one shared header of the compiler, a section per .c file.
 *
 * Pipeline (pipeline.c runs it): lexer.l/parser.y build a Program (ast.c);
 * graph.c resolves names into a Graph of Layers in topological order,
 * parsing each layer's attributes against its OpDesc; shape.c runs every
 * op's shape rule; plan.c drops dead layers, marks BatchNorm folds, fuses
 * kernels, chooses each -O2 kernel and lays tensors out in the scratch
 * arena; weights.c attaches parameter data; report.c prints the report;
 * emit.c writes the C file with the C writer (cwriter.c) and each op's or
 * kernel family's emitter (ops/). Layering: the ops sit on cwriter.c and
 * target.c; emit.c and the passes sit on the ops.
 *
 * Memory: everything is allocated with xcalloc()/xstrdup() and never freed;
 * cnnc is a short-lived process. */
#ifndef CNNC_H
#define CNNC_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CNNC_VERSION "0.1.0"

/* ---------------------------------------------------------------- limits
 * Documented in the README; each is checked with a clear error. */
#define MAX_RANK      6          /* tensor rank (local2d weights are rank 6) */
#define MAX_SPATIAL   3          /* spatial dims of an activation: 1-D..3-D */
#define MAX_DIMS      (1 + MAX_SPATIAL)  /* dims of an activation: [C, spatial...] or a vector */
#define MAX_NAME_LEN  256        /* identifier length */
#define MAX_NESTING   64         /* bracketed list nesting depth */
#define MAX_ELEMS     INT64_C(2147483647)  /* elements of one tensor: generated code indexes with int */
#define MAX_INPUTS    64         /* inputs of one layer (add, mul, concat) */
#define MAX_WINDOW    INT64_C(2147483647)  /* kernel, stride, dilation, padding, padded size */
#define MAX_PARAM_BYTES (INT64_C(1) << 32) /* bytes of all parameters */

/* ---------------------------------------------------------------- util.c */
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* checked int64 arithmetic: false on overflow */
bool mul_ok(int64_t a, int64_t b, int64_t *r);
bool add_ok(int64_t a, int64_t b, int64_t *r);
/* a / b rounded down, b > 0 */
int64_t floor_div(int64_t a, int64_t b);
/* "1,256,080" in a static ring of buffers */
const char *commas(int64_t v);
/* the shortest %g form of v that reads back as v (as a float, when single):
 * 0.1 and 1.7 for the floats nearest them, not 0.100000001 and 1.70000005 */
const char *shortest_g(double v, bool single);
/* Damerau-free Levenshtein distance, for "did you mean" */
int edit_distance(const char *a, const char *b);
/* read a whole file ("-" = stdin); NULL on failure, read_error() says why.
 * A named file must be a regular one: a device or a pipe may never end */
char *read_file(const char *path, size_t *len);
/* the same, stopping soon after max bytes (then *len > max) */
char *read_file_max(const char *path, size_t *len, size_t max);
/* why the last read_file failed: strerror's words, or "not a regular file" */
const char *read_error(void);
_Noreturn void unreachable_at(const char *file, int line);
#define unreachable() unreachable_at(__FILE__, __LINE__)

/* ---------------------------------------------------------------- diag.c
 * clang-style diagnostics: FILE:LINE:COL: error: MESSAGE, then the source
 * line and a caret with a ~~~ underline of len-1 characters. */
typedef struct {
    int line, col;   /* 1-based; line 0 = no location (file-level) */
    int len;         /* characters to underline, >= 1 */
} Loc;

void diag_init(const char *filename, const char *src, size_t len);
void diag_color(int mode);          /* -1 auto (tty and no NO_COLOR), 0 off, 1 on */
void diag_error(Loc loc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void diag_warning(Loc loc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void diag_note(Loc loc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* a diagnostic about another file (weights): "FILE: error: ..." */
void diag_file_error(const char *file, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void diag_file_warning(const char *file, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int diag_error_count(void);
void diag_limit(int n);   /* stop after n errors (default 20); 0: never */
const char *diag_filename(void);

/* ---------------------------------------------------------------- options
 * What the command line says about the generated code. main.c fills one
 * Options; the pipeline passes it down to the planner and the emitters (no
 * option lives in a global). */
/* --target: the -O2 kernels' register tiles (target.c) */
typedef enum { TARGET_AUTO, TARGET_GENERIC, TARGET_AVX2, TARGET_AVX512, TARGET_NEON } Target;
/* --winograd: 3x3 stride-1 conv2d by Winograd F(4x4,3x3) or F(2x2,3x3) where it pays, always, never */
typedef enum { WINOGRAD_AUTO, WINOGRAD_ON, WINOGRAD_OFF } WinogradMode;
/* --conv-vectors: what the -O2 conv2d kernels' vectors run over: chosen by
 * the cost model, output positions, or output channels */
typedef enum { CONV_VECTORS_AUTO, CONV_VECTORS_PIXELS, CONV_VECTORS_CHANNELS } ConvVectors;

typedef struct {
    int opt;                  /* -O level: 0, 1, 2 */
    Target target;
    WinogradMode winograd;
    ConvVectors conv_vectors;
    bool text_weights;        /* every weight array as numbers (--weights-format=text) */
    int64_t cache[3];         /* --cache: bytes of one core's L1 data and L2 caches and of the
                                 last-level cache; 0: the default (target.c) */
} Options;

/* ---------------------------------------------------------------- ast.c
 * The parse tree: what was written, nothing resolved. */
typedef enum { VAL_INT, VAL_FLOAT, VAL_BOOL, VAL_WORD, VAL_STRING, VAL_LIST } ValKind;

typedef struct Value Value;
struct Value {
    ValKind kind;
    Loc loc;
    int64_t i;          /* VAL_INT, VAL_BOOL (0/1) */
    double f;           /* VAL_FLOAT (and VAL_INT as a double) */
    const char *s;      /* VAL_WORD, VAL_STRING */
    Value **items;      /* VAL_LIST */
    int n;              /* VAL_LIST: item count */
    bool bad;           /* already reported (an overflowing literal) */
};

typedef struct {
    const char *key;    /* NULL: a positional input, then val is a VAL_WORD */
    Loc loc;            /* of the key, or of the input name */
    Value *val;
} Arg;

typedef enum { ST_INPUT, ST_OUTPUT, ST_WEIGHTS, ST_LAYER } StmtKind;

typedef struct {
    StmtKind kind;
    Loc loc;            /* the keyword or op word */
    const char *op;     /* ST_LAYER: the op word as written */
    const char *name;   /* layer/input/output name, NULL when omitted */
    Loc name_loc;
    Arg *args; int nargs;            /* ST_LAYER; ST_OUTPUT: the names after the first */
    Value **dims; int ndims;         /* ST_INPUT */
    const char *path;                /* ST_WEIGHTS */
} Stmt;

typedef struct {
    const char *name; Loc loc;       /* network NAME */
    Stmt **stmts; int n;
} Program;

Value *ast_int(Loc loc, const char *text);   /* reports overflow */
Value *ast_float(Loc loc, const char *text);
Value *ast_bool(Loc loc, bool b);
Value *ast_word(Loc loc, const char *s);
Value *ast_string(Loc loc, const char *s);
Value *ast_list(Loc loc);
Value *ast_list_add(Value *list, Value *item);
Value *ast_negate(Loc loc, Value *v);
Stmt *ast_layer(Loc loc, const char *op, const char *name, Loc name_loc);
Stmt *ast_add_arg(Stmt *st, const char *key, Loc loc, Value *val);
Stmt *ast_input(Loc loc, const char *name, Loc name_loc, Value *dims);
Stmt *ast_output(Loc loc, const char *name, Loc name_loc);
Stmt *ast_weights(Loc loc, const char *path);
void ast_program(Program *p, const char *name, Loc loc);
void ast_add_stmt(Program *p, Stmt *st);
const char *value_kind_name(ValKind k);
/* the Program as .cnn source (--emit=cnn) */
void ast_write(FILE *f, const Program *p);
/* flatten a (nested) list row-major into numbers; false (and an error) when
 * an element is not a number */
bool value_numbers(const Value *v, double **out, int64_t *n);

/* ---------------------------------------------------------------- parse
 * grammar/lexer.l + grammar/parser.y */
bool parse_program(const char *src, size_t len, Program *out);

/* ---------------------------------------------------------------- shapes */
typedef struct {
    int rank;                    /* 0 = unknown (after an error) */
    int64_t dim[MAX_RANK];
} Shape;

int64_t shape_elems(const Shape *s);          /* product of dims */
const char *shape_str(const Shape *s);         /* "[20,28,28]", static ring */
bool shape_eq(const Shape *a, const Shape *b);
int spatial_dims(const Shape *s);              /* rank-1 for [C,...]; 0 for a vector */
/* the shape seen around one axis, [outer, dim[axis], inner] */
void shape_around(const Shape *s, int axis, int64_t *outer, int64_t *inner);
/* NumPy broadcasting, aligned at the last axis: *out = the shape a and b
 * broadcast to (out may be a or b); false, *out untouched, when an axis has
 * two sizes neither of which is 1 (*bad_axis: that axis counted from the last) */
bool shape_broadcast(const Shape *a, const Shape *b, Shape *out, int *bad_axis);
/* how an input of shape in, which broadcasts to out, is read at each
 * position of out: at the same flat index, per channel (in is [C,1,...] of
 * out's rank and C), one element for all, or otherwise (an index of its own) */
typedef enum { BCAST_SAME, BCAST_CHANNEL, BCAST_SCALAR, BCAST_OTHER } Bcast;
Bcast bcast_kind(const Shape *in, const Shape *out);

/* ---------------------------------------------------------------- graph.c */
struct OpDesc;

typedef struct {
    bool set;            /* given in the source (else the default applies) */
    Loc loc;             /* of the key */
    int64_t i;           /* A_INT, A_BOOL */
    double f;            /* A_FLOAT */
    const char *kw;      /* A_KEYWORD; A_PAD when a keyword (same, valid) */
    int n;               /* A_INTS, A_PAD, A_FLOATS, A_DIMS list: entries given */
    int64_t v[2 * MAX_SPATIAL];
    double fv[MAX_SPATIAL];  /* A_FLOATS */
} Attr;
_Static_assert(MAX_DIMS <= 2 * MAX_SPATIAL, "Attr.v holds an A_DIMS list");

typedef struct {
    const char *name;    /* suffix after "LAYER.", e.g. "weight", "depthwise.weight" */
    Shape shape;
    float *data;         /* filled by weights.c; NULL until then */
    const char *source;  /* "inline", a file name, or "random" */
    float lo, hi;        /* --random-weights draws from U(lo, hi), set by the op */
    bool one_ok;         /* a file's one-element tensor [1] may stand in (prelu's shared slope) */
    Shape likely;        /* a file's tensor of this shape is a probable mistake ... */
    const char *hint;    /* ... that this note explains (NULL: none) */
    Shape stored;        /* a pass reshaped it: the shape its file holds (rank 0: shape) */
} Param;
/* the shape of the tensor a weights file holds for p */
static inline const Shape *param_file_shape(const Param *p) { return p->stored.rank ? &p->stored : &p->shape; }

typedef struct {
    const char *key;     /* "weight", "bias", "running_mean", "running_var" */
    Loc loc;
    double *v; int64_t n;
} Inline;

/* Geometry of a sliding-window layer, resolved by window_resolve(). */
typedef struct {
    int nd;                                  /* spatial dims */
    int64_t k[MAX_SPATIAL], s[MAX_SPATIAL], d[MAX_SPATIAL];
    int64_t pb[MAX_SPATIAL], pe[MAX_SPATIAL];
    bool ceil;
} Window;

#define MAX_PARAMS 4

typedef struct Layer {
    const char *name;
    Loc loc;                 /* the op word (the input's name for the input) */
    Loc name_loc;            /* the name, or the op word when unnamed */
    const struct OpDesc *op; /* NULL for the network input */
    int id;                  /* index in Graph.layers */
    int nin; int *in;        /* producer layer ids */
    Loc *in_loc;
    Attr *attr;              /* op->nattrs slots, same order as op->attrs */
    Inline *inl; int ninl;   /* inline parameter values */
    Shape shape;             /* output shape; rank 0 when unknown */
    Window win;              /* windowed ops */
    Param param[MAX_PARAMS]; int nparam;
    int64_t nparams, macs;   /* counted after inference */
    int groups;              /* resolved groups (conv, groupnorm) */
    int axis;                /* resolved axis (concat, slice, softmax, layernorm) */
    bool bad;                /* an error was reported while building it */
    bool dead;               /* does not reach the output: dropped (plan.c) */
    int folded;              /* batchnorm folded into layer id `folded` (0: not) */
    bool global;             /* receptive field: sees its whole input (infer may set it) */
    bool per_position;       /* layernorm: over axis 0 at each position (its channels_first hook) */
    const struct Layer *written; /* a pass rewrote it: the layer as written, for the report and picture */
} Layer;

typedef struct {
    const char *name; Loc loc;
    Layer **layers; int n;   /* topological order; layers[0] is the input */
    int *slots; int nslots;  /* hash index of layer names: id + 1, 0 empty */
    int *outputs; int nout;  /* ids of the output layers, in the output statement's order */
    const char *weights_file; Loc weights_loc;
} Graph;

/* build the graph; false after reporting every error found */
bool graph_build(const Program *p, Graph *g);
const Layer *graph_find(const Graph *g, const char *name);
/* the first live layer after id that reads it; -1: none */
int graph_first_reader(const Graph *g, int id);
/* the layer as the source wrote it (a pass may have rewritten it) */
const Layer *layer_as_written(const Layer *L);
bool graph_is_output(const Graph *g, int id);
/* where output layer id starts in the output array (floats per sample) */
int64_t graph_output_at(const Graph *g, int id);
int64_t graph_output_size(const Graph *g);   /* the outputs' floats per sample */

/* ---------------------------------------------------------------- ops
 * One descriptor per layer kind, listed in ops.def; each lives in ops/. */
typedef enum {
    A_INT,       /* integer */
    A_FLOAT,     /* number */
    A_BOOL,      /* true/false */
    A_KEYWORD,   /* one of .words */
    A_INTS,      /* integer, or a list of one integer per spatial dim */
    A_PAD,       /* integer, list (dims or 2 x dims), same, valid */
    A_FLOATS,    /* number, or a list of one number per spatial dim */
    A_DIMS,      /* integer, or a list of up to MAX_DIMS integers (a shape, axes) */
} AttrType;

typedef struct {
    const char *name;
    AttrType type;
    bool required;
    int64_t idef;                 /* default of A_INT/A_BOOL/A_INTS/A_PAD */
    double fdef;                  /* default of A_FLOAT */
    const char *const *words;     /* A_KEYWORD: NULL-terminated; [0] is the default */
    int64_t min;                  /* smallest allowed integer (A_INT, A_INTS) */
} AttrDesc;

enum {
    OPF_LINEAR    = 1 << 0,  /* conv/local/dense: can absorb a following BatchNorm */
    OPF_POINTWISE = 1 << 1,  /* elementwise unary: can be fused as an epilogue */
    OPF_BINARY    = 1 << 2,  /* add/mul: elementwise over several inputs */
    OPF_GLOBAL    = 1 << 3,  /* each output depends on the whole input (receptive field) */
    OPF_IDENTITY  = 1 << 4,  /* flatten, dropout, reshape: no code, the producer's buffer */
    OPF_NORM      = 1 << 5,  /* a normalization layer */
    OPF_WINDOW    = 1 << 6,  /* has a Window (conv, pool, local) */
    OPF_EPILOGUE  = 1 << 7,  /* its emitters store through emit_store(): fusable */
    OPF_INPLACE   = 1 << 8,  /* reads x0[i] only to write y[i]: may run in place */
    OPF_AFFINE    = 1 << 9,  /* a fixed per-channel y = x * scale[c] + shift[c] (.affine) */
    OPF_SOURCE    = 1 << 10, /* constant: takes no input, its value is its parameter "value";
                                no code unless it is the output (readers read the array) */
    OPF_CHAIN     = 1 << 11, /* pointwise, a long chain of dependent operations (an
                                exponential's polynomial): tiles apply it several vectors
                                side by side (emit_tile_results_clamped) */
    OPF_CONDITION = 1 << 12, /* every output is 1 or 0 (the comparisons) */
    OPF_STREAMED  = 1 << 13, /* -O2: reads its largest parameter as written, each number
                                once where its MACs are no more than its parameters (dense
                                on a vector): a kernel before it may fetch it ahead */
};

typedef struct Emit Emit;
struct Choice;
struct ChoiceCtx;

typedef struct OpDesc {
    const char *name;
    unsigned flags;
    int min_in, max_in;           /* inputs; max_in 0 = unbounded */
    const AttrDesc *attrs; int nattrs;
    /* output shape into L->shape (and L->win, L->groups); errors at L->loc.
     * in[] are the input shapes, all known. */
    bool (*infer)(Layer *L, const Shape *in, int nin);
    /* parameter tensors of an inferred layer into L->param[], L->nparam */
    void (*params)(Layer *L, const Shape *in);
    /* multiply-accumulates of an inferred layer */
    int64_t (*macs)(const Layer *L, const Shape *in);
    /* pointwise ops: the C expression of the op applied to the expression v */
    const char *(*expr)(const Layer *L, const char *v);
    /* pointwise ops with per-channel parameters (prelu), in place of expr:
     * the C expression of the op applied to v in channel chan */
    const char *(*chan_expr)(Emit *e, const Layer *L, const char *v, const char *chan);
    /* pointwise ops that clamp (relu, relu6, clip), or NULL: the statements
     * that apply the op to the vector v, a cnnrt_v16 lvalue (NULL where
     * none does); a register tile's results take it before their epilogue */
    const char *(*vec_stmt)(const Layer *L, const char *v);
    /* OPF_BINARY: the C operator that combines the inputs ("+", "*"), or a
     * function of two floats ("cnnrt_max"); see cx_binop() */
    const char *binop;
    /* OPF_AFFINE: the per-channel scale and shift of an inferred, loaded layer */
    void (*affine)(const Layer *L, float *scale, float *shift);
    /* OPF_LINEAR: absorb y' = y * scale[o] + shift[o] per output channel
     * into the weights and bias (BatchNorm folding) */
    void (*fold)(Layer *L, const float *scale, const float *shift);
    /* whether fold applies to this layer (NULL: always): false where the
     * output's channels (its first axis) are not the weights' rows */
    bool (*foldable)(const Layer *L);
    /* an op that maps positions other than by a Window (upsample, transposed
     * conv, adaptive pools), for the receptive field: the input positions
     * [*ilo, *ihi] that its output positions [lo, hi] of spatial dimension d
     * read, by its formula for any integers (NULL: the same positions) */
    void (*reads)(const Layer *L, const Shape *in, int d, int64_t lo, int64_t hi, int64_t *ilo, int64_t *ihi);
    /* -O2, passes/channels_first.c: a layer that maps each position's last
     * axis on its own (layernorm over it, dense). With in NULL: whether it
     * can; else rewrite it to compute on the channels-first input `in` (the
     * last axis moved first). NULL: only activations without parameters and
     * same-shape identities move along */
    bool (*channels_first)(Layer *L, const Shape *in);
    /* -O2: data the optimized emitter needs (packed weights) in place of the
     * raw parameters, written before the kernel; NULL: the raw ones */
    void (*emit_data)(Emit *e, const Layer *L);
    /* floats of temporary scratch the layer's code needs at -O<opt> (may be NULL) */
    int64_t (*temp)(const Layer *L, const Shape *in, int opt);
    /* -O2: choose the layer's kernel (family, tile, layouts, scratch) for
     * the plan; NULL: the op's own emitters (emit, emit_data, temp) */
    void (*choose)(struct Choice *c, const Layer *L, const Shape *in, const struct ChoiceCtx *ctx);
    /* C for the layer: plain loops (-O0) and optimized; emit may be NULL
     * (then emit_ref is used) */
    void (*emit_ref)(Emit *e, const Layer *L);
    void (*emit)(Emit *e, const Layer *L);
} OpDesc;

/* an OPF_BINARY op's n input values combined (ops/merge.c): left to right by
 * binop, or where's three in one call */
const char *op_combine(const OpDesc *op, int n, const char *const *xs);
/* the shape of matmul's output (ops/matmul.c) for inputs a and b: MM_OK, or
 * why not: a's last axis is not b's second to last (MM_INNER), the axes
 * before the last two do not broadcast (MM_LEADING) */
typedef enum { MM_OK, MM_INNER, MM_LEADING } MmFit;
MmFit matmul_shape(const Shape *a, const Shape *b, Shape *out);


/* in a descriptor: .attrs and .nattrs of a static AttrDesc array */
#define ATTRS(a) .attrs = (a), .nattrs = (int)(sizeof(a) / sizeof((a)[0]))

#define OP(name) extern const OpDesc op_##name;
#include "ops.def"
#undef OP

extern const OpDesc *const op_table[];
extern const int op_count;
const OpDesc *op_find(const char *name);

/* attribute values by name, the default when not given (ops/common.c);
 * asking for a name the op does not declare is an internal error */
int64_t attr_int(const Layer *L, const char *name);
double attr_float(const Layer *L, const char *name);
bool attr_bool(const Layer *L, const char *name);
const char *attr_word(const Layer *L, const char *name);
const Attr *attr_get(const Layer *L, const char *name);   /* NULL when absent from the op */
/* an A_DIMS attribute's entries into v[MAX_DIMS]; its count, 0 when not given */
int attr_dims(const Layer *L, const char *name, int64_t *v);
/* a per-sample axis of in (negative counts from the end, as in PyTorch)
 * into *out; else an error naming attribute, layer and shape */
bool axis_resolve(const Layer *L, const char *attr, int64_t axis, const Shape *in, int *out);
Loc attr_loc(const Layer *L, const char *name);           /* the key if given, else the layer */
/* transpose's perm, negative entries resolved, into perm[MAX_DIMS]; its count */
int transpose_perm(const Layer *L, int *perm);

/* shared helpers of ops/: the sliding window (ops/window.c), parameters
 * (ops/params.c), hooks of layers without parameters (ops/common.c) */
/* O = floor_or_ceil((I + pb + pe - d*(k-1) - 1) / s) + 1; with ceil a window
 * starting in the end padding is dropped. May return <= 0. */
int64_t window_out(int64_t in, int64_t k, int64_t s, int64_t pb, int64_t pe,
                   int64_t d, bool ceil);
/* resolve the attributes "kernel", "stride", "pad", "dilation" (those the op
 * has; stride defaults to the kernel when stride_is_kernel) for the spatial
 * dims of in; fill L->win and out = [C, O...]; errors at the layer */
bool window_resolve(Layer *L, const Shape *in, bool stride_is_kernel, bool ceil, Shape *out);
/* the attributes alone, into L->win (no output size) */
bool window_attrs(Layer *L, const Shape *in, bool stride_is_kernel);
/* one value per spatial dim from an A_INTS attribute, a single one broadcast
 * (def when not given); attr_count_ok: an error unless a list attribute has 1
 * or nd entries */
bool per_dim(Layer *L, const char *name, int nd, int64_t def, int64_t *out);
bool attr_count_ok(const Attr *a, const char *name, int nd);
/* an error unless in has exactly nd spatial dims ([C, ...]) */
bool need_spatial(Layer *L, const Shape *in, int nd);
/* an error unless in has spatial dims ([C, ...], any number) */
bool need_any_spatial(Layer *L, const Shape *in);
/* a parameter tensor; random values U(-0.5, 0.5) unless the op says otherwise */
void add_param(Layer *L, const char *name, int rank, const int64_t *dims);
/* the random range of the parameter added last: U(lo, hi), or fan-in scaled
 * U(-1/sqrt(fan_in), 1/sqrt(fan_in)) as PyTorch's default initialisation */
void param_range(Layer *L, double lo, double hi);
void param_fan_in(Layer *L, int64_t fan_in);
Param *layer_param(const Layer *L, const char *name);    /* NULL when absent */
const Param *layer_largest_param(const Layer *L);        /* the first of the most numbers; NULL: none */
/* fold helper: scale the rows (dim 0) of weight wname, and scale+shift the
 * rows of bias bname, creating it with shape bdims (rank brank) if absent */
void fold_rows(Layer *L, const char *wname, const char *bname, int brank, const int64_t *bdims,
               const float *scale, const float *shift);
/* the bias part alone: rows of bias bname (created as bdims if absent) become
 * b * scale[o] + shift[o] */
void fold_bias(Layer *L, const char *bname, int brank, const int64_t *bdims, int64_t rows, const float *scale,
               const float *shift);
const char *dim_name(int nd, int i);       /* "height" for i=0 of 2-D */
/* emitting windowed layers: loop variables od/oh/ow (kind 'o'), id/ih/iw
 * ('i'), kd/kh/kw ('k'); output loops; window loops with bounds handling
 * mode "skip"/"zeros", "reflect" or "replicate"; the flat index of
 * [c, spatial vars of kind] in shape s */
const char *win_var(char kind, int nd, int i);
void emit_out_loops(Emit *e, const Layer *L);
void emit_window_loops(Emit *e, const Layer *L, const Shape *in, const char *mode);
/* the same as scopes: OUT_LOOPS(e, L) { body } and
 * WINDOW_LOOPS(e, L, in, mode) { body } close the nd blocks they open */
#define OUT_LOOPS(e, L) CW_SCOPE(emit_out_loops(e, L), emit_close_n(e, (L)->win.nd))
#define WINDOW_LOOPS(e, L, in, mode) CW_SCOPE(emit_window_loops(e, L, in, mode), emit_close_n(e, (L)->win.nd))
/* the output loops but the innermost, ROW_LOOPS(e, L) { body }, and the
 * flat index of the first output of the row there */
void emit_row_loops(Emit *e, const Layer *L);
#define ROW_LOOPS(e, L) CW_SCOPE(emit_row_loops(e, L), emit_close_n(e, (L)->win.nd - 1))
const char *row_start(const Layer *L);
const char *emit_pixel(const Shape *s, const char *c, char kind);
/* hooks for layers without parameters or MACs, and shape-preserving ones */
void op_no_params(Layer *L, const Shape *in);
int64_t op_no_macs(const Layer *L, const Shape *in);
bool op_same_shape(Layer *L, const Shape *in, int nin);

/* ---------------------------------------------------------------- shape.c */
/* infer shapes, parameters and MACs of every layer; false after errors */
bool shape_infer(Graph *g);
/* receptive field of the output: one entry per spatial dim of the input
 * (none for a vector input); returns the count */
int receptive_field(const Graph *g, int64_t *rf);

/* ---------------------------------------------------------------- weights.c */
struct StFile;
typedef struct {
    const char *weights_path;  /* --weights, overrides the file's weights */
    bool random; uint64_t seed;
    const struct StFile *mem;  /* tensors in memory (an imported model's): the weights file */
} WeightOpts;
bool weights_load(Graph *g, const char *cnn_path, const WeightOpts *o);

/* ---------------------------------------------------------------- safetensors.c */
typedef struct {
    const char *name;
    int dtype_bytes;            /* bytes per element in the file */
    const char *dtype;          /* "F32", "F16", "BF16", "F64" */
    int rank; int64_t dim[MAX_RANK];
    int64_t elems;
    const unsigned char *raw;   /* little-endian data inside the file buffer */
    bool used;
} StTensor;

typedef struct StFile {
    const char *path;
    StTensor *t; int n;
} StFile;

/* read and validate a safetensors file; false after reporting the errors */
bool st_load(const char *path, StFile *out);
StTensor *st_find(StFile *f, const char *name);
/* F32, F16, BF16 or F64 (integer tensors are read but hold no parameter) */
bool st_is_float(const StTensor *t);
/* convert a float tensor to float32 */
void st_to_f32(const StTensor *t, float *out);
/* write F32 tensors as a safetensors file; false on a write error */
bool st_save(FILE *f, const StFile *st);

/* ---------------------------------------------------------------- onnx.c, onnx_ops.c
 * An ONNX model read into what the parser makes of a .cnn file: a Program,
 * and its parameters as in-memory F32 tensors named LAYER.TENSOR. */
typedef struct {
    const int64_t *shape; int shape_n;   /* --input-shape: per-sample dims, or none */
    bool no_files;                       /* refuse external data files (the fuzzer) */
} OnnxOpts;
/* false after reporting every error (as "FILE: error: node 'NAME' (Op): ...") */
bool onnx_import(const char *file, const unsigned char *buf, size_t len, const OnnxOpts *o, Program *p,
                 StFile *weights);

/* ---------------------------------------------------------------- report.c */
struct Plan;
void report_text(FILE *f, const Graph *g, int64_t scratch_bytes, const struct Plan *plan);
void report_json(FILE *f, const Graph *g, int64_t scratch_bytes, const struct Plan *plan);

/* ---------------------------------------------------------------- dot.c */
void dot_write(FILE *f, const Graph *g);

/* ---------------------------------------------------------------- plan.c
 * Kernels (groups of layers emitted as one function body), the kernel each
 * one runs at -O2, and the arena. */
typedef struct {
    const char *name;      /* "c1+bn1+relu_1" */
    int *layers; int n;    /* layer ids: the head, then its epilogue in order */
    int *extra; int nextra;/* more inputs read by the epilogue (residual adds) */
    int out;               /* the layer whose value the kernel stores */
    bool inplace;          /* writes over its first input (-O2) */
} Kernel;

/* A family of -O2 kernels (pixel vectors, channel vectors, Winograd, ...):
 * it reads its parameters from the tile the planner chose, never chooses. */
typedef struct {
    const char *name;
    /* the layer's parameter arrays as the kernel wants them (packed weights);
     * NULL: the raw ones */
    void (*data)(Emit *e, const Layer *L, const void *tile);
    /* the body of the kernel function */
    void (*emit)(Emit *e, const Layer *L, const void *tile);
    /* the tile in a few words, for --dump-passes */
    const char *(*describe)(const void *tile);
    /* emit fetches the parameter of Plan.ahead[L->id], if any, ahead into
     * the caches over its run */
    bool fetch_ahead;
} KernelFamily;

/* LAYOUT_READS_BLOCKED: the kernel can read its input channel-blocked;
 * LAYOUT_WRITES_BLOCKED: it stores 16 channels at a time and wants its
 * output so; LAYOUT_NEIGHBOURS: its fast form needs a blocked value beside
 * it, so the kernels around it should lean to layouts that give one;
 * LAYOUT_FOLLOWS: its output is blocked exactly when its input is (an
 * elementwise kernel, which does not mind either) */
enum { LAYOUT_READS_BLOCKED = 1, LAYOUT_WRITES_BLOCKED = 2, LAYOUT_NEIGHBOURS = 4, LAYOUT_FOLLOWS = 8 };

/* the planner's decision for a kernel's head layer (op->choose) */
typedef struct Choice {
    const KernelFamily *family;  /* NULL: the op's own emitters */
    const void *tile;            /* the family's parameters */
    unsigned layout;             /* LAYOUT_* */
    int64_t temp;                /* floats of temporary scratch */
} Choice;

/* what op->choose may look at besides the layer: the options, and what the
 * planner knows of the neighbours so far */
typedef struct ChoiceCtx {
    const Options *o;
    bool near_lanes;     /* reads or feeds a kernel whose layouts say LAYOUT_NEIGHBOURS */
    bool near_both;      /* feeds such a kernel, and reads a value that may be blocked or feeds one whose output is */
    bool layouts_known;  /* in_blocked and out_blocked are final (the last call) */
    bool in_blocked, out_blocked;
    const Shape *const *ins;   /* every input's shape (ins[0] is choose's `in`) */
} ChoiceCtx;

typedef struct Plan {
    const Options *o;
    Kernel *kernels; int nkernels;
    int *home;             /* per layer: the layer whose buffer holds its output
                              (itself, or the producer for flatten/dropout/reshape) */
    int64_t *offset;       /* per layer with home == itself: float offset in
                              scratch, or PLAN_INPUT / PLAN_OUTPUT / PLAN_CONST */
    int64_t *temp;         /* per layer: offset of its temporary scratch, -1 */
    bool *blocked;         /* per layer with home == itself: stored channel-blocked
                              [C/16][H][W][16] (-O2, between kernels that want it) */
    Choice *choice;        /* per layer: the kernel chosen for a head (-O2) */
    int *ahead;            /* per layer: a later layer (OPF_STREAMED) whose largest parameter
                              the kernel headed by it fetches ahead (-O2), or 0 */
    int64_t scratch_floats;
} Plan;

#define PLAN_INPUT  (-1)
#define PLAN_OUTPUT (-2)
#define PLAN_CONST  (-3)   /* an OPF_SOURCE value: its static array, no buffer */
#define PLAN_ALIGN_FLOATS 16   /* 64-byte alignment of every buffer */

/* drop dead layers (warning), mark BatchNorm folds (-O1+), fuse kernels
 * (-O1+), choose each kernel and the values' layouts (-O2), lay out the
 * arena; with dump, print the graph after each pass (--dump-passes) */
void plan_build(Graph *g, const Options *o, Plan *p, FILE *dump);

/* ---------------------------------------------------------------- passes/fold_bn.c */
/* mark each affine layer (batchnorm) that folds into the linear layer before it */
void fold_bn_mark(Graph *g, const int *uses);
/* fold the marked layers' numbers into their layers (after weights_load) */
void fold_bn_apply(Graph *g);

/* ---------------------------------------------------------------- passes/channels_first.c */
/* -O2: per-position layers between a transpose that moves the channels last
 * and its inverse compute channels-first; the transposes disappear */
void channels_first(Graph *g, const int *uses);

/* ---------------------------------------------------------------- passes/fuse.c */
/* group layers into kernels: a head and the epilogue it can apply in registers */
void fuse_kernels(const Graph *g, int opt, const int *uses, Plan *p);

/* ---------------------------------------------------------------- cwriter.c
 * The C writer: lines at an indentation, blocks that close themselves,
 * numbers and arrays. Emit also carries what the emitters read: the graph,
 * the plan, the options and the kernel being written. */
/* The kernels of --target=auto at -O2 come in three variants, chosen when
 * the network runs by the CPU's instruction sets (CNNRT_DISPATCH, x86-64) or
 * when the file is compiled (CNNRT_WIDE): wide tiles for AVX-512, narrow
 * ones for AVX2+FMA, and narrow ones for the compiler's baseline. Other
 * targets and levels write one set: VARIANT_ONE. */
typedef enum { VARIANT_ONE, VARIANT_WIDE, VARIANT_NARROW, VARIANT_BASE } Variant;
struct Emit {
    FILE *c;               /* the .c being written */
    FILE *tail;            /* written after the code: the weight arrays stored as bytes (see emit_array) */
    const Graph *g;
    const Plan *plan;
    const Options *o;
    const char *prefix;    /* symbol prefix */
    int indent;
    const Kernel *k;       /* the kernel being written */
    Variant variant;       /* which of the kernels' instruction-set variants */
    int applied;           /* the kernel's epilogue layers already applied to the tile's results */
    bool applied_all;      /* everywhere (else where CNNRT_VEC_CLAMPS) */
    bool raw;              /* stores without the epilogue, which emit_epilogue_pass applies after */
    const char *lanes;     /* the vector emit_tile_lanes last named, until emit_tile_stored */
};
/* one line of generated C at the current indentation, printf-style */
void emit_line(Emit *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "LINE {" and indent / dedent and "}"; emit_scope: a bare "{" */
void emit_open(Emit *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void emit_scope(Emit *e);
void emit_close(Emit *e);
void emit_else(Emit *e);   /* "} else {": the block opened by emit_open("if (...)") goes on */
void emit_else_if(Emit *e, const char *cond);   /* "} else if (COND) {" */
void emit_close_n(Emit *e, int n);   /* for the scope macros of loops nests (OUT_LOOPS) */
/* for (int VAR = 0; VAR < N; VAR++) {, and the same annotated as a
 * vectorizable loop (CNNRT_SIMD) */
void emit_for(Emit *e, const char *var, int64_t n);
void emit_for_simd(Emit *e, const char *var, int64_t n);
/* Blocks as scopes: each macro writes its opening line, runs the statement
 * after it (the body) once, then closes the block:
 *     FOR(e, "c", C) BLOCK(e, "if (x)") { emit_line(e, ...); }
 * The body must not leave by break, continue or return. BLOCK_IF opens
 * (and closes) its block only when cond holds, else runs the body bare. */
#define CW_CAT_(a, b) a##b
#define CW_CAT(a, b) CW_CAT_(a, b)
#define CW_SCOPE(open, close) CW_SCOPE_(CW_CAT(scope_, __COUNTER__), open, close)
#define CW_SCOPE_(v, open, close) for (int v = ((open), 1); v; v = ((close), 0))
#define BLOCK(e, ...) CW_SCOPE(emit_open(e, __VA_ARGS__), emit_close(e))
#define SCOPE(e) CW_SCOPE(emit_scope(e), emit_close(e))
#define FOR(e, var, n) CW_SCOPE(emit_for(e, var, n), emit_close(e))
#define FOR_SIMD(e, var, n) CW_SCOPE(emit_for_simd(e, var, n), emit_close(e))
#define BLOCK_IF(e, cond, ...) CW_BLOCK_IF_(CW_CAT(scope_, __COUNTER__), e, cond, __VA_ARGS__)
#define CW_BLOCK_IF_(v, e, cond, ...) \
    for (int v = (cond) ? (emit_open(e, __VA_ARGS__), 2) : 1; v; v = (v == 2 ? emit_close(e) : (void)0, 0))
/* LOOP(e, var, n) { body }: "for (int var = 0; var < n; var++)" around
 * the body, or for a loop of one iteration the body alone, with var's
 * value "0" (loop_var) folded into the expressions it writes */
#define LOOP(e, var, n) \
    BLOCK_IF(e, (n) > 1, "for (int %s = 0; %s < %lld; %s++)", var, var, (long long)(n), var)
/* the same, but a loop of one iteration keeps its braces, a scope for the
 * declarations of a body written more than once */
#define LOOP_SCOPE(e, var, n)                                                                           \
    CW_SCOPE((n) > 1 ? emit_open(e, "for (int %s = 0; %s < %lld; %s++)", var, var, (long long)(n), var) \
                     : emit_scope(e), emit_close(e))
const char *loop_var(const char *var, int64_t n);
/* the same for a loop of one statement on one line: "for (int var = 0;
 * var < n; var++) " before it, or nothing when n is 1 */
const char *loop_head(const char *var, int64_t n);
/* integer expressions with their constants folded as they are written:
 * cx_mul("r", 1) = "r", cx_mul("0", 5) = "0", cx_mul("a + b", 2) =
 * "(a + b) * 2"; cx_add("r", -1) = "r - 1", cx_add("0", 3) = "3";
 * cx_plus("q * 2", "0") = "q * 2"; cx_div("x", 1) = "x" (x >= 0) */
const char *cx_mul(const char *x, int64_t k);
const char *cx_add(const char *x, int64_t b);
const char *cx_plus(const char *x, const char *y);
const char *cx_div(const char *x, int64_t k);
const char *cx_mod(const char *x, int64_t k);   /* cx_mod("x", 1) = "0" */
/* "(size_t)x" for an index that may pass 2^31 (a literal stays as it is);
 * "base + off", or base when off is "0" */
const char *cx_size(const char *x);
/* x in parentheses when it is a sum (as an operand of *, /, %) */
const char *cx_paren(const char *x);
const char *cx_at(const char *base, const char *off);
/* a binary operator or function of two floats (OpDesc.binop) applied to
 * the expressions a and b: "a + b", "cnnrt_max(a, b)" */
const char *cx_binop(const char *binop, const char *a, const char *b);
/* the same with the constants folded (a var may be "0"; n may be 0: "0") */
const char *cx_index(int n, const char *const *vars, const int64_t *dims);
/* C-order flat index of vars[0..n) in dims[0..n): "(c*28 + h)*28 + w" */
const char *emit_index(int n, const char *const *vars, const int64_t *dims);
/* s as text inside a C block comment: a space inside each star-slash and
 * slash-star, line breaks as spaces (a file name the user gave) */
const char *emit_comment_text(const char *s);
/* a float constant as C source that reads back exactly: "0.5f", "-1e-05f" */
const char *emit_float(double v);
/* a static const float array with a comment, 8 numbers a line; from
 * EMIT_BYTES_FROM elements on as the bytes of its floats unless
 * o->text_weights (a compiler holds a string literal as one node) */
#define EMIT_BYTES_FROM 4096
void emit_array(Emit *e, const char *comment, const char *sym, const float *v, int64_t n);
/* a static const int array with a comment, 16 numbers a line (index tables;
 * every value fits in an int) */
void emit_int_array(Emit *e, const char *comment, const char *sym, const int64_t *v, int64_t n);
/* the symbol of a parameter array: "lenet5_c1__weight" */
const char *emit_param(Emit *e, const Layer *L, const char *pname);

/* ---------------------------------------------------------------- target.c
 * The -O2 kernels hold register tiles of 16-float vectors in one of two
 * classes: REGS_WIDE for 32 registers of 16 floats (AVX-512: a vector is a
 * register, broadcasts are memory operands) and REGS_NARROW for 16 registers
 * of 8 floats (AVX2) or 32 of 4 (NEON), where a vector takes 2 or 4.
 * --target=auto (the default): both, in the kernels' variants (Variant);
 *   weights are packed for the wide tiles and the narrow ones work inside
 *   them.
 * avx512: wide only; avx2, neon: narrow only, packed for them, and an #error
 *   when compiled for another target; generic: the plain-loop path. */
typedef enum { REGS_WIDE, REGS_NARROW } Regs;
/* the class the weights are packed for; whether auto adds narrow variants */
Regs target_regs(const Options *o);
bool target_both(const Options *o);
/* acc accumulators plus `operands` other live vectors (loaded inputs or
 * weights; wide broadcasts need none) fit the class's registers */
bool regs_fit(Regs r, int acc, int operands);
/* accumulators that hide the FMA latency on two FMA pipes */
int regs_latency(Regs r);
/* the build machine's L1 data, L2 and last-level cache sizes (--cache=host);
 * false where it does not tell them */
bool target_host_caches(int64_t cache[3]);
/* bytes of weights that a kernel may read again and again from the core's
 * own cache (L2) while the other data it touches stays there too */
int64_t target_weight_cache(const Options *o);
/* bytes of weights that stay in the core's L1 beside the data a tile reads */
int64_t target_l1_weights(const Options *o);
int64_t target_prefetch_bytes(const Options *o);
/* the most bytes of a later layer's parameter that a kernel fetches ahead
 * into the shared cache while it runs (0: none) */
int64_t target_fetch_ahead_bytes(const Options *o);
/* a pixel-vector tile: P vectors of 16 positions x OCB output channels,
 * and its modelled time */
typedef struct {
    int P, OCB;
    int64_t cost;
} RegTile;
/* the tile of class r minimizing the modelled time over nvec vectors of
 * positions and OC channels (minp <= P <= maxp, OCB <= maxc, a multiple of step:
 * rows that come in pairs); diag: each channel
 * loads its own inputs (depthwise). within: only divisors of its P and OCB
 * (a narrow tile working inside weights packed for a wide one) */
RegTile pixel_tile(Regs r, int64_t nvec, int64_t OC, int minp, int maxp, int maxc, int step, bool diag,
                   const RegTile *within);
/* the tile of target_regs() and, for --target=auto, the narrow one inside
 * it (*nar): where the best wide tile's channel block leaves no good narrow
 * divisor (28 channels: 2 x 7 wide, 2 x 1 narrow), a wide tile within 10%
 * of the best that makes the narrow one better */
RegTile pixel_tiles(const Options *o, int64_t nvec, int64_t OC, int minp, int maxp, int maxc, int step, bool diag,
                    RegTile *nar);
/* emit body(e, ctx, r) for the register class of the variant being written:
 * target_regs() for VARIANT_ONE or where the classes' tiles do not differ */
void emit_per_regs(Emit *e, const void *ctx, bool differ, void (*body)(Emit *e, const void *ctx, Regs r));

/* ---------------------------------------------------------------- emit.c
 * Each kernel becomes a static function PREFIX_NAME__run(x0, x1.., y[, t]):
 * inputs x0.. (const), output y, temporary scratch t (when it needs one).
 * An op's emitter (or its kernel family's) writes only the body, with the
 * C writer and the helpers below. */
/* the value of layer id is stored channel-blocked: [C/16][..][16] */
bool emit_blocked(const Emit *e, int id);
/* the i-th input's shape */
const Shape *emit_in_shape(Emit *e, const Layer *L, int i);
/* the raw parameter arrays of a layer */
void emit_params_raw(Emit *e, const Layer *L);
/* store the value expression val at y[idx] after the kernel's epilogue
 * (activations, unfolded BatchNorm of channel chan, residual adds) */
void emit_store(Emit *e, const char *idx, const char *chan, const char *val);
/* the same into the lvalue dst (the epilogue's extra inputs still read at idx) */
void emit_epilogue(Emit *e, const char *idx, const char *chan, const char *val, const char *dst);
/* the kernel has an epilogue that computes (not only folded or identity layers) */
bool emit_has_epilogue(const Emit *e);
/* the kernel's epilogue computes on the lanes (its clamps too, where not
 * applied to the tile's vectors: CNNRT_VEC_CLAMPS 0) and reads no other
 * value at the output's index (a residual add): it may run over a whole
 * vector of which a part is stored */
bool emit_epilogue_on_lanes(const Emit *e);
/* the kernel's epilogue has a long chain of operations (OPF_CHAIN: an
 * exponential's polynomial), cheaper as a pass of its own (emit_epilogue_pass) */
bool emit_epilogue_chains(const Emit *e);
/* the kernel's epilogue over the n values y[at + i] of channel chan (an
 * expression, which may use the loop's i_), stored before without it (under
 * e->raw) */
void emit_epilogue_pass(Emit *e, const char *at, int64_t n, const char *chan);
/* what a reduction computes: a sum (a mean divides it after), the maximum
 * or the minimum */
typedef enum { RED_SUM, RED_MAX, RED_MIN } Reduce;
/* "float acc;" set to the sum (the maximum, the minimum: a NaN skipped) of
 * the n consecutive floats from the pointer expression src: a run of 32 or more
 * in 16 partial results, one per vector lane (64, four vectors, in a run of
 * 128 or more), combined in a fixed order at the end, where one serial
 * chain would wait on the latency of each addition (a float sum is not
 * reordered without -ffast-math) */
void emit_reduce_run(Emit *e, const char *acc, const char *src, int64_t n, Reduce r);
/* declares "q0, q1": the columns q0 <= q < q1 of a row of phase phc (a
 * constant or a variable) whose input column q*sw + phc - pl lies in [0, W);
 * a row holds Wq columns (padded rows split by column phase) */
void emit_inside_columns(Emit *e, const char *phc, int64_t pl, int64_t sw, int64_t W, int64_t Wq);
/* acc combined with v: acc + v, or the greater (the smaller), a NaN v
 * skipped; and the value it starts from */
const char *emit_reduce_step(Reduce r, const char *acc, const char *v);
const char *emit_reduce_init(Reduce r);
/* "cnnrt_v16 name[n];" loaded from the n * 16 floats at src, one vector at a
 * time (gcc keeps a dead copy in memory of an array loaded by one memcpy);
 * hold: kept in registers for the several multiply-adds that read each
 * (CNNRT_IN_REGS: gcc folds a load into every one of them) */
void emit_load_vectors(Emit *e, const char *name, int n, const char *src, bool hold);
/* "cnnrt_v16 res[rows][cols];" ("res[rows]" when cols is 0): a copy of the register tile acc for the
 * epilogue's loops, which index it by variables; a tile so indexed stays in
 * memory through the whole accumulation under gcc, stored at every step */
void emit_tile_results(Emit *e, int rows, int cols);
/* the same, of a tile whose lanes are each one output (no partial sums),
 * with the epilogue's leading lanewise layers (elementwise, not by channel)
 * applied before the lanes are stored: clamps alone (OpDesc.vec_stmt) to
 * the vectors where the compiler does them better so (CNNRT_VEC_CLAMPS);
 * others, with values (the store reads res only through emit_tile_lanes),
 * with the clamps to the values, res then float res[rows][cols][16]. The
 * lanes of emit_epilogue take those layers no more (clamps: only
 * elsewhere), until emit_tile_stored */
void emit_tile_results_clamped(Emit *e, int rows, int cols, bool values);
/* "lanes", whose lanes[l] are the 16 floats of the tile's result v
 * ("res[j][p]"); whole: v is only ever stored whole (conv_store_lanes of
 * lanes 0 to 16), and lanes not declared where that store is a vector's
 * (emit_tile_outputs "1") */
void emit_tile_lanes(Emit *e, const char *v, bool whole);
/* when that vector holds the outputs themselves, the epilogue done (none,
 * its clamps applied, or a pass after): the condition under which ("1"
 * always, else CNNRT_VEC_CLAMPS), for a store of the whole vector; NULL
 * where its lanes still take an epilogue */
const char *emit_tile_outputs(const Emit *e);
void emit_tile_stored(Emit *e);
/* the register tile cnnrt_v16 acc[rows][cols] (loops of one iteration
 * dropped, their index 0): every acc[j][p] set to bias[row0 + j] (bias an
 * array expression, row0 an integer one), or to 0 when bias is NULL; */
void emit_tile_splat(Emit *e, int rows, int cols, const char *bias, const char *row0);
/* acc[j][p] += xv[p] * wk[j] over the tile; the same into rows at + j of
 * a taller tile; and for row j alone */
void emit_tile_fma(Emit *e, int rows, int cols);
void emit_tile_fma_at(Emit *e, int at, int rows, int cols);
void emit_fma_row(Emit *e, int cols, const char *j);

bool emit_network(const Graph *g, const Plan *plan, const Options *o, const char *prefix, FILE *c, FILE *h,
                  const char *hname, const char *source_name);

/* ---------------------------------------------------------------- pipeline.c
 * The stages in their order, for the command line, the fuzzers and the
 * unit tests alike:
 *   pipeline_front    source -> Program -> Graph -> shapes, parameters, MACs
 *   pipeline_plan     dead layers, BatchNorm folds, fusion, kernels, arena
 *   pipeline_weights  parameter data, and the folds applied to it
 *   then the report, the dot graph, or emit_network. */
typedef struct {
    Program prog;
    Graph g;
    Plan plan;
    StFile tensors;                 /* an imported model's parameters */
    bool imported;                  /* the Program came from an ONNX model */
    bool parsed, built, inferred;   /* how far the front end got */
} Compilation;

/* parse, build and infer src (named file in diagnostics); false after errors */
bool pipeline_front(Compilation *u, const char *file, const char *src, size_t len);
/* the same from an ONNX model: import, build and infer */
bool pipeline_front_onnx(Compilation *u, const char *file, const unsigned char *buf, size_t len, const OnnxOpts *o);
void pipeline_plan(Compilation *u, const Options *o, FILE *dump);
bool pipeline_weights(Compilation *u, const char *cnn_path, const WeightOpts *w);

#endif
