/* diag.c — diagnostics in clang's shape.
 *
 *   net.cnn:7:14: error: dense 'fc1' needs a vector input, got [50,7,7]
 *       7 |     dense fc1(out=500);
 *         |           ^~~
 *
 * Every error is counted; stages run to the end and the driver stops after a
 * stage that reported errors. Colour only on a terminal without NO_COLOR. */
#include "cnnc.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *fname = "<input>";
static const char *text;
static size_t text_len;
static int nerrors;
static int use_color;

void diag_init(const char *filename, const char *src, size_t len) {
    fname = filename;
    text = src;
    text_len = len;
    nerrors = 0;
}

void diag_color(int mode) {
    if (mode < 0) {
        const char *nc = getenv("NO_COLOR");
        mode = isatty(2) && !(nc && *nc);
    }
    use_color = mode;
}

int diag_error_count(void) { return nerrors; }
const char *diag_filename(void) { return fname; }

static const char *col(const char *code) { return use_color ? code : ""; }

/* the text of line n (1-based) without its newline */
static const char *line_at(int n, int *len) {
    if (!text) return NULL;
    const char *p = text, *end = text + text_len;
    for (int i = 1; i < n && p < end; i++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) return NULL;
        p = nl + 1;
    }
    if (p >= end && n > 1) return NULL;
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    *len = (int)((nl ? nl : end) - p);
    if (*len > 0 && p[*len - 1] == '\r') (*len)--;
    return p;
}

static void show_line(Loc loc, const char *caret_color) {
    int len;
    const char *s = line_at(loc.line, &len);
    if (!s) return;
    const int shown = len > 200 ? 200 : len;   /* megabyte lines stay readable */
    fprintf(stderr, "%5d | %.*s%s\n", loc.line, shown, s, shown < len ? "..." : "");
    fprintf(stderr, "      | ");
    int c = loc.col - 1;
    if (c > shown) c = shown;
    for (int i = 0; i < c; i++) fputc(s[i] == '\t' ? '\t' : ' ', stderr);
    int under = loc.len < 1 ? 1 : loc.len;
    if (c + under > shown + 1) under = shown + 1 - c;
    if (under < 1) under = 1;
    fprintf(stderr, "%s^", col(caret_color));
    for (int i = 1; i < under; i++) fputc('~', stderr);
    fprintf(stderr, "%s\n", col("\033[0m"));
}

static void vreport(const char *file, Loc loc, const char *kind, const char *kcolor, const char *fmt, va_list ap) {
    fprintf(stderr, "%s%s:", col("\033[1m"), file);
    if (loc.line > 0) fprintf(stderr, "%d:%d:", loc.line, loc.col);
    fprintf(stderr, " %s%s:%s%s ", col(kcolor), kind, col("\033[0m"), col("\033[1m"));
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "%s\n", col("\033[0m"));
    if (loc.line > 0 && file == fname) show_line(loc, "\033[1;32m");
}

#define REPORT(file, loc, kind, color)              \
    do {                                            \
        va_list ap;                                 \
        va_start(ap, fmt);                          \
        vreport(file, loc, kind, color, fmt, ap);   \
        va_end(ap);                                 \
    } while (0)

static int max_errors = 20;

void diag_limit(int n) { max_errors = n; }

static void too_many(void) {
    if (max_errors <= 0 || nerrors <= max_errors) return;
    fprintf(stderr, "%s: fatal error: too many errors emitted, stopping now\n", fname);
    exit(1);
}

void diag_error(Loc loc, const char *fmt, ...) {
    nerrors++;
    too_many();
    REPORT(fname, loc, "error", "\033[1;31m");
}

void diag_warning(Loc loc, const char *fmt, ...) { REPORT(fname, loc, "warning", "\033[1;35m"); }

void diag_note(Loc loc, const char *fmt, ...) { REPORT(fname, loc, "note", "\033[1;36m"); }

void diag_file_error(const char *file, const char *fmt, ...) {
    nerrors++;
    too_many();
    REPORT(file, (Loc){0}, "error", "\033[1;31m");
}

void diag_file_warning(const char *file, const char *fmt, ...) {
    REPORT(file, (Loc){0}, "warning", "\033[1;35m");
}
