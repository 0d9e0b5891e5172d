/* LeNet-5 digit classifier: embeds the code cnnc generates from lenet5.cnn.
 *
 *   lenet5 IMAGE.pgm [EXPECTED]
 *
 * Reads a 28x28 PGM (P2 or P5, white digit on black like MNIST), scales the pixels
 * to [0,1] (value / maxval, as export_weights.py does in training), runs the
 * network and prints the 10 probabilities and the top class. With EXPECTED, the
 * exit status is 1 when the top class differs from it. */
#include <stdio.h>
#include <stdlib.h>

#include "lenet5.h"

/* Next header number of a PGM, skipping whitespace and '#' comments; -1 on error. */
static long pgm_number(FILE *f)
{
    int c = fgetc(f);
    while (c == '#' || c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        if (c == '#')
            while (c != '\n' && c != EOF)
                c = fgetc(f);
        c = fgetc(f);
    }
    long v = -1;
    for (; c >= '0' && c <= '9'; c = fgetc(f))
        v = (v < 0 ? 0 : v * 10) + (c - '0');
    return v;
}

/* Reads a w x h PGM into out[h*w] scaled to [0,1]. Returns 0 on success. */
static int read_pgm(const char *path, int w, int h, float *out)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return -1;
    }
    int ok = 0;
    char magic[3] = {0};
    if (fread(magic, 1, 2, f) == 2 && magic[0] == 'P' && (magic[1] == '2' || magic[1] == '5')) {
        long fw = pgm_number(f), fh = pgm_number(f), maxval = pgm_number(f);
        if (fw != w || fh != h)
            fprintf(stderr, "%s: image is %ldx%ld, the network wants %dx%d\n", path, fw, fh, w, h);
        else if (maxval < 1 || maxval > 65535)
            fprintf(stderr, "%s: bad maxval %ld\n", path, maxval);
        else {
            ok = 1;
            for (int i = 0; ok && i < w * h; i++) {
                long v;
                if (magic[1] == '2') {
                    v = pgm_number(f);
                } else {            /* binary: 1 byte, or 2 big-endian bytes if maxval > 255 */
                    int hi = maxval > 255 ? fgetc(f) : 0, lo = fgetc(f);
                    v = (hi == EOF || lo == EOF) ? -1 : hi * 256L + lo;
                }
                if (v < 0 || v > maxval) {
                    fprintf(stderr, "%s: truncated or bad pixel data\n", path);
                    ok = 0;
                }
                out[i] = (float)v / (float)maxval;
            }
        }
    } else {
        fprintf(stderr, "%s: not a P2/P5 PGM file\n", path);
    }
    fclose(f);
    return ok ? 0 : -1;
}

/* Scratch: aligned, size rounded up to a multiple of the alignment, never 0 bytes. */
static float *alloc_scratch(size_t floats, size_t align)
{
    size_t bytes = floats * sizeof(float);
    bytes = bytes ? (bytes + align - 1) / align * align : align;
    return aligned_alloc(align, bytes);
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s IMAGE.pgm [EXPECTED_CLASS]\n", argv[0]);
        return 2;
    }
    static float input[LENET5_INPUT_SIZE], output[LENET5_OUTPUT_SIZE];
    if (LENET5_INPUT_SIZE != 28 * 28 || LENET5_OUTPUT_SIZE != 10) {
        fprintf(stderr, "lenet5.h does not describe a 1x28x28 -> 10 network\n");
        return 1;
    }
    if (read_pgm(argv[1], 28, 28, input) != 0)
        return 1;
    float *scratch = alloc_scratch(LENET5_SCRATCH_SIZE, LENET5_SCRATCH_ALIGN);
    if (!scratch) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }

    lenet5_forward(input, output, scratch);

    int top = 0;
    for (int k = 0; k < 10; k++) {
        printf("class %d: %.4f\n", k, output[k]);
        if (output[k] > output[top])
            top = k;
    }
    printf("top class: %d\n", top);
    free(scratch);
    if (argc == 3 && top != atoi(argv[2])) {
        fprintf(stderr, "%s: expected class %s, got %d\n", argv[1], argv[2], top);
        return 1;
    }
    return 0;
}
