/* dot.c — the layer graph in Graphviz dot (--emit=dot). Each node shows the
 * layer's name, op, output shape and parameters; an edge that skips over
 * statements (a residual or branch connection) is drawn dashed and blue. */
#include "cnnc.h"

static void q(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') fputc('\\', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

void dot_write(FILE *f, const Graph *g) {
    fprintf(f, "digraph ");
    q(f, g->name);
    fprintf(f, " {\n  rankdir=TB;\n  node [shape=box, style=rounded, fontname=\"Helvetica\", fontsize=10];\n");
    for (int i = 0; i < g->n; i++) {
        const Layer *L = layer_as_written(g->layers[i]);
        fprintf(f, "  n%d [label=", i);
        char *label = L->op
            ? xasprintf("%s\\n%s %s%s%s", L->name, L->op->name, shape_str(&L->shape),
                        L->nparams ? "\\nparams " : "", L->nparams ? commas(L->nparams) : "")
            : xasprintf("%s\\ninput %s", L->name, shape_str(&L->shape));
        fprintf(f, "\"%s\"", label);
        if (!L->op) fprintf(f, ", shape=ellipse");
        if (graph_is_output(g, i)) fprintf(f, ", penwidth=2");
        fprintf(f, "];\n");
    }
    for (int i = 1; i < g->n; i++) {
        const Layer *L = layer_as_written(g->layers[i]);
        for (int k = 0; k < L->nin; k++) {
            bool skip = L->in[k] != i - 1;
            fprintf(f, "  n%d -> n%d%s;\n", L->in[k], i,
                    skip ? " [style=dashed, color=blue, constraint=true]" : "");
        }
    }
    fprintf(f, "}\n");
}
