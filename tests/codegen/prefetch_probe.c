/* prefetch_probe.c: the lines of weights a generated network's kernels
 * prefetch in one call, for tests/codegen/run.sh. The network's C is built
 * with -DCNNRT_PREFETCH(p)=cnnrt_probe_prefetch(p) and
 * -include tests/codegen/prefetch_probe.h; this program calls NET_forward
 * once and prints
 *   prefetches N     calls of CNNRT_PREFETCH
 *   lines N          distinct 64-byte lines among them
 *   ranges N         runs of consecutive lines they form
 * and, built with -DCNNRT_PREFETCH_W(p)=cnnrt_probe_prefetch_w(p), where the
 * network fetches lines to be written:
 *   writes N         calls of CNNRT_PREFETCH_W
 *   outside N        those not in the output or the scratch
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "prefetch_probe.h"
#include NET_H

static uintptr_t *seen;
static size_t nseen, cap;

void cnnrt_probe_prefetch(const void *p) {
    if (nseen == cap) {
        cap = cap ? 2 * cap : 4096;
        seen = realloc(seen, cap * sizeof *seen);
        if (!seen) exit(2);
    }
    seen[nseen++] = (uintptr_t)p / 64;
}

static const char *out_at, *out_end, *scratch_at, *scratch_end;
static size_t nwrites, outside;

void cnnrt_probe_prefetch_w(const void *p) {
    const char *c = p;
    nwrites++;
    outside += !(c >= out_at && c < out_end) && !(c >= scratch_at && c < scratch_end);
}

static int cmp(const void *a, const void *b) {
    uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
    return (x > y) - (x < y);
}

int main(void) {
    float *in = calloc(IN_SIZE, sizeof(float)), *out = calloc(OUT_SIZE, sizeof(float));
    float *scratch = aligned_alloc(64, (SCRATCH_SIZE * sizeof(float) + 63) / 64 * 64 + 64);
    if (!in || !out || !scratch) return 2;
    out_at = (const char *)out, out_end = (const char *)(out + OUT_SIZE);
    scratch_at = (const char *)scratch, scratch_end = (const char *)(scratch + SCRATCH_SIZE);
    FORWARD(in, out, scratch);
    qsort(seen, nseen, sizeof *seen, cmp);
    size_t lines = 0, ranges = 0;
    for (size_t i = 0; i < nseen; i++) {
        if (i && seen[i] == seen[i - 1]) continue;
        lines++;
        if (!i || seen[i] != seen[i - 1] + 1) ranges++;
    }
    printf("prefetches %zu\nlines %zu\nranges %zu\n", nseen, lines, ranges);
    if (nwrites) printf("writes %zu\noutside %zu\n", nwrites, outside);
    return 0;
}
