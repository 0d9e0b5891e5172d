/* helpers.c — what the unit suites share: suite registration, stderr
 * capture, and net_compile(), which runs the front end (parse, graph,
 * shapes) on a source string through the pipeline main.c uses and keeps the
 * diagnostics it printed. */
#include "suites.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int unit_registry_errors;

void add_suite(const char *name, const TestDef *tests) {
    CU_pSuite s = CU_add_suite(name, NULL, NULL);
    if (!s) {
        fprintf(stderr, "cannot add suite %s: %s\n", name, CU_get_error_msg());
        unit_registry_errors++;
        return;
    }
    for (; tests->name; tests++)
        if (!CU_add_test(s, tests->name, tests->fn)) {
            fprintf(stderr, "cannot add test %s.%s: %s\n", name, tests->name, CU_get_error_msg());
            unit_registry_errors++;
        }
}

/* ---- stderr capture: fd 2 points at a temporary file meanwhile */

static int saved_fd = -1;
static FILE *cap;

void capture_begin(void) {
    fflush(stderr);
    cap = tmpfile();
    if (!cap) return;
    saved_fd = dup(2);
    dup2(fileno(cap), 2);
}

char *capture_end(void) {
    if (!cap) return xstrdup("");
    fflush(stderr);
    dup2(saved_fd, 2);
    close(saved_fd);
    saved_fd = -1;
    long n = ftell(cap);
    char *s = xcalloc((size_t)(n > 0 ? n : 0) + 1, 1);
    rewind(cap);
    if (n > 0 && fread(s, 1, (size_t)n, cap) != (size_t)n) s[0] = 0;
    fclose(cap);
    cap = NULL;
    return s;
}

/* stop a capture in progress (the process is exiting): restore stderr and
 * return what was captured, or NULL when nothing was being captured */
char *capture_abort(void) {
    if (!cap) return NULL;
    return capture_end();
}

/* ---- the front end */

Net *net_compile(const char *src) {
    Net *n = xcalloc(1, sizeof *n);
    char *text = xstrdup(src);   /* diag.c keeps pointing at it */
    capture_begin();
    pipeline_front(&n->u, "test.cnn", text, strlen(text));
    n->err = capture_end();
    n->errors = diag_error_count();
    return n;
}

bool net_ok(const Net *n) { return n->u.parsed && n->u.built && n->u.inferred && n->errors == 0; }

const Options *opt_level(int opt) {
    static const Options levels[] = {{.opt = 0}, {.opt = 1}, {.opt = 2}};
    return &levels[opt];
}

const Layer *net_layer(const Net *n, const char *name) {
    return n->u.g.n > 0 ? graph_find(&n->u.g, name) : NULL;
}

void check_at(bool ok, int line, const char *file, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    CU_assertImplementation(ok ? CU_TRUE : CU_FALSE, (unsigned)line, msg, file, "", CU_FALSE);
}
