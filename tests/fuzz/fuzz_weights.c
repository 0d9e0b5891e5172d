/* fuzz_weights.c — a libFuzzer entry point for cnnc's safetensors reader:
 * each input is a weights file for a fixed network (the one of
 * tests/errors/weights/make.py, so its good files load):
 *
 *   st_load (header length, JSON header, dtypes, shapes, offsets, overlaps)
 *     -> pipeline_weights (names, shapes, dtype conversion, unused tensors,
 *        BatchNorm folding) -> emit_network into /dev/null
 *
 * The input goes to a memfd and is read back through /proc/self/fd/N, as
 * cnnc reads a file. Seeds: the files of tests/errors/weights/. See
 * fuzz_compile.c for the conventions (FUZZ_VERBOSE=1 keeps diagnostics). */
#include "cnnc.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_alloc.h"

#define FUZZ_MAX_INPUT (1024 * 1024)

static const char net_src[] =
    "network n {\n"
    "    input x[3, 8, 8];\n"
    "    conv2d c(out=2, kernel=3);\n"
    "    batchnorm bn;\n"
    "    relu;\n"
    "    flatten;\n"
    "    dense fc(out=4);\n"
    "}\n";

static FILE *devnull;
static int memfd = -1;
static char path[64];

static void one(int opt) {
    static Compilation u;
    if (!pipeline_front(&u, "fuzz.cnn", net_src, sizeof net_src - 1)) abort();   /* the fixed network is valid */
    Options o = {.opt = opt, .text_weights = opt == 0};
    pipeline_plan(&u, &o, NULL);
    WeightOpts wo = {.weights_path = path, .random = false, .seed = 1};
    if (!pipeline_weights(&u, "fuzz.cnn", &wo)) return;
    emit_network(&u.g, &u.plan, &o, "n", devnull, devnull, "fuzz.h", "fuzz.cnn");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!devnull) {
        devnull = fopen("/dev/null", "w");
        memfd = memfd_create("weights", 0);
        if (!devnull || memfd < 0) abort();
        snprintf(path, sizeof path, "/proc/self/fd/%d", memfd);
        const char *v = getenv("FUZZ_VERBOSE");
        if (!(v && *v && strcmp(v, "0") != 0)) stderr = devnull;
        diag_color(0);
        diag_limit(0);
    }
    if (size > FUZZ_MAX_INPUT) return 0;
    if (ftruncate(memfd, 0) != 0 || pwrite(memfd, data, size, 0) != (ssize_t)size) abort();
    one(size % 2 ? 0 : 2);
    fuzz_free_all();
    return 0;
}
