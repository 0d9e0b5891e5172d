/* phase_row_check.c: cnnrt_phase_row against its definition, every path of
 * the compiler and flags it is built with (tests/codegen/run.sh builds it
 * under gcc and clang, with and without AVX-512): strides 1-4, left
 * padding 0-3, rows of 1-300 columns, 1-90 columns a phase. Each row is
 * an allocation of its own, so that a read past it shows under valgrind or
 * AddressSanitizer. Prints "N of M wrong" and exits 1 when N > 0. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cnnrt.h"

int main(void) {
    int bad = 0, tried = 0;
    for (int s = 1; s <= 4; s++)
        for (int pl = 0; pl <= 3; pl++)
            for (int w = 1; w <= 300; w++)
                for (int n = 1; n <= 90; n++) {
                    float *src = malloc(sizeof(float) * (size_t)w), dst[4 * 90], want[4 * 90];
                    if (!src) return 2;
                    for (int i = 0; i < w; i++) src[i] = (float)(i + 1);
                    for (int i = 0; i < 4 * 90; i++) dst[i] = want[i] = -7.0f;
                    for (int p = 0; p < s; p++)
                        for (int q = 0; q < n; q++) {
                            const int c = q * s + p - pl;
                            want[p * 90 + q] = c >= 0 && c < w ? src[c] : 0.0f;
                        }
                    cnnrt_phase_row(dst, 90, src, w, pl, s, n, CNNRT_SHUFFLES);
                    free(src);
                    tried++;
                    if (memcmp(dst, want, sizeof dst) != 0 && bad++ < 5)
                        printf("wrong: stride %d, left padding %d, %d columns, %d a phase\n", s, pl, w, n);
                }
    printf("%d of %d wrong\n", bad, tried);
    return bad != 0;
}
