/* 3-D convolutions on a volume: embeds the code cnnc generates from volume3d.cnn.
 *
 *   volume3d
 *
 * Synthesizes a 16x32x32 volume holding a soft-edged sphere, and an empty one,
 * runs the network on both and prints the two logits of each. The weights are
 * random, so the numbers only show that the network reacts to the sphere. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "volume3d.h"

#define D 16 /* must match input vol[1, 16, 32, 32] */
#define H 32
#define W 32

static float *alloc_scratch(size_t floats, size_t align)
{
    size_t bytes = floats * sizeof(float);
    bytes = bytes ? (bytes + align - 1) / align * align : align;
    return aligned_alloc(align, bytes);
}

int main(void)
{
    if (VOLUME3D_INPUT_SIZE != D * H * W || VOLUME3D_OUTPUT_SIZE != 2) {
        fprintf(stderr, "volume3d.h does not describe a 1x%dx%dx%d -> 2 network\n", D, H, W);
        return 1;
    }
    static float vol[D * H * W], empty[D * H * W], out[2];
    for (int z = 0; z < D; z++)
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                /* sphere of radius 6 voxels at (8, 14, 18), edge 1 voxel wide */
                float r = sqrtf((float)((z - 8) * (z - 8) + (y - 14) * (y - 14) +
                                        (x - 18) * (x - 18)));
                float v = 6.5f - r;
                vol[(z * H + y) * W + x] = v < 0 ? 0 : v > 1 ? 1 : v;
            }
    float *scratch = alloc_scratch(VOLUME3D_SCRATCH_SIZE, VOLUME3D_SCRATCH_ALIGN);
    if (!scratch) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    int inside = 0;
    for (int i = 0; i < D * H * W; i++)
        inside += vol[i] > 0.5f;

    volume3d_forward(vol, out, scratch);
    printf("sphere (%d voxels): logits %.5f %.5f\n", inside, out[0], out[1]);
    volume3d_forward(empty, out, scratch);
    printf("empty volume:       logits %.5f %.5f\n", out[0], out[1]);
    free(scratch);
    return 0;
}
