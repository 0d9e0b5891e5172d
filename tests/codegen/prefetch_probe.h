/* prefetch_probe.h: included before a generated network's code (and its
 * cnnrt.h) by tests/codegen/run.sh: CNNRT_PREFETCH records each line, and
 * CNNRT_PREFETCH_W each line to be written */
void cnnrt_probe_prefetch(const void *p);
void cnnrt_probe_prefetch_w(const void *p);
