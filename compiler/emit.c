#include "cnnc.h"
bool emit_network(const Graph *g, const Plan *plan, const char *prefix, int opt, FILE *c, FILE *h, const char *hname) {
    (void)g; (void)plan; (void)prefix; (void)opt; (void)c; (void)h; (void)hname;
    diag_file_error(diag_filename(), "code generation is not implemented yet");
    return false;
}
