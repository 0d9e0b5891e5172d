/* prefetch_probe.h: included before a generated network's code (and its
 * cnnrt.h) by tests/codegen/run.sh: CNNRT_PREFETCH records each line */
void cnnrt_probe_prefetch(const void *p);
