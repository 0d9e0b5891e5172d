/*
 * harness.c: runs one generated network on an input file, through the API of
 * the generated header (docs/language.md, section 10).
 *
 *   cc -std=c11 ... -DNET_H='"net.h"' -DPREFIX=net -DUPREFIX=NET \
 *      harness.c net.c $(cnnc --cflags) $(cnnc --libs)
 *   ./harness input.bin output.bin [--per-sample]
 *
 * input.bin holds n samples of PREFIX_INPUT_SIZE floats (n from the file
 * size). n == 1 calls PREFIX_forward; n > 1 calls PREFIX_forward_batch, or
 * PREFIX_forward once per sample with --per-sample. output.bin gets
 * n * PREFIX_OUTPUT_SIZE floats.
 *
 * It also checks the contract around the call: input and output are only
 * float-aligned (offset by one float from an aligned block), the scratch is
 * exactly PREFIX_SCRATCH_ALIGN aligned, and guard floats after the output and
 * after PREFIX_SCRATCH_SIZE floats of scratch, and the input, stay untouched.
 * Exit status: 0 ok, 1 I/O or contract error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef NET_H
#define NET_H "net.h"
#endif
#ifndef PREFIX
#define PREFIX net
#endif
#ifndef UPREFIX
#define UPREFIX NET
#endif

#include NET_H

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define FN(s) CAT(PREFIX, s)     /* FN(_forward) -> net_forward */
#define MAC(s) CAT(UPREFIX, s)   /* MAC(_INPUT_SIZE) -> NET_INPUT_SIZE */

#define GUARD 16                 /* guard floats after output and scratch */
static const float CANARY = -12345.5f;

static int fail(const char *what, const char *arg)
{
    fprintf(stderr, "harness: %s%s%s\n", what, arg ? " " : "", arg ? arg : "");
    return 1;
}

/* Reads the whole file; *count gets its size in floats. */
static float *read_floats(const char *path, size_t *count)
{
    FILE *f = fopen(path, "rb");
    float *buf;
    long size;
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return NULL;
    }
    *count = (size_t)size / sizeof(float);
    /* one extra float in front: the network sees a pointer that is float- but
       not necessarily 16-aligned */
    buf = malloc((*count + 1) * sizeof(float));
    if (buf && fread(buf + 1, sizeof(float), *count, f) != *count) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

static int guards_ok(const float *p)
{
    int i;
    for (i = 0; i < GUARD; i++)
        if (memcmp(&p[i], &CANARY, sizeof(float)) != 0)
            return 0;
    return 1;
}

static void set_guards(float *p)
{
    int i;
    for (i = 0; i < GUARD; i++)
        p[i] = CANARY;
}

int main(int argc, char **argv)
{
    const size_t in_size = (size_t)MAC(_INPUT_SIZE);
    const size_t out_size = (size_t)MAC(_OUTPUT_SIZE);
    size_t align = (size_t)MAC(_SCRATCH_ALIGN);
    size_t scratch_bytes, count, n, i;
    int per_sample = argc > 3 && strcmp(argv[3], "--per-sample") == 0;
    float *in_buf, *input, *in_copy, *out_buf, *output, *scratch;
    FILE *f;

    if (argc < 3)
        return fail("usage: harness input.bin output.bin [--per-sample]", NULL);
    in_buf = read_floats(argv[1], &count);
    if (!in_buf)
        return fail("cannot read", argv[1]);
    if (in_size == 0 || count == 0 || count % in_size != 0) {
        fprintf(stderr, "harness: %s: %zu floats is not a multiple of INPUT_SIZE %zu\n",
                argv[1], count, in_size);
        return 1;
    }
    n = count / in_size;
    input = in_buf + 1;
    in_copy = malloc(count * sizeof(float));
    out_buf = malloc((n * out_size + 1 + GUARD) * sizeof(float));
    if (!in_copy || !out_buf)
        return fail("out of memory", NULL);
    memcpy(in_copy, input, count * sizeof(float));
    output = out_buf + 1;
    set_guards(output + n * out_size);

    /* scratch: SCRATCH_SIZE floats (maybe 0) plus guards, rounded up to the
       alignment as aligned_alloc wants; alignment at least 16 (a power of two
       >= SCRATCH_ALIGN keeps SCRATCH_ALIGN alignment) */
    if (align < 16)
        align = 16;
    scratch_bytes = ((size_t)MAC(_SCRATCH_SIZE) + GUARD) * sizeof(float);
    scratch_bytes = (scratch_bytes + align - 1) / align * align;
    scratch = aligned_alloc(align, scratch_bytes);
    if (!scratch)
        return fail("cannot allocate scratch", NULL);
    memset(scratch, 0xA5, scratch_bytes);   /* garbage: the net must not rely on zeros */
    set_guards(scratch + (size_t)MAC(_SCRATCH_SIZE));

    if (n == 1) {
        FN(_forward)(input, output, scratch);
    } else if (per_sample) {
        for (i = 0; i < n; i++)
            FN(_forward)(input + i * in_size, output + i * out_size, scratch);
    } else {
        FN(_forward_batch)((int)n, input, output, scratch);
    }

    if (!guards_ok(output + n * out_size))
        return fail("the network wrote past OUTPUT_SIZE floats of output", NULL);
    if (!guards_ok(scratch + (size_t)MAC(_SCRATCH_SIZE)))
        return fail("the network wrote past SCRATCH_SIZE floats of scratch", NULL);
    if (memcmp(in_copy, input, count * sizeof(float)) != 0)
        return fail("the network changed its input", NULL);

    f = fopen(argv[2], "wb");
    if (!f || fwrite(output, sizeof(float), n * out_size, f) != n * out_size) {
        if (f)
            fclose(f);
        return fail("cannot write", argv[2]);
    }
    if (fclose(f) != 0)
        return fail("cannot write", argv[2]);
    free(scratch);
    free(out_buf);
    free(in_copy);
    free(in_buf);
    return 0;
}
