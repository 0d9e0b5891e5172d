/*
 * harness.c: runs one generated network on an input file, through the API of
 * the generated header (docs/language.md, section 10).
 *
 *   cc -std=c11 ... -c harness.c                 (once: -DPREFIX=net -DUPREFIX=NET)
 *   cc -std=c11 ... net.c harness.o $(cnnc --cflags) $(cnnc --libs)
 *   ./harness net.h input.bin output.bin [--per-sample]
 *
 * The network's functions are named at compile time (PREFIX, the prefix its
 * cnnc run was given); its sizes come from the #defines of its header, read
 * when it runs, so that one object serves every network of that prefix.
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

#ifndef PREFIX
#define PREFIX net
#endif
#ifndef UPREFIX
#define UPREFIX NET
#endif

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define STR_(a) #a
#define STR(a) STR_(a)
#define FN(s) CAT(PREFIX, s)     /* FN(_forward) -> net_forward */

/* the generated header's declarations */
void FN(_forward)(const float *input, float *output, float *scratch);
void FN(_forward_batch)(int n, const float *input, float *output, float *scratch);

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

/* The sizes the header defines: "#define NET_INPUT_SIZE 60 ..." lines */
enum { INPUT_SIZE, OUTPUT_SIZE, SCRATCH_SIZE, SCRATCH_ALIGN, NSIZES };
static int read_sizes(const char *path, size_t size[NSIZES])
{
    static const char *const names[NSIZES] = {
        STR(UPREFIX) "_INPUT_SIZE", STR(UPREFIX) "_OUTPUT_SIZE",
        STR(UPREFIX) "_SCRATCH_SIZE", STR(UPREFIX) "_SCRATCH_ALIGN",
    };
    FILE *f = fopen(path, "r");
    char line[512], name[128];
    unsigned long value;
    int i, found = 0;
    if (!f)
        return fail("cannot read", path);
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "#define %127s %lu", name, &value) == 2)
            for (i = 0; i < NSIZES; i++)
                if (strcmp(name, names[i]) == 0 && !(found & 1 << i)) {
                    size[i] = value;
                    found |= 1 << i;
                }
    fclose(f);
    for (i = 0; i < NSIZES; i++)
        if (!(found & 1 << i)) {
            fprintf(stderr, "harness: %s defines no %s\n", path, names[i]);
            return 1;
        }
    return 0;
}

static void set_guards(float *p)
{
    int i;
    for (i = 0; i < GUARD; i++)
        p[i] = CANARY;
}

int main(int argc, char **argv)
{
    size_t size[NSIZES], in_size, out_size, scratch_size, align;
    size_t scratch_bytes, count, n, i;
    int per_sample = argc > 4 && strcmp(argv[4], "--per-sample") == 0;
    float *in_buf, *input, *in_copy, *out_buf, *output, *scratch;
    FILE *f;

    if (argc < 4)
        return fail("usage: harness net.h input.bin output.bin [--per-sample]", NULL);
    if (read_sizes(argv[1], size) != 0)
        return 1;
    in_size = size[INPUT_SIZE];
    out_size = size[OUTPUT_SIZE];
    scratch_size = size[SCRATCH_SIZE];
    align = size[SCRATCH_ALIGN];
    in_buf = read_floats(argv[2], &count);
    if (!in_buf)
        return fail("cannot read", argv[2]);
    if (in_size == 0 || count == 0 || count % in_size != 0) {
        fprintf(stderr, "harness: %s: %zu floats is not a multiple of INPUT_SIZE %zu\n",
                argv[2], count, in_size);
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
    scratch_bytes = (scratch_size + GUARD) * sizeof(float);
    scratch_bytes = (scratch_bytes + align - 1) / align * align;
    scratch = aligned_alloc(align, scratch_bytes);
    if (!scratch)
        return fail("cannot allocate scratch", NULL);
    memset(scratch, 0xA5, scratch_bytes);   /* garbage: the net must not rely on zeros */
    set_guards(scratch + scratch_size);

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
    if (!guards_ok(scratch + scratch_size))
        return fail("the network wrote past SCRATCH_SIZE floats of scratch", NULL);
    if (memcmp(in_copy, input, count * sizeof(float)) != 0)
        return fail("the network changed its input", NULL);

    f = fopen(argv[3], "wb");
    if (!f || fwrite(output, sizeof(float), n * out_size, f) != n * out_size) {
        if (f)
            fclose(f);
        return fail("cannot write", argv[3]);
    }
    if (fclose(f) != 0)
        return fail("cannot write", argv[3]);
    free(scratch);
    free(out_buf);
    free(in_copy);
    free(in_buf);
    return 0;
}
