/* ast.c — constructors called from the actions of grammar/parser.y.
 *
 * The tree records what was written and where; nothing is resolved here.
 * Integer literals that do not fit in 64 bits are reported at once. */
#include "cnnc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static Value *new_value(ValKind k, Loc loc) {
    Value *v = xcalloc(1, sizeof *v);
    v->kind = k;
    v->loc = loc;
    return v;
}

Value *ast_int(Loc loc, const char *text) {
    Value *v = new_value(VAL_INT, loc);
    errno = 0;
    long long x = strtoll(text, NULL, 10);
    if (errno == ERANGE) {
        diag_error(loc, "integer literal '%.40s%s' does not fit in 64 bits", text,
                   strlen(text) > 40 ? "..." : "");
        x = 0;
        v->bad = true;
    }
    v->i = x;
    v->f = (double)x;
    return v;
}

Value *ast_float(Loc loc, const char *text) {
    Value *v = new_value(VAL_FLOAT, loc);
    v->f = strtod(text, NULL);
    return v;
}

Value *ast_bool(Loc loc, bool b) {
    Value *v = new_value(VAL_BOOL, loc);
    v->i = b;
    return v;
}

Value *ast_word(Loc loc, const char *s) {
    Value *v = new_value(VAL_WORD, loc);
    v->s = s;
    return v;
}

Value *ast_string(Loc loc, const char *s) {
    Value *v = new_value(VAL_STRING, loc);
    v->s = s;
    return v;
}

Value *ast_list(Loc loc) { return new_value(VAL_LIST, loc); }

Value *ast_list_add(Value *list, Value *item) {
    if ((list->n & (list->n - 1)) == 0)   /* grow at powers of two */
        list->items = xrealloc(list->items, sizeof(Value *) * (size_t)(list->n ? 2 * list->n : 1));
    list->items[list->n++] = item;
    return list;
}

Value *ast_negate(Loc loc, Value *v) {
    v->i = -v->i;
    v->f = -v->f;
    v->loc.col = loc.col;
    v->loc.len += 1;
    return v;
}

Stmt *ast_layer(Loc loc, const char *op, const char *name, Loc name_loc) {
    Stmt *st = xcalloc(1, sizeof *st);
    st->kind = ST_LAYER;
    st->loc = loc;
    st->op = op;
    st->name = name;
    st->name_loc = name_loc;
    return st;
}

Stmt *ast_add_arg(Stmt *st, const char *key, Loc loc, Value *val) {
    if ((st->nargs & (st->nargs - 1)) == 0)
        st->args = xrealloc(st->args, sizeof(Arg) * (size_t)(st->nargs ? 2 * st->nargs : 1));
    st->args[st->nargs++] = (Arg){key, loc, val};
    return st;
}

Stmt *ast_input(Loc loc, const char *name, Loc name_loc, Value *dims) {
    Stmt *st = ast_layer(loc, "input", name, name_loc);
    st->kind = ST_INPUT;
    st->dims = dims->items;
    st->ndims = dims->n;
    return st;
}

Stmt *ast_output(Loc loc, const char *name, Loc name_loc) {
    Stmt *st = ast_layer(loc, "output", name, name_loc);
    st->kind = ST_OUTPUT;
    return st;
}

Stmt *ast_weights(Loc loc, const char *path) {
    Stmt *st = ast_layer(loc, "weights", NULL, loc);
    st->kind = ST_WEIGHTS;
    st->path = path;
    return st;
}

void ast_program(Program *p, const char *name, Loc loc) {
    p->name = name ? name : "net";
    p->loc = loc;
}

void ast_add_stmt(Program *p, Stmt *st) {
    if ((p->n & (p->n - 1)) == 0)
        p->stmts = xrealloc(p->stmts, sizeof(Stmt *) * (size_t)(p->n ? 2 * p->n : 1));
    p->stmts[p->n++] = st;
}

const char *value_kind_name(ValKind k) {
    switch (k) {
    case VAL_INT: return "an integer";
    case VAL_FLOAT: return "a number";
    case VAL_BOOL: return "true/false";
    case VAL_WORD: return "a name";
    case VAL_STRING: return "a string";
    case VAL_LIST: return "a list";
    }
    unreachable();
}

static bool flatten(const Value *v, double **out, int64_t *n, int64_t *cap) {
    if (v->kind == VAL_LIST) {
        for (int i = 0; i < v->n; i++)
            if (!flatten(v->items[i], out, n, cap)) return false;
        return true;
    }
    if (v->bad) return false;   /* reported already */
    if (v->kind != VAL_INT && v->kind != VAL_FLOAT) {
        diag_error(v->loc, "expected a number, got %s", value_kind_name(v->kind));
        return false;
    }
    if (*n == *cap) {
        *cap = *cap ? 2 * *cap : 16;
        *out = xrealloc(*out, sizeof(double) * (size_t)*cap);
    }
    (*out)[(*n)++] = v->f;
    return true;
}

bool value_numbers(const Value *v, double **out, int64_t *n) {
    int64_t cap = 0;
    *out = NULL;
    *n = 0;
    return flatten(v, out, n, &cap);
}

/* ---- the Program as source (--emit=cnn): what parses back to the same tree */

static void write_value(FILE *f, const Value *v) {
    switch (v->kind) {
    case VAL_INT: fprintf(f, "%lld", (long long)v->i); return;
    case VAL_BOOL: fputs(v->i ? "true" : "false", f); return;
    case VAL_WORD: fputs(v->s, f); return;
    case VAL_FLOAT: {
        /* the shortest form that reads back the same (as a float, when it is one) */
        const char *buf = shortest_g(v->f, (double)(float)v->f == v->f);
        fputs(buf, f);
        if (!strpbrk(buf, ".eEn")) fputs(".0", f);   /* stays a number with a point */
        return;
    }
    case VAL_STRING:
        fputc('"', f);
        for (const char *s = v->s; *s; s++) {
            if (*s == '"' || *s == '\\') fputc('\\', f);
            fputc(*s, f);
        }
        fputc('"', f);
        return;
    case VAL_LIST:
        fputc('[', f);
        for (int i = 0; i < v->n; i++) {
            if (i) fputs(", ", f);
            write_value(f, v->items[i]);
        }
        fputc(']', f);
        return;
    }
    unreachable();
}

void ast_write(FILE *f, const Program *p) {
    fprintf(f, "network %s {\n", p->name);
    for (int i = 0; i < p->n; i++) {
        const Stmt *st = p->stmts[i];
        switch (st->kind) {
        case ST_INPUT:
            fprintf(f, "    input %s[", st->name);
            for (int k = 0; k < st->ndims; k++) {
                if (k) fputs(", ", f);
                write_value(f, st->dims[k]);
            }
            fputs("];\n", f);
            break;
        case ST_WEIGHTS:
            fputs("    weights ", f);
            write_value(f, &(Value){.kind = VAL_STRING, .s = st->path});
            fputs(";\n", f);
            break;
        case ST_OUTPUT:
            fprintf(f, "    output %s", st->name);
            for (int k = 0; k < st->nargs; k++) fprintf(f, ", %s", st->args[k].val->s);
            fputs(";\n", f);
            break;
        case ST_LAYER:
            fprintf(f, "    %s", st->op);
            if (st->name) fprintf(f, " %s", st->name);
            if (st->nargs) {
                fputc('(', f);
                for (int k = 0; k < st->nargs; k++) {
                    if (k) fputs(", ", f);
                    if (st->args[k].key) fprintf(f, "%s=", st->args[k].key);
                    write_value(f, st->args[k].val);
                }
                fputc(')', f);
            }
            fputs(";\n", f);
            break;
        }
    }
    fputs("}\n", f);
}
