/* conv_kernels.h — private to compiler/ops/conv*.c: the -O2 convolution
 * kernels. conv.c is the op and chooses a family for each layer from the
 * tile model (conv_tile.c); each family lives in a file of its own and only
 * reads the tile it is given:
 *
 *   conv_pixels.c    vectors over 16 output positions (any conv1d/2d/3d)
 *   conv_channels.c  vectors over 16 output channels (conv2d, groups 1)
 *   conv_lanes.c     depthwise with the channels in the lanes (blocked values)
 *   conv_rows.c      depthwise over rows, one channel at a time
 *   conv_winograd.c  3x3 stride-1 conv2d by Winograd F(4x4,3x3) or F(2x2,3x3)
 *   conv_pack.c      what they share: the input packed into phase planes or
 *                    bands, tap offsets, the lane-by-lane store
 *
 * Adding a family: a file with its KernelFamily, a declaration here, and a
 * line in conv_choose() (conv.c) that picks it. */
#ifndef CONV_KERNELS_H
#define CONV_KERNELS_H

#include "cnnc.h"

/* ---- the tile (conv_tile.c)
 *
 * 1-D and 2-D convolutions are 3-D ones with depth (and height) 1. In flat
 * mode the padded input is split into sh x sw phase planes of Hp x Wp,
 *   plane[phr][phc][r][q] = x[r*sh + phr - pt][q*sw + phc - pl],
 * so output (oh, ow) at q = oh*Wp + ow reads, for tap (i, k), plane
 * ((i*dh) % sh, (k*dw) % sw) at q + (i*dh/sh)*Wp + k*dw/sw: one run of
 * vectors covers all rows, wasting only the Wp - OW columns. Channel
 * vectors, which broadcast one position at a time, split rows only: a
 * plane's rows are whole padded input rows of cs * Wp floats (cs = sw), and
 * position q reads at cs * q + (i*dh/sh) * cs * Wp + k*dw. Otherwise
 * (3-D, or rows too short) each output row packs the band of input rows its
 * window covers. */
typedef struct {
    int64_t C, D, H, W, OC, OD, OH, OW, kd, kh, kw, sd, sh, sw, dd, dh, dw, pf, pt, pl;
    int64_t OWp, Wq, NOB;
    int64_t cg, og;     /* input channels per group, outputs per group */
    bool diag;          /* depthwise (cg = 1): each output channel reads its own input */
    bool flat;          /* 1-D/2-D: vectors run across the rows of phase planes */
    int64_t Hp, Wp, NQ; /* flat: rows and columns of a phase plane, output positions computed */
    int64_t nphr, nphc; /* flat: the row and column phases the taps read (the first ones; 1x1 stride 2: 1 x 1) */
    int64_t cs;         /* flat: floats from one position to the next along a plane's row: 1, or sw where
                           channel vectors' planes keep whole padded rows (row phases only, nphc 1) */
    int OCB, P;
    bool cv;            /* channel vectors: RW positions x OCV vectors of 16 output channels */
    int RW, OCV;
    bool cv_rows;       /* channel vectors: runs of RW start at each output row (RW divides OW), else run across rows */
    int64_t CB;         /* channel vectors: input channels a pass over the positions (cg: all) */
    /* --target=auto: the narrow class's register tile working inside this
     * one (its OCB, OCV divide these; its runs end within OWp, NQ) */
    RegTile nar;
    int nRW, nOCV;
    bool ncv_rows;
    bool nover;         /* its flat runs cover OH x Wp, the last one starting nRW before their end */
    bool nparts_inner;  /* its parts of a block (nOCV < OCV) in turn for each run, not each over all runs */
    bool rows;          /* depthwise over rows: one channel at a time, tiles of output rows x vectors of a row */
    bool fetch_out;     /* pixel tiles outer over an output past L2: each tile fetches its lines at the next positions */
    Regs regs;          /* the class the weights are packed for */
    const char *pad;    /* padding mode: zeros, reflect, replicate */
} ConvTile;

/* groups 1 and depthwise-style groups (one input channel each), taps few
 * enough to unroll */
bool conv_tiled_ok(const Layer *L);
/* the tile of a convolution that conv_tiled_ok() accepts; near: on how
 * many sides (0-2) channel vectors would let a neighbour keep a value
 * channel-blocked */
ConvTile conv_tile(const Layer *L, const Shape *in, const Options *o, int near);
/* floats of temporary scratch the tile's kernel needs */
int64_t conv_tile_temp(const ConvTile *t);
/* channel vectors in passes over the input channels: the floats of the
 * partial sums (0: one pass) */
int64_t conv_cv_partial(const ConvTile *t);
/* what the tile reads its input from, and how */
bool conv_direct(const ConvTile *t);       /* a 1x1 pixel kernel reading the input in place */
bool conv_cv_direct(const ConvTile *t);    /* a 1x1 channel kernel reading the input in place */
bool conv_block_pack(const ConvTile *t);   /* depthwise packing each channel block as it goes */
bool conv_pixels_first(const ConvTile *t); /* pixel tiles outside the channel blocks */
bool conv_tile_copy(const ConvTile *t);    /* direct, copying each pixel tile first */
bool conv_staged(const ConvTile *t);       /* depthwise storing through a staging area */
int64_t conv_flat_band(const ConvTile *t); /* floats of one channel's phase planes */
int64_t conv_flat_slack(const ConvTile *t);/* zeros the last vectors read past the planes */
int64_t conv_pack_floats(const ConvTile *t);
const char *conv_tile_describe(const void *tile);

/* the padding mode of a convolution (separable_conv2d has none: zeros) */
const char *conv_pad_mode(const Layer *L);

/* ---- shared emission (conv_pack.c) */

/* channels [c0, c0 + nc) of x0 [..][H][W] padded by mode into the first
 * nphr x nphc of the sh x sw phase planes (those the taps read), of Hp x Wp,
 * in t,
 *   t[c][phr][phc][r][q] = x0[c0 + c][r*sh + phr - pt][q*sw + phc - pl],
 * and `slack` zeros after C channels' planes; c0, nc C expressions (NULL: 0,
 * C); x0 channel-blocked [C/16][H][W][16] when blocked */
void conv_phase_planes(Emit *e, const char *mode, bool blocked, int64_t C, const char *c0, const char *nc, int64_t H,
                       int64_t W, int64_t sh, int64_t sw, int64_t nphr, int64_t nphc, int64_t pt, int64_t pl, int64_t Hp, int64_t Wp, int64_t slack);
/* the whole input of a flat tile, padded, once */
void conv_pack_flat(Emit *e, const Layer *L, const ConvTile *t);
/* the band of input rows of output row (od, oh), padded, columns by phase */
void conv_pack_band(Emit *e, const ConvTile *t);
/* floats from a position's input to that of tap (a, i, k): in the phase
 * planes (flat) or the band */
int64_t conv_tap_offset(const ConvTile *t, int64_t a, int64_t i, int64_t k);
/* the packed weights [NOB][cg][taps][OCB] and the bias padded to NOB*OCB
 * (pixel, channel and row kernels) */
void conv_packed_data(Emit *e, const Layer *L, const void *tile);
/* lanes [from, to) through the epilogue, lane by lane:
 *   for (int var = from; var < to; var++) y[idx] = epilogue(lanes[var])
 * idx and chan (the output channel) expressions of var; simd: consecutive
 * outputs, a vectorizable loop; guard (or NULL): a condition on var that
 * ends the loop (past the last channel) */
void conv_store_lanes(Emit *e, const char *var, const char *from, const char *to, bool simd, const char *guard,
                      const char *idx, const char *chan);

/* ---- the families */
extern const KernelFamily conv_pixels, conv_channels, conv_lanes, conv_rows, conv_winograd;

/* depthwise with the channels in the lanes: eligible (conv_lanes.c) */
bool conv_lanes_ok(const Layer *L, const Shape *in);
const void *conv_lanes_tile(const Layer *L, const Shape *in, const Options *o, int64_t *temp);
/* Winograd: eligible and chosen by the mode; its tile (conv_winograd.c) */
bool conv_winograd_ok(const Layer *L, const Shape *in, const Options *o);
const void *conv_winograd_tile(const Layer *L, const Shape *in, const Options *o, int64_t *temp);

#endif
