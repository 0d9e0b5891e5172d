/* fuzz_compile.c — a libFuzzer entry point for cnnc: the whole path from
 * source text to generated C, as compiler/main.c runs it.
 *
 *   pipeline_front -> pipeline_plan (-O0, -O1, -O2)
 *     -> report (text, json), dot -> pipeline_weights (random, seed 1)
 *     -> emit_network into /dev/null
 *
 * Built by tests/fuzz/fuzz.mk with clang -fsanitize=fuzzer,address,undefined
 * (make fuzz) or afl-clang-fast (make fuzz-afl). The compiler never frees and
 * stops after 20 errors with exit(1); here diag_limit(0) keeps it running and
 * util.c's allocations are freed after each input (fuzz_alloc.h).
 *
 * Bounds: inputs over 64 KiB are skipped, and so are the weights and emit
 * stages of a network with a tensor (activation or parameter) of more than
 * FUZZ_MAX_ELEMS elements or more than FUZZ_MAX_PARAMS parameters in all
 * (shapes up to 2^31 elements are legal; random weights for them would only
 * measure the machine's memory, and printing them the disk's speed). A `weights "FILE";`
 * statement is dropped before weights_load so no input reads a file.
 *
 * FUZZ_VERBOSE=1 in the environment keeps the compiler's diagnostics. */
#include "cnnc.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz_alloc.h"

#define FUZZ_MAX_INPUT (64 * 1024)
#ifndef FUZZ_MAX_ELEMS
#define FUZZ_MAX_ELEMS (INT64_C(1) << 20)    /* one activation or parameter tensor */
#endif
#ifndef FUZZ_MAX_PARAMS
#define FUZZ_MAX_PARAMS (INT64_C(1) << 16)   /* all parameters: each is printed as C text */
#endif

/* ---- bounds */

static bool small_enough(const Graph *g) {
    int64_t total = 0;
    for (int i = 0; i < g->n; i++) {
        const Layer *L = g->layers[i];
        if (L->shape.rank == 0 || shape_elems(&L->shape) > FUZZ_MAX_ELEMS) return false;
        for (int k = 0; k < L->nparam; k++) {
            int64_t n = shape_elems(&L->param[k].shape);
            if (n < 0 || n > FUZZ_MAX_ELEMS) return false;
            total += n;
            if (total > FUZZ_MAX_PARAMS) return false;
        }
    }
    return true;
}

/* ---- one input */

static FILE *devnull;

static void back_end(const char *src, size_t len, int opt) {
    static Compilation u;
    if (!pipeline_front(&u, "fuzz.cnn", src, len)) return;   /* as main.c: nothing is written after errors */
    /* -O0: weights as text (--weights-format=text) */
    Options o = {.opt = opt, .text_weights = opt == 0};
    pipeline_plan(&u, &o, NULL);
    if (opt == 2) {
        int64_t scratch = u.plan.scratch_floats * 4;
        report_text(devnull, &u.g, scratch, &u.plan);
        report_json(devnull, &u.g, scratch, &u.plan);
        dot_write(devnull, &u.g);
    }
    if (!small_enough(&u.g)) return;
    u.g.weights_file = NULL;   /* never read a file an input names */
    WeightOpts wo = {.weights_path = NULL, .random = true, .seed = 1};
    if (!pipeline_weights(&u, "fuzz.cnn", &wo)) return;
    /* -O1: as `-o -` does, the header inlined in the source */
    if (opt == 1) emit_network(&u.g, &u.plan, &o, u.g.name, devnull, NULL, NULL, "fuzz.cnn");
    else emit_network(&u.g, &u.plan, &o, u.g.name, devnull, devnull, "fuzz.h", "fuzz.cnn");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static bool ready;
    if (!ready) {
        ready = true;
        devnull = fuzz_setup();
    }
    if (size > FUZZ_MAX_INPUT) return 0;
    /* a NUL-terminated copy, as read_file() gives */
    char *src = malloc(size + 1);
    if (!src) return 0;
    memcpy(src, data, size);
    src[size] = 0;
    for (int opt = 0; opt <= 2; opt++) {
        back_end(src, size, opt);
        fuzz_free_all();
    }
    free(src);
    return 0;
}
