/* test_safetensors.c — st_load validation and st_to_f32 conversions.
 *
 * Each test writes a small safetensors file byte by byte into a temporary
 * directory, loads it with stderr captured, and checks the result and the
 * diagnostics. */
#include "suites.h"

#include <CUnit/CUnit.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---------------------------------------------------------------- fixtures */

static char st_dir[64];
static char *st_files[256];
static int st_nfiles;

static void st_cleanup(void) {
    for (int i = 0; i < st_nfiles; i++) unlink(st_files[i]);
    if (st_dir[0]) rmdir(st_dir);
}

static const char *st_tmpdir(void) {
    if (!st_dir[0]) {
        strcpy(st_dir, "/tmp/cnnc-st-XXXXXX");
        if (!mkdtemp(st_dir)) {
            st_dir[0] = 0;
            return "/tmp";
        }
        atexit(st_cleanup);
    }
    return st_dir;
}

/* a file holding exactly these bytes */
static const char *st_write_raw(const void *bytes, size_t n) {
    char *path = xasprintf("%s/t%d.safetensors", st_tmpdir(), st_nfiles);
    if (st_nfiles < (int)(sizeof st_files / sizeof st_files[0])) st_files[st_nfiles++] = path;
    FILE *f = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    if (n) CU_ASSERT_EQUAL(fwrite(bytes, 1, n, f), n);
    fclose(f);
    return path;
}

/* a safetensors file: the header length (little-endian, byte by byte), the
 * JSON header, then the data */
static const char *st_write(const char *json, const void *data, size_t dlen) {
    size_t hl = strlen(json);
    unsigned char *b = xcalloc(8 + hl + dlen, 1);
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)((uint64_t)hl >> (8 * i));
    memcpy(b + 8, json, hl);
    if (dlen) memcpy(b + 8 + hl, data, dlen);
    return st_write_raw(b, 8 + hl + dlen);
}

/* st_load with stderr captured into *msg; *nerr = errors reported */
static bool st_load_quiet(const char *path, StFile *f, char **msg, int *nerr) {
    char *cap = xasprintf("%s/stderr.txt", st_tmpdir());
    int before = diag_error_count();
    fflush(stderr);
    int saved = dup(2);
    int fd = open(cap, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    CU_ASSERT_FATAL(saved >= 0 && fd >= 0);
    dup2(fd, 2);
    close(fd);
    bool ok = st_load(path, f);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    size_t len;
    char *text = read_file(cap, &len);
    unlink(cap);
    if (msg) *msg = text ? text : xstrdup("");
    if (nerr) *nerr = diag_error_count() - before;
    return ok;
}

/* st_load must fail with exactly one error whose message contains want */
static void expect_error(const char *json, const void *data, size_t dlen, const char *want) {
    const char *path = st_write(json, data, dlen);
    StFile f;
    char *msg;
    int nerr;
    bool ok = st_load_quiet(path, &f, &msg, &nerr);
    CU_ASSERT_FALSE(ok);
    CU_ASSERT_EQUAL(nerr, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, want));
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, ": error: "));
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, path));
    if (!ok && nerr == 1 && strstr(msg, want)) return;
    fprintf(stderr, "\n  header %s\n  wanted '%s', got:\n%s", json, want, msg);
}

static void put_f32(unsigned char *p, float v) {
    uint32_t b;
    memcpy(&b, &v, 4);
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(b >> (8 * i));
}

static void put_u16(unsigned char *p, uint16_t v) {
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

static void put_f64(unsigned char *p, double v) {
    uint64_t b;
    memcpy(&b, &v, 8);
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(b >> (8 * i));
}

static uint32_t f32_bits(float f) {
    uint32_t b;
    memcpy(&b, &f, 4);
    return b;
}

/* ---------------------------------------------------------------- valid files */

static void test_f32_roundtrip(void) {
    /* "a" is [2,3] at 0..24, "b" is [3] at 24..36; metadata is skipped */
    unsigned char data[36];
    for (int i = 0; i < 9; i++) put_f32(data + 4 * i, (float)i * 0.5f - 1.0f);
    const char *path = st_write(
        "{\"__metadata__\":{\"format\":\"pt\"},"
        "\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
        "\"b\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[24,36]}}   ",
        data, sizeof data);
    StFile f;
    char *msg;
    int nerr;
    CU_ASSERT_TRUE_FATAL(st_load_quiet(path, &f, &msg, &nerr));
    CU_ASSERT_EQUAL(nerr, 0);
    CU_ASSERT_STRING_EQUAL(msg, "");
    CU_ASSERT_STRING_EQUAL(f.path, path);
    CU_ASSERT_EQUAL_FATAL(f.n, 2);
    StTensor *a = st_find(&f, "a"), *b = st_find(&f, "b");
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_PTR_NULL(st_find(&f, "c"));
    CU_ASSERT_PTR_NULL(st_find(&f, "__metadata__"));
    CU_ASSERT_STRING_EQUAL(a->name, "a");
    CU_ASSERT_STRING_EQUAL(a->dtype, "F32");
    CU_ASSERT_EQUAL(a->dtype_bytes, 4);
    CU_ASSERT_EQUAL(a->rank, 2);
    CU_ASSERT_EQUAL(a->dim[0], 2);
    CU_ASSERT_EQUAL(a->dim[1], 3);
    CU_ASSERT_EQUAL(a->elems, 6);
    CU_ASSERT_FALSE(a->used);
    CU_ASSERT_EQUAL(b->rank, 1);
    CU_ASSERT_EQUAL(b->elems, 3);
    float out[9];
    st_to_f32(a, out);
    st_to_f32(b, out + 6);
    for (int i = 0; i < 9; i++) CU_ASSERT_EQUAL(out[i], (float)i * 0.5f - 1.0f);
}

/* tensors at odd offsets: the data need not be aligned */
static void test_unaligned(void) {
    unsigned char data[1 + 8 + 3 * 8];
    memset(data, 0xAA, sizeof data);
    put_f32(data + 1, 3.25f);
    put_f32(data + 5, -7.0f);
    put_f64(data + 9, 1.5);
    put_f64(data + 17, -0.125);
    put_f64(data + 25, 1e10);
    const char *path = st_write(
        "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[1,9]},"
        "\"y\":{\"dtype\":\"F64\",\"shape\":[1,3],\"data_offsets\":[9,33]}}",
        data, sizeof data);
    StFile f;
    CU_ASSERT_TRUE_FATAL(st_load_quiet(path, &f, NULL, NULL));
    float out[3];
    st_to_f32(st_find(&f, "x"), out);
    CU_ASSERT_EQUAL(out[0], 3.25f);
    CU_ASSERT_EQUAL(out[1], -7.0f);
    st_to_f32(st_find(&f, "y"), out);
    CU_ASSERT_EQUAL(out[0], 1.5f);
    CU_ASSERT_EQUAL(out[1], -0.125f);
    CU_ASSERT_EQUAL(out[2], 1e10f);
}

/* empty header, scalars, empty tensors, unused bytes between tensors */
static void test_edge_shapes(void) {
    const char *path = st_write("{}", NULL, 0);
    StFile f;
    CU_ASSERT_TRUE(st_load_quiet(path, &f, NULL, NULL));
    CU_ASSERT_EQUAL(f.n, 0);
    CU_ASSERT_PTR_NULL(st_find(&f, "x"));

    unsigned char data[12] = {0};
    put_f32(data + 8, 42.0f);
    path = st_write(
        "{\"s\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[8,12]},"
        "\"e\":{\"dtype\":\"F16\",\"shape\":[0,5],\"data_offsets\":[4,4]},"
        "\"z\":{\"dtype\":\"BF16\",\"shape\":[3,0],\"data_offsets\":[12,12]},"
        "\"huge_but_empty\":{\"dtype\":\"F64\",\"shape\":[4294967296,4294967296,0],"
        "\"data_offsets\":[0,0]}}",
        data, sizeof data);
    CU_ASSERT_TRUE_FATAL(st_load_quiet(path, &f, NULL, NULL));
    CU_ASSERT_EQUAL_FATAL(f.n, 4);
    StTensor *s = st_find(&f, "s");
    CU_ASSERT_EQUAL(s->rank, 0);
    CU_ASSERT_EQUAL(s->elems, 1);
    float v = 0;
    st_to_f32(s, &v);
    CU_ASSERT_EQUAL(v, 42.0f);
    CU_ASSERT_EQUAL(st_find(&f, "e")->elems, 0);
    CU_ASSERT_EQUAL(st_find(&f, "z")->elems, 0);
    CU_ASSERT_EQUAL(st_find(&f, "huge_but_empty")->elems, 0);
    /* exactly MAX_RANK dims is fine */
    path = st_write("{\"r6\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1],\"data_offsets\":[0,4]}}",
                    data, 4);
    CU_ASSERT_TRUE_FATAL(st_load_quiet(path, &f, NULL, NULL));
    CU_ASSERT_EQUAL(f.t[0].rank, MAX_RANK);
    /* integers written as 3.0 or 1e0 are integers */
    path = st_write("{\"w\":{\"dtype\":\"F32\",\"shape\":[1e0],\"data_offsets\":[0.0,4]}}",
                    data, 4);
    CU_ASSERT_TRUE(st_load_quiet(path, &f, NULL, NULL));
}

/* ---------------------------------------------------------------- conversions */

static void test_f16(void) {
    static const struct { uint16_t h; float f; } cases[] = {
        {0x0000, 0.0f},
        {0x0001, 5.9604644775390625e-08f},   /* smallest subnormal, 2^-24 */
        {0x0002, 1.1920928955078125e-07f},
        {0x03ff, 6.097555160522461e-05f},    /* largest subnormal */
        {0x0400, 6.103515625e-05f},          /* smallest normal, 2^-14 */
        {0x3c00, 1.0f},
        {0x3c01, 1.0009765625f},
        {0xc000, -2.0f},
        {0x3555, 0.333251953125f},
        {0x7bff, 65504.0f},
        {0xfbff, -65504.0f},
        {0x8001, -5.9604644775390625e-08f},
    };
    enum { N = sizeof cases / sizeof cases[0] };
    unsigned char data[2 * (N + 4)];
    for (int i = 0; i < N; i++) put_u16(data + 2 * i, cases[i].h);
    put_u16(data + 2 * N, 0x7c00);       /* +inf */
    put_u16(data + 2 * N + 2, 0xfc00);   /* -inf */
    put_u16(data + 2 * N + 4, 0x7e00);   /* nan */
    put_u16(data + 2 * N + 6, 0x8000);   /* -0 */
    char *json = xasprintf("{\"h\":{\"dtype\":\"F16\",\"shape\":[%d],\"data_offsets\":[0,%d]}}",
                           N + 4, 2 * (N + 4));
    const char *path = st_write(json, data, sizeof data);
    StFile f;
    CU_ASSERT_TRUE_FATAL(st_load_quiet(path, &f, NULL, NULL));
    StTensor *t = st_find(&f, "h");
    CU_ASSERT_STRING_EQUAL(t->dtype, "F16");
    CU_ASSERT_EQUAL(t->dtype_bytes, 2);
    float out[N + 4];
    st_to_f32(t, out);
    for (int i = 0; i < N; i++) {
        CU_ASSERT_EQUAL(out[i], cases[i].f);
        if (out[i] != cases[i].f)
            fprintf(stderr, "\n  F16 0x%04x: got %.9g, want %.9g", cases[i].h, out[i], cases[i].f);
    }
    CU_ASSERT_TRUE(isinf(out[N]) && out[N] > 0);
    CU_ASSERT_TRUE(isinf(out[N + 1]) && out[N + 1] < 0);
    CU_ASSERT_TRUE(isnan(out[N + 2]));
    CU_ASSERT_EQUAL(f32_bits(out[N + 3]), 0x80000000u);

    /* all 65536 halves against ldexp */
    unsigned char *all = xcalloc(65536, 2);
    for (int i = 0; i < 65536; i++) put_u16(all + 2 * i, (uint16_t)i);
    path = st_write("{\"all\":{\"dtype\":\"F16\",\"shape\":[256,256],\"data_offsets\":[0,131072]}}",
                    all, 131072);
    CU_ASSERT_TRUE_FATAL(st_load_quiet(path, &f, NULL, NULL));
    float *o = xcalloc(65536, sizeof *o);
    st_to_f32(st_find(&f, "all"), o);
    int bad = 0;
    for (int i = 0; i < 65536; i++) {
        int e = (i >> 10) & 0x1f, m = i & 0x3ff;
        double want = e == 0 ? ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY)
                                                       : ldexp(m | 0x400, e - 25);
        if (i & 0x8000) want = -want;
        if (isnan(want) ? !isnan(o[i]) : (o[i] != (float)want || !signbit(o[i]) != !signbit(want)))
            bad++;
    }
    CU_ASSERT_EQUAL(bad, 0);
}

static void test_bf16(void) {
    static const struct { uint16_t h; float f; } cases[] = {
        {0x0000, 0.0f},     {0x3f80, 1.0f},   {0xc000, -2.0f},   {0x4049, 3.140625f},
        {0x3e80, 0.25f},    {0x4780, 65536.0f}, {0x7f7f, 3.3895313892515355e+38f},
        {0x0080, 1.1754943508222875e-38f},    /* smallest normal */
        {0x0001, 9.183549615799121e-41f},     /* subnormal */
    };
    enum { N = sizeof cases / sizeof cases[0] };
    unsigned char data[2 * (N + 2)];
    for (int i = 0; i < N; i++) put_u16(data + 2 * i, cases[i].h);
    put_u16(data + 2 * N, 0xff80);       /* -inf */
    put_u16(data + 2 * N + 2, 0x7fc0);   /* nan */
    char *json = xasprintf("{\"b\":{\"dtype\":\"BF16\",\"shape\":[%d],\"data_offsets\":[0,%d]}}",
                           N + 2, 2 * (N + 2));
    const char *path = st_write(json, data, sizeof data);
    StFile f;
    CU_ASSERT_TRUE_FATAL(st_load_quiet(path, &f, NULL, NULL));
    StTensor *t = st_find(&f, "b");
    CU_ASSERT_STRING_EQUAL(t->dtype, "BF16");
    CU_ASSERT_EQUAL(t->dtype_bytes, 2);
    float out[N + 2];
    st_to_f32(t, out);
    for (int i = 0; i < N; i++) CU_ASSERT_EQUAL(out[i], cases[i].f);
    CU_ASSERT_TRUE(isinf(out[N]) && out[N] < 0);
    CU_ASSERT_TRUE(isnan(out[N + 1]));
}

static void test_f64(void) {
    const double in[] = {1.0, -2.5, 1e-3, 3.141592653589793, 0.0, 1e300, -1e300, 1e-300, NAN};
    enum { N = sizeof in / sizeof in[0] };
    unsigned char data[8 * N];
    for (int i = 0; i < N; i++) put_f64(data + 8 * i, in[i]);
    char *json = xasprintf("{\"d\":{\"dtype\":\"F64\",\"shape\":[%d],\"data_offsets\":[0,%d]}}",
                           N, 8 * N);
    const char *path = st_write(json, data, sizeof data);
    StFile f;
    CU_ASSERT_TRUE_FATAL(st_load_quiet(path, &f, NULL, NULL));
    StTensor *t = st_find(&f, "d");
    CU_ASSERT_STRING_EQUAL(t->dtype, "F64");
    CU_ASSERT_EQUAL(t->dtype_bytes, 8);
    float out[N];
    st_to_f32(t, out);
    CU_ASSERT_EQUAL(out[0], 1.0f);
    CU_ASSERT_EQUAL(out[1], -2.5f);
    CU_ASSERT_EQUAL(out[2], (float)1e-3);
    CU_ASSERT_EQUAL(out[3], (float)3.141592653589793);
    CU_ASSERT_EQUAL(out[4], 0.0f);
    CU_ASSERT_TRUE(isinf(out[5]) && out[5] > 0);
    CU_ASSERT_TRUE(isinf(out[6]) && out[6] < 0);
    CU_ASSERT_EQUAL(out[7], 0.0f);
    CU_ASSERT_TRUE(isnan(out[8]));
}

/* ---------------------------------------------------------------- broken files */

static void test_unreadable(void) {
    StFile f;
    char *msg;
    int nerr;
    char *path = xasprintf("%s/does-not-exist.safetensors", st_tmpdir());
    CU_ASSERT_FALSE(st_load_quiet(path, &f, &msg, &nerr));
    CU_ASSERT_EQUAL(nerr, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "cannot read"));
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "No such file"));
    /* a directory */
    CU_ASSERT_FALSE(st_load_quiet(st_tmpdir(), &f, &msg, &nerr));
    CU_ASSERT_EQUAL(nerr, 1);
}

static void test_too_short(void) {
    const unsigned char b[7] = {2, 0, 0, 0, 0, 0, 0};
    StFile f;
    char *msg;
    int nerr;
    CU_ASSERT_FALSE(st_load_quiet(st_write_raw(b, 0), &f, &msg, &nerr));
    CU_ASSERT_EQUAL(nerr, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "is not a safetensors file: 0 bytes, too short"));
    CU_ASSERT_FALSE(st_load_quiet(st_write_raw(b, 7), &f, &msg, &nerr));
    CU_ASSERT_EQUAL(nerr, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "7 bytes, too short for the header length"));
}

static void test_header_too_long(void) {
    /* header length 100, 2 bytes follow */
    const unsigned char b[10] = {100, 0, 0, 0, 0, 0, 0, 0, '{', '}'};
    StFile f;
    char *msg;
    int nerr;
    CU_ASSERT_FALSE(st_load_quiet(st_write_raw(b, 10), &f, &msg, &nerr));
    CU_ASSERT_EQUAL(nerr, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "header length 100 is larger"));
    /* a header length with the top bit set must not wrap around */
    const unsigned char h[10] = {2, 0, 0, 0, 0, 0, 0, 0x80, '{', '}'};
    CU_ASSERT_FALSE(st_load_quiet(st_write_raw(h, 10), &f, &msg, &nerr));
    CU_ASSERT_EQUAL(nerr, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "is larger"));
}

static void test_bad_json(void) {
    expect_error("{bad", NULL, 0, "not valid JSON");
    expect_error("", NULL, 0, "not valid JSON");
    expect_error("{\"a\":{\"dtype\":\"F32\",}}", NULL, 0, "not valid JSON");
    expect_error("{} x", NULL, 0, "not valid JSON");
    expect_error("{}{}", NULL, 0, "not valid JSON");
    /* a NUL inside the header */
    const unsigned char b[8 + 4] = {4, 0, 0, 0, 0, 0, 0, 0, '{', 0, '}', ' '};
    StFile f;
    char *msg;
    int nerr;
    CU_ASSERT_FALSE(st_load_quiet(st_write_raw(b, sizeof b), &f, &msg, &nerr));
    CU_ASSERT_EQUAL(nerr, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "not valid JSON"));
    /* the header ends at its length even when JSON-like bytes follow */
    const char tail[] = "\"a\":1}";
    const unsigned char c[8 + 1] = {1, 0, 0, 0, 0, 0, 0, 0, '{'};
    unsigned char d[sizeof c + sizeof tail];
    memcpy(d, c, sizeof c);
    memcpy(d + sizeof c, tail, sizeof tail);
    CU_ASSERT_FALSE(st_load_quiet(st_write_raw(d, sizeof d), &f, &msg, &nerr));
    CU_ASSERT_EQUAL(nerr, 1);
}

static void test_not_object(void) {
    expect_error("[]", NULL, 0, "must be a JSON object, got a list");
    expect_error("42", NULL, 0, "must be a JSON object, got a number");
    expect_error("\"x\"", NULL, 0, "must be a JSON object, got a string");
    expect_error("{\"a\":3}", NULL, 0, "tensor 'a' must be an object");
    expect_error("{\"a\":[1,2]}", NULL, 0, "tensor 'a' must be an object");
}

static void test_missing_fields(void) {
    unsigned char d[4] = {0};
    expect_error("{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", d, 4, "tensor 'a' has no 'dtype'");
    expect_error("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", d, 4, "tensor 'a' has no 'shape'");
    expect_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", d, 4, "tensor 'a' has no 'data_offsets'");
    expect_error("{\"a\":{\"DTYPE\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", d, 4, "no 'dtype'");
}

static void test_bad_dtype(void) {
    unsigned char d[8] = {0};
    expect_error("{\"a\":{\"dtype\":\"C64\",\"shape\":[1],\"data_offsets\":[0,8]}}", d, 8,
                 "tensor 'a' has unsupported dtype 'C64' (supported: F32, F16, BF16, F64");
    expect_error("{\"a\":{\"dtype\":\"f32\",\"shape\":[1],\"data_offsets\":[0,4]}}", d, 4,
                 "unsupported dtype 'f32'");
    expect_error("{\"a\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}", d, 4,
                 "'dtype' must be a string, got a number");
}

static void test_bad_shape(void) {
    unsigned char d[8] = {0};
    expect_error("{\"a\":{\"dtype\":\"F32\",\"shape\":2,\"data_offsets\":[0,8]}}", d, 8,
                 "'shape' must be a list of non-negative integers, got a number");
    expect_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[2,-1],\"data_offsets\":[0,8]}}", d, 8,
                 "shape entry 1 must be a non-negative integer, got -1");
    expect_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", d, 8,
                 "got 2.5");
    expect_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]}}", d, 8,
                 "got a string");
    expect_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[true],\"data_offsets\":[0,8]}}", d, 8,
                 "got a boolean");
    expect_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[[2]],\"data_offsets\":[0,8]}}", d, 8,
                 "got a list");
    expect_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[9007199254740994],\"data_offsets\":[0,8]}}",
                 d, 8, "must be a non-negative integer");
    expect_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[1e400],\"data_offsets\":[0,8]}}", d, 8,
                 "must be a non-negative integer");
}

static void test_bad_rank(void) {
    unsigned char d[4] = {0};
    expect_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}",
                 d, 4, "tensor 'a' has rank 7, more than the supported 6");
}

static void test_too_many_elems(void) {
    unsigned char d[4] = {0};
    expect_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4],"
                 "\"data_offsets\":[0,4]}}", d, 4, "overflows 64 bits");
    expect_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[9007199254740992,9007199254740992],"
                 "\"data_offsets\":[0,4]}}", d, 4, "overflows 64 bits");
    expect_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[65536,32769],\"data_offsets\":[0,4]}}",
                 d, 4, "tensor 'a' has 2,147,549,184 elements, more than the supported 2,147,483,647");
    /* exactly MAX_ELEMS passes the element check; only the size is wrong */
    expect_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[65535,32768],\"data_offsets\":[0,4]}}",
                 d, 4, "has 4 bytes of data, but F32 [65535,32768] needs 8,589,803,520");
}

static void test_bad_offsets(void) {
    unsigned char d[8] = {0};
    expect_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":4}}", d, 8,
                 "'data_offsets' must be a list of two non-negative integers");
    expect_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4]}}", d, 8,
                 "got a list of 1");
    expect_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", d, 8,
                 "got a list of 3");
    expect_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4.5]}}", d, 8,
                 "must be two non-negative integers, got 4.5");
    expect_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", d, 8,
                 "got -4");
    expect_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[null,4]}}", d, 8,
                 "got null");
    expect_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", d, 8,
                 "'data_offsets' [8, 4] ends before it begins");
}

static void test_beyond_data(void) {
    unsigned char d[8] = {0};
    expect_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]}}", d, 8,
                 "'data_offsets' [0, 12] go beyond the end of the data section (8 bytes)");
    expect_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[9007199254740988,"
                 "9007199254740992]}}", d, 8, "go beyond the end");
}

static void test_size_mismatch(void) {
    unsigned char d[16] = {0};
    expect_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,16]}}", d, 16,
                 "tensor 'a' has 16 bytes of data, but F32 [2,3] needs 24");
    expect_error("{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,8]}}", d, 16,
                 "has 8 bytes of data, but F16 [2] needs 4");
    expect_error("{\"a\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[0,4]}}", d, 16,
                 "has 4 bytes of data, but F64 [] needs 8");
}

static void test_overlap(void) {
    unsigned char d[16] = {0};
    expect_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                 "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", d, 16,
                 "tensors 'a' (bytes 0..8) and 'b' (bytes 4..12) overlap");
    /* the same range twice, listed in reverse order */
    expect_error("{\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]},"
                 "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", d, 16,
                 "overlap");
    /* b lies inside a long a; c after b still overlaps a */
    const char *path = st_write(
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
        "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]},"
        "\"c\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", d, 16);
    StFile f;
    char *msg;
    int nerr;
    CU_ASSERT_FALSE(st_load_quiet(path, &f, &msg, &nerr));
    CU_ASSERT_EQUAL(nerr, 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "'a' (bytes 0..16) and 'b'"));
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "'a' (bytes 0..16) and 'c'"));
    /* touching ranges and empty tensors inside others are fine */
    path = st_write(
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
        "\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]},"
        "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", d, 16);
    CU_ASSERT_TRUE(st_load_quiet(path, &f, &msg, &nerr));
    CU_ASSERT_EQUAL(nerr, 0);
}

static void test_duplicate(void) {
    unsigned char d[16] = {0};
    expect_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                 "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", d, 16,
                 "tensor 'a' appears 2 times in the header");
    expect_error("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                 "\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]},"
                 "\"y\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]},"
                 "\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[12,16]}}", d, 16,
                 "tensor 'x' appears 3 times");
}

/* every problem is reported, not just the first */
static void test_all_errors(void) {
    unsigned char d[16] = {0};
    const char *path = st_write(
        "{\"__metadata__\":{\"k\":\"v\"},"
        "\"a\":{\"dtype\":\"Q8\",\"shape\":[1],\"data_offsets\":[0,1]},"
        "\"b\":{\"dtype\":\"F32\",\"shape\":[-1,2.5],\"data_offsets\":[0,4]},"
        "\"c\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,40]},"
        "\"d\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[2,6]},"
        "\"e\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]},"
        "\"f\":5,"
        "\"e\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[12,16]}}", d, 16);
    StFile f;
    char *msg;
    int nerr;
    CU_ASSERT_FALSE(st_load_quiet(path, &f, &msg, &nerr));
    /* a: dtype; b: two shape entries; c: beyond; d: size; f: not an object;
     * e: duplicate; overlaps: a/b (0..1, 0..4), b/d, d/e */
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "tensor 'a' has unsupported dtype 'Q8'"));
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "tensor 'b': shape entry 0"));
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "tensor 'b': shape entry 1"));
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "tensor 'c': 'data_offsets' [0, 40] go beyond"));
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "tensor 'd' has 4 bytes of data, but F32 [2] needs 8"));
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "tensor 'f' must be an object"));
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "tensor 'e' appears 2 times"));
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "overlap"));
    CU_ASSERT_PTR_NULL(strstr(msg, "__metadata__"));
    CU_ASSERT_EQUAL(nerr, 10);
    if (nerr != 10) fprintf(stderr, "\n%s", msg);
}

/* ---------------------------------------------------------------- registration */

/* prelu's weight is [C], or one slope for all from a file holding [1]
 * (nn.PReLU()); the parameter count follows. Any other shape names both. */
static void test_prelu_shared_slope(void) {
    const float v[2] = {0.25f, 0.5f};
    const char *one = st_write("{\"p.weight\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", v, 4);
    const char *two = st_write("{\"p.weight\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", v, 8);
    Net *n = net_compile("network t { input x[3, 4, 4]; prelu p; }");
    CU_ASSERT_TRUE_FATAL(net_ok(n));
    const Layer *L = net_layer(n, "p");
    CHECK(L->nparams == 3, "prelu on [3,4,4]: 3 parameters before loading, got %lld", (long long)L->nparams);
    capture_begin();
    bool ok = weights_load(&n->u.g, "t.cnn", &(WeightOpts){.weights_path = one});
    char *err = capture_end();
    CHECK(ok && !*err, "a [1] slope loads: %s", err);
    CHECK(strcmp(shape_str(&L->param[0].shape), "[1]") == 0 && L->nparams == 1 && L->param[0].data[0] == 0.25f,
          "the slope is [1] (%s), 1 parameter (%lld)", shape_str(&L->param[0].shape), (long long)L->nparams);
    n = net_compile("network t { input x[3, 4, 4]; prelu p; }");
    capture_begin();
    ok = weights_load(&n->u.g, "t.cnn", &(WeightOpts){.weights_path = two});
    err = capture_end();
    CHECK(!ok && strstr(err, xasprintf("error: tensor 'p.weight' in '%s' is [2]; prelu 'p' needs [3] or [1]", two)),
          "a [2] slope for 3 channels: %s", err);
}

void suite_safetensors(void) {
    CU_pSuite s = CU_add_suite("safetensors", NULL, NULL);
    CU_add_test(s, "F32 round trip", test_f32_roundtrip);
    CU_add_test(s, "unaligned data", test_unaligned);
    CU_add_test(s, "scalars, empty tensors, empty header", test_edge_shapes);
    CU_add_test(s, "F16 conversion", test_f16);
    CU_add_test(s, "BF16 conversion", test_bf16);
    CU_add_test(s, "F64 conversion", test_f64);
    CU_add_test(s, "unreadable file", test_unreadable);
    CU_add_test(s, "file too short", test_too_short);
    CU_add_test(s, "header length beyond the file", test_header_too_long);
    CU_add_test(s, "header not JSON", test_bad_json);
    CU_add_test(s, "header or entry not an object", test_not_object);
    CU_add_test(s, "missing dtype/shape/data_offsets", test_missing_fields);
    CU_add_test(s, "unsupported dtype", test_bad_dtype);
    CU_add_test(s, "bad shape", test_bad_shape);
    CU_add_test(s, "rank above MAX_RANK", test_bad_rank);
    CU_add_test(s, "too many elements", test_too_many_elems);
    CU_add_test(s, "bad data_offsets", test_bad_offsets);
    CU_add_test(s, "offsets beyond the data", test_beyond_data);
    CU_add_test(s, "byte count mismatch", test_size_mismatch);
    CU_add_test(s, "overlapping tensors", test_overlap);
    CU_add_test(s, "duplicate names", test_duplicate);
    CU_add_test(s, "every error reported", test_all_errors);
    CU_add_test(s, "prelu: a slope per channel or one from a file", test_prelu_shared_slope);
}
