/* suites.h — the unit-test suites of cnnc and the helpers they share.
 *
 * Each test_X.c defines `void suite_X(void)`, which adds one CUnit suite
 * with its tests to the registry; main.c calls every one of them. The
 * helpers (helpers.c) run the front end on a source string with stderr
 * captured, so a test can look at the diagnostics it printed. */
#ifndef SUITES_H
#define SUITES_H

#include <CUnit/CUnit.h>

#include "cnnc.h"

/* ---- the suites (one per file) */
void suite_lexer_parser(void);   /* test_lexer_parser.c */
void suite_shapes(void);         /* test_shapes.c */
void suite_report(void);         /* test_report.c */
void suite_passes(void);         /* test_passes.c */
void suite_runtime(void);        /* test_runtime.c */
/* test_safetensors.c is written separately; weak, so the runner still links
 * (and says so) while that file is absent */
void suite_safetensors(void) __attribute__((weak));

/* ---- helpers.c */

/* add a suite with its tests, NULL-terminated pairs of name and function;
 * a registry error is remembered and makes the runner fail */
typedef struct { const char *name; CU_TestFunc fn; } TestDef;
void add_suite(const char *name, const TestDef *tests);
extern int unit_registry_errors;

/* stderr into a buffer: capture_begin(); ...; char *s = capture_end(); */
void capture_begin(void);
char *capture_end(void);   /* what was written, NUL-terminated; never NULL */
char *capture_abort(void); /* the same if a capture is in progress, else NULL */

/* the front end on a source string, through the pipeline main.c runs */
typedef struct {
    Compilation u;                  /* u.g: the graph; u.parsed.. each stage's result */
    int errors;                     /* errors this source caused */
    char *err;                      /* its stderr */
} Net;
/* the Options of -O0, -O1, -O2 */
const Options *opt_level(int opt);
Net *net_compile(const char *src);
/* true when every stage ran and succeeded */
bool net_ok(const Net *n);
const Layer *net_layer(const Net *n, const char *name);

/* CUnit assertion with a formatted message at the caller's line */
void check_at(bool ok, int line, const char *file, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
#define CHECK(ok, ...) check_at((ok), __LINE__, __FILE__, __VA_ARGS__)

#endif
