/* fuzz_alloc.h — the allocator of the fuzz targets' util.c (fuzz.mk compiles
 * it with -Dcalloc=fuzz_calloc -Drealloc=fuzz_realloc): every block is kept
 * on one list, and fuzz_free_all() frees them after each input. The compiler
 * never frees (compiler/util.c); without this a fuzzing process would grow
 * by every input's memory. Include it in exactly one file of a target. */
#ifndef FUZZ_ALLOC_H
#define FUZZ_ALLOC_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct Block {
    struct Block *prev, *next;
    size_t size;
    size_t pad;   /* keeps the payload 16-byte aligned */
} Block;

static Block blocks = {&blocks, &blocks, 0, 0};

static void link_block(Block *b) {
    b->next = blocks.next;
    b->prev = &blocks;
    blocks.next->prev = b;
    blocks.next = b;
}

static void unlink_block(Block *b) {
    b->prev->next = b->next;
    b->next->prev = b->prev;
}

void *fuzz_calloc(size_t n, size_t size);
void *fuzz_realloc(void *p, size_t size);

void *fuzz_calloc(size_t n, size_t size) {
    size_t bytes;
    if (__builtin_mul_overflow(n, size, &bytes) || bytes > SIZE_MAX - sizeof(Block)) return NULL;
    Block *b = calloc(1, sizeof(Block) + bytes);
    if (!b) return NULL;
    b->size = bytes;
    link_block(b);
    return b + 1;
}

void *fuzz_realloc(void *p, size_t size) {
    if (!p) return fuzz_calloc(1, size);
    if (size > SIZE_MAX - sizeof(Block)) return NULL;
    Block *b = (Block *)p - 1;
    unlink_block(b);
    Block *nb = realloc(b, sizeof(Block) + size);
    if (!nb) {
        link_block(b);
        return NULL;
    }
    nb->size = size;
    link_block(nb);
    return nb + 1;
}

/* the compiler's few free() calls (fuzz.mk: -Dfree=fuzz_free on compiler/):
 * a block of the list is unlinked first; anything else (realpath, cJSON) is libc's */
void fuzz_free(void *p);
void fuzz_free(void *p) {
    if (!p) return;
    for (Block *b = blocks.next; b != &blocks; b = b->next)
        if (b + 1 == p) {
            unlink_block(b);
            free(b);
            return;
        }
    free(p);
}

/* once per process: /dev/null for the outputs; the compiler's diagnostics
 * silenced (unless FUZZ_VERBOSE is set), but not the sanitizers' and the
 * fuzzer's reports (they write to fd 2 or their own copy of the stream);
 * no colour, no error cap */
static FILE *fuzz_setup(void) {
    FILE *devnull = fopen("/dev/null", "w");
    if (!devnull) abort();
    const char *v = getenv("FUZZ_VERBOSE");
    if (!(v && *v && strcmp(v, "0") != 0)) stderr = devnull;
    diag_color(0);
    diag_limit(0);
    return devnull;
}

static void fuzz_free_all(void) {
    Block *b = blocks.next;
    while (b != &blocks) {
        Block *next = b->next;
        free(b);
        b = next;
    }
    blocks.next = blocks.prev = &blocks;
}

#endif
