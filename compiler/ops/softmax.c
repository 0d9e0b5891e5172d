/* softmax.c — softmax over the channels at each position ([C, ...]), or over
 * the whole vector ([N]); the maximum is subtracted first. */
#include "cnnc.h"

const OpDesc op_softmax = {
    .name = "softmax", .min_in = 1, .max_in = 1,
    .infer = op_same_shape, .params = op_no_params, .macs = op_no_macs,
};
