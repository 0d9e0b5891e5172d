/* test_shapes.c — the op table and every op's shape rule, parameter count
 * and MAC count, checked against PyTorch's formulas. The expected numbers
 * were computed with torch 1.13 (nn.Conv*d, F.*pool*, nn.*Norm, F.pad,
 * torch.cat: output shape[1:], sum of parameters().numel(), and MACs as
 * output elements x in/groups x kernel volume); local2d, which PyTorch lacks,
 * by hand from its weight shape [out, OH, OW, C, kh, kw]. Batchnorm counts
 * its running statistics as parameters (docs/language.md, section 6: they
 * are tensors of the weights file), so it has 4C where torch's parameters()
 * gives 2C.
 *
 * Each case compiles "network t { input x[DIMS]; STATEMENTS }" and looks at
 * the output layer. */
#include "suites.h"

#include <string.h>

static Net *compile(const char *dims, const char *stmts) {
    return net_compile(xasprintf("network t {\n  input x%s;\n  %s\n}\n", dims, stmts));
}

static const Layer *output_of(const Net *n) {
    return n->u.g.n > 0 && n->u.g.nout > 0 ? n->u.g.layers[n->u.g.outputs[0]] : NULL;
}

/* the output layer of the network has shape want, params and MACs */
static const Layer *shape_at(int line, const char *dims, const char *stmts, const char *want,
                             int64_t params, int64_t macs) {
    Net *n = compile(dims, stmts);
    const Layer *L = output_of(n);
    check_at(net_ok(n) && L, line, __FILE__, "x%s; %s compiles:\n%s", dims, stmts, n->err);
    if (!net_ok(n) || !L) return NULL;
    const char *got = shape_str(&L->shape);
    check_at(strcmp(got, want) == 0, line, __FILE__, "x%s; %s: shape %s, got %s", dims, stmts, want, got);
    check_at(L->nparams == params, line, __FILE__, "x%s; %s: %lld params, got %lld", dims, stmts,
             (long long)params, (long long)L->nparams);
    check_at(L->macs == macs, line, __FILE__, "x%s; %s: %lld MACs, got %lld", dims, stmts,
             (long long)macs, (long long)L->macs);
    return L;
}
#define SHAPE(dims, stmts, want, params, macs) shape_at(__LINE__, dims, stmts, want, params, macs)

/* compiling fails with an error whose text contains msg */
static Net *error_at(int line, const char *dims, const char *stmts, const char *msg) {
    Net *n = compile(dims, stmts);
    check_at(!net_ok(n) && n->errors > 0, line, __FILE__, "x%s; %s is an error", dims, stmts);
    check_at(strstr(n->err, msg) != NULL, line, __FILE__, "x%s; %s: message '%s', got:\n%s", dims,
             stmts, msg, n->err);
    return n;
}
#define ERROR(dims, stmts, msg) error_at(__LINE__, dims, stmts, msg)

/* ---- the table */

static bool is_ident(const char *s) {
    if (!s || !*s || (*s >= '0' && *s <= '9')) return false;
    for (; *s; s++)
        if (!(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
            return false;
    return true;
}

static void test_op_table(void) {
    CU_ASSERT_TRUE_FATAL(op_count >= 34);
    for (int i = 0; i < op_count; i++) {
        const OpDesc *op = op_table[i];
        CHECK(op != NULL, "op_table[%d] is set", i);
        if (!op) continue;
        const char *nm = op->name ? op->name : "(null)";
        CHECK(is_ident(op->name), "op %d has a name that is an identifier: %s", i, nm);
        CHECK(op->infer != NULL, "%s: infer is set", nm);
        CHECK(op->params != NULL, "%s: params is set", nm);
        CHECK(op->macs != NULL, "%s: macs is set", nm);
        if (op->flags & OPF_SOURCE)   /* constant: no input at all */
            CHECK(op->min_in == 0 && op->max_in == 0, "%s: a source takes no input (min_in %d, max_in %d)", nm,
                  op->min_in, op->max_in);
        else
            CHECK(op->min_in >= 1, "%s: min_in %d >= 1", nm, op->min_in);
        CHECK(op->max_in == 0 || op->max_in >= op->min_in, "%s: max_in %d", nm, op->max_in);
        CHECK(op->nattrs >= 0, "%s: nattrs %d", nm, op->nattrs);
        CHECK(op->nattrs == 0 || op->attrs != NULL, "%s: %d attrs need a table", nm, op->nattrs);
        CHECK(op_find(nm) == op, "op_find('%s') finds it", nm);
        for (int k = 0; op->attrs && k < op->nattrs; k++) {
            const AttrDesc *a = &op->attrs[k];
            CHECK(is_ident(a->name), "%s: attribute %d has a name", nm, k);
            if (a->type == A_KEYWORD)
                CHECK(a->words && a->words[0], "%s.%s: keywords with a default", nm, a->name);
            for (int j = 0; j < k; j++)
                CHECK(strcmp(a->name, op->attrs[j].name) != 0, "%s: attribute '%s' twice", nm, a->name);
        }
        for (int j = 0; j < i; j++)
            CHECK(strcmp(nm, op_table[j]->name) != 0, "op name '%s' twice", nm);
    }
    CU_ASSERT_PTR_NULL(op_find("conv4d"));
    CU_ASSERT_PTR_NULL(op_find(""));
    CU_ASSERT_PTR_NULL(op_find("input"));
}

/* every op compiles in a tiny network: required attributes get small
 * values, inputs are x repeated min_in times, and one of the input ranks
 * fits. The output shape is known and the parameter count adds up. */
static void test_every_op_compiles(void) {
    static const char *const dims[] = {"[4,8,8]", "[4,8]", "[4,8,8,8]", "[8]"};
    for (int i = 0; i < op_count; i++) {
        const OpDesc *op = op_table[i];
        char args[256] = "";
        for (int k = 0; k < op->min_in; k++) strcat(args, k ? ", x" : "x");
        if (strcmp(op->name, "upsample") == 0) strcat(args, ", scale=2");   /* one of scale and size */
        for (int k = 0; k < op->nattrs; k++) {
            const AttrDesc *a = &op->attrs[k];
            if (!a->required) continue;
            /* a list of axes or a shape: -1 (the last axis, or every element) where it may be */
            const char *v = strcmp(a->name, "out") == 0 ? "2" : a->type == A_DIMS && a->min < 0 ? "-1" : "1";
            snprintf(args + strlen(args), sizeof args - strlen(args), "%s%s=%s", *args ? ", " : "", a->name, v);
        }
        bool any = false;
        for (size_t d = 0; d < sizeof dims / sizeof dims[0] && !any; d++) {
            Net *n = compile(dims[d], xasprintf("%s L(%s);", op->name, args));
            if (!net_ok(n)) continue;
            any = true;
            const Layer *L = net_layer(n, "L");
            CHECK(L && L->shape.rank > 0, "%s on x%s: shape known", op->name, dims[d]);
            if (!L) continue;
            int64_t sum = 0;
            for (int k = 0; k < L->nparam; k++) sum += shape_elems(&L->param[k].shape);
            CHECK(sum == L->nparams, "%s: parameter tensors add up to nparams (%lld vs %lld)", op->name,
                  (long long)sum, (long long)L->nparams);
            CHECK(L->macs >= 0, "%s: MACs >= 0", op->name);
        }
        CHECK(any, "%s(%s) compiles on one of the inputs", op->name, args);
    }
}

/* the sliding-window formula itself */
static void test_window_out(void) {
    CU_ASSERT_EQUAL(window_out(28, 5, 1, 2, 2, 1, false), 28);
    CU_ASSERT_EQUAL(window_out(32, 5, 1, 0, 0, 1, false), 28);
    CU_ASSERT_EQUAL(window_out(7, 3, 2, 0, 0, 1, false), 3);
    CU_ASSERT_EQUAL(window_out(20, 3, 1, 0, 0, 2, false), 16);
    CU_ASSERT_EQUAL(window_out(5, 2, 2, 0, 0, 1, false), 2);
    CU_ASSERT_EQUAL(window_out(5, 2, 2, 0, 0, 1, true), 3);    /* torch: 3 */
    CU_ASSERT_EQUAL(window_out(5, 2, 2, 1, 1, 1, true), 3);    /* naive ceil 4; the last starts in padding */
    CU_ASSERT_EQUAL(window_out(5, 3, 3, 1, 1, 1, true), 2);    /* naive ceil 3; dropped */
    CU_ASSERT_EQUAL(window_out(8, 3, 2, 0, 0, 1, true), 4);
    CU_ASSERT_EQUAL(window_out(2, 3, 1, 0, 0, 1, false), 0);   /* collapses */
    CU_ASSERT_TRUE(window_out(8, 3, 1, 0, 0, 5, false) < 1);
    CU_ASSERT_EQUAL(window_out(1, 1, 1, 0, 0, 1, false), 1);
    CU_ASSERT_EQUAL(window_out(INT64_C(1) << 40, 1, 1, 0, 0, 1, false), INT64_C(1) << 40);
}

/* ---- convolutions */

static void test_conv1d(void) {
    SHAPE("[3,20]", "conv1d L(out=4, kernel=5, stride=2, pad=1);", "[4,9]", 64, 540);
    SHAPE("[3,20]", "conv1d L(out=4, kernel=[5], stride=[2], pad=[1], bias=false);", "[4,9]", 60, 540);
    SHAPE("[3,20]", "conv1d L(out=4, kernel=3, pad=[2,0]);", "[4,20]", 40, 720);
    ERROR("[3,8,8]", "conv1d L(out=4, kernel=3);", "conv1d 'L' needs a 1-D input [C,W], got [3,8,8]");
}

static void test_conv2d(void) {
    /* the classic lecture's example: 3x32x32, 10 filters 5x5, pad 2 */
    SHAPE("[3,32,32]", "conv2d L(out=10, kernel=5, pad=2);", "[10,32,32]", 760, 768000);
    SHAPE("[3,32,32]", "conv2d L(out=8, kernel=[3,5], stride=[2,1], pad=[1,2]);", "[8,16,32]", 368, 184320);
    SHAPE("[3,10,10]", "conv2d L(out=4, kernel=3, pad=valid);", "[4,8,8]", 112, 6912);
    SHAPE("[3,20,20]", "conv2d L(out=4, kernel=3, dilation=2);", "[4,16,16]", 112, 27648);
    SHAPE("[3,20,20]", "conv2d L(out=4, kernel=3, dilation=2, pad=2);", "[4,20,20]", 112, 43200);
    SHAPE("[3,20,20]", "conv2d L(out=4, kernel=3, dilation=[2,1]);", "[4,16,18]", 112, 31104);
    SHAPE("[4,8,8]", "conv2d L(out=8, kernel=3, groups=2);", "[8,6,6]", 152, 5184);
    SHAPE("[4,8,8]", "conv2d L(out=4, kernel=1, groups=4, bias=false);", "[4,8,8]", 4, 256);
}

/* pad=[b_h, b_w, e_h, e_w]: as F.pad(x, (b_w, e_w, b_h, e_h)) then a valid conv */
static void test_conv_asymmetric_pad(void) {
    const Layer *L = SHAPE("[3,10,10]", "conv2d L(out=4, kernel=3, pad=[1,0,2,3]);", "[4,11,11]", 112, 13068);
    if (L) {
        CU_ASSERT_EQUAL(L->win.pb[0], 1);
        CU_ASSERT_EQUAL(L->win.pb[1], 0);
        CU_ASSERT_EQUAL(L->win.pe[0], 2);
        CU_ASSERT_EQUAL(L->win.pe[1], 3);
    }
    ERROR("[3,10,10]", "conv2d L(out=4, kernel=3, pad=[1,2,3]);",
          "attribute 'pad' of a 2-D layer takes 1, 2 or 4 values, got 3");
}

/* transposed convolutions, numbers from torch.nn.ConvTranspose1d/2d/3d:
 * O = (I-1)*S - Pb - Pe + D*(K-1) + output_padding + 1, weight [C, out/groups, k...],
 * MACs = input elements x out/groups x kernel volume */
static void test_conv_transpose(void) {
    SHAPE("[3,16,16]", "conv_transpose2d L(out=8, kernel=4, stride=2, pad=1);", "[8,32,32]", 392, 98304);
    SHAPE("[4,5,7]", "conv_transpose2d L(out=6, kernel=3, stride=3, output_padding=2, groups=2, bias=false);",
          "[6,17,23]", 108, 3780);
    SHAPE("[2,9]", "conv_transpose1d L(out=3, kernel=3, stride=2, pad=1, output_padding=1, dilation=2);", "[3,20]", 21,
          162);
    SHAPE("[2,3,4,5]", "conv_transpose3d L(out=4, kernel=[2,3,3], stride=[1,2,2]);", "[4,4,9,11]", 148, 8640);
    SHAPE("[3,4,4]", "conv_transpose2d L(out=2, kernel=3, stride=2, pad=[0,1,2,3]);", "[2,7,5]", 56, 864);
    ERROR("[3,4,4]", "conv_transpose2d L(out=2, kernel=3, stride=2, output_padding=2);",
          "output_padding 2 of 'L' must be smaller than the stride (2) or the dilation (1) in height");
    ERROR("[3,2,2]", "conv_transpose2d L(out=2, kernel=1, pad=1);",
          "conv_transpose2d 'L': output height would be 0 (input 2, stride 1, padding 1+1, kernel 1, dilation 1, "
          "output_padding 0)");
}

/* pad=same: output ceil(I/S); odd extra padding at the end */
static void test_conv_same(void) {
    const Layer *L = SHAPE("[3,15,15]", "conv2d L(out=4, kernel=3, stride=2, pad=same);", "[4,8,8]", 112, 6912);
    if (L) {
        CU_ASSERT_EQUAL(L->win.pb[0], 1);
        CU_ASSERT_EQUAL(L->win.pe[0], 1);
    }
    L = SHAPE("[3,10,10]", "conv2d L(out=4, kernel=4, pad=same);", "[4,10,10]", 196, 19200);
    if (L) {   /* torch padding='same' with an even kernel: 1 before, 2 after */
        CU_ASSERT_EQUAL(L->win.pb[1], 1);
        CU_ASSERT_EQUAL(L->win.pe[1], 2);
    }
    SHAPE("[3,16,16]", "conv2d L(out=4, kernel=4, stride=2, pad=same);", "[4,8,8]", 196, 12288);
    SHAPE("[3,16,16]", "conv2d L(out=4, kernel=3, stride=2, pad=same);", "[4,8,8]", 112, 6912);
    SHAPE("[3,17,9]", "conv2d L(out=1, kernel=5, stride=[3,2], pad=same);", "[1,6,5]", 76, 2250);
    SHAPE("[3,9,9]", "conv2d L(out=2, kernel=3, dilation=2, pad=same);", "[2,9,9]", 56, 4374);
    SHAPE("[2,7]", "conv1d L(out=2, kernel=1, stride=4, pad=same);", "[2,2]", 6, 8);
}

static void test_conv3d(void) {
    SHAPE("[2,8,16,16]", "conv3d L(out=4, kernel=3, stride=[1,2,2], pad=1);", "[4,8,8,8]", 220, 110592);
    SHAPE("[1,5,6,7]", "conv3d L(out=2, kernel=[1,2,3]);", "[2,5,5,5]", 14, 1500);
    ERROR("[2,8,8]", "conv3d L(out=4, kernel=3);", "needs a 3-D input [C,D,H,W], got [2,8,8]");
}

static void test_depthwise_separable(void) {
    const Layer *L = SHAPE("[3,16,16]", "depthwise_conv2d L(kernel=3, multiplier=2, pad=1);", "[6,16,16]", 60, 13824);
    if (L) CU_ASSERT_EQUAL(L->groups, 3);
    SHAPE("[8,15,15]", "depthwise_conv2d L(kernel=3, stride=2, pad=1, bias=false);", "[8,8,8]", 72, 4608);
    /* depthwise 3x3 without bias, then pointwise 8->16 with bias */
    L = SHAPE("[8,16,16]", "separable_conv2d L(out=16, kernel=3, pad=1);", "[16,16,16]", 216, 51200);
    if (L) {
        CU_ASSERT_EQUAL_FATAL(L->nparam, 3);
        CU_ASSERT_STRING_EQUAL(L->param[0].name, "depthwise.weight");
        CU_ASSERT_STRING_EQUAL(shape_str(&L->param[0].shape), "[8,1,3,3]");
        CU_ASSERT_STRING_EQUAL(L->param[1].name, "pointwise.weight");
        CU_ASSERT_STRING_EQUAL(shape_str(&L->param[1].shape), "[16,8,1,1]");
        CU_ASSERT_STRING_EQUAL(L->param[2].name, "pointwise.bias");
        CU_ASSERT_STRING_EQUAL(shape_str(&L->param[2].shape), "[16]");
    }
    SHAPE("[8,16,16]", "separable_conv2d L(out=16, kernel=3, pad=1, bias=false);", "[16,16,16]", 200, 51200);
}

static void test_conv_param_shapes(void) {
    const Layer *L = SHAPE("[4,8,8]", "conv2d L(out=6, kernel=[3,1], groups=2);", "[6,6,8]", 42, 1728);
    if (L) {
        CU_ASSERT_EQUAL_FATAL(L->nparam, 2);
        CU_ASSERT_STRING_EQUAL(L->param[0].name, "weight");
        CU_ASSERT_STRING_EQUAL(shape_str(&L->param[0].shape), "[6,2,3,1]");
        CU_ASSERT_STRING_EQUAL(L->param[1].name, "bias");
        CU_ASSERT_STRING_EQUAL(shape_str(&L->param[1].shape), "[6]");
    }
    L = SHAPE("[2,4,4,4]", "conv3d L(out=3, kernel=2, bias=false);", "[3,3,3,3]", 48, 1296);
    if (L) {
        CU_ASSERT_EQUAL_FATAL(L->nparam, 1);
        CU_ASSERT_STRING_EQUAL(shape_str(&L->param[0].shape), "[3,2,2,2,2]");
    }
}

static void test_local2d(void) {
    const Layer *L = SHAPE("[3,8,8]", "local2d L(out=4, kernel=3);", "[4,6,6]", 4032, 3888);
    if (L) {
        CU_ASSERT_EQUAL_FATAL(L->nparam, 2);
        CU_ASSERT_STRING_EQUAL(shape_str(&L->param[0].shape), "[4,6,6,3,3,3]");
        CU_ASSERT_STRING_EQUAL(shape_str(&L->param[1].shape), "[4,6,6]");
    }
    SHAPE("[3,8,8]", "local2d L(out=4, kernel=3, stride=2, pad=1);", "[4,4,4]", 1792, 1728);
    SHAPE("[3,8,8]", "local2d L(out=4, kernel=3, stride=2, pad=1, bias=false);", "[4,4,4]", 1728, 1728);
    ERROR("[3,8,8]", "local2d L(out=4, kernel=3, dilation=2);", "local2d has no attribute 'dilation'");
}

/* ---- pooling */

static void test_pools(void) {
    const Layer *L = SHAPE("[3,8,8]", "maxpool2d L(kernel=2);", "[3,4,4]", 0, 0);
    if (L) CU_ASSERT_EQUAL(L->win.s[0], 2);   /* stride defaults to the kernel */
    SHAPE("[2,10]", "maxpool1d L(kernel=3);", "[2,3]", 0, 0);
    SHAPE("[1,10,10]", "maxpool2d L(kernel=3, dilation=2);", "[1,2,2]", 0, 0);
    SHAPE("[2,6,8,8]", "maxpool3d L(kernel=2, stride=[1,2,2]);", "[2,5,4,4]", 0, 0);
    SHAPE("[2,9]", "avgpool1d L(kernel=4, stride=2, pad=2);", "[2,5]", 0, 0);
    SHAPE("[1,7,7]", "avgpool2d L(kernel=3, stride=2, pad=1, count_include_pad=false);", "[1,4,4]", 0, 0);
    SHAPE("[2,6,6,6]", "avgpool3d L(kernel=2);", "[2,3,3,3]", 0, 0);
    SHAPE("[3,9,9]", "maxpool2d L(kernel=[3,1], stride=[3,1]);", "[3,3,9]", 0, 0);
    ERROR("[3,8,8]", "avgpool2d L(kernel=2, dilation=2);", "avgpool2d has no attribute 'dilation'");
    ERROR("[3,8,8]", "maxpool2d L(kernel=2, pad=2);",
          "padding of maxpool2d 'L' must be less than the kernel (at most 1) in height, got 2+2");
    SHAPE("[1,7,7]", "maxpool2d L(kernel=3, stride=1, pad=2);", "[1,9,9]", 0, 0);   /* up to kernel - 1 */
    SHAPE("[1,7,7]", "maxpool2d L(kernel=3, stride=1, dilation=2, pad=[4, 0, 0, 4]);", "[1,7,7]", 0, 0);
    ERROR("[3,8]", "maxpool2d L(kernel=2);", "maxpool2d 'L' needs a 2-D input [C,H,W], got [3,8]");
}

/* ceil_mode as PyTorch, including the dropped window */
static void test_pool_ceil_mode(void) {
    SHAPE("[1,5,5]", "maxpool2d L(kernel=2, stride=2, pad=1, ceil_mode=true);", "[1,3,3]", 0, 0);
    SHAPE("[1,5,5]", "maxpool2d L(kernel=2, stride=2, pad=1);", "[1,3,3]", 0, 0);
    SHAPE("[1,5,5]", "maxpool2d L(kernel=2, ceil_mode=true);", "[1,3,3]", 0, 0);
    SHAPE("[1,5,5]", "maxpool2d L(kernel=2);", "[1,2,2]", 0, 0);
    /* (I + 2p - k)/s = 4/3: ceil gives 3 windows, but the third would start
     * at 6 = I + p, inside the end padding: torch gives 2 */
    SHAPE("[1,5]", "maxpool1d L(kernel=3, stride=3, pad=1, ceil_mode=true);", "[1,2]", 0, 0);
    SHAPE("[1,8,8]", "avgpool2d L(kernel=3, stride=2, ceil_mode=true);", "[1,4,4]", 0, 0);
    SHAPE("[1,8,8]", "avgpool2d L(kernel=3, stride=2);", "[1,3,3]", 0, 0);
    SHAPE("[1,6,6,6]", "maxpool3d L(kernel=4, stride=4, ceil_mode=true);", "[1,2,2,2]", 0, 0);
}

static void test_global_pools(void) {
    SHAPE("[5,7,7]", "global_avgpool L;", "[5,1,1]", 0, 0);
    SHAPE("[5,7]", "global_maxpool L;", "[5,1]", 0, 0);
    SHAPE("[5,4,4,4]", "global_avgpool L;", "[5,1,1,1]", 0, 0);
    SHAPE("[5,7,7]", "global_maxpool; flatten L;", "[5]", 0, 0);
    ERROR("[5]", "global_avgpool L;", "global_avgpool 'L' needs a [C, ...] input with spatial dimensions, got [5]");
}

/* ---- the rest */

static void test_norms(void) {
    const Layer *L = SHAPE("[5,4,4]", "batchnorm L;", "[5,4,4]", 20, 0);
    if (L) {
        CU_ASSERT_EQUAL_FATAL(L->nparam, 4);
        static const char *const names[] = {"weight", "bias", "running_mean", "running_var"};
        for (int i = 0; i < 4; i++) {
            CU_ASSERT_STRING_EQUAL(L->param[i].name, names[i]);
            CU_ASSERT_STRING_EQUAL(shape_str(&L->param[i].shape), "[5]");
        }
    }
    SHAPE("[10]", "batchnorm L(eps=1e-3);", "[10]", 40, 0);
    L = SHAPE("[5,4,4]", "layernorm L;", "[5,4,4]", 160, 0);
    if (L && L->nparam == 2) CU_ASSERT_STRING_EQUAL(shape_str(&L->param[0].shape), "[5,4,4]");
    SHAPE("[5,4,4]", "layernorm L(affine=false);", "[5,4,4]", 0, 0);
    SHAPE("[5,4,4]", "instancenorm L;", "[5,4,4]", 0, 0);
    SHAPE("[5,4,4]", "instancenorm L(affine=true);", "[5,4,4]", 10, 0);
    SHAPE("[4,8,8]", "groupnorm L(groups=2);", "[4,8,8]", 8, 0);
    SHAPE("[4,8,8]", "groupnorm L(groups=4, affine=false, eps=0.001);", "[4,8,8]", 0, 0);
    ERROR("[3,8,8]", "groupnorm L(groups=2);", "groups=2 must divide the 3 channels of 'L'");
    ERROR("[3,8,8]", "groupnorm L;", "groupnorm 'L' needs the attribute 'groups'");
    ERROR("[3,8,8]", "batchnorm L(eps=-1);", "eps of 'L' must not be negative");
}

static void test_activations(void) {
    static const char *const ops[] = {"relu", "relu6", "sigmoid", "tanh", "sqrt", "abs",
                                      "leaky_relu", "elu", "leaky_relu(alpha=0.2)", "elu(alpha=0.5)"};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        char *op = xstrdup(ops[i]), *paren = strchr(op, '(');
        char *stmt = paren ? xasprintf("%.*s L%s;", (int)(paren - op), op, paren) : xasprintf("%s L;", op);
        SHAPE("[3,5,5]", stmt, "[3,5,5]", 0, 0);
        SHAPE("[7]", stmt, "[7]", 0, 0);
    }
    ERROR("[3]", "relu L(alpha=0.1);", "relu has no attribute 'alpha'");
    ERROR("[3]", "leaky_relu L(alpha=fast);", "attribute 'alpha' takes a number, got a name");
}

static void test_softmax_flatten_dense_dropout(void) {
    SHAPE("[10]", "softmax L;", "[10]", 0, 0);
    SHAPE("[3,4,4]", "softmax L;", "[3,4,4]", 0, 0);
    SHAPE("[3,5,5]", "flatten L;", "[75]", 0, 0);
    SHAPE("[2,3,4,5]", "flatten L;", "[120]", 0, 0);
    SHAPE("[7]", "flatten L;", "[7]", 0, 0);
    const Layer *L = SHAPE("[3,5,5]", "flatten; dense L(out=10);", "[10]", 760, 750);
    if (L && L->nparam == 2) {
        CU_ASSERT_STRING_EQUAL(shape_str(&L->param[0].shape), "[10,75]");
        CU_ASSERT_STRING_EQUAL(shape_str(&L->param[1].shape), "[10]");
    }
    SHAPE("[75]", "dense L(out=10, bias=false);", "[10]", 750, 750);
    SHAPE("[3,4,4]", "dropout L;", "[3,4,4]", 0, 0);
    SHAPE("[3,4,4]", "dropout L(p=0);", "[3,4,4]", 0, 0);
    SHAPE("[3,4,4]", "dropout L(p=0.9);", "[3,4,4]", 0, 0);
    ERROR("[3,4,4]", "dropout L(p=1);", "dropout probability of 'L' must be in [0, 1), got 1");
    SHAPE("[3,5,5]", "dense L(out=10);", "[3,5,10]", 60, 750);   /* the last axis, as nn.Linear */
    SHAPE("[3,5,5]", "softmax L(axis=-1);", "[3,5,5]", 0, 0);
    ERROR("[3,5,5]", "softmax L(axis=3);", "axis 3 of softmax 'L' is out of range for [3,5,5]");
    SHAPE("[3,5,4]", "layernorm L(axis=1);", "[3,5,4]", 40, 0);
    ERROR("[3,5,5]", "layernorm L(axis=-4);", "axis -4 of layernorm 'L' is out of range for [3,5,5]");
}

static void test_merge(void) {
    SHAPE("[3,4,4]", "conv2d a(out=3, kernel=1); add L(x, a);", "[3,4,4]", 0, 0);
    SHAPE("[3,4,4]", "relu a; sigmoid b(x); add L(x, a, b);", "[3,4,4]", 0, 0);
    SHAPE("[3,4,4]", "relu a; mul L(x, a);", "[3,4,4]", 0, 0);
    SHAPE("[3,4,4]", "conv2d a(x, out=5, kernel=1); concat L(x, a);", "[8,4,4]", 0, 0);
    SHAPE("[3,4,4]", "conv2d a(x, out=5, kernel=1); concat L(x, a, axis=0);", "[8,4,4]", 0, 0);
    SHAPE("[3,4,4]", "conv2d a(x, out=5, kernel=1); concat L(x, a, axis=-3);", "[8,4,4]", 0, 0);
    SHAPE("[3,4,4]", "pad a(x, pad=[0,0,0,2]); concat L(x, a, axis=-1);", "[3,4,10]", 0, 0);
    SHAPE("[3,4,4]", "pad a(x, pad=[0,0,3,0]); concat L(x, a, x, axis=1);", "[3,15,4]", 0, 0);
    SHAPE("[6]", "dense a(out=4); concat L(x, a);", "[10]", 0, 0);
    ERROR("[3,4,4]", "conv2d a(x, out=5, kernel=1); add L(x, a);",
          "add 'L' cannot broadcast input 1 [3,4,4] with input 2 [5,4,4]");
    ERROR("[3,4,4]", "flatten f; mul L(x, f);", "mul 'L' cannot broadcast input 1 [3,4,4] with input 2 [48]");
    ERROR("[3,4,4]", "add L(x);", "add 'L' needs at least 2 inputs, got 1");
    ERROR("[3,4,4]", "add L;", "add 'L' needs at least 2 inputs, got 1");
    ERROR("[3,4,4]", "conv2d a(x, out=5, kernel=1); concat L(x, a, axis=1);",
          "concat 'L' along axis 1: input 2 is [5,4,4], input 1 is [3,4,4]");
    ERROR("[3,4,4]", "concat L(x, x, axis=3);", "axis 3 of concat 'L' is out of range for [3,4,4]");
    ERROR("[3,4,4]", "concat L(x, x, axis=-4);", "axis -4 of concat 'L' is out of range for [3,4,4]");
}

/* shapes as torch gives them: x[1:4], x[..., -5:-1], x[:, 1::3], x.reshape, x.permute,
 * x.mean(dims, keepdim); a constant's values are its parameters */
static void test_move_layers(void) {
    SHAPE("[6,7,8]", "slice L;", "[6,7,8]", 0, 0);
    SHAPE("[6,7,8]", "slice L(start=1, end=4);", "[3,7,8]", 0, 0);
    SHAPE("[6,7,8]", "slice L(axis=-1, start=-5, end=-1);", "[6,7,4]", 0, 0);
    SHAPE("[6,7,8]", "slice L(axis=1, start=1, step=3);", "[6,2,8]", 0, 0);
    SHAPE("[6,7,8]", "slice L(axis=2, start=-100, end=100, step=3);", "[6,7,3]", 0, 0);
    SHAPE("[6,7,8]", "slice L(start=-1);", "[1,7,8]", 0, 0);
    ERROR("[6,7,8]", "slice L(start=5, end=5);", "slice 'L' of [6,7,8] along axis 0 is empty");
    SHAPE("[6,4,4]", "channel_shuffle L(groups=3);", "[6,4,4]", 0, 0);
    SHAPE("[6,4,4]", "reshape L(shape=[4, -1, 2]);", "[4,12,2]", 0, 0);
    SHAPE("[6,4,4]", "reshape L(shape=-1);", "[96]", 0, 0);
    SHAPE("[6,4,4]", "reshape L(shape=[2, 3, 4, 4]);", "[2,3,4,4]", 0, 0);
    ERROR("[6,4,4]", "reshape L(shape=[2, 3, 2, 2, 4]);", "attribute 'shape' takes at most 4 entries, got 5");
    SHAPE("[2,3,4,5]", "transpose L(perm=[3, 1, 0, 2]);", "[5,3,2,4]", 0, 0);
    SHAPE("[2,3,4]", "transpose L(perm=[-1, 0, 1]);", "[4,2,3]", 0, 0);
    SHAPE("[2,3,4]", "reduce_mean L;", "[1,1,1]", 0, 0);
    SHAPE("[2,3,4]", "reduce_max L(keepdims=false);", "[1]", 0, 0);
    SHAPE("[2,3,4]", "reduce_sum L(axes=[0, -1], keepdims=false);", "[3]", 0, 0);
    SHAPE("[2,3,4]", "reduce_sum L(axes=1);", "[2,1,4]", 0, 0);
    SHAPE("[2,3,4]", "constant L(shape=[2, 3, 4]);", "[2,3,4]", 24, 0);
    SHAPE("[2,3,4]", "constant L(shape=5, value=[1, 2, 3, 4, 5]);", "[5]", 5, 0);
    ERROR("[2,3,4]", "constant L(x, shape=[2]);", "constant 'L' takes no input, got 1");
}

/* torch.broadcast_shapes of the per-sample shapes (the batch axis aside) */
static void test_broadcast(void) {
    static const char *const ops[] = {"add", "mul", "sub", "div", "max", "min"};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        const char *op = ops[i];
        SHAPE("[3,4,5]", xasprintf("global_avgpool g; %s L(x, g);", op), "[3,4,5]", 0, 0);
        SHAPE("[3,4,5]", xasprintf("global_avgpool g; %s L(g, x);", op), "[3,4,5]", 0, 0);
        SHAPE("[3,4,5]", xasprintf("conv2d p(out=1, kernel=1); %s L(x, p);", op), "[3,4,5]", 0, 0);
        SHAPE("[3,4,5]", xasprintf("flatten f; dense w(out=5); %s L(w, x);", op), "[3,4,5]", 0, 0);
        SHAPE("[3,4,5]", xasprintf("flatten f; dense o(out=1); %s L(x, o);", op), "[3,4,5]", 0, 0);
        SHAPE("[3,4,5]", xasprintf("avgpool2d c(kernel=[4,1]); avgpool2d r(x, kernel=[1,5]); %s L(c, r);", op),
              "[3,4,5]", 0, 0);
        SHAPE("[3,4,5]", xasprintf("avgpool2d c(kernel=[4,1]); global_avgpool g(x); %s L(c, g);", op), "[3,1,5]", 0,
              0);
        SHAPE("[6]", xasprintf("dense o(out=1); %s L(o, x);", op), "[6]", 0, 0);
        SHAPE("[6]", xasprintf("dense o(out=1); dense p(x, out=1); %s L(o, p);", op), "[1]", 0, 0);
        SHAPE("[2,6]", xasprintf("global_maxpool c; conv1d r(x, out=1, kernel=1); %s L(c, r);", op), "[2,6]", 0, 0);
        SHAPE("[2,6]", xasprintf("flatten f; dense v(out=6); %s L(v, x);", op), "[2,6]", 0, 0);
        ERROR("[3,4,5]", xasprintf("flatten f; dense v(out=4); %s L(v, x);", op),
              xasprintf("%s 'L' cannot broadcast input 1 [4] with input 2 [3,4,5]", op));
        ERROR("[3,4,5]", xasprintf("conv2d a(out=2, kernel=1); %s L(x, a);", op),
              xasprintf("%s 'L' cannot broadcast input 1 [3,4,5] with input 2 [2,4,5]", op));
    }
    /* several inputs: the one that set the clashing size is named */
    SHAPE("[3,4,5]", "global_avgpool g; avgpool2d c(x, kernel=[4,1]); max L(g, c, x, g);", "[3,4,5]", 0, 0);
    SHAPE("[3,4,5]", "global_avgpool g; conv2d p(x, out=1, kernel=1); add L(g, p, g);", "[3,4,5]", 0, 0);
    ERROR("[3,4,5]", "global_avgpool g; conv2d p(x, out=2, kernel=1); min L(g, x, g, p);",
          "min 'L' cannot broadcast input 1 [3,1,1] with input 4 [2,4,5]");
    ERROR("[3,4,5]", "global_avgpool g; flatten f(x); dense d(out=4); mul L(g, x, d);",
          "mul 'L' cannot broadcast input 2 [3,4,5] with input 3 [4]");
    ERROR("[3,4,5]", "sub L(x, x, x);", "sub 'L' takes exactly 2 inputs, got 3");
    ERROR("[3,4,5]", "div L(x);", "div 'L' takes exactly 2 inputs, got 1");
    /* an output larger than any input, too large */
    ERROR("[2,65536]", "global_avgpool g; conv1d a(out=65536, kernel=1); conv1d r(x, out=1, kernel=1); mul L(a, r);",
          "output of mul 'L' [65536,65536] has 4,294,967,296 elements; the limit is");
}

/* nn.PReLU(num_parameters=C) or nn.PReLU(): C or 1 parameters */
static void test_prelu(void) {
    SHAPE("[3,5,5]", "prelu L;", "[3,5,5]", 3, 0);
    SHAPE("[7]", "prelu L;", "[7]", 7, 0);
    SHAPE("[4,6]", "prelu L;", "[4,6]", 4, 0);
    SHAPE("[3,5,5]", "prelu L(weight=0.25);", "[3,5,5]", 1, 0);
    SHAPE("[3,5,5]", "prelu L(weight=[0.1, 0.2, 0.3]);", "[3,5,5]", 3, 0);
    ERROR("[3,5,5]", "prelu L(weight=[0.1, 0.2]);", "'weight' of prelu 'L' needs 3 values for shape [3] (or 1), got 2");
    ERROR("[3,5,5]", "prelu L(x, x);", "prelu 'L' takes exactly 1 input, got 2");
}

/* F.pad(x, (b_w, e_w, b_h, e_h)) */
static void test_pad_layer(void) {
    SHAPE("[3,8,8]", "pad L(pad=[1,2]);", "[3,10,12]", 0, 0);
    SHAPE("[3,8,8]", "pad L(pad=[1,0,2,3]);", "[3,11,11]", 0, 0);
    SHAPE("[3,8,8]", "pad L(pad=1, mode=reflect);", "[3,10,10]", 0, 0);
    SHAPE("[3,8,8]", "pad L(pad=7, mode=reflect);", "[3,22,22]", 0, 0);
    SHAPE("[3,8,8]", "pad L(pad=2, mode=constant, value=-1.5);", "[3,12,12]", 0, 0);
    SHAPE("[3,8,8]", "pad L(pad=valid);", "[3,8,8]", 0, 0);
    SHAPE("[2,5]", "pad L(pad=2);", "[2,9]", 0, 0);
    SHAPE("[2,5,5,5]", "pad L(pad=[1,0,0,0,0,1], mode=replicate);", "[2,6,5,6]", 0, 0);
    ERROR("[3,8,8]", "pad L(pad=8, mode=reflect);", "reflect padding of 'L' must be smaller than the input height (8)");
    ERROR("[3,8,8]", "pad L(pad=same);", "pad layer 'L' takes explicit padding, not 'same'");
    ERROR("[3,8,8]", "pad L;", "pad 'L' needs the attribute 'pad'");
    ERROR("[8]", "pad L(pad=1);", "pad 'L' needs a [C, ...] input with spatial dimensions, got [8]");
    ERROR("[3,8,8]", "pad L(pad=1, mode=wrap);", "attribute 'mode' takes zeros, constant, reflect or replicate");
}

/* shapes from PyTorch's F.interpolate and adaptive pools */
static void test_upsample(void) {
    SHAPE("[3,8,8]", "upsample L(scale=1.5);", "[3,12,12]", 0, 0);
    SHAPE("[3,8,8]", "upsample L(scale=[0.7, 2.5], mode=linear);", "[3,5,20]", 0, 0);
    SHAPE("[3,8,8]", "upsample L(size=[5, 9], mode=linear, align_corners=true);", "[3,5,9]", 0, 0);
    SHAPE("[1,100]", "upsample L(scale=0.29);", "[1,28]", 0, 0);   /* 100 * 0.29 = 28.999... */
    SHAPE("[2,3,5,7]", "upsample L(scale=[2, 1.5, 0.8], mode=linear);", "[2,6,7,5]", 0, 0);
    SHAPE("[2,7]", "upsample L(size=3);", "[2,3]", 0, 0);
    ERROR("[3,8,8]", "upsample L;", "upsample 'L' needs 'scale' or 'size'");
    ERROR("[3,8,8]", "upsample L(scale=2, size=4);", "upsample 'L' takes 'scale' or 'size', not both");
    ERROR("[3,8,8]", "upsample L(scale=2, align_corners=false);", "'align_corners' of upsample 'L' needs mode=linear");
    ERROR("[3,8,8]", "upsample L(scale=[2, 2, 2]);", "attribute 'scale' of a 2-D layer takes 1 or 2 values, got 3");
    ERROR("[3,8,8]", "upsample L(scale=-2);", "attribute 'scale' must be positive, got -2");
    ERROR("[1,3]", "upsample L(scale=0.2);", "upsample 'L': output width would be 0 (input 3, scale 0.2)");
    ERROR("[8]", "upsample L(scale=2);", "upsample 'L' needs a [C, ...] input with spatial dimensions, got [8]");
    SHAPE("[3,9,7]", "adaptive_avgpool2d L(out=[4, 11]);", "[3,4,11]", 0, 0);
    SHAPE("[2,5,6,7]", "adaptive_maxpool3d L(out=1);", "[2,1,1,1]", 0, 0);
    SHAPE("[2,5]", "adaptive_maxpool1d L(out=[8]);", "[2,8]", 0, 0);
    ERROR("[3,8,8]", "adaptive_avgpool2d L;", "adaptive_avgpool2d 'L' needs the attribute 'out'");
    ERROR("[3,8,8]", "adaptive_avgpool2d L(out=0);", "attribute 'out' must be positive, got 0");
    ERROR("[3,8]", "adaptive_maxpool2d L(out=2);", "adaptive_maxpool2d 'L' needs a 2-D input [C,H,W], got [3,8]");
}

/* ---- errors */

static void test_bad_numbers(void) {
    ERROR("[3,8,8]", "conv2d L(out=4, kernel=0);", "attribute 'kernel' must be positive, got 0");
    ERROR("[3,8,8]", "conv2d L(out=4, kernel=[3,0]);", "attribute 'kernel' must be positive, got 0");
    ERROR("[3,8,8]", "conv2d L(out=4, kernel=3, stride=0);", "attribute 'stride' must be positive, got 0");
    ERROR("[3,8,8]", "maxpool2d L(kernel=2, stride=0);", "attribute 'stride' must be positive, got 0");
    ERROR("[3,8,8]", "conv2d L(out=0, kernel=3);", "attribute 'out' must be positive, got 0");
    ERROR("[3,8,8]", "conv2d L(out=-4, kernel=3);", "attribute 'out' must be positive, got -4");
    ERROR("[3,8,8]", "conv2d L(out=4, kernel=3, pad=-1);", "attribute 'pad' must be zero or more, got -1");
    ERROR("[3,8,8]", "conv2d L(out=4, kernel=3, dilation=0);", "attribute 'dilation' must be positive, got 0");
    ERROR("[3,8,8]", "conv2d L(out=4.5, kernel=3);", "attribute 'out' takes an integer, got a number");
    ERROR("[3,8,8]", "conv2d L(out=4, kernel=3, bias=yes);", "attribute 'bias' takes true or false, got a name");
    ERROR("[3,8,8]", "conv2d L(out=4, kernel=[3,3,3]);", "attribute 'kernel' of a 2-D layer takes 1 or 2 values, got 3");
    ERROR("[3,8,8]", "conv2d L(out=4, kernel=3, stride=[1,2,3,4]);", "attribute 'stride'");
    ERROR("[3,0,8]", "relu L;", "input dimensions must be positive integers");
}

static void test_groups(void) {
    ERROR("[3,8,8]", "conv2d L(out=4, kernel=3, groups=2);", "groups=2 must divide the 3 input channels of 'L'");
    ERROR("[4,8,8]", "conv2d L(out=6, kernel=3, groups=4);", "groups=4 must divide the 6 output channels of 'L'");
    ERROR("[4,8,8]", "conv2d L(out=4, kernel=3, groups=0);", "attribute 'groups' must be positive, got 0");
}

static void test_collapse(void) {
    Net *n = ERROR("[3,8,8]", "conv2d L(out=4, kernel=9);",
                   "conv2d 'L': output height would be 0 (input 8, padding 0+0, kernel 9, dilation 1, stride 1)");
    CU_ASSERT_EQUAL(n->errors, 2);   /* height and width */
    ERROR("[3,8,8]", "conv2d L(out=4, kernel=[1,3], dilation=5);", "conv2d 'L': output width would be -2");
    ERROR("[1,2,2]", "maxpool2d L(kernel=3);", "maxpool2d 'L': output height would be 0");
    ERROR("[3,8,8]", "maxpool2d; maxpool2d; maxpool2d; maxpool2d L(kernel=2);", "needs the attribute 'kernel'");
    ERROR("[3,8,8]", "maxpool2d(kernel=2); maxpool2d(kernel=2); maxpool2d(kernel=2); maxpool2d L(kernel=2);",
          "maxpool2d 'L': output height would be 0 (input 1, padding 0+0, kernel 2, dilation 1, stride 2)");
    ERROR("[3,9]", "conv1d L(out=4, kernel=3, stride=2, pad=[0,0], dilation=5);", "conv1d 'L': output width would be 0");
}

/* one error, one message: the layers after a failed one are skipped */
static void test_no_cascade(void) {
    Net *n = ERROR("[3,8]", "conv2d a(out=4, kernel=3); relu; flatten; dense(out=3); add(x, dense_1);",
                   "conv2d 'a' needs a 2-D input");
    CHECK(n->errors == 1, "one error, got %d:\n%s", n->errors, n->err);
}

static void test_overflow(void) {
    ERROR("[2000000000,2000000000,2000000000]", "relu L;",
          "input 'x' [2000000000,2000000000,2000000000] has too many elements; the limit is 2,147,483,647");
    ERROR("[2,50000,50000]", "relu L;", "input 'x' [2,50000,50000] has too many elements");
    /* a layer that grows a legal input past the limit */
    ERROR("[1,40000,40000]", "conv2d L(out=2, kernel=1);",
          "output of conv2d 'L' [2,40000,40000] has 3,200,000,000 elements; the limit is 2,147,483,647");
    /* the input itself is a tensor the generated code takes: it is checked too */
    ERROR("[2000000000,2000000000,2000000000]", "", "2000000000");
    ERROR("[1,10]", "conv1d L(out=1, kernel=4611686018427387904);", "window is too large");
    ERROR("[1,10]", "conv1d L(out=1, kernel=3000000000, dilation=3000000000);", "window is too large");
    ERROR("[1,10]", "conv1d L(out=1, kernel=3, pad=4611686018427387904);", "window is too large");
    ERROR("[1,10]", "conv1d L(out=1, kernel=4611686018427387904, pad=same);", "overflows 64-bit arithmetic");
    ERROR("[100000]", "dense L(out=100000);",
          "parameter 'L.weight' [100000,100000] is too large: all parameters together are limited to 4,294,967,296 bytes");
    ERROR("[3,8,8]", "conv2d L(out=9223372036854775807, kernel=1);", "too many elements");
    /* each alone fits; together they pass the limit: the second is reported */
    ERROR("[50000]", "dense a(out=15000); dense L(out=50000);", "parameter 'L.weight' [50000,15000] is too large");
}

static void test_names(void) {
    Net *n = ERROR("[3]", "relu(y);", "unknown name 'y'");
    CU_ASSERT_EQUAL(n->errors, 1);
    ERROR("[3]", "relu(xx);", "note: did you mean 'x'?");
    n = ERROR("[3]", "relu(y); relu y;", "'y' is used before it is defined");
    CHECK(strstr(n->err, "note: 'y' is defined here; a layer may only use names above it") != NULL, "got:\n%s", n->err);
    n = ERROR("[3]", "relu r; relu r;", "redefinition of 'r'");
    CHECK(strstr(n->err, "note: previous definition is here") != NULL, "got:\n%s", n->err);
    ERROR("[3]", "relu x;", "redefinition of 'x'");
    ERROR("[3]", "relu r; output s;", "unknown name 's'");
    ERROR("[3]", "relu r(r);", "'r' cannot be an input of itself");
    ERROR("[3,8,8]", "conv2dd L(out=4, kernel=3);", "unknown layer kind 'conv2dd'");
    ERROR("[3,8,8]", "conv2dd L(out=4, kernel=3);", "note: did you mean 'conv2d'?");
    ERROR("[3,8,8]", "conv2d L(out=4, kernal=3);", "conv2d has no attribute 'kernal'");
    n = ERROR("[3,8,8]", "conv2d L(out=4, kernal=3);", "note: did you mean 'kernel'?");
    CHECK(n->errors == 1, "the missing 'kernel' is the same mistake: one error, got %d:\n%s", n->errors, n->err);
    ERROR("[3,8,8]", "conv2d L(kernel=3);", "conv2d 'L' needs the attribute 'out'");
    ERROR("[3,8,8]", "conv2d L(out=4, kernel=3, out=5);", "attribute 'out' given twice");
    ERROR("[3,8,8]", "relu L(x, x);", "relu 'L' takes exactly 1 input, got 2");
    ERROR("[3,8,8]", "conv2d L(out=1, kernel=3, weight=[1,2,3]);",
          "'weight' of conv2d 'L' needs 27 values for shape [1,3,3,3], got 3");
    ERROR("[3,8,8]", "conv2d L(out=1, kernel=1, bias=false, bias=[1]);", "attribute 'bias' given twice");
    ERROR("[3,8,8]", "relu L(weight=[1]);", "relu 'L' has no parameter 'weight'");
}

static void test_inline_params(void) {
    Net *n = compile("[1,4,4]", "conv2d L(out=1, kernel=3, pad=1, bias=false, weight=[1,0,-1, 2,0,-2, 1,0,-1]);");
    CHECK(net_ok(n), "Sobel compiles:\n%s", n->err);
    const Layer *L = net_layer(n, "L");
    if (L) {
        CU_ASSERT_EQUAL(L->ninl, 1);
        CU_ASSERT_EQUAL(L->nparams, 9);
    }
    n = compile("[2]", "dense L(out=2, weight=[[1,2],[3,4]], bias=[0.5, -0.5]);");
    CHECK(net_ok(n), "nested inline weights compile:\n%s", n->err);
    L = net_layer(n, "L");
    if (L) {
        CU_ASSERT_EQUAL_FATAL(L->ninl, 2);
        CU_ASSERT_EQUAL(L->inl[0].n, 4);
        CU_ASSERT_DOUBLE_EQUAL(L->inl[0].v[3], 4.0, 0);
        CU_ASSERT_DOUBLE_EQUAL(L->inl[1].v[1], -0.5, 0);
    }
}

void suite_shapes(void) {
    static const TestDef tests[] = {
        {"op table", test_op_table},
        {"every op compiles", test_every_op_compiles},
        {"window_out", test_window_out},
        {"conv1d", test_conv1d},
        {"conv2d", test_conv2d},
        {"conv asymmetric pad", test_conv_asymmetric_pad},
        {"conv pad=same", test_conv_same},
        {"conv_transpose", test_conv_transpose},
        {"conv3d", test_conv3d},
        {"depthwise and separable", test_depthwise_separable},
        {"conv parameter shapes", test_conv_param_shapes},
        {"local2d", test_local2d},
        {"pools", test_pools},
        {"pool ceil_mode", test_pool_ceil_mode},
        {"global pools", test_global_pools},
        {"norms", test_norms},
        {"activations", test_activations},
        {"softmax, flatten, dense, dropout", test_softmax_flatten_dense_dropout},
        {"add, mul, concat", test_merge},
        {"broadcasting: add, mul, sub, div, max, min", test_broadcast},
        {"prelu", test_prelu},
        {"pad layer", test_pad_layer},
        {"upsample and adaptive pools", test_upsample},
        {"slice, shuffle, reshape, transpose, reductions, constant", test_move_layers},
        {"bad numbers", test_bad_numbers},
        {"groups", test_groups},
        {"collapsing shapes", test_collapse},
        {"no cascade after an error", test_no_cascade},
        {"64-bit overflow", test_overflow},
        {"names", test_names},
        {"inline parameters", test_inline_params},
        {NULL, NULL},
    };
    add_suite("shapes", tests);
}
