/* main.c — the command line (docs/language.md, section 8): parse options, run the stages, write
 * the outputs atomically.
 *
 *   source --pipeline_front--> Graph with shapes --pipeline_plan--> Plan
 *     --report/dot, or pipeline_weights and emit_network--> outputs
 *
 * Exit status: 0 success, 1 errors in the input, 2 bad usage. Every stage
 * runs to its end so all its errors are reported; a failed stage stops the
 * pipeline before anything is written. Outputs go to a temporary file beside
 * the target and are renamed into place only when everything succeeded; the
 * report waits in memory until then, so a failed run prints nothing on
 * standard output, and at most one output may go there. */
#include "cnnc.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* the command line: what to read and write, and the code generation Options */
typedef struct {
    const char *input, *output, *weights, *prefix, *dump;
    const char *report;   /* NULL, "text" or "json" */
    const char *emit;     /* "c", "dot" or "cnn" */
    const char *format;   /* --input: "cnn" or "onnx" (NULL: by the extension) */
    int64_t shape[MAX_RANK]; int shape_n;   /* --input-shape */
    bool compile, random;
    uint64_t seed;
    Options gen;
} Cli;

static const char usage_text[] =
    "usage: cnnc [options] FILE.cnn|FILE.onnx   ('-' reads standard input)\n"
    "\n"
    "  -o FILE                 write the C source to FILE and its header beside it\n"
    "                          (FILE with .h); '-o -' writes the source to stdout\n"
    "  -c                      also compile the source with $CC (default clang)\n"
    "  --report[=text|json]    print the parameter/MAC report on standard output\n"
    "                          (not with '-o -', nor --emit=dot without -o FILE)\n"
    "  --emit=c|dot|cnn        what to write: C (default), the layer graph in dot, or\n"
    "                          the network as .cnn (with its weights as .safetensors\n"
    "                          beside it; inline with '-o -')\n"
    "  --input=cnn|onnx        the input's format (default: by its extension)\n"
    "  --input-shape D,D,...   per-sample input shape of an ONNX model whose input\n"
    "                          has symbolic dimensions (the batch aside)\n"
    "  -O0 | -O1 | -O2         graph passes: none | BatchNorm folding and fusion |\n"
    "                          everything (default -O2); -O, -O3: the same as -O2\n"
    "  --weights FILE          safetensors file (overrides the network's own)\n"
    "  --random-weights[=SEED] random parameters, deterministic for a seed (default 1)\n"
    "  --prefix NAME           C symbol prefix (default: the network's name)\n"
    "  --weights-format=bytes|text  arrays of 4096+ weights as the bytes of their\n"
    "                          floats (default; fast to compile) or as numbers\n"
    "  --winograd=auto|on|off  3x3 stride-1 conv2d by Winograd F(4x4,3x3) or\n"
    "                          F(2x2,3x3) at -O2: where it pays (auto, 32+\n"
    "                          channels), always, never\n"
    "  --conv-vectors=auto|pixels|channels  what the -O2 conv2d kernels' vectors\n"
    "                          run over: chosen per layer (auto), output positions,\n"
    "                          output channels (in a channel-blocked layout between\n"
    "                          such layers)\n"
    "  --target=auto|generic|avx2|avx512|neon  the -O2 kernels: auto (default) writes\n"
    "                          them for AVX-512, AVX2/NEON and the baseline, chosen\n"
    "                          by the CPU when they run (x86-64) or when the .c is\n"
    "                          compiled; the others write one set and refuse other\n"
    "                          targets\n"
    "  --cache=L1,L2[,L3]|host  the data caches the -O2 kernels' blocks are sized\n"
    "                          for: one core's L1 and L2 and the last-level cache\n"
    "                          (default 32K,1M,32M; host: this machine's)\n"
    "  --dump-passes           print the graph after each pass on standard error\n"
    "  --cflags, --libs        flags to compile and link generated code (both: one line)\n"
    "  -h, --help, --version\n";

static _Noreturn void usage_error(const char *fmt, const char *arg) {
    fprintf(stderr, "cnnc: error: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(run 'cnnc --help' for the options)\n");
    exit(2);
}

/* ---- where the runtime is: beside the executable (build tree or install) */

static const char *exe_dir(void) {
    static char buf[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0) return ".";
    buf[n] = 0;
    return dirname(buf);
}

/* A/B, without a doubled '/' when A is "/" */
static char *path_join(const char *a, const char *b) {
    size_t n = strlen(a);
    return xasprintf("%s%s%s", a, n && a[n - 1] == '/' ? "" : "/", b);
}

static bool has_file(const char *dir, const char *file) { return access(path_join(dir, file), R_OK) == 0; }

/* the directories of cnnrt.h and libcnnrt.a, from the executable's directory
 * DIR: a build tree (DIR/../runtime/cnnrt.h; the library in DIR when it is
 * there, as in another build directory, else in the tree's build/) or an
 * installation (DIR/../include/cnnrt.h, DIR/../lib). When neither holds
 * cnnrt.h (or, with need_lib, the library), says where it looked on stderr
 * and returns false. */
static bool find_runtime(bool need_lib, const char **inc, const char **lib) {
    const char *dir = exe_dir();
    char *here = realpath(dir, NULL), *up = realpath(path_join(dir, ".."), NULL);
    if (!here || !up) {
        fprintf(stderr, "cnnc: error: cannot find the directory of the cnnc binary ('%s'): %s\n", dir,
                strerror(errno));
        return false;
    }
    char *tree = path_join(up, "runtime"), *include = path_join(up, "include");
    const char *lib_dirs[2];
    int nlib = 0;
    bool in_tree = has_file(tree, "cnnrt.h");
    if (in_tree) {
        *inc = tree;
        lib_dirs[nlib++] = here;
        if (strcmp(here, path_join(up, "build")) != 0) lib_dirs[nlib++] = path_join(up, "build");
    } else if (has_file(include, "cnnrt.h")) {
        *inc = include;
        lib_dirs[nlib++] = path_join(up, "lib");
    } else {
        fprintf(stderr, "cnnc: error: cannot find cnnrt.h beside the cnnc binary (looked in %s and %s); "
                "run 'make install' or use the build tree's build/cnnc\n", tree, include);
        return false;
    }
    *lib = NULL;
    for (int k = 0; k < nlib && !*lib; k++)
        if (has_file(lib_dirs[k], "libcnnrt.a")) *lib = lib_dirs[k];
    if (need_lib && !*lib) {
        fprintf(stderr, "cnnc: error: cannot find libcnnrt.a beside the cnnc binary (looked in %s%s%s); "
                "run '%s'\n", lib_dirs[0], nlib > 1 ? " and " : "", nlib > 1 ? lib_dirs[1] : "",
                in_tree ? "make" : "make install");
        return false;
    }
    return true;
}

/* --cflags and --libs, as pkg-config prints them: both on one line when
 * both are asked for, whatever their order */
static _Noreturn void print_flags(int argc, char **argv) {
    bool cflags = false, libs = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--cflags") == 0) cflags = true;
        else if (strcmp(argv[i], "--libs") == 0) libs = true;
        else usage_error("'%s' with --cflags or --libs: they take no other argument", argv[i]);
    }
    const char *inc, *lib;
    if (!find_runtime(libs, &inc, &lib)) exit(1);
    if (cflags) printf("-I%s%s", inc, libs ? " " : "\n");
    if (libs) printf("-L%s -lcnnrt -lm\n", lib);
    exit(fflush(stdout) == 0 ? 0 : 1);
}

/* ---- options */

/* the index of the value of --OPTION=VALUE in words (NULL-terminated), or a
 * usage error "'ARG': what" */
static int keyword(const char *arg, const char *const *words, const char *what) {
    const char *v = strchr(arg, '=') + 1;
    for (int k = 0; words[k]; k++)
        if (strcmp(v, words[k]) == 0) return k;
    usage_error(xasprintf("'%%s': %s", what), arg);
}

static bool valid_ident(const char *s) {
    if (!(*s == '_' || (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z'))) return false;
    for (; *s; s++)
        if (!(*s == '_' || (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
            return false;
    return true;
}

static const char *need_arg(int argc, char **argv, int *i) {
    if (*i + 1 >= argc) usage_error("option '%s' needs an argument", argv[*i]);
    return argv[++*i];
}

/* --input-shape D,D,...: positive integers */
static void parse_shape(Cli *o, const char *v) {
    const char *p = v;
    o->shape_n = 0;
    while (*p) {
        char *end;
        errno = 0;
        long long d = strtoll(p, &end, 10);
        if (end == p || d < 1 || errno || o->shape_n == MAX_RANK || (*end && *end != ','))
            usage_error("'%s': --input-shape takes positive integers separated by commas, such as 3,224,224", v);
        o->shape[o->shape_n++] = d;
        p = *end ? end + 1 : end;
        if (*end && !*p) usage_error("'%s': --input-shape ends with a comma", v);
    }
    if (!o->shape_n) usage_error("%s", "--input-shape needs dimensions, such as 3,224,224");
}

/* a cache size: bytes, or a number of KiB or MiB (32K, 1M) */
static int64_t parse_size(const char *p, const char **end) {
    char *e;
    errno = 0;
    long long v = strtoll(p, &e, 10);
    if (e == p || v < 0 || errno) return -1;
    int shift = *e == 'K' || *e == 'k' ? 10 : *e == 'M' || *e == 'm' ? 20 : 0;
    if (shift) e++;
    *end = e;
    return v > (1LL << 30) >> shift ? -1 : (int64_t)v << shift;
}

/* --cache=L1,L2[,L3] (no L3: none, as on many embedded cores) or --cache=host */
static void parse_cache(Cli *o, const char *a) {
    const char *p = a + 8;
    if (strcmp(p, "host") == 0) {
        if (!target_host_caches(o->gen.cache))
            usage_error("'%s': this machine does not tell its cache sizes; give them, such as --cache=32K,1M,32M", a);
        return;
    }
    int64_t c[3] = {0};
    int n = 0;
    bool bad = false;
    for (;;) {
        const char *end = p;
        int64_t v = parse_size(p, &end);
        bad |= n == 3 || v < (n == 2 ? 0 : 1024) || (*end && *end != ',') || (*end == ',' && !end[1]);
        if (bad) break;
        c[n++] = v;
        if (!*end) break;
        p = end + 1;
    }
    if (bad || n < 2)
        usage_error("'%s': --cache takes the sizes of the L1 data, the L2 and optionally the last-level "
                    "cache, such as 32K,1M,32M (L1 and L2 of 1K or more), or host", a);
    if (c[1] < c[0] || (c[2] && c[2] < c[1]))
        usage_error("'%s': each cache of --cache is at least as large as the one before it", a);
    memcpy(o->gen.cache, c, sizeof c);
}

static Cli parse_args(int argc, char **argv) {
    Cli o = {.emit = "c", .seed = 1, .gen = {.opt = 2}};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage_text, stdout);
            printf("\nlayer kinds:");
            for (int k = 0; k < op_count; k++) printf("%s%s", k % 8 ? " " : "\n  ", op_table[k]->name);
            printf("\n");
            exit(0);
        } else if (strcmp(a, "--version") == 0) {
            printf("cnnc %s\n", CNNC_VERSION);
            exit(0);
        } else if (strcmp(a, "--cflags") == 0 || strcmp(a, "--libs") == 0) {
            print_flags(argc, argv);
        } else if (strcmp(a, "-o") == 0) {
            o.output = need_arg(argc, argv, &i);
        } else if (strncmp(a, "-o", 2) == 0 && a[2]) {
            o.output = a + 2;
        } else if (strcmp(a, "-c") == 0) {
            o.compile = true;
        } else if (strcmp(a, "--report") == 0 || strcmp(a, "--report=text") == 0) {
            o.report = "text";
        } else if (strcmp(a, "--report=json") == 0) {
            o.report = "json";
        } else if (strncmp(a, "--report=", 9) == 0) {
            usage_error("unknown report format '%s' (text or json)", a + 9);
        } else if (strcmp(a, "--emit=c") == 0 || strcmp(a, "--emit=dot") == 0 || strcmp(a, "--emit=cnn") == 0) {
            o.emit = a + 7;
        } else if (strncmp(a, "--emit", 6) == 0) {
            usage_error("'%s': --emit takes c, dot or cnn", a);
        } else if (strcmp(a, "--input=cnn") == 0 || strcmp(a, "--input=onnx") == 0) {
            o.format = a + 8;
        } else if (strncmp(a, "--input=", 8) == 0) {
            usage_error("'%s': --input takes cnn or onnx", a);
        } else if (strcmp(a, "--input-shape") == 0 || strncmp(a, "--input-shape=", 14) == 0) {
            const char *v = a[13] == '=' ? a + 14 : need_arg(argc, argv, &i);
            parse_shape(&o, v);
        } else if (strcmp(a, "-O0") == 0 || strcmp(a, "-O1") == 0 || strcmp(a, "-O2") == 0) {
            o.gen.opt = a[2] - '0';
        } else if (strcmp(a, "-O") == 0 || strcmp(a, "-O3") == 0) {
            o.gen.opt = 2;   /* as gcc: -O means a level, -O3 is the most there is */
        } else if (strncmp(a, "-O", 2) == 0) {
            usage_error("unknown optimization level '%s' (-O0, -O1 or -O2)", a);
        } else if (strcmp(a, "--weights") == 0) {
            o.weights = need_arg(argc, argv, &i);
        } else if (strncmp(a, "--weights=", 10) == 0) {
            o.weights = a + 10;
        } else if (strcmp(a, "--random-weights") == 0) {
            o.random = true;
        } else if (strncmp(a, "--random-weights=", 17) == 0) {
            char *end;
            errno = 0;
            o.seed = strtoull(a + 17, &end, 10);
            if (!a[17] || *end || errno) usage_error("'%s': the seed must be a non-negative integer", a);
            o.random = true;
        } else if (strcmp(a, "--prefix") == 0 || strncmp(a, "--prefix=", 9) == 0) {
            o.prefix = a[8] == '=' ? a + 9 : need_arg(argc, argv, &i);
            if (!valid_ident(o.prefix)) usage_error("prefix '%s' is not a C identifier", o.prefix);
        } else if (strcmp(a, "--weights-format=text") == 0 || strcmp(a, "--weights-format=bytes") == 0) {
            o.gen.text_weights = a[17] == 't';
        } else if (strncmp(a, "--weights-format", 16) == 0) {
            usage_error("'%s': --weights-format takes text or bytes", a);
        } else if (strncmp(a, "--target=", 9) == 0) {
            static const char *const names[] = {"auto", "generic", "avx2", "avx512", "neon", NULL};
            o.gen.target = (Target)keyword(a, names, "--target takes generic, avx2, avx512 or neon");
        } else if (strncmp(a, "--winograd=", 11) == 0) {
            static const char *const modes[] = {"auto", "on", "off", NULL};
            o.gen.winograd = (WinogradMode)keyword(a, modes, "--winograd takes auto, on or off");
        } else if (strncmp(a, "--conv-vectors=", 15) == 0) {
            static const char *const modes[] = {"auto", "pixels", "channels", NULL};
            o.gen.conv_vectors = (ConvVectors)keyword(a, modes, "--conv-vectors takes auto, pixels or channels");
        } else if (strncmp(a, "--cache=", 8) == 0) {
            parse_cache(&o, a);
        } else if (strcmp(a, "--dump-passes") == 0) {
            o.dump = "kernels";
        } else if (a[0] == '-' && a[1]) {
            usage_error("unknown option '%s'", a);
        } else {
            if (o.input) usage_error("one input file at a time ('%s' is a second)", a);
            o.input = a;
        }
    }
    if (!o.input) usage_error("%s", "no input file");
    if (!o.format) {   /* by the extension; standard input is .cnn */
        size_t n = strlen(o.input);
        o.format = n >= 5 && strcmp(o.input + n - 5, ".onnx") == 0 ? "onnx" : "cnn";
    }
    bool onnx = strcmp(o.format, "onnx") == 0;
    if (onnx && o.weights)
        usage_error("%s", "--weights goes with a .cnn network; an ONNX model carries its weights");
    if (!onnx && o.shape_n) usage_error("%s", "--input-shape goes with an ONNX model");
    if (o.report && strcmp(o.emit, "cnn") == 0 && o.output && strcmp(o.output, "-") == 0)
        usage_error("%s", "--report and '-o -' both write to standard output; write the .cnn to a file with -o FILE");
    if (o.compile && strcmp(o.emit, "c") != 0) usage_error("%s", "-c goes with --emit=c");
    if (o.compile && o.output && strcmp(o.output, "-") == 0) usage_error("%s", "-c needs an output file, not '-o -'");
    /* one thing on standard output at a time (--report with no -o writes the report alone) */
    bool out_stdout = o.output && strcmp(o.output, "-") == 0;
    if (o.report && strcmp(o.emit, "dot") == 0 && (!o.output || out_stdout))
        usage_error("%s", "--report and --emit=dot both write to standard output; write the graph to a file "
                    "with -o FILE");
    if (o.report && out_stdout)
        usage_error("%s", "--report and '-o -' both write to standard output; write the C to a file with -o FILE");
    return o;
}

/* ---- atomic outputs */

typedef struct { const char *path; char *tmp; FILE *f; } Out;

/* a target we may replace: not a directory, not the input itself */
static bool target_ok(const char *path, const char *input) {
    struct stat t, i;
    if (stat(path, &t) != 0) return true;   /* does not exist yet */
    if (S_ISDIR(t.st_mode)) {
        fprintf(stderr, "cnnc: error: cannot write '%s': it is a directory\n", path);
        return false;
    }
    if (strcmp(input, "-") != 0 && stat(input, &i) == 0 && i.st_dev == t.st_dev && i.st_ino == t.st_ino) {
        fprintf(stderr, "cnnc: error: '%s' is the input file; refusing to write over it\n", path);
        return false;
    }
    return true;
}

/* a temporary name beside path (".NAME.XXXXXX"), reserved; NULL with an error */
static char *temp_beside(const char *path) {
    char *t = xasprintf("%s/.%s.XXXXXX", dirname(xstrdup(path)), basename(xstrdup(path)));
    int fd = mkstemp(t);
    if (fd < 0) {
        fprintf(stderr, "cnnc: error: cannot write '%s': %s\n", path, strerror(errno));
        return NULL;
    }
    close(fd);
    return t;
}

static bool out_open(Out *o, const char *path) {
    o->path = path;
    if (strcmp(path, "-") == 0) { o->f = stdout; o->tmp = NULL; return true; }
    if (!(o->tmp = temp_beside(path))) return false;
    if (!(o->f = fopen(o->tmp, "w"))) {
        fprintf(stderr, "cnnc: error: cannot write '%s': %s\n", path, strerror(errno));
        unlink(o->tmp);
        o->tmp = NULL;
        return false;
    }
    return true;
}

static bool out_close(Out *o, bool commit) {
    if (!o->f || o->f == stdout) return commit ? fflush(stdout) == 0 : true;
    bool ok = !ferror(o->f);
    ok &= fclose(o->f) == 0;
    o->f = NULL;
    if (commit && ok) {
        (void)chmod(o->tmp, 0644);
        if (rename(o->tmp, o->path) == 0) return true;
        fprintf(stderr, "cnnc: error: cannot write '%s': %s\n", o->path, strerror(errno));
    } else if (commit) {
        fprintf(stderr, "cnnc: error: cannot write '%s'\n", o->path);
    }
    unlink(o->tmp);
    return false;
}

/* ---- the pipeline */

/* the input's base name without .cnn or .onnx, with ext */
static char *default_name(const char *input, const char *ext) {
    if (strcmp(input, "-") == 0) return xstrdup("-");
    char *base = basename(xstrdup(input));
    char *dot = strrchr(base, '.');
    /* a name that is only the extension (".onnx") keeps it: ".onnx.c" */
    if (dot && dot > base && (strcmp(dot, ".cnn") == 0 || strcmp(dot, ".onnx") == 0)) *dot = 0;
    return xasprintf("%s%s", base, ext);
}

static char *header_name(const char *c_path) {
    size_t n = strlen(c_path);
    if (n > 2 && strcmp(c_path + n - 2, ".c") == 0) return xasprintf("%.*s.h", (int)(n - 2), c_path);
    return xasprintf("%s.h", c_path);
}

/* -c compiles the .c and .h in place (the source includes the header by its
 * name); if it fails, they are put back as they were: the files they replaced
 * are kept aside (a hard link, else a copy) until the compiler is done */
typedef struct { const char *path; char *aside; } Prior;

static bool copy_file(const char *from, const char *to) {
    FILE *in = fopen(from, "rb"), *out = in ? fopen(to, "wb") : NULL;
    char buf[1 << 16];
    size_t n;
    bool ok = in && out;
    while (ok && (n = fread(buf, 1, sizeof buf, in)) > 0) ok = fwrite(buf, 1, n, out) == n;
    ok = ok && !ferror(in);
    if (in) fclose(in);
    if (out) ok &= fclose(out) == 0;
    return ok;
}

static bool prior_keep(Prior *p, const char *path) {
    p->path = path;
    p->aside = NULL;
    struct stat st;
    if (lstat(path, &st) != 0) return true;   /* nothing to put back: the new file goes (a dangling link is kept) */
    if (!(p->aside = temp_beside(path))) return false;
    unlink(p->aside);
    if (link(path, p->aside) == 0 || (copy_file(path, p->aside) && chmod(p->aside, st.st_mode & 07777) == 0))
        return true;
    fprintf(stderr, "cnnc: error: cannot keep a copy of '%s' while compiling it: %s\n", path, strerror(errno));
    unlink(p->aside);
    p->aside = NULL;
    return false;
}

static void prior_end(const Prior *p, bool keep_new) {
    if (keep_new) {
        if (p->aside) unlink(p->aside);
    } else if (p->aside) {
        if (rename(p->aside, p->path) != 0)
            fprintf(stderr, "cnnc: error: cannot put '%s' back: %s (it is in '%s')\n", p->path, strerror(errno),
                    p->aside);
    } else {
        unlink(p->path);
    }
}

/* $CC -c c_path into c_path's object file, written to a temporary name
 * and renamed into place when the compiler succeeds */
static bool compile_c(const char *c_path) {
    const char *cc = getenv("CC");
    if (!cc || !*cc) cc = "clang";
    const char *inc, *lib;
    if (!find_runtime(false, &inc, &lib)) return false;
    char *obj = xstrdup(c_path);
    size_t n = strlen(obj);
    if (n > 2 && strcmp(obj + n - 2, ".c") == 0) obj[n - 1] = 'o';
    else obj = xasprintf("%s.o", c_path);
    char *tmp = temp_beside(obj);
    if (!tmp) return false;
    unlink(tmp);   /* the compiler creates it: no object, no file */
    /* $CC split at blanks (as make does), then our arguments: no shell sees a file name */
    char *words = xstrdup(cc), *argv[64];
    int argc = 0;
    for (char *w = strtok(words, " \t"); w && argc < 48; w = strtok(NULL, " \t")) argv[argc++] = w;
    if (argc == 0) argv[argc++] = "clang";
    /* -x c: a source named without .c is still C to the compiler */
    char *args[] = {"-std=c11", "-O3", xasprintf("-I%s", inc), "-c", "-x", "c", (char *)c_path, "-o", tmp};
    for (size_t i = 0; i < sizeof args / sizeof args[0]; i++) argv[argc++] = args[i];
    argv[argc] = NULL;
    int rc = -1;
    pid_t pid = fork();
    if (pid == 0) {
        execvp(argv[0], argv);
        fprintf(stderr, "cnnc: error: cannot run '%s': %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    int st;
    if (pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st)) rc = WEXITSTATUS(st);
    if (rc != 0) {
        fprintf(stderr, "cnnc: error: '%s' failed to compile '%s'\n", cc, c_path);
    } else if (rename(tmp, obj) == 0) {
        return true;
    } else if (errno == ENOENT) {
        fprintf(stderr, "cnnc: error: '%s' wrote no object file for '%s'\n", cc, c_path);
    } else {
        fprintf(stderr, "cnnc: error: cannot write '%s': %s\n", obj, strerror(errno));
    }
    unlink(tmp);
    return false;
}

/* --emit=cnn: the Program as source; an imported model's tensors go to a
 * safetensors file beside it (FILE with .cnn replaced), or inline in the
 * source written to standard output */
static int write_cnn(const Cli *o, Compilation *u) {
    const char *path = o->output ? o->output : default_name(o->input, ".cnn");
    Program p = u->prog;
    bool to_stdout = strcmp(path, "-") == 0;
    const char *st_path = NULL;
    if (u->imported && to_stdout) {
        for (int i = 0; i < u->tensors.n; i++) {   /* LAYER.KEY=[...] on LAYER's statement */
            const StTensor *t = &u->tensors.t[i];
            const char *dot = strrchr(t->name, '.');
            float *v = xcalloc((size_t)t->elems + 1, sizeof(float));
            st_to_f32(t, v);
            Value *list = ast_list((Loc){0, 0, 0});
            for (int64_t k = 0; k < t->elems; k++) {
                Value *x = ast_float((Loc){0, 0, 0}, "0");
                x->f = v[k];
                ast_list_add(list, x);
            }
            for (int s = 0; s < p.n; s++)
                if (p.stmts[s]->kind == ST_LAYER && strlen(p.stmts[s]->name) == (size_t)(dot - t->name) &&
                    strncmp(p.stmts[s]->name, t->name, (size_t)(dot - t->name)) == 0)
                    ast_add_arg(p.stmts[s], dot + 1, (Loc){0, 0, 0}, list);
        }
    } else if (u->imported) {
        size_t n = strlen(path);
        st_path = n > 4 && strcmp(path + n - 4, ".cnn") == 0 ? xasprintf("%.*s.safetensors", (int)(n - 4), path)
                                                               : xasprintf("%s.safetensors", path);
        p.stmts = xcalloc((size_t)p.n + 1, sizeof(Stmt *));   /* input, weights, the rest */
        p.n = 0;
        for (int i = 0; i < u->prog.n; i++) {
            p.stmts[p.n++] = u->prog.stmts[i];
            if (u->prog.stmts[i]->kind == ST_INPUT)
                p.stmts[p.n++] = ast_weights((Loc){0, 0, 0}, basename(xstrdup(st_path)));
        }
    }
    Out c = {0}, w = {0};
    if (!target_ok(path, o->input) || (st_path && !target_ok(st_path, o->input))) return 1;
    if (!out_open(&c, path) || (st_path && !out_open(&w, st_path))) {
        out_close(&c, false);
        return 1;
    }
    ast_write(c.f, &p);
    bool ok = !st_path || st_save(w.f, &u->tensors);
    bool c_ok = ok && out_close(&c, true);
    if (!ok) out_close(&c, false);
    if (st_path && !out_close(&w, c_ok)) return 1;
    return c_ok ? 0 : 1;
}

static int write_outputs(const Cli *o, Compilation *u) {
    Graph *g = &u->g;
    if (strcmp(o->emit, "cnn") == 0) return write_cnn(o, u);
    if (strcmp(o->emit, "dot") == 0) {
        Out d;
        if (!target_ok(o->output ? o->output : "-", o->input) || !out_open(&d, o->output ? o->output : "-")) return 1;
        dot_write(d.f, g);
        return out_close(&d, true) ? 0 : 1;
    }
    if (o->report && !o->output) return 0;   /* the report alone */
    WeightOpts wo = {o->weights, o->random, o->seed, NULL};
    if (!pipeline_weights(u, o->input, &wo)) return 1;
    const char *c_path = o->output ? o->output : default_name(o->input, ".c");
    bool to_stdout = strcmp(c_path, "-") == 0;
    char *h_path = to_stdout ? NULL : header_name(c_path);
    Out c = {0}, h = {0};
    if (!target_ok(c_path, o->input) || (h_path && !target_ok(h_path, o->input))) return 1;
    if (!out_open(&c, c_path) || (h_path && !out_open(&h, h_path))) {
        out_close(&c, false);
        return 1;
    }
    const char *prefix = o->prefix ? o->prefix : g->name;
    char *hbase = h_path ? basename(xstrdup(h_path)) : NULL;
    bool ok = emit_network(g, &u->plan, &o->gen, prefix, c.f, h.f, hbase, diag_filename());
    if (!ok) {
        out_close(&c, false);
        out_close(&h, false);
        return 1;
    }
    Prior pc = {0}, ph = {0};
    if (o->compile && (!prior_keep(&pc, c_path) || !prior_keep(&ph, h_path))) {
        prior_end(&pc, true);
        out_close(&c, false);
        out_close(&h, false);
        return 1;
    }
    bool c_ok = out_close(&c, true);   /* the source first: a header alone is no use */
    bool ok_all = out_close(&h, c_ok) && c_ok;
    if (o->compile) {
        ok_all = ok_all && compile_c(c_path);
        prior_end(&pc, ok_all);
        prior_end(&ph, ok_all);
    }
    return ok_all ? 0 : 1;
}

int main(int argc, char **argv) {
    Cli o = parse_args(argc, argv);
    diag_color(-1);
    size_t len;
    bool onnx = strcmp(o.format, "onnx") == 0;
    size_t limit = onnx ? (size_t)2 << 30 : 64u << 20;
    char *src = read_file_max(o.input, &len, limit);
    const char *shown = strcmp(o.input, "-") == 0 ? "<stdin>" : o.input;
    if (!src) {
        fprintf(stderr, "cnnc: error: cannot read '%s': %s\n", shown, read_error());
        return 1;
    }
    if (len > limit) {
        fprintf(stderr, "%s: error: the file is larger than %s, the limit\n", shown, onnx ? "2 GiB" : "64 MiB");
        return 1;
    }
    static Compilation u;
    OnnxOpts oo = {o.shape, o.shape_n, false};
    if (onnx ? !pipeline_front_onnx(&u, shown, (const unsigned char *)src, len, &oo)
             : !pipeline_front(&u, shown, src, len))
        return 1;
    pipeline_plan(&u, &o.gen, o.dump ? stderr : NULL);
    /* the report is made now, before the weights change the graph, and
     * printed only when everything else succeeded: a failed run prints
     * nothing on standard output */
    char *report = NULL;
    size_t report_len = 0;
    if (o.report) {
        FILE *f = open_memstream(&report, &report_len);
        if (!f) {
            fprintf(stderr, "cnnc: error: cannot make the report: %s\n", strerror(errno));
            return 1;
        }
        int64_t scratch = u.plan.scratch_floats * 4;
        if (strcmp(o.report, "json") == 0) report_json(f, &u.g, scratch, &u.plan);
        else report_text(f, &u.g, scratch, &u.plan);
        if (fclose(f) != 0) {
            fprintf(stderr, "cnnc: error: cannot make the report: %s\n", strerror(errno));
            return 1;
        }
    }
    int rc = write_outputs(&o, &u);
    if (rc == 0 && report) {
        fwrite(report, 1, report_len, stdout);
        if (fflush(stdout) != 0 || ferror(stdout)) {
            fprintf(stderr, "cnnc: error: cannot write the report on standard output\n");
            rc = 1;
        }
    }
    return rc;
}
