/* test_report.c — the report (docs/language.md, section 7) against worked
 * figures of a classic CNN lecture (the 760-parameter convolution, LeNet-5,
 * the 1x1 bottleneck, the depthwise separable convolution), the JSON form
 * (parsed with cJSON: exactly the documented fields with their types), the
 * receptive field (1 + L*(K-1) for L KxK convolutions) and commas(). */
#include "suites.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <string.h>

static Net *compile(const char *dims, const char *stmts) {
    Net *n = net_compile(xasprintf("network t {\n  input x%s;\n  %s\n}\n", dims, stmts));
    CHECK(net_ok(n), "x%s; %s compiles:\n%s", dims, stmts, n->err);
    return n;
}

static int64_t total_params(const Net *n) {
    int64_t s = 0;
    for (int i = 1; i < n->u.g.n; i++) s += n->u.g.layers[i]->nparams;
    return s;
}

static int64_t total_macs(const Net *n) {
    int64_t s = 0;
    for (int i = 1; i < n->u.g.n; i++) s += n->u.g.layers[i]->macs;
    return s;
}

/* the layer has these parameters and MACs */
static void counts_at(int line, const Net *n, const char *name, int64_t params, int64_t macs) {
    const Layer *L = net_layer(n, name);
    check_at(L != NULL, line, __FILE__, "layer '%s' exists", name);
    if (!L) return;
    check_at(L->nparams == params, line, __FILE__, "%s: %s params, got %s", name, commas(params), commas(L->nparams));
    check_at(L->macs == macs, line, __FILE__, "%s: %s MACs, got %s", name, commas(macs), commas(L->macs));
}
#define COUNTS(n, name, params, macs) counts_at(__LINE__, n, name, params, macs)

static char *text_report(const Net *n, const Plan *plan) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    report_text(f, &n->u.g, 1234, plan);
    fclose(f);
    return buf;
}

static char *json_report(const Net *n, const Plan *plan) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    report_json(f, &n->u.g, 4096, plan);
    fclose(f);
    return buf;
}

static const char lenet5[] =
    "# LeNet-5 with 20 and 50 filters\n"
    "network lenet5 {\n"
    "    input image[1, 28, 28];\n"
    "    conv2d c1(out=20, kernel=5, pad=2);\n"
    "    relu;\n"
    "    maxpool2d(kernel=2, stride=2);\n"
    "    conv2d c2(out=50, kernel=5, pad=2);\n"
    "    relu;\n"
    "    maxpool2d(kernel=2);\n"
    "    flatten;\n"
    "    dense fc1(out=500);\n"
    "    relu;\n"
    "    dense fc2(out=10);\n"
    "    softmax;\n"
    "}\n";

/* a 3x32x32 input, 10 filters of 5x5 with padding 2 */
static void test_lecture_conv(void) {
    Net *n = compile("[3,32,32]", "conv2d c(out=10, kernel=5, pad=2);");
    COUNTS(n, "c", 760, 768000);
    char *t = text_report(n, NULL);
    CHECK(strstr(t, "Total params:      760\n") != NULL, "report:\n%s", t);
    CHECK(strstr(t, "Total MACs:        768,000\n") != NULL, "report:\n%s", t);
    CHECK(strstr(t, "Total FLOPs:       1,536,000\n") != NULL, "report:\n%s", t);
}

static void test_lenet5(void) {
    Net *n = net_compile(lenet5);
    CHECK(net_ok(n), "LeNet-5 compiles:\n%s", n->err);
    COUNTS(n, "c1", 520, 392000);
    COUNTS(n, "c2", 25050, 4900000);
    COUNTS(n, "fc1", 1225500, 1225000);
    COUNTS(n, "fc2", 5010, 5000);
    COUNTS(n, "relu_1", 0, 0);
    COUNTS(n, "maxpool2d_2", 0, 0);
    CU_ASSERT_EQUAL(total_params(n), 1256080);
    CU_ASSERT_EQUAL(total_macs(n), 6522000);
    const Layer *f = net_layer(n, "flatten_1");
    if (f) CU_ASSERT_STRING_EQUAL(shape_str(&f->shape), "[2450]");

    char *t = text_report(n, NULL);
    static const char *const want[] = {
        "network lenet5: input image [1,28,28]\n",
        "c1           conv2d     [20,28,28]             520           392,000\n",
        "c2           conv2d     [50,14,14]          25,050         4,900,000\n",
        "fc1          dense      [500]            1,225,500         1,225,000\n",
        "fc2          dense      [10]                 5,010             5,000\n",
        "Total params:      1,256,080\n",
        "Total MACs:        6,522,000\n",
        "Total FLOPs:       13,044,000\n",
        "Parameter bytes:   5,024,320 (4.79 MiB)\n",
        "Scratch bytes:     1,234 (1.21 KiB)\n",
        "Receptive field:   28x28\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        CHECK(strstr(t, want[i]) != NULL, "report has '%s':\n%s", want[i], t);
    CHECK(strstr(t, "Kernels") == NULL, "no kernel list without a plan");
}

/* the bottleneck: on 256x64x64, a direct 3x3 256->256 against 1x1 256->64 then 3x3 64->256 */
static void test_bottleneck(void) {
    Net *n = compile("[256,64,64]", "conv2d direct(out=256, kernel=3);");
    COUNTS(n, "direct", 590080, INT64_C(2267283456));
    n = compile("[256,64,64]", "conv2d reduce(out=64, kernel=1); conv2d expand(out=256, kernel=3);");
    COUNTS(n, "reduce", 16448, 67108864);
    COUNTS(n, "expand", 147712, 566820864);
    CU_ASSERT_EQUAL(total_params(n), 164160);
    CU_ASSERT_EQUAL(total_macs(n), 633929728);
    char *t = text_report(n, NULL);
    CHECK(strstr(t, "Total params:      164,160\n") != NULL, "report:\n%s", t);
}

/* depthwise separable: 128x32x32, depthwise 3x3 then pointwise 128->256, no biases */
static void test_depthwise_separable(void) {
    Net *n = compile("[128,32,32]",
                     "depthwise_conv2d dw(kernel=3, pad=1, bias=false);"
                     " conv2d pw(out=256, kernel=1, bias=false);");
    COUNTS(n, "dw", 1152, 1179648);
    COUNTS(n, "pw", 32768, 33554432);
    CU_ASSERT_EQUAL(total_params(n), 33920);
    CU_ASSERT_EQUAL(total_macs(n), 34734080);
    n = compile("[128,32,32]", "separable_conv2d sep(out=256, kernel=3, pad=1, bias=false);");
    COUNTS(n, "sep", 33920, 34734080);
    const Layer *L = net_layer(n, "sep");
    if (L) CU_ASSERT_STRING_EQUAL(shape_str(&L->shape), "[256,32,32]");
    /* against the standard 3x3 128->256 it replaces */
    n = compile("[128,32,32]", "conv2d std(out=256, kernel=3, pad=1, bias=false);");
    COUNTS(n, "std", 294912, 301989888);
}

/* ---- JSON */

static bool is_int(const cJSON *v) {
    return cJSON_IsNumber(v) && v->valuedouble == floor(v->valuedouble);
}

static bool has_exactly(const cJSON *obj, const char *const *keys, int n) {
    int count = 0;
    for (const cJSON *c = obj->child; c; c = c->next) {
        bool known = false;
        for (int i = 0; i < n; i++) known |= strcmp(c->string, keys[i]) == 0;
        CHECK(known, "unexpected field '%s'", c->string);
        count++;
    }
    for (int i = 0; i < n; i++) CHECK(cJSON_GetObjectItemCaseSensitive(obj, keys[i]) != NULL, "field '%s'", keys[i]);
    return count == n;
}

static bool all(const cJSON *arr, bool (*pred)(const cJSON *)) {
    if (!cJSON_IsArray(arr)) return false;
    for (const cJSON *c = arr->child; c; c = c->next)
        if (!pred(c)) return false;
    return true;
}

static bool is_string(const cJSON *v) { return cJSON_IsString(v) != 0; }

static void test_json_fields(void) {
    Net *n = net_compile(lenet5);
    CU_ASSERT_TRUE_FATAL(net_ok(n));
    Plan plan;
    pipeline_plan(&n->u, opt_level(2), NULL);
    plan = n->u.plan;
    char *text = json_report(n, &plan);
    cJSON *j = cJSON_Parse(text);
    CHECK(j != NULL, "the JSON report parses:\n%s", text);
    if (!j) return;
    static const char *const top[] = {"network", "layers", "total_params", "total_macs", "param_bytes",
                                      "scratch_bytes", "receptive_field", "kernels"};
    CHECK(has_exactly(j, top, 8), "exactly the 8 documented fields");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "network");
    CU_ASSERT_TRUE(cJSON_IsString(v) && strcmp(v->valuestring, "lenet5") == 0);
    v = cJSON_GetObjectItemCaseSensitive(j, "total_params");
    CU_ASSERT_TRUE(is_int(v) && v->valuedouble == 1256080);
    v = cJSON_GetObjectItemCaseSensitive(j, "total_macs");
    CU_ASSERT_TRUE(is_int(v) && v->valuedouble == 6522000);
    v = cJSON_GetObjectItemCaseSensitive(j, "param_bytes");
    CU_ASSERT_TRUE(is_int(v) && v->valuedouble == 4 * 1256080);
    v = cJSON_GetObjectItemCaseSensitive(j, "scratch_bytes");
    CU_ASSERT_TRUE(is_int(v) && v->valuedouble == 4096);
    v = cJSON_GetObjectItemCaseSensitive(j, "receptive_field");
    CU_ASSERT_TRUE(all(v, is_int) && cJSON_GetArraySize(v) == 2);

    const cJSON *layers = cJSON_GetObjectItemCaseSensitive(j, "layers");
    CU_ASSERT_TRUE_FATAL(cJSON_IsArray(layers));
    CU_ASSERT_EQUAL(cJSON_GetArraySize(layers), n->u.g.n - 1);   /* the input is not a row */
    static const char *const lk[] = {"name", "op", "inputs", "shape", "params", "macs"};
    int i = 1;
    for (const cJSON *L = layers->child; L; L = L->next, i++) {
        CU_ASSERT_TRUE(has_exactly(L, lk, 6));
        const Layer *want = i < n->u.g.n ? n->u.g.layers[i] : NULL;
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(L, "name");
        const cJSON *op = cJSON_GetObjectItemCaseSensitive(L, "op");
        CU_ASSERT_TRUE(cJSON_IsString(name) && cJSON_IsString(op));
        CU_ASSERT_TRUE(all(cJSON_GetObjectItemCaseSensitive(L, "inputs"), is_string));
        CU_ASSERT_TRUE(all(cJSON_GetObjectItemCaseSensitive(L, "shape"), is_int));
        CU_ASSERT_TRUE(is_int(cJSON_GetObjectItemCaseSensitive(L, "params")));
        CU_ASSERT_TRUE(is_int(cJSON_GetObjectItemCaseSensitive(L, "macs")));
        if (!want || !cJSON_IsString(name)) continue;
        CU_ASSERT_STRING_EQUAL(name->valuestring, want->name);
        CU_ASSERT_STRING_EQUAL(op->valuestring, want->op->name);
        CU_ASSERT_EQUAL(cJSON_GetObjectItemCaseSensitive(L, "params")->valuedouble, (double)want->nparams);
        CU_ASSERT_EQUAL(cJSON_GetObjectItemCaseSensitive(L, "macs")->valuedouble, (double)want->macs);
        const cJSON *shape = cJSON_GetObjectItemCaseSensitive(L, "shape");
        CU_ASSERT_EQUAL(cJSON_GetArraySize(shape), want->shape.rank);
        for (int d = 0; d < want->shape.rank && d < cJSON_GetArraySize(shape); d++)
            CU_ASSERT_EQUAL(cJSON_GetArrayItem(shape, d)->valuedouble, (double)want->shape.dim[d]);
        const cJSON *ins = cJSON_GetObjectItemCaseSensitive(L, "inputs");
        CU_ASSERT_EQUAL(cJSON_GetArraySize(ins), want->nin);
        if (want->nin > 0 && cJSON_GetArraySize(ins) > 0)
            CU_ASSERT_STRING_EQUAL(cJSON_GetArrayItem(ins, 0)->valuestring, n->u.g.layers[want->in[0]]->name);
    }

    const cJSON *kernels = cJSON_GetObjectItemCaseSensitive(j, "kernels");
    CU_ASSERT_TRUE_FATAL(cJSON_IsArray(kernels));
    CU_ASSERT_EQUAL(cJSON_GetArraySize(kernels), plan.nkernels);
    static const char *const kk[] = {"name", "layers"};
    for (const cJSON *K = kernels->child; K; K = K->next) {
        CU_ASSERT_TRUE(has_exactly(K, kk, 2));
        CU_ASSERT_TRUE(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(K, "name")));
        const cJSON *kl = cJSON_GetObjectItemCaseSensitive(K, "layers");
        CU_ASSERT_TRUE(all(kl, is_string) && cJSON_GetArraySize(kl) >= 1);
    }
    cJSON_Delete(j);
}

/* without a plan "kernels" is an empty list; a vector network has an empty
 * receptive field; the JSON is deterministic */
static void test_json_edges(void) {
    Net *n = compile("[16]", "dense a(out=4); relu; dense b(out=2);");
    char *text = json_report(n, NULL);
    cJSON *j = cJSON_Parse(text);
    CHECK(j != NULL, "parses:\n%s", text);
    if (!j) return;
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(j, "kernels");
    CU_ASSERT_TRUE(cJSON_IsArray(k) && cJSON_GetArraySize(k) == 0);
    const cJSON *rf = cJSON_GetObjectItemCaseSensitive(j, "receptive_field");
    CU_ASSERT_TRUE(cJSON_IsArray(rf) && cJSON_GetArraySize(rf) == 0);
    CU_ASSERT_EQUAL(cJSON_GetObjectItemCaseSensitive(j, "total_params")->valuedouble, 16 * 4 + 4 + 4 * 2 + 2);
    cJSON_Delete(j);
    CU_ASSERT_STRING_EQUAL(text, json_report(n, NULL));
    /* multi-input layers list every input, in order */
    n = compile("[3,4,4]", "relu a; sigmoid b(x); concat c(b, x, a);");
    j = cJSON_Parse(json_report(n, NULL));
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    const cJSON *last = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "layers"), 2);
    const cJSON *ins = cJSON_GetObjectItemCaseSensitive(last, "inputs");
    CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(ins), 3);
    CU_ASSERT_STRING_EQUAL(cJSON_GetArrayItem(ins, 0)->valuestring, "b");
    CU_ASSERT_STRING_EQUAL(cJSON_GetArrayItem(ins, 1)->valuestring, "x");
    CU_ASSERT_STRING_EQUAL(cJSON_GetArrayItem(ins, 2)->valuestring, "a");
    cJSON_Delete(j);
}

/* ---- receptive field (docs/language.md, section 4) */

static void rf_at(int line, const char *dims, const char *stmts, int nd, const int64_t *want) {
    Net *n = compile(dims, stmts);
    if (!net_ok(n)) return;
    int64_t rf[MAX_SPATIAL];
    int got = receptive_field(&n->u.g, rf);
    check_at(got == nd, line, __FILE__, "x%s; %s: %d entries, got %d", dims, stmts, nd, got);
    for (int d = 0; d < nd && d < got; d++)
        check_at(rf[d] == want[d], line, __FILE__, "x%s; %s: dim %d is %lld, got %lld", dims, stmts, d,
                 (long long)want[d], (long long)rf[d]);
}
#define RF(dims, stmts, nd, ...) rf_at(__LINE__, dims, stmts, nd, (const int64_t[]){__VA_ARGS__})

static void test_receptive_field(void) {
    /* 1 + L*(K-1) */
    RF("[3,32,32]", "conv2d(out=4, kernel=3); conv2d(out=4, kernel=3);", 2, 5, 5);
    RF("[3,32,32]", "conv2d(out=4, kernel=3, pad=1); relu; conv2d(out=4, kernel=3, pad=1);", 2, 5, 5);
    RF("[3,32,32]", "conv2d(out=4, kernel=5); conv2d(out=4, kernel=5); conv2d(out=4, kernel=5);", 2, 13, 13);
    RF("[3,32,32]", "conv2d(out=4, kernel=3);", 2, 3, 3);
    RF("[3,32,32]", "relu;", 2, 1, 1);
    /* strides multiply what follows: 3 + (3-1)*2 */
    RF("[3,32,32]", "conv2d(out=4, kernel=3, stride=2); conv2d(out=4, kernel=3);", 2, 7, 7);
    RF("[3,32,32]", "maxpool2d(kernel=2); conv2d(out=4, kernel=3);", 2, 6, 6);
    /* dilation: a 3x3 with dilation 2 spans 5 */
    RF("[3,32,32]", "conv2d(out=4, kernel=3, dilation=2);", 2, 5, 5);
    RF("[3,32,32]", "conv2d(out=4, kernel=[3,1]);", 2, 3, 1);
    /* a branch: the widest path */
    RF("[3,32,32]", "conv2d a(out=3, kernel=3, pad=1); conv2d b(a, out=3, kernel=3, pad=1); add(x, b);", 2, 5, 5);
    /* global layers see everything */
    RF("[3,32,32]", "conv2d(out=4, kernel=3); global_avgpool;", 2, 32, 32);
    RF("[3,32,32]", "conv2d(out=4, kernel=3); flatten; dense(out=2);", 2, 32, 32);
    RF("[2,100]", "conv1d(out=4, kernel=7); conv1d(out=4, kernel=7);", 1, 13);
    RF("[1,9,9,9]", "conv3d(out=2, kernel=3); conv3d(out=2, kernel=3);", 3, 5, 5, 5);
    RF("[16]", "dense(out=3);", 0, 0);
    /* positions mapped other than by a window, followed back exactly: a
     * nearest upsample reads 1 position, a linear one 2; after x2, three
     * neighbours read 2 inputs */
    RF("[1,16,16]", "upsample(scale=2);", 2, 1, 1);
    RF("[1,16,16]", "upsample(scale=2, mode=linear);", 2, 2, 2);
    RF("[1,16,16]", "upsample(scale=2, mode=cubic);", 2, 4, 4);
    RF("[1,16,16]", "upsample(scale=2); conv2d(out=1, kernel=3, pad=1);", 2, 2, 2);
    RF("[1,16,16]", "maxpool2d(kernel=2); upsample(scale=2);", 2, 2, 2);
    /* a transposed conv of kernel 2, stride 2 reads 1 input; of kernel 4,
     * stride 2, pad 1 two, and three neighbours read 3 */
    RF("[1,8,8]", "conv_transpose2d(out=1, kernel=2, stride=2);", 2, 1, 1);
    RF("[1,8,8]", "conv_transpose2d(out=1, kernel=3, stride=2, pad=1);", 2, 2, 2);   /* odd outputs: 2 */
    RF("[1,8,8]", "conv_transpose2d(out=1, kernel=4, stride=2, pad=1);", 2, 2, 2);
    RF("[1,8,8]", "conv_transpose2d(out=1, kernel=4, stride=2, pad=1); conv2d(out=1, kernel=3, pad=1);", 2, 3, 3);
    /* adaptive 10 -> 4: windows [0,3) [2,5) [5,8) [7,10); three neighbours
     * from [0,3) to [5,8), or [2,5) to [7,10): 8 */
    RF("[1,10,10]", "adaptive_avgpool2d(out=4);", 2, 3, 3);
    RF("[1,10,10]", "adaptive_avgpool2d(out=4); conv2d(out=1, kernel=3, pad=1);", 2, 8, 8);

    Net *n = compile("[3,32,32]", "conv2d(out=4, kernel=3); conv2d(out=4, kernel=3);");
    char *t = text_report(n, NULL);
    CHECK(strstr(t, "Receptive field:   5x5\n") != NULL, "report:\n%s", t);
    char *js = json_report(n, NULL);
    CHECK(strstr(js, "\"receptive_field\": [5, 5]") != NULL, "json:\n%s", js);
    n = compile("[16]", "dense(out=3);");
    t = text_report(n, NULL);
    CHECK(strstr(t, "Receptive field:   - (vector input)\n") != NULL, "report:\n%s", t);
}

static void test_text_layout(void) {
    /* an explicit output that is not the last statement is marked */
    Net *n = compile("[3,8,8]", "conv2d c(out=2, kernel=1); relu r; output c;");
    char *t = text_report(n, NULL);
    CHECK(strstr(t, "(output)") != NULL, "the output is marked:\n%s", t);
    /* one row per layer, the input is the header */
    int rows = 0;
    for (const char *p = t; (p = strstr(p, "conv2d")) != NULL; p++) rows++;
    CU_ASSERT_EQUAL(rows, 1);
    /* a long name widens the table up to 40 columns */
    n = compile("[3]", "relu a_very_long_layer_name_that_goes_on_and_on_and_on_forever;");
    t = text_report(n, NULL);
    CHECK(strstr(t, "a_very_long_layer_name_that_goes_on_and_  relu") != NULL, "name column cut at 40:\n%s", t);
}

static void test_commas(void) {
    CU_ASSERT_STRING_EQUAL(commas(0), "0");
    CU_ASSERT_STRING_EQUAL(commas(7), "7");
    CU_ASSERT_STRING_EQUAL(commas(999), "999");
    CU_ASSERT_STRING_EQUAL(commas(1000), "1,000");
    CU_ASSERT_STRING_EQUAL(commas(760), "760");
    CU_ASSERT_STRING_EQUAL(commas(768000), "768,000");
    CU_ASSERT_STRING_EQUAL(commas(1256080), "1,256,080");
    CU_ASSERT_STRING_EQUAL(commas(INT64_C(2267283456)), "2,267,283,456");
    CU_ASSERT_STRING_EQUAL(commas(100000), "100,000");
    CU_ASSERT_STRING_EQUAL(commas(-1234567), "-1,234,567");
    CU_ASSERT_STRING_EQUAL(commas(-999), "-999");
    CU_ASSERT_STRING_EQUAL(commas(INT64_MAX), "9,223,372,036,854,775,807");
    CU_ASSERT_STRING_EQUAL(commas(INT64_MIN), "-9,223,372,036,854,775,808");
    /* a ring of buffers: several results live at once */
    const char *a = commas(1000), *b = commas(2000), *c = commas(3000);
    CU_ASSERT_STRING_EQUAL(a, "1,000");
    CU_ASSERT_STRING_EQUAL(b, "2,000");
    CU_ASSERT_STRING_EQUAL(c, "3,000");
}

void suite_report(void) {
    static const TestDef tests[] = {
        {"3x32x32, 10 filters 5x5: 760 parameters", test_lecture_conv},
        {"LeNet-5", test_lenet5},
        {"1x1 bottleneck", test_bottleneck},
        {"depthwise separable", test_depthwise_separable},
        {"JSON fields and types", test_json_fields},
        {"JSON edge cases", test_json_edges},
        {"receptive field", test_receptive_field},
        {"text layout", test_text_layout},
        {"commas", test_commas},
        {NULL, NULL},
    };
    add_suite("report", tests);
}
