/* test_lexer_parser.c — grammar/lexer.l, grammar/parser.y and ast.c through
 * parse_program(): every statement form, comments, values of every kind and
 * their locations, syntax errors (counted, one per mistake, with recovery),
 * lexer errors; and graph.c's naming of layers (OP_K) and input chaining. */
#include "suites.h"

#include <string.h>

/* parse src with stderr captured; *errors = errors it caused */
static bool parse(const char *src, Program *p, int *errors, char **err) {
    memset(p, 0, sizeof *p);
    char *text = xstrdup(src);
    capture_begin();
    diag_init("test.cnn", text, strlen(text));
    int before = diag_error_count();
    bool ok = parse_program(text, strlen(text), p);
    char *e = capture_end();
    if (err) *err = e;
    if (errors) *errors = diag_error_count() - before;
    return ok;
}

/* the single layer of "network n { input x[1]; LAYER }" */
static const Stmt *one_layer(const char *layer) {
    static Program p;
    char *src = xasprintf("network n { input x[1]; %s }", layer);
    int errors;
    bool ok = parse(src, &p, &errors, NULL);
    CHECK(ok && errors == 0 && p.n == 2, "'%s' parses (errors %d, statements %d)", layer, errors, p.n);
    return p.n == 2 ? p.stmts[1] : NULL;
}

/* the value of the first attribute of "relu(k=VALUE);" */
static const Value *one_value(const char *text) {
    char *layer = xasprintf("relu(k=%s);", text);
    const Stmt *st = one_layer(layer);
    if (!st || st->nargs != 1) return NULL;
    return st->args[0].val;
}

static void test_network_and_input(void) {
    Program p;
    int errors;
    CU_ASSERT_TRUE(parse("network lenet5 {\n  input image[1, 28, 28];\n}\n", &p, &errors, NULL));
    CU_ASSERT_EQUAL(errors, 0);
    CU_ASSERT_STRING_EQUAL(p.name, "lenet5");
    CU_ASSERT_EQUAL(p.loc.line, 1);
    CU_ASSERT_EQUAL(p.loc.col, 9);
    CU_ASSERT_EQUAL(p.loc.len, 6);
    CU_ASSERT_EQUAL_FATAL(p.n, 1);
    const Stmt *st = p.stmts[0];
    CU_ASSERT_EQUAL(st->kind, ST_INPUT);
    CU_ASSERT_STRING_EQUAL(st->name, "image");
    CU_ASSERT_EQUAL(st->loc.line, 2);
    CU_ASSERT_EQUAL(st->loc.col, 3);
    CU_ASSERT_EQUAL(st->name_loc.line, 2);
    CU_ASSERT_EQUAL(st->name_loc.col, 9);
    CU_ASSERT_EQUAL(st->name_loc.len, 5);
    CU_ASSERT_EQUAL_FATAL(st->ndims, 3);
    int64_t want[3] = {1, 28, 28};
    for (int i = 0; i < 3; i++) {
        CU_ASSERT_EQUAL(st->dims[i]->kind, VAL_INT);
        CU_ASSERT_EQUAL(st->dims[i]->i, want[i]);
    }
    CU_ASSERT_EQUAL(st->dims[1]->loc.col, 18);
    CU_ASSERT_EQUAL(st->dims[1]->loc.len, 2);
}

static void test_statement_forms(void) {
    Program p;
    int errors;
    const char *src =
        "network n {\n"
        "  input x[3, 8, 8];\n"                           /* 0 */
        "  weights \"w.safetensors\";\n"                  /* 1 */
        "  relu;\n"                                       /* 2 */
        "  relu r;\n"                                     /* 3 */
        "  sigmoid();\n"                                  /* 4 */
        "  tanh t();\n"                                   /* 5 */
        "  conv2d c(out=4, kernel=3);\n"                  /* 6 */
        "  add s(r, c);\n"                                /* 7 */
        "  concat(x, s, axis=0);\n"                       /* 8 */
        "  output s;\n"                                   /* 9 */
        "}\n";
    CU_ASSERT_TRUE(parse(src, &p, &errors, NULL));
    CU_ASSERT_EQUAL(errors, 0);
    CU_ASSERT_EQUAL_FATAL(p.n, 10);
    const Stmt *const *s = (const Stmt *const *)p.stmts;

    CU_ASSERT_EQUAL(s[1]->kind, ST_WEIGHTS);
    CU_ASSERT_STRING_EQUAL(s[1]->path, "w.safetensors");

    CU_ASSERT_EQUAL(s[2]->kind, ST_LAYER);
    CU_ASSERT_STRING_EQUAL(s[2]->op, "relu");
    CU_ASSERT_PTR_NULL(s[2]->name);
    CU_ASSERT_EQUAL(s[2]->nargs, 0);
    CU_ASSERT_EQUAL(s[2]->loc.line, 4);
    CU_ASSERT_EQUAL(s[2]->loc.col, 3);
    CU_ASSERT_EQUAL(s[2]->loc.len, 4);

    CU_ASSERT_STRING_EQUAL(s[3]->op, "relu");
    CU_ASSERT_STRING_EQUAL(s[3]->name, "r");
    CU_ASSERT_EQUAL(s[3]->name_loc.col, 8);

    CU_ASSERT_STRING_EQUAL(s[4]->op, "sigmoid");
    CU_ASSERT_PTR_NULL(s[4]->name);
    CU_ASSERT_EQUAL(s[4]->nargs, 0);
    CU_ASSERT_STRING_EQUAL(s[5]->op, "tanh");
    CU_ASSERT_STRING_EQUAL(s[5]->name, "t");
    CU_ASSERT_EQUAL(s[5]->nargs, 0);

    const Stmt *c = s[6];
    CU_ASSERT_STRING_EQUAL(c->op, "conv2d");
    CU_ASSERT_STRING_EQUAL(c->name, "c");
    CU_ASSERT_EQUAL_FATAL(c->nargs, 2);
    CU_ASSERT_STRING_EQUAL(c->args[0].key, "out");
    CU_ASSERT_EQUAL(c->args[0].loc.col, 12);
    CU_ASSERT_EQUAL(c->args[0].loc.len, 3);
    CU_ASSERT_EQUAL(c->args[0].val->kind, VAL_INT);
    CU_ASSERT_EQUAL(c->args[0].val->i, 4);
    CU_ASSERT_STRING_EQUAL(c->args[1].key, "kernel");
    CU_ASSERT_EQUAL(c->args[1].val->i, 3);

    const Stmt *a = s[7];
    CU_ASSERT_STRING_EQUAL(a->op, "add");
    CU_ASSERT_EQUAL_FATAL(a->nargs, 2);
    CU_ASSERT_PTR_NULL(a->args[0].key);    /* positional: an input */
    CU_ASSERT_EQUAL(a->args[0].val->kind, VAL_WORD);
    CU_ASSERT_STRING_EQUAL(a->args[0].val->s, "r");
    CU_ASSERT_STRING_EQUAL(a->args[1].val->s, "c");
    CU_ASSERT_EQUAL(a->args[1].loc.col, 12);

    const Stmt *cat = s[8];
    CU_ASSERT_EQUAL_FATAL(cat->nargs, 3);
    CU_ASSERT_PTR_NULL(cat->args[0].key);
    CU_ASSERT_PTR_NULL(cat->args[1].key);
    CU_ASSERT_STRING_EQUAL(cat->args[2].key, "axis");

    CU_ASSERT_EQUAL(s[9]->kind, ST_OUTPUT);
    CU_ASSERT_STRING_EQUAL(s[9]->name, "s");
    CU_ASSERT_EQUAL(s[9]->name_loc.line, 11);
    CU_ASSERT_EQUAL(s[9]->name_loc.col, 10);
}

static void test_comments_and_whitespace(void) {
    Program p;
    int errors;
    const char *src =
        "# a comment before the network\n"
        "// and another one\n"
        "network n { # after the brace\n"
        "\tinput x[3]; // trailing\n"
        "  weights \"a#b//c.safetensors\";  # inside a string it is not a comment\n"
        "  relu; #relu;\n"
        "  // sigmoid;\n"
        "}\n"
        "# the end, without a newline";
    CU_ASSERT_TRUE(parse(src, &p, &errors, NULL));
    CU_ASSERT_EQUAL(errors, 0);
    CU_ASSERT_EQUAL_FATAL(p.n, 3);
    CU_ASSERT_STRING_EQUAL(p.stmts[1]->path, "a#b//c.safetensors");
    CU_ASSERT_STRING_EQUAL(p.stmts[2]->op, "relu");
    CU_ASSERT_EQUAL(p.stmts[2]->loc.line, 6);
    /* a tab is one column */
    CU_ASSERT_EQUAL(p.stmts[0]->loc.col, 2);

    /* CRLF line ends: lines still count */
    CU_ASSERT_TRUE(parse("network n {\r\n  input x[3];\r\n  relu;\r\n}\r\n", &p, &errors, NULL));
    CU_ASSERT_EQUAL(errors, 0);
    CU_ASSERT_EQUAL_FATAL(p.n, 2);
    CU_ASSERT_EQUAL(p.stmts[1]->loc.line, 3);
    CU_ASSERT_EQUAL(p.stmts[1]->loc.col, 3);

    /* no whitespace at all */
    CU_ASSERT_TRUE(parse("network n{input x[3];relu r(x);}", &p, &errors, NULL));
    CU_ASSERT_EQUAL(errors, 0);
    CU_ASSERT_EQUAL(p.n, 2);
}

static void test_integers(void) {
    const Value *v = one_value("42");
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    CU_ASSERT_EQUAL(v->kind, VAL_INT);
    CU_ASSERT_EQUAL(v->i, 42);
    CU_ASSERT_DOUBLE_EQUAL(v->f, 42.0, 0);

    v = one_value("-3");
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    CU_ASSERT_EQUAL(v->kind, VAL_INT);
    CU_ASSERT_EQUAL(v->i, -3);
    CU_ASSERT_DOUBLE_EQUAL(v->f, -3.0, 0);
    CU_ASSERT_EQUAL(v->loc.col, 32);   /* "network n { input x[1]; relu(k=" is 31 */
    CU_ASSERT_EQUAL(v->loc.len, 2);    /* the '-' is part of it */

    v = one_value("- 7");              /* a sign may stand apart */
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    CU_ASSERT_EQUAL(v->i, -7);

    v = one_value("9223372036854775807");
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    CU_ASSERT_EQUAL(v->i, INT64_MAX);

    v = one_value("007");
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    CU_ASSERT_EQUAL(v->i, 7);          /* decimal, not octal */
}

static void test_integer_overflow(void) {
    Program p;
    int errors;
    char *err;
    CU_ASSERT_FALSE(parse("network n { input x[1]; relu(k=99999999999999999999); }", &p, &errors, &err));
    CU_ASSERT_EQUAL(errors, 1);
    CHECK(strstr(err, "test.cnn:1:32: error: integer literal '99999999999999999999' does not fit in 64 bits") != NULL,
          "overflow message, got: %s", err);
    CU_ASSERT_FALSE(parse("network n { input x[1]; relu(k=9223372036854775808); }", &p, &errors, NULL));
    CU_ASSERT_EQUAL(errors, 1);
    CU_ASSERT_FALSE(parse("network n { input x[99999999999999999999]; }", &p, &errors, NULL));
    CU_ASSERT_EQUAL(errors, 1);
    /* a very long literal is shortened in the message */
    char *big = xasprintf("network n { input x[1]; relu(k=%0200d1); }", 0);
    memset(strstr(big, "k=") + 2, '9', 201);
    CU_ASSERT_FALSE(parse(big, &p, &errors, &err));
    CU_ASSERT_EQUAL(errors, 1);
    CHECK(strstr(err, "...' does not fit in 64 bits") != NULL, "long literal shortened, got: %.300s", err);
}

static void test_floats(void) {
    static const struct { const char *text; double want; } cases[] = {
        {"1e-5", 1e-5}, {".5", 0.5}, {"2.", 2.0}, {"0.25", 0.25}, {"1E3", 1000.0},
        {"3.5e+2", 350.0}, {"-0.5", -0.5}, {"-.5e1", -5.0}, {"1e0", 1.0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const Value *v = one_value(cases[i].text);
        CHECK(v && v->kind == VAL_FLOAT, "'%s' is a float", cases[i].text);
        if (v) CHECK(v->f == cases[i].want, "'%s' = %g, got %g", cases[i].text, cases[i].want, v->f);
    }
}

static void test_bools_words_strings(void) {
    const Value *v = one_value("true");
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    CU_ASSERT_EQUAL(v->kind, VAL_BOOL);
    CU_ASSERT_EQUAL(v->i, 1);
    v = one_value("false");
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    CU_ASSERT_EQUAL(v->kind, VAL_BOOL);
    CU_ASSERT_EQUAL(v->i, 0);
    v = one_value("same");
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    CU_ASSERT_EQUAL(v->kind, VAL_WORD);
    CU_ASSERT_STRING_EQUAL(v->s, "same");
    v = one_value("True");   /* only lowercase true is the boolean */
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    CU_ASSERT_EQUAL(v->kind, VAL_WORD);
    v = one_value("\"some file.bin\"");
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    CU_ASSERT_EQUAL(v->kind, VAL_STRING);
    CU_ASSERT_STRING_EQUAL(v->s, "some file.bin");
    CU_ASSERT_EQUAL(v->loc.len, 15);
    v = one_value("\"\"");
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    CU_ASSERT_EQUAL(v->kind, VAL_STRING);
    CU_ASSERT_STRING_EQUAL(v->s, "");
}

static void test_lists(void) {
    const Value *v = one_value("[1, 2.5, -3]");
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    CU_ASSERT_EQUAL(v->kind, VAL_LIST);
    CU_ASSERT_EQUAL_FATAL(v->n, 3);
    CU_ASSERT_EQUAL(v->items[0]->kind, VAL_INT);
    CU_ASSERT_EQUAL(v->items[1]->kind, VAL_FLOAT);
    CU_ASSERT_EQUAL(v->items[2]->i, -3);

    v = one_value("[]");
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    CU_ASSERT_EQUAL(v->kind, VAL_LIST);
    CU_ASSERT_EQUAL(v->n, 0);

    v = one_value("[1, 2,]");   /* a trailing comma is allowed */
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    CU_ASSERT_EQUAL(v->n, 2);

    v = one_value("[same, true, \"s\", [1]]");   /* mixed kinds parse */
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    CU_ASSERT_EQUAL_FATAL(v->n, 4);
    CU_ASSERT_EQUAL(v->items[0]->kind, VAL_WORD);
    CU_ASSERT_EQUAL(v->items[1]->kind, VAL_BOOL);
    CU_ASSERT_EQUAL(v->items[2]->kind, VAL_STRING);
    CU_ASSERT_EQUAL(v->items[3]->kind, VAL_LIST);

    /* nested lists flatten row-major */
    v = one_value("[[1, 2, 3], [4, [5, 6]], [], 7]");
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    CU_ASSERT_EQUAL(v->n, 4);
    CU_ASSERT_EQUAL(v->items[1]->items[1]->kind, VAL_LIST);
    double *nums;
    int64_t n;
    CU_ASSERT_TRUE(value_numbers(v, &nums, &n));
    CU_ASSERT_EQUAL_FATAL(n, 7);
    for (int i = 0; i < 7; i++) CU_ASSERT_DOUBLE_EQUAL(nums[i], i + 1, 0);

    /* a list of 1000 numbers (growth of the item array) */
    char *big = xcalloc(8000, 1);
    strcat(big, "[");
    for (int i = 0; i < 1000; i++) sprintf(big + strlen(big), "%s%d", i ? "," : "", i);
    strcat(big, "]");
    v = one_value(big);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    CU_ASSERT_EQUAL_FATAL(v->n, 1000);
    CU_ASSERT_EQUAL(v->items[999]->i, 999);

    /* a word in a numeric list is an error of value_numbers */
    v = one_value("[1, same]");
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    int before = diag_error_count();
    capture_begin();
    bool ok = value_numbers(v, &nums, &n);
    char *err = capture_end();
    CU_ASSERT_FALSE(ok);
    CU_ASSERT_EQUAL(diag_error_count() - before, 1);
    CHECK(strstr(err, "expected a number, got a name") != NULL, "got: %s", err);
}

static void test_nesting_limit(void) {
    Program p;
    int errors;
    char *err;
    /* exactly MAX_NESTING levels are fine */
    char *ok_src = xasprintf("network n { input x[1]; relu(k=%s1%s); }", "", "");
    {
        char open[MAX_NESTING + 1], close[MAX_NESTING + 1];
        memset(open, '[', MAX_NESTING);
        memset(close, ']', MAX_NESTING);
        open[MAX_NESTING] = close[MAX_NESTING] = 0;
        ok_src = xasprintf("network n { input x[1]; relu(k=%s1%s); }", open, close);
    }
    CU_ASSERT_TRUE(parse(ok_src, &p, &errors, NULL));
    CU_ASSERT_EQUAL(errors, 0);
    /* one more is one error, however deep it goes */
    for (int depth = MAX_NESTING + 1; depth <= 4 * MAX_NESTING; depth += 3 * MAX_NESTING - 1) {
        char *open = xcalloc((size_t)depth + 1, 1), *close = xcalloc((size_t)depth + 1, 1);
        memset(open, '[', (size_t)depth);
        memset(close, ']', (size_t)depth);
        char *src = xasprintf("network n { input x[1]; relu(k=%s1%s); sigmoid; }", open, close);
        CU_ASSERT_FALSE(parse(src, &p, &errors, &err));
        CHECK(errors == 1, "depth %d: one error, got %d: %s", depth, errors, err);
        CHECK(strstr(err, "lists nested deeper than 64 levels") != NULL, "got: %.200s", err);
        /* the statement after it is still parsed */
        CHECK(p.n >= 2 && strcmp(p.stmts[p.n - 1]->op, "sigmoid") == 0, "recovered after the deep list");
    }
}

static void test_syntax_errors(void) {
    static const struct { const char *src; int errors; const char *msg; } cases[] = {
        {"", 1, "1:1: error: expected 'network', found end of file"},
        {"network n { input x[3]; relu }", 1, "expected ';'"},
        {"network n { input x[3]; relu(k=1 j=2); }", 1, "1:34: error: expected ',' or ')'"},
        {"network n { input x[3]; relu(; }", 1, "1:30: error: expected identifier or ')'"},
        {"network n { input x[3]; relu(k=); }", 1, "error: "},
        {"network n { input x[3]; relu(k=1,); }", 1, "error: "},
        {"network n { input x[3] relu; }", 1, "expected ';'"},
        {"network n { input x[3]; relu;", 1, "expected '}' at the end of the network"},
        {"network n { input x[3]; } }", 1, "expected end of file, found '}'"},
        {"network { input x[3]; }", 1, "1:9: error: expected "},
        {"network n { input x[3]; relu @; }", 1, "1:30: error: unexpected character '@'"},
        {"network n { input x[3]; relu \x01; }", 1, "1:30: error: unexpected byte 0x01 (is this a text file?)"},
        {"network n { input x[3]; weights \"abc; }", 1, "1:33: error: missing terminating '\"' character"},
        {"network n { input x[3]; relu(k=[1,2); }", 1, "error: "},
        {"network n { input x[3]; 3relu; }", 1, "error: "},
        {"network n { input x[3]; input; }", 1, "error: "},
        {"network n { input x[3]; network m { } }", 1, "error: "},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Program p;
        int errors;
        char *err;
        bool ok = parse(cases[i].src, &p, &errors, &err);
        CHECK(!ok, "'%s' is a syntax error", cases[i].src);
        CHECK(errors == cases[i].errors, "'%s': %d error(s), got %d:\n%s", cases[i].src,
              cases[i].errors, errors, err);
        CHECK(strstr(err, cases[i].msg) != NULL, "'%s': message '%s', got:\n%s", cases[i].src,
              cases[i].msg, err);
    }
}

/* one run reports every syntax error, each at its place */
static void test_recovery(void) {
    Program p;
    int errors;
    char *err;
    const char *src =
        "network n {\n"
        "  input x[3, 8, 8];\n"
        "  conv2d c1(out=4, kernel=3;\n"
        "  relu r1(;\n"
        "  sigmoid s;\n"
        "  conv2d c2(out=4 kernel=3);\n"
        "  tanh t;\n"
        "}\n";
    CU_ASSERT_FALSE(parse(src, &p, &errors, &err));
    CHECK(errors == 3, "three errors, got %d:\n%s", errors, err);
    CHECK(strstr(err, "test.cnn:3:28: error:") != NULL, "first error at 3:28:\n%s", err);
    CHECK(strstr(err, "test.cnn:4:11: error:") != NULL, "second error at 4:11:\n%s", err);
    CHECK(strstr(err, "test.cnn:6:19: error:") != NULL, "third error at 6:19:\n%s", err);
    /* the good statements survive */
    CU_ASSERT_EQUAL_FATAL(p.n, 3);
    CU_ASSERT_STRING_EQUAL(p.stmts[1]->name, "s");
    CU_ASSERT_STRING_EQUAL(p.stmts[2]->name, "t");
}

static void test_name_length(void) {
    Program p;
    int errors;
    char *err;
    char name[MAX_NAME_LEN + 2];
    memset(name, 'a', sizeof name);
    name[MAX_NAME_LEN] = 0;
    CU_ASSERT_TRUE(parse(xasprintf("network n { input x[3]; relu %s; }", name), &p, &errors, NULL));
    CU_ASSERT_EQUAL(errors, 0);
    name[MAX_NAME_LEN] = 'a';
    name[MAX_NAME_LEN + 1] = 0;
    CU_ASSERT_FALSE(parse(xasprintf("network n { input x[3]; relu %s; }", name), &p, &errors, &err));
    CU_ASSERT_EQUAL(errors, 1);
    CHECK(strstr(err, "name is 257 characters long; the limit is 256") != NULL, "got: %.300s", err);
    /* a megabyte-long name: one error and a shortened source line */
    size_t n = 1 << 20;
    char *huge = xcalloc(n + 64, 1);
    strcpy(huge, "network n { input x[3]; relu ");
    memset(huge + strlen(huge), 'b', n);
    strcat(huge, "; }");
    CU_ASSERT_FALSE(parse(huge, &p, &errors, &err));
    CU_ASSERT_EQUAL(errors, 1);
    CHECK(strlen(err) < 2000, "the diagnostic stays short: %zu bytes", strlen(err));
}

static void test_reserved_words(void) {
    Program p;
    int errors;
    CU_ASSERT_FALSE(parse("network n { input input[3]; }", &p, &errors, NULL));
    CU_ASSERT_EQUAL(errors, 1);
    CU_ASSERT_FALSE(parse("network n { input x[3]; relu output; }", &p, &errors, NULL));
    CU_ASSERT_EQUAL(errors, 1);
    /* identifiers that merely start like reserved words are names */
    CU_ASSERT_TRUE(parse("network n { input inputs[3]; relu outputs; relu network_1; }", &p, &errors, NULL));
    CU_ASSERT_EQUAL(errors, 0);
}

/* ---- graph.c: names and inputs */

static void test_auto_names(void) {
    Net *n = net_compile(
        "network n { input x[3, 8, 8];\n"
        "  relu; relu; conv2d c1(out=3, kernel=1); conv2d(out=3, kernel=1); sigmoid; relu; }");
    CHECK(net_ok(n), "compiles:\n%s", n->err);
    CU_ASSERT_EQUAL_FATAL(n->u.g.n, 7);
    static const char *const want[] = {"x", "relu_1", "relu_2", "c1", "conv2d_2", "sigmoid_1", "relu_3"};
    for (int i = 0; i < 7; i++)
        CHECK(strcmp(n->u.g.layers[i]->name, want[i]) == 0, "layer %d is '%s', got '%s'", i, want[i],
              n->u.g.layers[i]->name);
    /* an automatic name that collides with a written one is a redefinition */
    n = net_compile("network n { input x[3]; relu relu_2; relu; }");
    CU_ASSERT_FALSE(net_ok(n));
    CHECK(strstr(n->err, "redefinition of 'relu_2'") != NULL, "got:\n%s", n->err);
}

static void test_inputs_and_output(void) {
    Net *n = net_compile(
        "network n { input x[3, 8, 8];\n"
        "  conv2d a(out=3, kernel=1);\n"
        "  relu b;\n"
        "  add s(x, b);\n"
        "  concat c(s, a, x, axis=0);\n"
        "  output s;\n"
        "}");
    CHECK(net_ok(n), "compiles:\n%s", n->err);
    const Layer *a = net_layer(n, "a"), *b = net_layer(n, "b"), *s = net_layer(n, "s"),
                *c = net_layer(n, "c");
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(n->u.g.layers[0]->op, NULL);
    CU_ASSERT_EQUAL(a->nin, 1);
    CU_ASSERT_EQUAL(a->in[0], 0);          /* the input */
    CU_ASSERT_EQUAL(b->in[0], a->id);      /* the statement before */
    CU_ASSERT_EQUAL_FATAL(s->nin, 2);
    CU_ASSERT_EQUAL(s->in[0], 0);
    CU_ASSERT_EQUAL(s->in[1], b->id);
    CU_ASSERT_EQUAL_FATAL(c->nin, 3);
    CU_ASSERT_EQUAL(c->in[2], 0);
    CU_ASSERT_EQUAL(n->u.g.nout, 1);
    CU_ASSERT_EQUAL(n->u.g.outputs[0], s->id);
    for (int i = 1; i < n->u.g.n; i++)
        for (int k = 0; k < n->u.g.layers[i]->nin; k++)
            CU_ASSERT_TRUE(n->u.g.layers[i]->in[k] < i);   /* topological */
    /* without output the last statement is the output */
    n = net_compile("network n { input x[3]; relu; sigmoid; }");
    CU_ASSERT_TRUE(net_ok(n));
    CU_ASSERT_EQUAL(n->u.g.outputs[0], 2);
}

/* "relu NL maxpool2d(...)": a forgotten ';' between two layer kinds is one
 * error and still two layers */
static void test_missing_semicolon_between_layers(void) {
    Net *n = net_compile("network n {\n  input x[3, 8, 8];\n  relu\n  maxpool2d(kernel=2);\n}\n");
    CU_ASSERT_FALSE(net_ok(n));
    CHECK(n->errors == 1, "one error, got %d:\n%s", n->errors, n->err);
    CHECK(strstr(n->err, "test.cnn:3:7: error: expected ';' after 'relu'") != NULL, "got:\n%s", n->err);
    CU_ASSERT_PTR_NOT_NULL(net_layer(n, "relu_1"));
    CU_ASSERT_PTR_NOT_NULL(net_layer(n, "maxpool2d_1"));
    /* on one line it is a layer named like an op: legal */
    n = net_compile("network n { input x[3]; relu sigmoid; }");
    CHECK(net_ok(n), "compiles:\n%s", n->err);
    CU_ASSERT_PTR_NOT_NULL(net_layer(n, "sigmoid"));
}

/* the diagnostic format (docs/language.md, section 8), without colour */
static void test_diag_format(void) {
    const char *src = "network n {\n    dense fc1(out=500);\n}\n";
    diag_init("net.cnn", src, strlen(src));
    int before = diag_error_count();
    capture_begin();
    diag_error((Loc){2, 11, 3}, "dense '%s' needs a vector input", "fc1");
    diag_note((Loc){2, 11, 3}, "insert 'flatten;' before it");
    diag_warning((Loc){0, 0, 0}, "file-level");
    char *err = capture_end();
    CU_ASSERT_EQUAL(diag_error_count() - before, 1);   /* notes and warnings do not count */
    CU_ASSERT_STRING_EQUAL(err,
        "net.cnn:2:11: error: dense 'fc1' needs a vector input\n"
        "    2 |     dense fc1(out=500);\n"
        "      |           ^~~\n"
        "net.cnn:2:11: note: insert 'flatten;' before it\n"
        "    2 |     dense fc1(out=500);\n"
        "      |           ^~~\n"
        "net.cnn: warning: file-level\n");
}

void suite_lexer_parser(void) {
    static const TestDef tests[] = {
        {"network and input", test_network_and_input},
        {"statement forms", test_statement_forms},
        {"comments and whitespace", test_comments_and_whitespace},
        {"integers", test_integers},
        {"integer overflow", test_integer_overflow},
        {"floats", test_floats},
        {"bools, words, strings", test_bools_words_strings},
        {"lists", test_lists},
        {"nesting limit", test_nesting_limit},
        {"syntax errors", test_syntax_errors},
        {"recovery: three errors", test_recovery},
        {"name length", test_name_length},
        {"reserved words", test_reserved_words},
        {"automatic names", test_auto_names},
        {"inputs and output", test_inputs_and_output},
        {"missing ';' between layers", test_missing_semicolon_between_layers},
        {"diagnostic format", test_diag_format},
        {NULL, NULL},
    };
    add_suite("lexer_parser", tests);
}
