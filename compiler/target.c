/* target.c — the register and target model of the -O2 kernels: which
 * register class the tiles are for (--target), what fits in it, what hides
 * the FMA latency, the cost model that picks a pixel-vector tile, and the
 * class each variant of a kernel is written for.
 * Nothing here names a layer kind. */
#include "cnnc.h"

#include <string.h>
#include <unistd.h>

Regs target_regs(const Options *o) {
    return o->target == TARGET_AVX2 || o->target == TARGET_NEON ? REGS_NARROW : REGS_WIDE;
}

bool target_both(const Options *o) { return o->target == TARGET_AUTO; }

/* wide: 32 registers, 4 kept free of accumulators for the compiler;
 * narrow: a vector is 2 of AVX2's 16 registers (4 of NEON's 32), one more
 * register holds a broadcast: 2 * 7 + 1 <= 16 */
bool regs_fit(Regs r, int acc, int operands) {
    return r == REGS_WIDE ? acc <= 28 && acc + operands <= 32 : acc + operands <= 7;
}

/* wide: 12, as measured for the direct 3x3 kernel (bench/conv3x3); narrow:
 * two FMA pipes x latency 4 = 8 FMAs of 8 floats in flight = 4 vectors */
int regs_latency(Regs r) { return r == REGS_WIDE ? 12 : 4; }

/* --cache: one core's L1 data and L2 caches and the last-level cache. The
 * default is today's x86 server and desktop core's (Zen 4 and 5: 32-48 KiB,
 * 1 MiB, 32 MiB a complex of 8 cores; Skylake-SP alike; ARM's big cores,
 * Neoverse N2/V2, 64 KiB and 1-2 MiB): a working set sized for it fits most
 * of them (Zen 3's 512 KiB of L2 included: its own sizes made MobileNet v1
 * 1.03-1.09x slower); many embedded cores have less, and no L3. */
static int64_t cache_bytes(const Options *o, int level) {
    static const int64_t dflt[3] = {32 << 10, 1 << 20, 32 << 20};
    return o->cache[0] ? o->cache[level] : dflt[level];
}

/* the build machine's caches (--cache=host), from Linux's sysfs, else the C
 * library; false where neither tells the L1 and L2 */
bool target_host_caches(int64_t cache[3]) {
    int64_t c[3] = {0};
    for (int i = 0; i < 8; i++) {
        char path[80], type[32] = "";
        int level = 0;
        long long kib = 0;
        FILE *f;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/level", i);
        if (!(f = fopen(path, "r"))) continue;
        bool ok = fscanf(f, "%d", &level) == 1;
        fclose(f);
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/type", i);
        if ((f = fopen(path, "r"))) {
            ok = ok && fscanf(f, "%31s", type) == 1;
            fclose(f);
        }
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", i);
        if ((f = fopen(path, "r"))) {
            ok = ok && fscanf(f, "%lldK", &kib) == 1;
            fclose(f);
        }
        if (ok && level >= 1 && level <= 3 && strcmp(type, "Instruction") != 0 && kib > 0) c[level - 1] = kib << 10;
    }
#ifdef _SC_LEVEL1_DCACHE_SIZE
    static const int names[3] = {_SC_LEVEL1_DCACHE_SIZE, _SC_LEVEL2_CACHE_SIZE, _SC_LEVEL3_CACHE_SIZE};
    for (int l = 0; l < 3; l++)
        if (!c[l]) {
            long v = sysconf(names[l]);
            c[l] = v > 0 ? v : 0;
        }
#endif
    if (c[0] < 1024 || c[1] < c[0]) return false;
    if (c[2] && c[2] < c[1]) c[2] = 0;
    memcpy(cache, c, sizeof c);
    return true;
}

/* half of the L2: the weights a block of output channels reads again for
 * every run of positions */
int64_t target_weight_cache(const Options *o) {
    return cache_bytes(o, 1) / 2;
}

/* half of the L1 data cache: the weights a register tile's runs read again
 * and again from it, the input of the runs beside them */
int64_t target_l1_weights(const Options *o) {
    return cache_bytes(o, 0) / 2;
}

/* how far ahead of its use a kernel fetches weights that stream from
 * memory: a memory latency's worth of one core's bandwidth (about 100 ns x
 * 25-50 GB/s, 2.5-5 KB), with room: 6 KiB. (Winograd's products in
 * ResNet-18: 1.5 KiB ahead did nothing, 6 KiB 0.91x the network's time
 * under clang, 12 and 24 KiB 0.92-0.96x, in runs as noisy as those
 * differences.) */
int64_t target_prefetch_bytes(const Options *o) {
    (void)o;
    return 6 * 1024;
}

/* the parameter of a layer that reads each number once (a dense layer at
 * batch 1) streams from memory in a network, whose other weights have
 * pushed it out of the caches: MobileNet v1's 4 MB classifier took 190 us
 * there, 56 us from the last-level cache alone. A kernel that runs long
 * before it fetches it ahead, so that it waits in the last-level cache.
 * A quarter of the last-level cache (8 MiB of 32) leaves room for the
 * values; none without one, nor for NEON and generic targets, whose caches
 * are often far smaller. */
int64_t target_fetch_ahead_bytes(const Options *o) {
    return o->target == TARGET_NEON || o->target == TARGET_GENERIC ? 0 : cache_bytes(o, 2) / 4;
}

/* tiles x max(FMAs, loads) per tap on two FMA and two load ports, with a
 * penalty below the accumulators that hide the FMA latency */
static int64_t tile_cost(Regs r, int64_t nvec, int64_t OC, int P, int ocb, bool diag) {
    int64_t tiles = (OC + ocb - 1) / ocb * ((nvec + P - 1) / P);
    int64_t loads = diag ? P * ocb + ocb : P + ocb;   /* diagonal tiles load per channel */
    int64_t work = P * ocb > loads ? P * ocb : loads, lat = regs_latency(r);
    return tiles * work * (P * ocb < lat ? lat : P * ocb) / (P * ocb);
}

RegTile pixel_tile(Regs r, int64_t nvec, int64_t OC, int minp, int maxp, int maxc, int step, bool diag,
                   const RegTile *within) {
    RegTile t = {minp, step, INT64_MAX};
    for (int P = minp; P <= maxp && P <= nvec; P++)
        for (int ocb = step; ocb <= maxc && ocb <= OC; ocb += step) {
            if (!regs_fit(r, P * ocb, P)) break;
            if (within && (within->P % P || within->OCB % ocb)) continue;
            int64_t cost = tile_cost(r, nvec, OC, P, ocb, diag);
            if (cost < t.cost) t = (RegTile){P, ocb, cost};
        }
    return t;
}

RegTile pixel_tiles(const Options *o, int64_t nvec, int64_t OC, int minp, int maxp, int maxc, int step, bool diag,
                    RegTile *nar) {
    RegTile best = pixel_tile(target_regs(o), nvec, OC, minp, maxp, maxc, step, diag, NULL);
    if (!target_both(o)) return best;
    *nar = pixel_tile(REGS_NARROW, nvec, OC, 1, maxp, maxc, step, diag, &best);
    RegTile alone = pixel_tile(REGS_NARROW, nvec, OC, 1, maxp, maxc, step, diag, NULL);
    if (nar->cost * 4 <= alone.cost * 5) return best;
    RegTile w = best;
    for (int P = minp; P <= maxp && P <= nvec; P++)
        for (int ocb = step; ocb <= maxc && ocb <= OC; ocb += step) {
            if (!regs_fit(REGS_WIDE, P * ocb, P)) break;
            RegTile c = {P, ocb, tile_cost(REGS_WIDE, nvec, OC, P, ocb, diag)};
            if (c.cost * 10 > best.cost * 11) continue;
            RegTile n = pixel_tile(REGS_NARROW, nvec, OC, 1, maxp, maxc, step, diag, &c);
            if (n.cost < nar->cost) {
                w = c;
                *nar = n;
            }
        }
    return w;
}

void emit_per_regs(Emit *e, const void *ctx, bool differ, void (*body)(Emit *e, const void *ctx, Regs r)) {
    body(e, ctx, e->variant == VARIANT_ONE || !differ ? target_regs(e->o)
                 : e->variant == VARIANT_WIDE ? REGS_WIDE : REGS_NARROW);
}

