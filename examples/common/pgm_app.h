/* pgm_app.h — what the apps that read images share (lenet5, digits_mobilenet,
 * sobel): reading a PGM image, allocating the scratch, printing a classifier's
 * probabilities. */
#ifndef PGM_APP_H
#define PGM_APP_H

#include <stdio.h>
#include <stdlib.h>

/* Next header number of a PGM, skipping whitespace and '#' comments; -1 on error. */
static inline long pgm_number(FILE *f)
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
static inline int read_pgm(const char *path, int w, int h, float *out)
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
static inline float *alloc_scratch(size_t floats, size_t align)
{
    size_t bytes = floats * sizeof(float);
    bytes = bytes ? (bytes + align - 1) / align * align : align;
    return aligned_alloc(align, bytes);
}

/* Prints the n probabilities p and the top class; with expected (else NULL),
 * returns 1 when the top class differs from it (path names the image), else 0. */
static inline int print_classes(const float *p, int n, const char *path, const char *expected)
{
    int top = 0;
    for (int k = 0; k < n; k++) {
        printf("class %d: %.4f\n", k, p[k]);
        if (p[k] > p[top])
            top = k;
    }
    printf("top class: %d\n", top);
    if (expected && top != atoi(expected)) {
        fprintf(stderr, "%s: expected class %s, got %d\n", path, expected, top);
        return 1;
    }
    return 0;
}

#endif
