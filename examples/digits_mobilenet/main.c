/* Digit classifier from a torchvision model: embeds the code cnnc generates
 * from digits.onnx, torchvision's MobileNetV3-small trained on the synthetic
 * digits and exported by torch.onnx.export (train_export.py).
 *
 *   digits IMAGE.pgm [EXPECTED]
 *
 * Reads a 28x28 PGM (white digit on black, like examples/lenet5's), scales the
 * pixels to [0,1], puts the gray value in each of the model's three input
 * channels (input[c][y][x], the layout of a PyTorch tensor of one sample),
 * runs the network and prints the 10 probabilities and the top class. With
 * EXPECTED, the exit status is 1 when the top class differs from it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/pgm_app.h"
#include "digits.h"

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s IMAGE.pgm [EXPECTED_CLASS]\n", argv[0]);
        return 2;
    }
    static float input[DIGITS_INPUT_SIZE], output[DIGITS_OUTPUT_SIZE];
    if (DIGITS_INPUT_SIZE != 3 * 28 * 28 || DIGITS_OUTPUT_SIZE != 10) {
        fprintf(stderr, "digits.h does not describe a 3x28x28 -> 10 network\n");
        return 1;
    }
    if (read_pgm(argv[1], 28, 28, input) != 0)
        return 1;
    for (int c = 1; c < 3; c++)   /* gray: the same plane in every channel */
        memcpy(input + c * 28 * 28, input, sizeof(float) * 28 * 28);
    float *scratch = alloc_scratch(DIGITS_SCRATCH_SIZE, DIGITS_SCRATCH_ALIGN);
    if (!scratch) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }

    digits_forward(input, output, scratch);

    int status = print_classes(output, 10, argv[1], argc == 3 ? argv[2] : NULL);
    free(scratch);
    return status;
}
