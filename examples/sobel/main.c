/* Sobel edge magnitude: embeds the code cnnc generates from sobel.cnn.
 *
 *   sobel IN.pgm OUT.pgm
 *
 * Reads a PGM (P2 or P5) of the network's size, scales it to [0,1] (value / maxval),
 * runs the network and writes the magnitude as a P5 PGM, 255 * G / 4 clamped to
 * 0..255 (4 is the response to a vertical or horizontal step from 0 to 1).
 * It also recomputes the magnitude directly and fails if the two disagree. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "../common/pgm_app.h"
#include "sobel.h"

#define H 64 /* must match input image[1, 64, 96] in sobel.cnn */
#define W 96

static int write_pgm(const char *path, const float *mag)
{
    unsigned char px[H * W];
    for (int i = 0; i < H * W; i++) {
        float v = mag[i] * 255.0f / 4.0f;
        px[i] = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v + 0.5f);
    }
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        return -1;
    }
    fprintf(f, "P5\n%d %d\n255\n", W, H);
    size_t n = fwrite(px, 1, sizeof px, f);
    if (fclose(f) != 0 || n != sizeof px) {
        perror(path);
        return -1;
    }
    return 0;
}

/* Pixel (y, x) of img with zero padding. */
static float at(const float *img, int y, int x)
{
    return (y < 0 || y >= H || x < 0 || x >= W) ? 0.0f : img[y * W + x];
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s IN.pgm OUT.pgm\n", argv[0]);
        return 2;
    }
    if (SOBEL_INPUT_SIZE != H * W || SOBEL_OUTPUT_SIZE != H * W) {
        fprintf(stderr, "sobel.h does not describe a 1x%dx%d image network\n", H, W);
        return 1;
    }
    static float img[H * W], mag[H * W];
    if (read_pgm(argv[1], W, H, img) != 0)
        return 1;
    float *scratch = alloc_scratch(SOBEL_SCRATCH_SIZE, SOBEL_SCRATCH_ALIGN);
    if (!scratch) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }

    sobel_forward(img, mag, scratch);
    free(scratch);

    /* Check against the direct formula (cross-correlation, as in PyTorch). */
    float maxdiff = 0.0f, maxmag = 0.0f;
    int edges = 0;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            float gx = at(img, y - 1, x - 1) - at(img, y - 1, x + 1)
                     + 2 * at(img, y, x - 1) - 2 * at(img, y, x + 1)
                     + at(img, y + 1, x - 1) - at(img, y + 1, x + 1);
            float gy = at(img, y - 1, x - 1) + 2 * at(img, y - 1, x) + at(img, y - 1, x + 1)
                     - at(img, y + 1, x - 1) - 2 * at(img, y + 1, x) - at(img, y + 1, x + 1);
            float m = mag[y * W + x], d = fabsf(m - sqrtf(gx * gx + gy * gy));
            maxdiff = d > maxdiff ? d : maxdiff;
            maxmag = m > maxmag ? m : maxmag;
            edges += m > 0.5f;
        }
    printf("%dx%d image: max |G| = %.4f, %d edge pixels (|G| > 0.5), "
           "max diff to direct Sobel = %.2g\n", W, H, maxmag, edges, maxdiff);
    if (!(maxdiff <= 1e-4f)) {
        fprintf(stderr, "generated code disagrees with the direct Sobel formula\n");
        return 1;
    }
    if (write_pgm(argv[2], mag) != 0)
        return 1;
    printf("wrote %s\n", argv[2]);
    return 0;
}
