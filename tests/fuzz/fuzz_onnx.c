/* fuzz_onnx.c — a libFuzzer entry point for the ONNX reader: bytes as a
 * model file, through the same stages as `cnnc model.onnx -o model.c`.
 *
 *   pipeline_front_onnx -> pipeline_plan (-O2) -> report
 *     -> pipeline_weights -> emit_network into /dev/null
 *
 * Built by tests/fuzz/fuzz.mk (make fuzz-build). Seeds: tests/fuzz/onnx-corpus/,
 * models exported from PyTorch by make-onnx-corpus.py. External data
 * files are never read; tensors of more than 2^20 elements stop before the
 * weights. FUZZ_VERBOSE=1 keeps the diagnostics. */
#include "cnnc.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz_alloc.h"

#define FUZZ_MAX_INPUT (1 << 20)
#define FUZZ_MAX_ELEMS (INT64_C(1) << 20)

static FILE *devnull;

static bool small_enough(const Graph *g) {
    for (int i = 0; i < g->n; i++)
        if (g->layers[i]->shape.rank == 0 || shape_elems(&g->layers[i]->shape) > FUZZ_MAX_ELEMS) return false;
    return true;
}

static void compile(const uint8_t *data, size_t size) {
    static Compilation u;
    OnnxOpts oo = {.no_files = true};
    if (!pipeline_front_onnx(&u, "fuzz.onnx", data, size, &oo)) return;
    Options o = {.opt = 2};
    pipeline_plan(&u, &o, NULL);
    report_text(devnull, &u.g, u.plan.scratch_floats * 4, &u.plan);
    if (!small_enough(&u.g)) return;
    WeightOpts wo = {.random = false};
    if (!pipeline_weights(&u, "fuzz.onnx", &wo)) return;
    emit_network(&u.g, &u.plan, &o, u.g.name, devnull, devnull, "fuzz.h", "fuzz.onnx");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!devnull) devnull = fuzz_setup();
    if (size <= FUZZ_MAX_INPUT) compile(data, size);
    fuzz_free_all();
    return 0;
}
