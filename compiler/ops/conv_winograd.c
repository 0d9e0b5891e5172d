/* conv_winograd.c — 3x3 stride-1 conv2d at -O2 by Winograd's minimal filtering
 * F(mxm, 3x3), m = 4 or 2 (Lavin & Gray, "Fast Algorithms for Convolutional
 * Neural Networks", 2016): each m x m block of outputs of one channel pair is
 *   Y = A^T [ (G g G^T) .* (B^T d B) ] A
 * for the 3x3 kernel g and the n x n input tile d (n = m + 2), so n^2
 * multiplications do the work of 9 m^2: 36 for 144 (F(4x4,3x3)), 16 for 36
 * (F(2x2,3x3)). Summed over input channels, the elementwise product becomes
 * n^2 independent matrix products
 *   M[pos][o][tile] = sum_c U[pos][o][c] * V[pos][c][tile],
 * U = G g G^T computed here in double at compile time, V = B^T d B at run
 * time. The transforms add rounding: F(4x4,3x3) costs about one decimal digit
 * against the direct convolution (README "Winograd" has the measurement),
 * F(2x2,3x3) less; --winograd=off keeps every convolution direct.
 *
 * Run-time layout, all in the layer's temporary scratch t:
 *   planes [C][m][m][TH+1][Wq]  the input padded and split by row and column
 *                               mod m, so that element (i, j) of the tiles
 *                               (th, tw..tw+15) is 16 consecutive floats at
 *                               plane (i%m, j%m), row th + i/m, column tw + j/m
 *   V [n^2][C][TB]              the transformed tiles of one block
 *   M [n^2][OCB][TB]            the products of one output-channel block
 * Tiles are numbered f = th*NC + tw, in blocks of TB = 16*P. Over NC = Wq =
 * TW + 1 columns (the last one a padding column that is never stored), the
 * 16 tiles of a vector are 16 consecutive floats of each plane; where that
 * column costs a vector (14x14 outputs by F(4x4): 16 tiles, numbered over 20
 * lanes), over NC = TW, and the transform gathers each tile's floats from
 * its plane offset f + f / TW. */
#include "conv_kernels.h"

#include <string.h>

/* B^T (n x n), G (n x 3) and A^T (m x n) of F(4x4, 3x3), points 0, ±1, ±2, ∞ */
static const double BT4[6][6] = {
    {4, 0, -5, 0, 1, 0},   {0, -4, -4, 1, 1, 0}, {0, 4, -4, -1, 1, 0},
    {0, -2, -1, 2, 1, 0},  {0, 2, -1, -2, 1, 0}, {0, 4, 0, -5, 0, 1},
};
static const double G4[6][3] = {
    {1.0 / 4, 0, 0},          {-1.0 / 6, -1.0 / 6, -1.0 / 6}, {-1.0 / 6, 1.0 / 6, -1.0 / 6},
    {1.0 / 24, 1.0 / 12, 1.0 / 6}, {1.0 / 24, -1.0 / 12, 1.0 / 6}, {0, 0, 1},
};
static const double AT4[4][6] = {
    {1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 0}, {0, 1, 1, 4, 4, 0}, {0, 1, -1, 8, -8, 1},
};
/* and of F(2x2, 3x3), points 0, ±1, ∞ */
static const double BT2[4][4] = {{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}};
static const double G2[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
static const double AT2[2][4] = {{1, 1, 1, 0}, {0, 1, -1, -1}};

/* the matrices of F(mxm, 3x3), row-major: B^T n x n, G n x 3, A^T m x n */
typedef struct {
    const double *BT, *G, *AT;
} WinoMats;

static WinoMats wino_mats(int m) {
    if (m == 2) return (WinoMats){&BT2[0][0], &G2[0][0], &AT2[0][0]};
    return (WinoMats){&BT4[0][0], &G4[0][0], &AT4[0][0]};
}

typedef struct {
    int m, n, nn;             /* F(mxm, 3x3): tiles of m x m outputs from n x n inputs; nn = n * n */
    int64_t C, H, W, OC, OH, OW, pt, pl;
    int64_t TH, TW, Wq, PL;   /* tile rows and columns, plane columns, floats of a plane */
    int64_t NC;               /* the columns tiles are numbered over: Wq, or TW (gathered) */
    int64_t NF, TB, NFp;      /* numbered tiles, tiles per block, NF rounded up to blocks */
    int64_t NOB;
    int64_t VS;               /* floats from one position of V to the next */
    int OCB, P;
    int64_t ahead;            /* floats ahead of its use each channel's weights are fetched */
    RegTile nar;              /* --target=auto: the narrow class's tile inside OCB x P */
    Regs regs;                /* the class the weights are packed for */
    const char *pad;          /* padding mode */
} Wino;

/* the columns tiles are numbered over for an OH x OW output in rows of
 * m x m tiles: one more than a row holds (the last tile's column is read in
 * the planes), unless that takes twice the vectors of 16 tiles or more
 * (14x14 by F(4x4): 16 tiles in 2 vectors), where the input transform
 * gathers instead (ResNet-18's 56x56 layers, 14 vectors against 13, ran
 * 1.4x slower gathering) */
static int64_t wino_columns(int64_t OH, int64_t OW, int m) {
    int64_t th = (OH + m - 1) / m, tw = (OW + m - 1) / m;
    return 2 * ((th * tw + 15) / 16) <= (th * (tw + 1) + 15) / 16 ? tw : tw + 1;
}

/* the tile positions numbered of an OH x OW output */
static int64_t wino_positions(int64_t OH, int64_t OW, int m) { return (OH + m - 1) / m * wino_columns(OH, OW, m); }

/* multiplications of F(mxm, 3x3) per channel pair, counting the lanes of
 * its vectors of 16 tiles that hold no tile */
static int64_t wino_mults(int64_t OH, int64_t OW, int m) {
    return (int64_t)(m + 2) * (m + 2) * ((wino_positions(OH, OW, m) + 15) / 16 * 16);
}

/* the m of a layer: 0 for the direct kernel. on: the m of fewer
 * multiplications. auto: where it measured faster than the direct kernel
 * (bench/), with 32+ channels in and out: F(4x4) at most half the direct
 * kernel's 9 multiplications per output (28x28 outputs take 0.33 of them,
 * 14x14 0.33 with their 16 tiles in one vector, 7x7 1.3); else F(2x2) at
 * most 0.6 (10x10 0.57, 7x7 0.58). And the multiplications it saves must
 * pay for its larger weights (36 or 16 floats a channel pair for 9), which
 * a batch of one streams from memory once a call, 4 bytes in about the time
 * of two vector FMAs (12-25 GB/s a core, two FMAs a cycle): 32 saved
 * multiplications (two vectors of 16) per float more. ResNet-18's 7x7
 * layers by F(2x2), 0.58 of the multiplications but only 26 saved per
 * float (185 for 7 more), took 1.1x the direct kernel's time. */
static bool wino_pays(int64_t direct, int64_t mults, int nn) { return direct - mults >= 32 * (nn - 9); }

static int wino_m(const Layer *L, const Shape *in, const Options *o) {
    const Window *w = &L->win;
    if (o->winograd == WINOGRAD_OFF || L->op != &op_conv2d || L->groups != 1) return 0;
    for (int i = 0; i < 2; i++)
        if (w->k[i] != 3 || w->s[i] != 1 || w->d[i] != 1) return 0;
    int64_t OH = L->shape.dim[1], OW = L->shape.dim[2], m4 = wino_mults(OH, OW, 4), m2 = wino_mults(OH, OW, 2);
    if (o->winograd == WINOGRAD_ON) return m2 < m4 ? 2 : 4;
    if (in->dim[0] < 32 || L->shape.dim[0] < 32) return 0;
    int64_t direct = 9 * OH * OW;
    if (2 * m4 <= direct && wino_pays(direct, m4, 36)) return 4;
    return 10 * m2 <= 6 * direct && wino_pays(direct, m2, 16) ? 2 : 0;
}

bool conv_winograd_ok(const Layer *L, const Shape *in, const Options *o) { return wino_m(L, in, o) != 0; }

static Wino wino_of(const Layer *L, const Shape *in, const Options *o) {
    int m = wino_m(L, in, o);
    Wino g = {
        .m = m, .n = m + 2, .nn = (m + 2) * (m + 2),
        .C = in->dim[0], .H = in->dim[1], .W = in->dim[2],
        .OC = L->shape.dim[0], .OH = L->shape.dim[1], .OW = L->shape.dim[2],
        .pt = L->win.pb[0], .pl = L->win.pb[1], .regs = target_regs(o), .pad = conv_pad_mode(L),
        .ahead = target_prefetch_bytes(o) / 4,
    };
    g.TH = (g.OH + m - 1) / m;
    g.TW = (g.OW + m - 1) / m;
    g.Wq = g.TW + 1;
    g.PL = (g.TH + 1) * g.Wq;
    g.NC = wino_columns(g.OH, g.OW, m);
    g.NF = wino_positions(g.OH, g.OW, m);
    /* the tile: P vectors of 16 tiles x OCB output channels, as conv.c's
     * direct kernel chooses it; a block's V (n^2 x C x 16P floats) kept
     * within 1 MiB so that it stays in L2 while every channel block reads it */
    int64_t nvec = (g.NF + 15) / 16;
    int maxp = 4;
    while (maxp > 1 && g.nn * g.C * 16 * maxp * 4 > (1 << 20)) maxp--;
    /* weights far beyond the cache stream from memory once per block of
     * tiles, to as many FMAs as the block has vectors: where one block can
     * hold every tile, one block (ResNet-18's 14x14 layers by F(2x2), 4 MiB
     * of weights: with two blocks of 32, the model's choice, the network
     * took the direct kernel's time (14.16 against 14.19 ms, clang), with
     * one of 64 0.98x that in the same runs; an F(4x4) layer at 28x28 with
     * 1.7 MiB, 1.03x under gcc, hence 4x the cache). Every channel block
     * then reads all of V (up to 1 MiB, from L2): as many channels as 24
     * accumulators hold (4 x 4: 1.03x the time of 4 x 7; more than 24
     * leave gcc too few spare registers) */
    bool one = g.regs == REGS_WIDE && nvec <= maxp && g.nn * g.C * g.OC * 4 > 4 * target_weight_cache(o);
    RegTile rt = pixel_tiles(o, nvec, g.OC, one ? (int)nvec : 1, maxp, 28, 1, false, &g.nar);
    if (one && 24 / rt.P > rt.OCB) {
        rt.OCB = 24 / rt.P < g.OC ? 24 / rt.P : (int)g.OC;
        if (target_both(o)) g.nar = pixel_tile(REGS_NARROW, nvec, g.OC, 1, maxp, 28, 1, false, &rt);
    }
    g.P = rt.P;
    g.OCB = rt.OCB;
    g.TB = 16 * g.P;
    g.NFp = (g.NF + g.TB - 1) / g.TB * g.TB;
    g.NOB = (g.OC + g.OCB - 1) / g.OCB;
    /* the input transform stores n^2 vectors a position apart: a multiple of
     * 4 KiB would put them all in one set of the L1 cache */
    g.VS = g.C * g.TB + (g.C * g.TB % 1024 == 0 ? 16 : 0);
    return g;
}

/* floats of the planes with what the last block reads past them (from the
 * last channel's last plane, at most NFp - 1 + Wq + 1 on) */
static int64_t planes_floats(const Wino *g) { return g->C * g->m * g->m * g->PL + g->NFp + g->Wq + 1; }
static int64_t round16(int64_t n) { return (n + 15) / 16 * 16; }

const void *conv_winograd_tile(const Layer *L, const Shape *in, const Options *o, int64_t *temp) {
    Wino *g = xcalloc(1, sizeof *g);
    *g = wino_of(L, in, o);
    *temp = round16(planes_floats(g)) + g->nn * g->VS + g->nn * g->OCB * g->TB;
    return g;
}

static void winograd_data(Emit *e, const Layer *L, const void *tile) {
    const Wino g = *(const Wino *)tile;
    const Param *w = layer_param(L, "weight"), *b = layer_param(L, "bias");
    const WinoMats x = wino_mats(g.m);
    int64_t n = g.NOB * g.nn * g.C * g.OCB;
    float *u = xcalloc((size_t)n, sizeof(float)), *pb = xcalloc((size_t)(g.NOB * g.OCB), sizeof(float));
    for (int64_t o = 0; o < g.OC; o++)
        for (int64_t c = 0; c < g.C; c++) {
            const float *k = w->data + (o * g.C + c) * 9;
            double gk[6][3] = {{0}};   /* G g */
            for (int i = 0; i < g.n; i++)
                for (int j = 0; j < 3; j++)
                    for (int r = 0; r < 3; r++) gk[i][j] += x.G[i * 3 + r] * k[r * 3 + j];
            for (int i = 0; i < g.n; i++)
                for (int j = 0; j < g.n; j++) {
                    double s = 0;   /* (G g) G^T */
                    for (int r = 0; r < 3; r++) s += gk[i][r] * x.G[j * 3 + r];
                    u[(((o / g.OCB) * g.nn + i * g.n + j) * g.C + c) * g.OCB + o % g.OCB] = (float)s;
                }
        }
    for (int64_t o = 0; b && o < g.OC; o++) pb[o] = b->data[o];
    emit_array(e, xasprintf("%s.weight in the Winograd domain [%lld][%d][%lld][%d]: output-channel block, G g G^T "
                            "position, input channel, channel in block", L->name, (long long)g.NOB, g.nn, (long long)g.C, g.OCB),
               emit_param(e, L, "packed"), u, n);
    emit_array(e, xasprintf("%s.bias padded to %lld", L->name, (long long)(g.NOB * g.OCB)), emit_param(e, L, "bias_packed"),
               pb, g.NOB * g.OCB);
}

/* "4.0f * s[0][l] - 5.0f * s[2][l] + s[4][l]": row r of matrix m (n columns)
 * applied to the operands fmt(base + k * step), fmt printing one long long */
static const char *combo(const double *row, int n, const char *fmt, long long base, long long step) {
    char *s = "";
    for (int k = 0; k < n; k++) {
        double c = row[k];
        if (c == 0) continue;
        const char *x = xasprintf(fmt, base + k * step);
        const char *sign = c < 0 ? (*s ? " - " : "-") : (*s ? " + " : "");
        double a = c < 0 ? -c : c;
        s = a == 1 ? xasprintf("%s%s%s", s, sign, x) : xasprintf("%s%s%s * %s", s, sign, emit_float(a), x);
    }
    return s;
}

/* M[pos] = U[pos] V[pos] for the block ob of OCB output channels, in
 * register tiles of P x 16 tiles x OCB channels (of class r). The weights,
 * 4x or 16/9 the direct kernel's and read once a call (a batch of one:
 * ResNet-18's 14x14 layers, 9.4 MB each, their 16 tiles in one vector),
 * stream from memory: the tile's weights of each channel are fetched
 * `ahead` floats before their use, every line of them (24 floats take two
 * lines, or three), up to the last one (no address past them). ResNet-18
 * 0.91x the time under clang, 0.94x under gcc. */
static void products(Emit *e, const void *ctx, Regs r) {
    const Wino *g = ctx;
    long long C = g->C, TB = g->TB, OCB = g->OCB;
    RegTile rt = r == g->regs ? (RegTile){g->P, g->OCB, 0} : g->nar;
    bool sub = rt.OCB < g->OCB;   /* register blocks j0 of rt.OCB channels */
    const char *j = loop_var("j", rt.OCB), *jb = sub ? cx_plus("j0", j) : j, *pv = TB > 16 * rt.P ? "pv" : "0";
    emit_line(e, "/* M[pos] = U[pos] V[pos]: register tiles of %d output channels x %d x 16 tiles */", rt.OCB, rt.P);
    FOR(e, "pos", g->nn) {
        emit_line(e, "const float *restrict vp = V + (size_t)pos * %lld;", (long long)g->VS);
        emit_line(e, "const float *restrict wp = wb + (size_t)pos * %lld;", C * OCB);
        emit_line(e, "const long long room = %lld - ((long long)ob * %d + pos) * %lld;   /* floats from wp + %lld to the "
                  "last weight */", g->NOB * g->nn * C * OCB - 1 - g->ahead, g->nn, C * OCB, (long long)g->ahead);
        BLOCK_IF(e, TB > 16 * rt.P, "for (int pv = 0; pv < %lld; pv += %d)", TB, 16 * rt.P)
        BLOCK_IF(e, sub, "for (int j0 = 0; j0 < %lld; j0 += %d)", OCB, rt.OCB) {
            emit_line(e, "cnnrt_v16 acc[%d][%d];", rt.OCB, rt.P);
            emit_tile_splat(e, rt.OCB, rt.P, NULL, NULL);
            FOR(e, "c", C) {
                emit_load_vectors(e, "xv", rt.P, cx_at("vp", cx_plus(cx_mul("(size_t)c", TB), pv)), rt.OCB > 1);
                emit_line(e, "const float *restrict wk = wp + c * %lld%s;", OCB, sub ? " + j0" : "");
                for (int l = 0; l < (rt.OCB + 15) / 16; l++) {   /* every line of the channel's tile weights */
                    const char *at = cx_add(sub ? cx_plus(cx_mul("c", OCB), "j0") : cx_mul("c", OCB), 16 * l);
                    emit_line(e, "CNNRT_PREFETCH(wp + (%lld + (%s < room ? %s : room)));", (long long)g->ahead, at, at);
                }
                emit_tile_fma(e, rt.OCB, rt.P);
            }
            LOOP(e, "j", rt.OCB)
                emit_line(e, "%sCNNRT_STORE16(M + %s, acc[%s][%s]);", loop_head("p", rt.P),
                          cx_plus(cx_plus(cx_mul(cx_paren(cx_plus(cx_mul("(size_t)pos", OCB), jb)), TB), pv),
                                  cx_mul(loop_var("p", rt.P), 16)),
                          j, loop_var("p", rt.P));
        }
    }
}

/* element (i, j) of a tile in its channel's planes, from the tile's first
 * float: plane (i mod m, j mod m), i / m rows and j / m columns on */
static int64_t tile_float(const Wino *g, int i, int j) {
    return (i % g->m * g->m + j % g->m) * g->PL + i / g->m * g->Wq + j / g->m;
}

static void winograd_emit(Emit *e, const Layer *L, const void *tile) {
    const Wino g = *(const Wino *)tile;
    const WinoMats x = wino_mats(g.m);
    const int m = g.m, n = g.n, nn = g.nn;
    long long C = g.C, TB = g.TB, OCB = g.OCB, Wq = g.Wq, PL = g.PL, NC = g.NC;
    const bool gather = NC != Wq;
    int64_t voff = round16(planes_floats(&g)), moff = voff + nn * g.VS;
    emit_line(e, "/* Winograd F(%dx%d,3x3): %lld x %lld tiles of %dx%d outputs (numbered over %lld columns), blocks of %lld "
              "tiles; matrix products of %lld output channels x %d x 16 tiles */",
              m, m, (long long)g.TH, (long long)g.TW, m, m, NC, TB, OCB, g.P);
    conv_phase_planes(e, g.pad, emit_blocked(e, L->in[0]), g.C, NULL, NULL, g.H, g.W, m, m, m, m, g.pt, g.pl, g.TH + 1,
                      g.Wq, planes_floats(&g) - g.C * m * m * g.PL);
    if (g.VS == C * TB)
        emit_line(e, "float *restrict V = t + %lld;   /* [%d][%lld][%lld] */", (long long)voff, nn, C, TB);
    else
        emit_line(e, "float *restrict V = t + %lld;   /* [%d][%lld][%lld], positions %lld floats apart */", (long long)voff,
                  nn, C, TB, (long long)g.VS);
    emit_line(e, "float *restrict M = t + %lld;   /* [%d][%lld][%lld] */", (long long)moff, nn, OCB, TB);
    /* blocks of TB tiles from tb, 16 at a time from q (variables, or one block, 16 tiles: 0) */
    const char *tb = g.NFp > TB ? "tb" : "0", *q = TB > 16 ? "q" : "0", *tq = cx_plus(tb, q);
    BLOCK_IF(e, g.NFp > TB, "for (int tb = 0; tb < %lld; tb += %lld)", (long long)g.NFp, TB) {
        if (gather) {
            emit_line(e, "int off[%lld];   /* each tile's first float in its planes (tiles past the last: 0) */", TB);
            FOR(e, "l", TB) {
                emit_line(e, "const int f = %s;", cx_plus(tb, "l"));
                emit_line(e, "off[l] = f < %lld ? f + f / %lld : 0;", (long long)g.NF, NC);
            }
        }
        emit_line(e, "/* V = B^T d B for the block's tiles, 16 at a time */");
        FOR(e, "c", g.C) BLOCK_IF(e, TB > 16, "for (int q = 0; q < %lld; q += 16)", TB) {
            emit_line(e, "const float *restrict pc = %s;",
                      cx_at("t", gather ? cx_mul("(size_t)c", m * m * PL) : cx_plus(cx_mul("(size_t)c", m * m * PL), tq)));
            if (gather) emit_line(e, "const int *restrict oq = %s;", cx_at("off", q));
            emit_line(e, "float *restrict vc = %s;", cx_at("V", cx_plus(cx_mul("(size_t)c", TB), q)));
            emit_line(e, "float d[%d][%d][16], bd[%d][%d][16];", n, n, n, n);
            if (gather)
                FOR_SIMD(e, "l", 16)
                    for (int i = 0; i < n; i++)
                        for (int j = 0; j < n; j++)
                            emit_line(e, "d[%d][%d][l] = pc[%lld + oq[l]];", i, j, (long long)tile_float(&g, i, j));
            else
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < n; j++)
                        emit_line(e, "memcpy(d[%d][%d], %s, sizeof d[0][0]);", i, j, cx_add("pc", tile_float(&g, i, j)));
            FOR_SIMD(e, "l", 16)
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < n; j++)
                        emit_line(e, "bd[%d][%d][l] = %s;", i, j, combo(x.BT + i * n, n, xasprintf("d[%%lld][%d][l]", j), 0, 1));
            FOR_SIMD(e, "l", 16)
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < n; j++)
                        emit_line(e, "vc[%lld + l] = %s;", (long long)((i * n + j) * g.VS),
                                  combo(x.BT + j * n, n, xasprintf("bd[%d][%%lld][l]", i), 0, 1));
        }
        FOR(e, "ob", g.NOB) {
            emit_line(e, "const float *restrict wb = %s + (size_t)ob * %lld;", emit_param(e, L, "packed"), nn * C * OCB);
            emit_per_regs(e, &g, g.nar.P != g.P || g.nar.OCB != g.OCB, products);
            emit_line(e, "/* Y = A^T M A + bias, 16 tiles at a time, stored through the epilogue */");
            FOR(e, "j", g.OCB) {
                emit_line(e, "const int o = ob * %lld + j;", OCB);
                emit_line(e, "if (o >= %lld) break;", (long long)g.OC);
                emit_line(e, "const float bias = %s[o];", emit_param(e, L, "bias_packed"));
                BLOCK_IF(e, TB > 16, "for (int q = 0; q < %lld; q += 16)", TB) {
                    emit_line(e, "const float *restrict mq = %s;", cx_at("M", cx_plus(cx_mul("(size_t)j", TB), q)));
                    emit_line(e, "float am[%d][%d][16], st[%d][%d];   /* st: the 16 tiles' outputs row by row */", m, n, m,
                              16 * m);
                    FOR_SIMD(e, "l", 16)
                        for (int a = 0; a < m; a++)
                            for (int k = 0; k < n; k++)
                                emit_line(e, "am[%d][%d][l] = %s;", a, k,
                                          combo(x.AT + a * n, n, "mq[%lld + l]", k * OCB * TB, n * OCB * TB));
                    FOR_SIMD(e, "l", 16)
                        for (int a = 0; a < m; a++)
                            for (int b = 0; b < m; b++)
                                emit_line(e, "st[%d][l * %d + %d] = bias + %s;", a, m, b,
                                          combo(x.AT + b * n, n, xasprintf("am[%d][%%lld][l]", a), 0, 1));
                    /* runs of tiles in one tile row, each output row of a run
                     * a stretch of consecutive floats of st and of y */
                    emit_line(e, "int th = %s, tw = %s;", cx_div(tq, NC), cx_mod(tq, NC));
                    BLOCK(e, "for (int l = 0; l < 16;)") {
                        BLOCK(e, "if (tw == %lld)", NC) {
                            emit_line(e, "tw = 0;");
                            emit_line(e, "th++;");
                        }
                        emit_line(e, "if (th >= %lld) break;", (long long)g.TH);
                        if (!gather) BLOCK(e, "if (tw >= %lld)", (long long)g.TW) {   /* the padding column */
                            emit_line(e, "l++;");
                            emit_line(e, "tw++;");
                            emit_line(e, "continue;");
                        }
                        emit_line(e, "const int run = 16 - l < %lld - tw ? 16 - l : %lld - tw;", (long long)g.TW,
                                  (long long)g.TW);
                        if (g.OW % m)
                            emit_line(e, "const int cols = run * %d < %lld - tw * %d ? run * %d : %lld - tw * %d;", m,
                                      (long long)g.OW, m, m, (long long)g.OW, m);
                        const char *cols = g.OW % m ? "cols" : xasprintf("run * %d", m);
                        BLOCK(e, "for (int a = 0; a < %d && th * %d + a < %lld; a++)", m, m, (long long)g.OH) {
                            emit_line(e, "const float *restrict sr = st[a] + l * %d;", m);
                            emit_line(e, "const int at = (o * %lld + th * %d + a) * %lld + tw * %d;", (long long)g.OH, m,
                                      (long long)g.OW, m);
                            BLOCK(e, "for (int i_ = 0; i_ < %s; i_++)", cols) {
                                emit_line(e, "const float v = sr[i_];");
                                emit_store(e, "at + i_", "o", "v");
                            }
                        }
                        emit_line(e, "l += run;");
                        emit_line(e, "tw += run;");
                    }
                }
            }
        }
    }
}

static const char *winograd_describe(const void *tile) {
    const Wino *g = tile;
    return xasprintf("F(%dx%d,3x3): %lld x %lld tiles of %dx%d%s in blocks of %lld; products of %d channels x %d x 16 "
                     "tiles%s",
                     g->m, g->m, (long long)g->TH, (long long)g->TW, g->m, g->m, g->NC != g->Wq ? " (gathered)" : "",
                     (long long)g->TB, g->OCB, g->P, g->nar.P ? xasprintf(" (narrow %d x %d x 16)", g->nar.OCB, g->nar.P) : "");
}

const KernelFamily conv_winograd = {
    .name = "Winograd", .data = winograd_data, .emit = winograd_emit, .describe = winograd_describe,
};
