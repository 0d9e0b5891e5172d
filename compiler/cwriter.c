/* cwriter.c — the C writer under every emitter: lines at an indentation,
 * blocks (and the macros in cnnc.h that close them), loops, flat indexes,
 * float constants that read back exactly, and weight arrays. It knows
 * nothing of layers but a parameter's symbol name. */
#include "cnnc.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void vline(Emit *e, const char *fmt, va_list ap) {
    for (int i = 0; i < e->indent; i++) fputs("    ", e->c);
    vfprintf(e->c, fmt, ap);
}

void emit_line(Emit *e, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vline(e, fmt, ap);
    va_end(ap);
    fputc('\n', e->c);
}

void emit_open(Emit *e, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vline(e, fmt, ap);
    va_end(ap);
    fputs(" {\n", e->c);
    e->indent++;
}

void emit_scope(Emit *e) {
    emit_line(e, "{");
    e->indent++;
}

void emit_close(Emit *e) {
    e->indent--;
    emit_line(e, "}");
}

void emit_else(Emit *e) {
    e->indent--;
    emit_line(e, "} else {");
    e->indent++;
}

void emit_else_if(Emit *e, const char *cond) {
    e->indent--;
    emit_line(e, "} else if (%s) {", cond);
    e->indent++;
}

void emit_close_n(Emit *e, int n) {
    for (int i = 0; i < n; i++) emit_close(e);
}

void emit_for(Emit *e, const char *var, int64_t n) {
    emit_open(e, "for (int %s = 0; %s < %lld; %s++)", var, var, (long long)n, var);
}

void emit_for_simd(Emit *e, const char *var, int64_t n) {
    emit_line(e, "CNNRT_SIMD");
    emit_for(e, var, n);
}

const char *emit_param(Emit *e, const Layer *L, const char *pname) {
    char *s = xasprintf("%s_%s__%s", e->prefix, L->name, pname);
    for (char *p = s; *p; p++)
        if (*p == '.') *p = '_';
    return s;
}

/* ---- folded integer expressions */

const char *loop_var(const char *var, int64_t n) { return n > 1 ? var : "0"; }

const char *loop_head(const char *var, int64_t n) {
    return n > 1 ? xasprintf("for (int %s = 0; %s < %lld; %s++) ", var, var, (long long)n, var) : "";
}

/* the value of an integer literal x */
static bool literal(const char *x, int64_t *v) {
    char *end;
    long long n = strtoll(x, &end, 10);
    if (end == x || *end) return false;
    *v = n;
    return true;
}

/* x needs parentheses as an operand of * or /: a sum at its top level */
static const char *operand(const char *x) {
    int depth = 0;
    for (const char *p = x; *p; p++) {
        depth += *p == '(' || *p == '[' ? 1 : *p == ')' || *p == ']' ? -1 : 0;
        if (depth == 0 && p > x && p[-1] == ' ' && (*p == '+' || *p == '-' || *p == '?') && p[1] == ' ')
            return xasprintf("(%s)", x);
    }
    return x;
}

const char *cx_mul(const char *x, int64_t k) {
    int64_t v;
    if (literal(x, &v)) return xasprintf("%lld", (long long)(v * k));
    if (k == 0) return "0";
    if (k == 1) return x;
    return xasprintf("%s * %lld", operand(x), (long long)k);
}

const char *cx_add(const char *x, int64_t b) {
    int64_t v;
    if (literal(x, &v)) return xasprintf("%lld", (long long)(v + b));
    if (b == 0) return x;
    return xasprintf("%s %c %lld", x, b < 0 ? '-' : '+', (long long)(b < 0 ? -b : b));
}

const char *cx_plus(const char *x, const char *y) {
    int64_t v;
    if (literal(y, &v)) return cx_add(x, v);
    if (literal(x, &v)) return v == 0 ? y : xasprintf("%s + %lld", y, (long long)v);
    return xasprintf("%s + %s", x, y);
}

const char *cx_div(const char *x, int64_t k) {
    int64_t v;
    if (literal(x, &v)) return xasprintf("%lld", (long long)(v / k));
    if (k == 1) return x;
    return xasprintf("%s / %lld", operand(x), (long long)k);
}

const char *cx_mod(const char *x, int64_t k) {
    int64_t v;
    if (literal(x, &v)) return xasprintf("%lld", (long long)(v % k));
    if (k == 1) return "0";
    return xasprintf("%s %% %lld", operand(x), (long long)k);
}

const char *cx_paren(const char *x) { return operand(x); }

const char *cx_size(const char *x) {
    int64_t v;
    return literal(x, &v) ? x : xasprintf("(size_t)%s", operand(x));
}

const char *cx_at(const char *base, const char *off) { return strcmp(off, "0") ? xasprintf("%s + %s", base, off) : base; }

const char *cx_binop(const char *binop, const char *a, const char *b) {
    if (isalpha((unsigned char)binop[0])) return xasprintf("%s(%s, %s)", binop, a, b);
    return xasprintf("%s %s %s", a, binop, b);
}

const char *cx_index(int n, const char *const *vars, const int64_t *dims) {
    const char *s = "0";
    for (int i = 0; i < n; i++) s = cx_plus(cx_mul(s, dims[i]), vars[i]);
    return s;
}

const char *emit_index(int n, const char *const *vars, const int64_t *dims) {
    char *s = strchr(vars[0], ' ') && n > 1 ? xasprintf("(%s)", vars[0]) : xstrdup(vars[0]);
    for (int i = 1; i < n; i++)
        s = xasprintf(i == 1 ? "%s * %lld + %s" : "(%s) * %lld + %s", s, (long long)dims[i], vars[i]);
    return s;
}

const char *emit_comment_text(const char *s) {
    size_t n = strlen(s);
    char *out = xcalloc(2 * n + 1, 1), *o = out;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i] == '\n' || s[i] == '\r' ? ' ' : s[i];
        *o++ = ch;
        /* "* /" would end the comment, "/ *" would nest one (-Wcomment) */
        if ((ch == '*' && s[i + 1] == '/') || (ch == '/' && s[i + 1] == '*')) *o++ = ' ';
    }
    return out;
}

const char *emit_float(double v) {
    float f = (float)v;   /* beyond float's range: infinity, as the generated code would see it */
    if (isinf(f)) return f > 0 ? "INFINITY" : "-INFINITY";
    if (isnan(f)) return "NAN";
    char buf[64];
    snprintf(buf, sizeof buf, "%.9g", (double)f);
    if (!strpbrk(buf, ".en")) strcat(buf, ".0");
    return xasprintf("%sf", buf);
}

/* Large arrays are written as the bytes of their little-endian floats in
 * one string literal: a compiler holds a literal as one node, where an
 * initializer list costs it hundreds of bytes per number (ResNet-18's 11.7 M
 * weights: 5.8 GB of clang's memory as numbers). --weights-format=text keeps
 * numbers everywhere. The code sees a declaration; the definition, with the
 * bytes, goes to e->tail, after the code: gcc stops tracking columns some
 * 300 MB into a file, and the code read after that much weight text made
 * -Wall's misleading-indentation check say so (ResNet-50, ConvNeXt). */

static void byte_array(Emit *e, const char *sym, const float *v, int64_t n) {
    const char *type = xasprintf("_Alignas(64) const union %s_bytes", sym);
    fprintf(e->c, "static %s { unsigned char b[%lld]; float f[%lld]; } %s_bytes;\n",
            type, (long long)(4 * n), (long long)n, sym);
    fprintf(e->c, "static const float *const %s = %s_bytes.f;\n\n", sym, sym);
    FILE *t = e->tail;
    fprintf(t, "%sstatic %s %s_bytes = {\n\"", ftell(t) > 0 ? "\n" : "", type, sym);
    int col = 0;
    for (int64_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &v[i], 4);
        for (int k = 0; k < 4; k++) {
            unsigned c = (u >> (8 * k)) & 0xff;
            if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '?') col += fprintf(t, "%c", c);
            else col += fprintf(t, "\\%03o", c);
        }
        if (col > 100 && i + 1 < n) {
            fputs("\"\n\"", t);
            col = 0;
        }
    }
    fprintf(t, "\"};\n");
}

void emit_array(Emit *e, const char *comment, const char *sym, const float *v, int64_t n) {
    fprintf(e->c, "/* %s */\n", comment);
    if (n >= EMIT_BYTES_FROM && !e->o->text_weights) {
        fprintf(e->c, "/* (as the bytes of %lld little-endian floats, at the end of the file) */\n", (long long)n);
        byte_array(e, sym, v, n);
        return;
    }
    fprintf(e->c, "static _Alignas(64) const float %s[%lld] = {", sym, (long long)n);
    for (int64_t i = 0; i < n; i++) {
        if (i % 8 == 0) fputs("\n   ", e->c);
        fprintf(e->c, " %s,", emit_float(v[i]));
    }
    fprintf(e->c, "\n};\n\n");
}

void emit_int_array(Emit *e, const char *comment, const char *sym, const int64_t *v, int64_t n) {
    fprintf(e->c, "/* %s */\nstatic const int %s[%lld] = {", comment, sym, (long long)n);
    for (int64_t i = 0; i < n; i++) fprintf(e->c, "%s%lld,", i % 16 ? " " : "\n    ", (long long)v[i]);
    fprintf(e->c, "\n};\n\n");
}

