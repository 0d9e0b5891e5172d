#include "cnnc.h"
bool weights_load(Graph *g, const char *cnn_path, const WeightOpts *o) { (void)g; (void)cnn_path; (void)o; return true; }
