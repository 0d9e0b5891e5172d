/* conv_tile.c — the tile model of the -O2 convolution kernels: from a
 * layer's geometry and the target's registers, the tile each family runs
 * (pixel or channel vectors, flat phase planes or bands, register blocks,
 * the narrow tile inside the wide one) and the scratch it needs. A cost
 * model, not a measurement: tiles x max(FMAs, loads) per tap, with a
 * penalty below the accumulators that hide the FMA latency (target.c).
 *
 * The pixel-vector kernel (conv1d, conv2d, conv3d):
 * Layout stays C-order between layers. For each output row, the input rows
 * its window covers (a band) are copied into t, padded, with the columns
 * split by phase (column mod stride) so that the inputs of 16 consecutive
 * output pixels are 16 consecutive floats for every kernel tap:
 *   t[c][i][ph][q] = x[c][oh*sh + i*dh - pt][q*sw + ph - pl]   (padding by padding_mode)
 * The band is small (C x KH rows): it stays in cache across channel blocks.
 * Loops: output row, channel block, pixel tile, input channel, taps (unrolled).
 * The tile is OCB output channels x P vectors of 16 pixels of one output row,
 * held in OCB*P vector accumulators; each tap loads P input vectors and
 * broadcasts OCB weights, packed at compile time as
 *   packed[ob][c][kh][kw][j] = w[ob*OCB + j][c][kh][kw]   (zero past `out`).
 * The epilogue (bias, folded BatchNorm, activations, residual add) runs on
 * each value as it leaves the accumulators. */
#include "conv_kernels.h"

/* groups 1 and depthwise-style groups (one input channel each) */
bool conv_tiled_ok(const Layer *L) {
    const Param *w = layer_param(L, "weight");
    int64_t taps = 1;   /* the window is unrolled: up to 64 taps */
    for (int i = 0; i < L->win.nd; i++) taps *= L->win.k[i];
    return L->op != &op_separable_conv2d && taps <= 64 && (L->groups == 1 || (w && w->shape.dim[1] == 1));
}

/* the channel-vector tile of class r over g's OH x OW outputs, in rows of
 * Wp positions (nq = OH * Wp), and OC channels: RW positions x OCV vectors
 * of 16 channels minimizing the modelled time (returned), as pixel_tile()
 * models it, plus one broadcast per position. The runs of positions either
 * cover the padded rows end to end (computing the Wp - OW padding columns
 * too) or, where RW divides OW, start at each row and end with it (*rows):
 * ResNet's 7x7 outputs of rows of 9 compute 49 positions instead of 63.
 * within: only divisors of its OCV, and flat runs that end within its NQ,
 * or, where they may overlap (may_overlap; *over says they do), runs over
 * the nq positions whose last one starts RW before their end and computes
 * again a few of the run before it (MobileNet v1's 1x1 layers at 7x7 and 14x14 under a 7 x 2 or 14 x 2
 * wide tile: narrow 6 x 1 where 1 x 2 and 2 x 2 divided them) */
/* in passes (where runs may not overlap: a pass reads back its partial
 * sums) the narrow tile's flat runs may end past the block's NQ, which is
 * then padded to them; not a 1x1 layer's that reads its input in place */
static bool cv_pads_runs(const ConvTile *t) { return t->CB < t->cg && !conv_cv_direct(t); }

static int64_t cv_tile(Regs r, const ConvTile *g, int64_t Wp, const ConvTile *within, bool may_overlap, int *rw, int *ocv,
                       bool *rows, bool *over) {
    int64_t best = INT64_MAX, OC = g->OC, OH = g->OH, OW = g->OW, nq = OH * Wp, taps = g->kd * g->kh * g->kw;
    /* one position (a squeeze-excite's 1x1 layers at 1x1) reads each
     * weight once, from memory in a network: its time is its weights'
     * bytes, a block's lanes past the channels included, so the blocks
     * that pad the fewest channels first (MobileNetV3-small's 576 -> 144
     * in blocks of 64 read 192 channels' weights, 1.33x the bytes). A
     * narrow tile reads parts of the wide one's blocks: its cost decides */
    int64_t least = INT64_MAX;
    *rw = *ocv = 1;
    *rows = *over = false;
    for (int v = 1; v <= 4 && 16 * (v - 1) < OC; v++)   /* no block wider than the channels */
        for (int n = 1; n <= 14 && n <= nq; n++) {
            /* the weight vectors and a register for the broadcast: gcc and
             * clang fold none into the FMAs, and 7 x 4 spilled accumulators
             * at every tap (ResNet's 512-channel 7x7 layer: 7 x 2 ran at 88%
             * of the peak, 7 x 4 at 74%), in a 1x1 layer one a channel under
             * gcc and three under clang (MobileNet v1 with 14 x 2 in its
             * stead: 0.935-0.962x the time under clang, 0.977-0.995x under
             * gcc) */
            if (!regs_fit(r, n * v, r == REGS_WIDE ? v + 1 : v)) break;
            if (within && within->OCV % v) continue;
            bool flat_ok = !within || (nq + n - 1) / n * n <= within->NQ || cv_pads_runs(within),
                 by_row = Wp > OW && OW % n == 0;
            bool overlap = !flat_ok && !by_row && may_overlap && n <= nq;
            if (!flat_ok && !by_row && !overlap) continue;
            int64_t runs = by_row ? OH * (OW / n) : (nq + n - 1) / n;
            /* narrow: 6 vectors in flight, 12 multiply-adds of 8 floats
             * where two FMA pipes of latency 4 take 8 (a 1x1 layer 512 ->
             * 512 at 14x14 on Zen 3, 6 positions x 16 channels against 4 x
             * 16: 0.86x the time under clang, 0.62x under gcc) */
            int64_t tiles = (OC + 16 * v - 1) / (16 * v) * runs, lat = r == REGS_NARROW ? 6 : regs_latency(r);
            /* loads a channel: wide, a register each (weight vector or
             * broadcast); narrow, two per weight vector and one a broadcast,
             * in the time of one multiply-add of 16 lanes (two of 8) */
            int64_t loads = r == REGS_WIDE ? n + v : v + (n + 1) / 2, work = n * v > loads ? n * v : loads;
            int64_t cost = tiles * work * (n * v < lat ? lat : n * v) / (n * v);
            /* ties: the larger tile, then fewer loads per FMA (MobileNet
             * v1's 14x14 1x1 layers: 14 x 2 where 4 x 4, which costs the
             * same, took 1.19x the time under gcc); but over several taps
             * not one of more than 24 accumulators, whose 2-3 spare
             * registers gcc ran out of (a 256-channel 3x3 conv2d at 14x14:
             * 14 x 2 spilled, 7 x 2 took 0.8x the time under gcc and 0.9x
             * under clang) */
            bool larger = n * v > *rw * *ocv || (n * v == *rw * *ocv && n + v < *rw + *ocv);
            bool tie_ok = larger && !(taps > 1 && n * v > 24);
            int64_t padded = nq == 1 && !within ? (OC + 16 * v - 1) / (16 * v) * 16 * v : 0;
            if (padded < least || (padded == least && (cost < best || (cost == best && tie_ok)))) {
                least = padded;
                best = cost;
                *rw = n;
                *ocv = v;
                *rows = by_row;
                *over = overlap;
            }
        }
    return best;
}

/* the phases of a stride s that the k taps of dilation d read: the first
 * ones, up to the last that tap i's (i * d) % s reaches (1x1: 1) */
static int64_t phases_read(int64_t k, int64_t d, int64_t s) {
    int64_t n = 1;
    for (int64_t i = 0; i < k; i++) n = i * d % s + 1 > n ? i * d % s + 1 : n;
    return n;
}

/* floats of one channel's phase planes */
int64_t conv_flat_band(const ConvTile *t) { return t->nphr * t->nphc * t->Hp * t->cs * t->Wp; }

/* depthwise (one output per input channel) in flat mode packs the OCB
 * channels of each channel block just before it computes them, so that they
 * are still in cache: depthwise does 9 MACs per input, too few to hide a
 * round trip of the whole padded input through memory */
bool conv_block_pack(const ConvTile *t) { return t->flat && t->diag && t->og == 1; }

ConvTile conv_tile(const Layer *L, const Shape *in, const Options *o, int near) {
    const Window *w = &L->win;
    /* 1-D and 2-D as 3-D with depth (and height) 1: index 0 depth, 1 height, 2 width */
    int64_t I[3] = {1, 1, 1}, O[3] = {1, 1, 1}, k[3] = {1, 1, 1}, s[3] = {1, 1, 1}, d[3] = {1, 1, 1}, p[3] = {0, 0, 0};
    for (int i = 0; i < w->nd; i++) {
        int j = 3 - w->nd + i;
        I[j] = in->dim[1 + i];
        O[j] = L->shape.dim[1 + i];
        k[j] = w->k[i];
        s[j] = w->s[i];
        d[j] = w->d[i];
        p[j] = w->pb[i];
    }
    ConvTile t = {
        .C = in->dim[0], .D = I[0], .H = I[1], .W = I[2], .OC = L->shape.dim[0], .OD = O[0], .OH = O[1], .OW = O[2],
        .kd = k[0], .kh = k[1], .kw = k[2], .sd = s[0], .sh = s[1], .sw = s[2], .dd = d[0], .dh = d[1], .dw = d[2],
        .pf = p[0], .pt = p[1], .pl = p[2], .cs = 1, .regs = target_regs(o), .pad = conv_pad_mode(L),
    };
    t.nphr = phases_read(t.kh, t.dh, t.sh);
    t.nphc = phases_read(t.kw, t.dw, t.sw);
    t.cg = t.C / L->groups;
    t.og = t.OC / L->groups;
    t.diag = L->groups > 1;
    int64_t nvec = (t.OW + 15) / 16;
    /* flat mode: the padded input split into sh x sw phase planes
     *   plane[phr][phc][r][q] = x[r*sh + phr - pt][q*sw + phc - pl],
     * so output (oh, ow) at q = oh*Wp + ow reads, for tap (i, k), plane
     * ((i*dh) % sh, (k*dw) % sw) at q + (i*dh/sh)*Wp + k*dw/sw: one run of
     * vectors covers all rows, wasting only the Wp - OW columns (better than
     * rounding short rows up to 16) */
    /* flat mode indexes planes with int: only while they stay below 2^31 floats */
    int64_t flat_floats = t.C * t.sh * t.sw * (t.OH + (t.kh - 1) * t.dh / t.sh + 1) * (t.OW + (t.kw - 1) * t.dw / t.sw + 16);
    if (w->nd <= 2 && flat_floats < INT32_MAX / 2) {
        int64_t wq = t.OW + (t.kw - 1) * t.dw / t.sw, fvec = (t.OH * wq + 15) / 16;
        /* up to 20% more vectors than row by row for 2-D, 10% for 1-D (packed
         * once, longer runs: LeNet-5's conv2 1.8x faster so); depthwise, up
         * to 15% more, which then runs over rows (row by row it packed each
         * output row's band of input rows: a 5x5 input row five times;
         * MobileNetV3-small's 14x14 layers so, 0.89x the time under clang
         * and 0.91x under gcc, ShuffleNetV2's 0.92x and 0.89x) */
        int64_t allow = w->nd == 2 ? 12 : 11;
        if (t.diag ? fvec * 100 <= t.OH * nvec * 115 : fvec * 10 <= t.OH * nvec * allow) {
            t.flat = true;
            t.Wp = wq;
            t.Hp = t.OH + (t.kh - 1) * t.dh / t.sh;
            nvec = fvec;
        }
    }
    /* depthwise over rows (one channel at a time) where whole rows of
     * vectors waste at most 15% more lanes than the flat runs (56 columns:
     * 64 lanes for 58); else the tile: P pixel vectors x OCB channels, and
     * a depthwise packed per block of channels takes as few channels as
     * keep the block's planes and staging in L1 (32 KiB), with up to 12
     * vectors of each (depthwise3x3 128 @56: 4 channels x 4 vectors, 105
     * KiB, ran from L2) */
    RegTile rt = {1, 1, 0};
    if (conv_block_pack(&t) && w->nd == 2 && (t.OW + 15) / 16 * 16 * 100 <= t.Wp * 115) {
        t.rows = true;
    } else {
        int maxp = 4, maxc = 28;
        if (conv_block_pack(&t)) {
            int64_t per = conv_flat_band(&t) + nvec * 16;
            maxp = 12;
            maxc = per * 4 < 32768 ? (int)(32768 / (per * 4)) : 1;
        }
        rt = pixel_tiles(o, nvec, t.OC, 1, maxp, maxc, 1, t.diag, &t.nar);
    }
    t.P = rt.P;
    t.OCB = rt.OCB;
    t.NOB = (t.OC + t.OCB - 1) / t.OCB;
    t.OWp = (nvec + t.P - 1) / t.P * t.P * 16;
    t.NQ = t.rows ? t.OH * t.Wp : t.OWp;
    t.Wq = t.OWp + (t.kw - 1) * t.dw / t.sw;
    /* channel vectors (2-D, groups 1): vectors over 16 output channels, RW
     * consecutive positions of the padded output rows broadcast from the
     * phase planes, so short rows and strides waste no lanes; chosen when
     * the same model, plus a scalar store per output, says it is faster */
    if (w->nd == 2 && !t.diag && o->conv_vectors != CONV_VECTORS_PIXELS) {
        int64_t wq = t.OW + (t.kw - 1) * t.dw / t.sw, nq = t.OH * wq, kc = t.cg * t.kd * t.kh * t.kw;
        int rw, ocv;
        bool by_row, over;
        int64_t cbest = cv_tile(target_regs(o), &t, wq, NULL, false, &rw, &ocv, &by_row, &over);
        int64_t out = t.OC * t.OH * t.OW;
        /* beside a depthwise conv, channel vectors also let it keep the
         * channels in its lanes (blocked values on both sides): worth up to
         * half as much again here (MobileNet v1, measured); where the input
         * too comes from a kernel that may store it blocked, both
         * neighbours gain: up to as much again (EfficientNet-B0's first
         * expansion, 16 -> 96 at 112x112, modelled at 1.78x: its input then
         * leaves the 1x1 before it in whole vectors and the depthwise conv
         * after it takes its lanes; the network 0.98-1.00x the time).
         * Over several taps a tenth more again: there the pixel tiles read
         * their vectors at the taps' offsets, across cache lines, which the
         * model does not count, and AVX2's 2 x 2 x 16 tiles wait on those
         * loads (MobileNetV3-small's stem, 3 -> 16 channels 3x3/2, modelled
         * at 1.53x pixel vectors: channel vectors and the depthwise conv
         * after it in lanes, the network 0.95x the time under clang and gcc
         * on Zen 3) */
        int64_t cv_total = cbest * kc + out, px_total = rt.cost * kc + out / 8;
        if (o->conv_vectors == CONV_VECTORS_CHANNELS || cv_total < px_total ||
            (near && 20 * cv_total < (20 + (kc > t.cg ? 11 : 10) * near) * px_total)) {
            t.cv = true;
            t.flat = true;
            t.RW = rw;
            t.OCV = ocv;
            t.cv_rows = by_row;
            t.OCB = 16 * ocv;
            t.P = 1;
            t.Wp = wq;
            t.Hp = t.OH + (t.kh - 1) * t.dh / t.sh;
            /* a stride along the rows whose taps read every column phase:
             * the planes keep whole padded rows, copied, where splitting
             * them into the phases took the shuffles' time (the same
             * floats); the broadcasts step sw floats. Not where the taps
             * read fewer phases (1x1/2: the whole rows would be twice the
             * floats) */
            if (t.sw > 1 && t.dw == 1 && t.nphc == t.sw) {
                t.cs = t.sw;
                t.nphc = 1;
            }
            t.NQ = (nq + rw - 1) / rw * rw;
            t.OWp = t.NQ;
            t.NOB = (t.OC + t.OCB - 1) / t.OCB;
            /* a block's weights are read once per run of positions: where
             * they outgrow the cache, passes over fewer input channels at a
             * time (partial sums kept in the scratch between them), so that
             * they come from memory once (ResNet-18's 512-channel 3x3
             * convolutions: 1.2 MB a block, 9 runs of positions). Where
             * the input could stay in that cache too (each block reads it
             * again), a pass's weights and the next one's, fetched ahead,
             * leave it room: 2 x pass + input <= 1.5 x the weight cache
             * (ResNet-50's 2048 -> 512 1x1 layers at 7x7: 400 KB of input,
             * 256 KB a block; in two passes 0.92x the time). With several
             * taps, a pass whose weights stay in L1 costs little more (the
             * partial sums of a run, loaded and stored, beside 32 or more
             * multiply-adds each) and spares the runs reading them from L2,
             * a weight vector for every RW multiply-adds: ResNet's 3x3/2
             * convolution of 128 channels at 56x56, in passes of 7 input
             * channels (16 KB), 0.85x the time */
            int64_t taps = t.kd * t.kh * t.kw, tap = taps * t.OCB * 4;   /* bytes of a channel's weights in a block */
            int64_t cache = target_weight_cache(o), inb = t.cg * conv_flat_band(&t) * 4, l1 = target_l1_weights(o);
            if (inb <= cache) cache = (3 * cache / 2 - inb) / 2;
            if (taps > 1 && l1 / tap * taps >= 32 && l1 < cache) cache = l1;
            int64_t fit = cache / tap > 1 ? cache / tap : 1;
            int64_t passes = (t.cg + fit - 1) / fit;
            t.CB = (t.cg + passes - 1) / passes;
            /* a 1x1 layer's passes by whole blocks of 16 channels, so that
             * they read a channel-blocked input a block at a time (a pass
             * of hundreds of channels, a few more of them) */
            if (taps == 1 && passes > 1 && t.CB > 16) t.CB = (t.CB + 15) / 16 * 16;
            /* the narrow tile inside it; its runs may overlap where each
             * stores what it computes (a pass reads back its partial sums) */
            if (target_both(o)) cv_tile(REGS_NARROW, &t, wq, &t, t.CB == t.cg, &t.nRW, &t.nOCV, &t.ncv_rows, &t.nover);
            /* in passes, where runs may not overlap, the narrow tile's last
             * run may end past the wide one's: the partial sums and the
             * planes' zeros then reach that far (ResNet's 512-channel 3x3
             * layers at 7x7, 63 positions: 6 x 16 over 66 where 3 x 16 was
             * all that divided them, 6 accumulators for 8 multiply-adds in
             * flight) */
            if (target_both(o) && cv_pads_runs(&t) && !t.ncv_rows) {
                int64_t nNQ = (nq + t.nRW - 1) / t.nRW * t.nRW;
                if (nNQ > t.NQ) t.NQ = t.OWp = nNQ;
            }
            /* a narrow tile of fewer vectors than the block's reads the
             * block in parts: all its runs for one part, then the next,
             * each reading the input again, or each run all parts, reading
             * the block's whole weights. The parts in turn for each run
             * where the input outgrows half the weight cache (MobileNet v1's
             * 512 channels at 14x14, 401 KB: 0.89x the time on Zen 3 with
             * 512 KB of L2; at 7x7, 1024 channels, 200 KB, 1.03x) */
            t.nparts_inner = target_both(o) && t.nOCV < t.OCV && inb > target_weight_cache(o) / 2;
        }
    }
    /* pixel tiles outside the channel blocks store each tile's positions
     * into every output channel's plane, hundreds of lines apart, which no
     * hardware prefetcher follows: where the output outgrows L2 each store
     * waited on its line from L3. Each register tile fetches the lines it
     * stores at the next tile's positions (a 1x1 layer 64 -> 256 at 56x56,
     * 3.2 MB: 0.79x the time under clang, 0.64x under gcc on Zen 3; at
     * 28x28, 0.8 MB, 0.98x and 0.99x) */
    t.fetch_out = !t.cv && t.flat && !t.diag && t.Wp == t.OW && t.OWp > 16 * t.P && conv_pixels_first(&t) &&
                  t.OC * t.OH * t.OW * 4 > 2 * target_weight_cache(o);
    return t;
}

/* a 1x1 stride-1 unpadded convolution reads the input where it is; only the
 * last, partial run of vectors of each channel is copied (zero-padded) */
bool conv_direct(const ConvTile *t) {
    return t->flat && !t->diag && !t->cv && t->kh == 1 && t->kw == 1 && t->sh == 1 && t->sw == 1 && t->pt == 0 && t->pl == 0 &&
           t->Hp == t->H && t->Wp == t->W;
}

/* channel vectors over a 1x1 stride-1 unpadded convolution whose runs of
 * positions tile the plane exactly: they read the input where it is, in
 * either layout */
bool conv_cv_direct(const ConvTile *t) {
    return t->cv && t->kh == 1 && t->kw == 1 && t->sh == 1 && t->sw == 1 && t->pt == 0 && t->pl == 0 &&
           t->Hp == t->H && t->Wp == t->W && t->NQ == t->H * t->W;
}

/* loop order: what is read again for every tile of the outer loop is the
 * input (channel blocks outer) or the weights (pixel tiles outer): the
 * smaller one, so that the larger streams once */
bool conv_pixels_first(const ConvTile *t) {
    int64_t band = t->flat ? conv_flat_band(t) : t->kd * t->kh * t->sw * t->Wq;
    int64_t npv = t->OWp / (16 * t->P), weights = t->NOB * t->cg * t->kd * t->kh * t->kw * t->OCB;
    return !t->diag && npv * weights < t->NOB * t->C * band;
}

/* a direct 1x1 kernel whose pixel tiles run outside its channel blocks
 * copies each tile's positions of all channels together first when the
 * input planes lie a multiple of 1 KiB apart: read in place, they would
 * fall into a few sets of L1 and come from L2 for every channel block
 * (MobileNet block's 128 x 32x32 -> 256: 1.7x faster under AVX2 so) */
bool conv_tile_copy(const ConvTile *t) { return conv_direct(t) && conv_pixels_first(t) && t->H * t->W % 256 == 0; }

/* floats of the packed input in flat mode (a block's channels, or all) */
int64_t conv_pack_floats(const ConvTile *t) {
    return ((conv_block_pack(t) ? t->OCB : t->C) * conv_flat_band(t) + conv_flat_slack(t) + 15) / 16 * 16;
}

/* depthwise in flat mode with padding columns: the accumulators go to a
 * staging area u [OCB][NQ] as whole vectors and leave it row by row through
 * the epilogue once the channel block is done (9 taps per output would
 * otherwise cost less than splitting vectors at row ends); other
 * convolutions have taps enough to hide that, and keep their scratch small */
bool conv_staged(const ConvTile *t) { return t->flat && t->Wp != t->OW && t->diag && !t->rows; }
static int64_t stage_floats(const ConvTile *t) { return t->OCB * t->NQ; }

/* channel vectors in several passes over the input channels: the partial
 * sums [NQ][OCB] of one channel block, after what the kernel packs */
int64_t conv_cv_partial(const ConvTile *t) { return t->cv && t->CB < t->cg ? t->NQ * t->OCB : 0; }

int64_t conv_tile_temp(const ConvTile *t) {
    if (conv_direct(t)) return t->C * 16 * t->P + 16;
    if (conv_cv_direct(t)) return conv_cv_partial(t);
    if (t->flat)   /* the padded input (of a block, or whole), what the last vectors read past it, staging or partial sums */
        return conv_pack_floats(t) + (conv_staged(t) ? stage_floats(t) : 0) + conv_cv_partial(t);
    return t->C * t->kd * t->kh * t->sw * t->Wq + 16;
}

const char *conv_tile_describe(const void *tile) {
    const ConvTile *t = tile;
    const char *s;
    if (t->rows)
        s = "over rows, one channel at a time";
    else if (t->cv)
        s = xasprintf("%d positions%s x %d x 16 channels%s", t->RW, t->cv_rows ? " of a row" : "", t->OCV,
                      t->nRW ? xasprintf(" (narrow %d%s x %d x 16%s%s)", t->nRW, t->ncv_rows ? " of a row" : "", t->nOCV,
                                           t->nover ? ", the last run overlapping" : "",
                                           t->nparts_inner ? ", its parts in turn each run" : "") : "");
    else
        s = xasprintf("%d channels x %d x 16 positions%s", t->OCB, t->P,
                      t->nar.P ? xasprintf(" (narrow %d x %d x 16)", t->nar.OCB, t->nar.P) : "");
    const char *in = conv_direct(t) || conv_cv_direct(t) ? "the input in place"
                     : !t->flat ? xasprintf("bands of %lld input rows", (long long)(t->kd * t->kh))
                     : xasprintf("%s phase planes %lldx%lld x %lld x %lld", conv_block_pack(t) ? "per-block" : "whole",
                                 (long long)t->nphr, (long long)t->nphc, (long long)t->Hp, (long long)(t->cs * t->Wp));
    if (t->cv && t->CB < t->cg) in = xasprintf("%s, in passes of %lld input channels", in, (long long)t->CB);
    return xasprintf("%s; %s%s%s%s", s, in, conv_tile_copy(t) ? ", tiles copied" : "",
                     t->fetch_out ? ", outputs fetched a tile ahead" : "",
                     t->rows || t->cv || t->diag ? "" : conv_pixels_first(t) ? ", pixel tiles outer" : ", channel blocks outer");
}
