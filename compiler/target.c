/* target.c — the register and target model of the -O2 kernels: which
 * register class the tiles are for (--target), what fits in it, what hides
 * the FMA latency, the cost model that picks a pixel-vector tile, and the
 * class each variant of a kernel is written for.
 * Nothing here names a layer kind. */
#include "cnnc.h"

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

/* half of a 1 MiB L2, the size of today's x86 server and desktop cores'
 * (Zen 4 and 5, Skylake-SP; larger on newer Intel cores) and of ARM's big
 * cores' (Neoverse N2/V2, 1-2 MiB): a working set that fits it there fits
 * any of them */
int64_t target_weight_cache(const Options *o) {
    (void)o;
    return 512 * 1024;
}

/* half of a 32 KiB L1 data cache (Zen 4, Skylake; 48 KiB on Zen 5): the
 * weights a register tile's runs read again and again from it, the input
 * of the runs beside them */
int64_t target_l1_weights(const Options *o) {
    (void)o;
    return 16 * 1024;
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
 * 8 MiB: a share of the L3 of today's x86 server and desktop cores (32 MiB
 * a Zen 4 or 5 complex of 8 cores) that leaves room for the values; none
 * for NEON and generic targets, whose caches are often far smaller. */
int64_t target_fetch_ahead_bytes(const Options *o) {
    return o->target == TARGET_NEON || o->target == TARGET_GENERIC ? 0 : 8 << 20;
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

