/* asan_options.c — linked into build-asan/cnnc (make asan): the sanitizers'
 * defaults for a compiler that never frees. Leak checking is off (every
 * allocation lives until exit by design, see compiler/util.c); everything
 * else aborts on the first error. ASAN_OPTIONS / UBSAN_OPTIONS still override. */
const char *__asan_default_options(void);
const char *__ubsan_default_options(void);

const char *__asan_default_options(void) { return "detect_leaks=0:abort_on_error=0:exitcode=99"; }
const char *__ubsan_default_options(void) { return "print_stacktrace=1:halt_on_error=1"; }
