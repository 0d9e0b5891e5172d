/* pipeline.c — the stages in their order, written once: the command line
 * (main.c), the fuzzers and the unit tests all run a source through here.
 *
 *   pipeline_front    parse -> graph_build -> shape_infer
 *   pipeline_plan     plan_build: dead layers, fold marks, fusion, kernel
 *                     choice, layouts, arena
 *   pipeline_weights  weights_load, then fold_bn_apply: the folds the plan
 *                     marked are applied to the numbers once they exist
 *
 * Every stage runs to its end so that all its errors are reported; a stage
 * that reported errors stops the pipeline (its caller writes nothing). */
#include "cnnc.h"

#include <string.h>

bool pipeline_front(Compilation *u, const char *file, const char *src, size_t len) {
    memset(u, 0, sizeof *u);
    diag_init(file, src, len);
    int before = diag_error_count();
    u->parsed = parse_program(src, len, &u->prog);
    if (u->prog.name) {
        u->built = graph_build(&u->prog, &u->g);       /* a layer in error is marked bad ... */
        if (u->g.n > 0) u->inferred = shape_infer(&u->g);   /* ... and skipped here with its users */
    }
    return diag_error_count() == before && u->prog.name && u->g.n > 0;
}

/* the layers of an ONNX model are a Program as the parser makes it: from
 * there on, the stages are the same */
bool pipeline_front_onnx(Compilation *u, const char *file, const unsigned char *buf, size_t len, const OnnxOpts *o) {
    memset(u, 0, sizeof *u);
    diag_init(file, NULL, 0);
    int before = diag_error_count();
    u->imported = true;
    u->parsed = onnx_import(file, buf, len, o, &u->prog, &u->tensors);
    if (u->parsed) {
        u->built = graph_build(&u->prog, &u->g);
        if (u->g.n > 0) u->inferred = shape_infer(&u->g);
    }
    return diag_error_count() == before && u->parsed && u->g.n > 0;
}

void pipeline_plan(Compilation *u, const Options *o, FILE *dump) { plan_build(&u->g, o, &u->plan, dump); }

bool pipeline_weights(Compilation *u, const char *cnn_path, const WeightOpts *w) {
    WeightOpts wo = *w;
    if (u->imported) wo.mem = &u->tensors;
    if (!weights_load(&u->g, cnn_path, &wo)) return false;
    fold_bn_apply(&u->g);
    return true;
}
