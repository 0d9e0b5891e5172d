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

#include "../common/pgm_app.h"
#include "lenet5.h"

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

    int status = print_classes(output, 10, argv[1], argc == 3 ? argv[2] : NULL);
    free(scratch);
    return status;
}
