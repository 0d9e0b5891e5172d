/* report.c — the parameter/MAC report of docs/language.md, section 7, as a table or JSON.
 *
 * One row per layer as written (the input is the header, not a row); MACs
 * are output elements x (C/groups) x kernel volume for
 * convolution, local and dense layers, 0 elsewhere. */
#include "cnnc.h"

#include <string.h>

typedef struct { int64_t params, macs, bytes; } Sums;

static Sums sums(const Graph *g) {
    Sums s = {0, 0, 0};
    for (int i = 1; i < g->n; i++) {
        s.params += g->layers[i]->nparams;
        s.macs += g->layers[i]->macs;
    }
    s.bytes = 4 * s.params;
    return s;
}

static const char *human(int64_t bytes) {
    static char ring[4][32];
    static int k;
    char *b = ring[k++ & 3];
    if (bytes >= 1 << 20) snprintf(b, 32, "%.2f MiB", (double)bytes / (1 << 20));
    else if (bytes >= 1 << 10) snprintf(b, 32, "%.2f KiB", (double)bytes / (1 << 10));
    else snprintf(b, 32, "%lld B", (long long)bytes);
    return b;
}

static const char *rf_str(const Graph *g) {
    static char buf[128];
    int64_t rf[MAX_SPATIAL];
    int nd = receptive_field(g, rf);
    size_t n = 0;
    if (nd == 0) return "- (vector input)";
    for (int d = 0; d < nd; d++) n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%lld", d ? "x" : "", (long long)rf[d]);
    return buf;
}

void report_text(FILE *f, const Graph *g, int64_t scratch_bytes, const Plan *plan) {
    const Layer *in = g->layers[0];
    fprintf(f, "network %s: input %s %s\n\n", g->name, in->name, shape_str(&in->shape));
    int wname = 5, wop = 2, wshape = 12;
    for (int i = 1; i < g->n; i++) {
        const Layer *L = layer_as_written(g->layers[i]);
        int a = (int)strlen(L->name), b = (int)strlen(L->op->name), c = (int)strlen(shape_str(&L->shape));
        if (a > wname) wname = a > 40 ? 40 : a;
        if (b > wop) wop = b;
        if (c > wshape) wshape = c;
    }
    int width = wname + wop + wshape + 6 + 12 + 2 + 16;
    fprintf(f, "%-*s  %-*s  %-*s  %12s  %16s\n", wname, "Layer", wop, "Op", wshape, "Output shape",
            "Params", "MACs");
    for (int i = 0; i < width; i++) fputc('-', f);
    fputc('\n', f);
    for (int i = 1; i < g->n; i++) {
        const Layer *L = layer_as_written(g->layers[i]);
        fprintf(f, "%-*.*s  %-*s  %-*s  %12s  %16s%s\n", wname, wname, L->name, wop, L->op->name, wshape,
                shape_str(&L->shape), commas(L->nparams), commas(L->macs),
                graph_is_output(g, i) && (i != g->n - 1 || g->nout > 1) ? "  (output)" : "");
    }
    for (int i = 0; i < width; i++) fputc('=', f);
    fputc('\n', f);
    Sums s = sums(g);
    fprintf(f, "Total params:      %s\n", commas(s.params));
    fprintf(f, "Total MACs:        %s\n", commas(s.macs));
    fprintf(f, "Total FLOPs:       %s\n", commas(2 * s.macs));
    fprintf(f, "Parameter bytes:   %s (%s)\n", commas(s.bytes), human(s.bytes));
    fprintf(f, "Scratch bytes:     %s (%s)\n", commas(scratch_bytes), human(scratch_bytes));
    fprintf(f, "Receptive field:   %s\n", rf_str(g));
    if (plan) {
        fprintf(f, "\nKernels (%d):\n", plan->nkernels);
        for (int k = 0; k < plan->nkernels; k++) fprintf(f, "  %s\n", plan->kernels[k].name);
    }
}

/* ---- JSON */

static void json_str(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
        else if (c < 0x20) fprintf(f, "\\u%04x", c);
        else fputc(c, f);
    }
    fputc('"', f);
}

static void json_ints(FILE *f, const int64_t *v, int n) {
    fputc('[', f);
    for (int i = 0; i < n; i++) fprintf(f, "%s%lld", i ? ", " : "", (long long)v[i]);
    fputc(']', f);
}

void report_json(FILE *f, const Graph *g, int64_t scratch_bytes, const Plan *plan) {
    Sums s = sums(g);
    fprintf(f, "{\n  \"network\": ");
    json_str(f, g->name);
    fprintf(f, ",\n  \"layers\": [");
    for (int i = 1; i < g->n; i++) {
        const Layer *L = layer_as_written(g->layers[i]);
        fprintf(f, "%s\n    {\"name\": ", i > 1 ? "," : "");
        json_str(f, L->name);
        fprintf(f, ", \"op\": ");
        json_str(f, L->op->name);
        fprintf(f, ", \"inputs\": [");
        for (int k = 0; k < L->nin; k++) {
            if (k) fprintf(f, ", ");
            json_str(f, g->layers[L->in[k]]->name);
        }
        fprintf(f, "], \"shape\": ");
        json_ints(f, L->shape.dim, L->shape.rank);
        fprintf(f, ", \"params\": %lld, \"macs\": %lld}", (long long)L->nparams, (long long)L->macs);
    }
    fprintf(f, "\n  ],\n  \"total_params\": %lld,\n  \"total_macs\": %lld,\n", (long long)s.params,
            (long long)s.macs);
    fprintf(f, "  \"param_bytes\": %lld,\n  \"scratch_bytes\": %lld,\n", (long long)s.bytes,
            (long long)scratch_bytes);
    int64_t rf[MAX_SPATIAL];
    int nd = receptive_field(g, rf);
    fprintf(f, "  \"receptive_field\": ");
    json_ints(f, rf, nd);
    fprintf(f, ",\n  \"kernels\": [");
    for (int k = 0; plan && k < plan->nkernels; k++) {
        const Kernel *K = &plan->kernels[k];
        fprintf(f, "%s\n    {\"name\": ", k ? "," : "");
        json_str(f, K->name);
        fprintf(f, ", \"layers\": [");
        for (int j = 0; j < K->n; j++) {
            if (j) fprintf(f, ", ");
            json_str(f, g->layers[K->layers[j]]->name);
        }
        fprintf(f, "]}");
    }
    fprintf(f, "\n  ]\n}\n");
}
