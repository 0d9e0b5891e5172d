/* util.c — allocation, checked arithmetic, small string helpers.
 *
 * The compiler frees little (a few scratch buffers): most allocations live
 * until exit, and an allocation failure ends the process with a message. */
#include "cnnc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static _Noreturn void oom(void) {
    fprintf(stderr, "cnnc: fatal error: out of memory\n");
    exit(1);
}

void *xcalloc(size_t n, size_t size) {
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) oom();
    return p;
}

void *xrealloc(void *p, size_t size) {
    p = realloc(p, size ? size : 1);
    if (!p) oom();
    return p;
}

char *xstrndup(const char *s, size_t n) {
    char *p = xcalloc(n + 1, 1);
    if (n) memcpy(p, s, n);   /* s may be NULL when n is 0 (an empty protobuf string) */
    return p;
}

char *xstrdup(const char *s) { return xstrndup(s, strlen(s)); }

char *xasprintf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *p = xcalloc((size_t)n + 1, 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

bool mul_ok(int64_t a, int64_t b, int64_t *r) { return !__builtin_mul_overflow(a, b, r); }
bool add_ok(int64_t a, int64_t b, int64_t *r) { return !__builtin_add_overflow(a, b, r); }
int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

const char *shortest_g(double v, bool single) {
    for (int prec = 1;; prec++) {
        char *s = xasprintf("%.*g", prec, v);
        if (prec >= 17 || (single ? strtof(s, NULL) == (float)v : strtod(s, NULL) == v)) return s;
    }
}

const char *commas(int64_t v) {
    static char ring[8][32];
    static int k;
    char *out = ring[k++ & 7], tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%llu", v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v);
    char *p = out;
    if (v < 0) *p++ = '-';
    for (int i = 0; i < n; i++) {
        *p++ = tmp[i];
        if ((n - i - 1) % 3 == 0 && i != n - 1) *p++ = ',';
    }
    *p = 0;
    return out;
}

int edit_distance(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64) return 1 << 20;
    int d[65][65];
    for (size_t i = 0; i <= la; i++) d[i][0] = (int)i;
    for (size_t j = 0; j <= lb; j++) d[0][j] = (int)j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            int c = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < c) c = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < c) c = d[i][j - 1] + 1;
            d[i][j] = c;
        }
    return d[la][lb];
}

char *read_file(const char *path, size_t *len) { return read_file_max(path, len, SIZE_MAX - 1); }

static int read_errno;   /* 0 with read_file's result; -1: not a regular file */

const char *read_error(void) {
    return read_errno < 0 ? "not a regular file (a device, pipe or socket is not read)" : strerror(read_errno);
}

char *read_file_max(const char *path, size_t *len, size_t max) {
    struct stat st;
    read_errno = 0;
    if (strcmp(path, "-") != 0 && stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        read_errno = S_ISDIR(st.st_mode) ? EISDIR : -1;   /* before open: a FIFO's waits for a writer */
        return NULL;
    }
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        read_errno = errno ? errno : EIO;
        return NULL;
    }
    errno = 0;
    size_t cap = 1 << 16, n = 0;
    char *buf = xcalloc(cap + 1, 1);
    for (;;) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n < cap || n > max) break;   /* past max: the caller reports the size */
        cap *= 2;
        buf = xrealloc(buf, cap + 1);
    }
    int err = ferror(f) ? (errno ? errno : EIO) : 0;
    if (f != stdin) fclose(f);
    if (err) { read_errno = err; return NULL; }
    buf[n] = 0;
    *len = n;
    return buf;
}

_Noreturn void unreachable_at(const char *file, int line) {
    fprintf(stderr, "cnnc: internal error at %s:%d (please report)\n", file, line);
    abort();
}
