#!/usr/bin/python3
"""tests/fuzz/make-onnx-corpus.py — writes the ONNX fuzz target's seed corpus,
tests/fuzz/onnx-corpus/*.onnx: small models exported by torch.onnx.export from
the kinds of networks users bring (convolutions with BatchNorm, residual
blocks, depthwise + pointwise, pooling, dense heads, resampling, concat,
activations, a local function, pixel (un)shuffles, an If, comparisons and Where,
attention), each at a few opsets, and one model made by
hand of the operators no PyTorch export writes (LRN, Resize by ONNX's
coordinate modes, MatMul of a constant by data). Random weights with a
fixed seed; tiny channel counts, so each file is a few kilobytes.

    /usr/bin/python3 tests/fuzz/make-onnx-corpus.py    # rewrites the directory

The files are committed: make fuzz starts from them, and make test-asan runs
each through the sanitized compiler (tests/fuzz/regress.sh).
"""
import os
import sys
import warnings

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "onnx-corpus")


class ConvBn(nn.Module):
    def __init__(s):
        super().__init__()
        s.c, s.bn, s.fc = nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.Linear(4 * 4 * 4, 3)

    def forward(s, x):
        x = F.max_pool2d(F.relu(s.bn(s.c(x))), 2)
        return torch.softmax(s.fc(x.view(x.size(0), -1)), 1)


class Residual(nn.Module):
    def __init__(s):
        super().__init__()
        s.a, s.b = nn.Conv2d(4, 4, 3, padding=1, bias=False), nn.Conv2d(4, 4, 3, padding=1)
        s.bn = nn.BatchNorm2d(4)

    def forward(s, x):
        return F.relu(s.bn(s.b(F.relu(s.a(x)))) + x)


class Separable(nn.Module):
    def __init__(s):
        super().__init__()
        s.dw, s.pw = nn.Conv2d(4, 4, 3, padding=1, groups=4, stride=2), nn.Conv2d(4, 6, 1)

    def forward(s, x):
        x = F.hardswish(s.pw(F.relu6(s.dw(x))))
        return F.adaptive_avg_pool2d(x, 1).flatten(1)


class Mixed(nn.Module):
    def __init__(s):
        super().__init__()
        s.c1, s.c2 = nn.Conv2d(3, 4, 3), nn.Conv2d(3, 4, 1, stride=2)

    def forward(s, x):
        a = F.silu(s.c1(F.pad(x, (1, 1, 1, 1), mode="reflect")))
        b = F.interpolate(torch.sigmoid(s.c2(x)), scale_factor=2, mode="nearest")
        y = torch.cat([a, b], 1)
        return F.avg_pool2d(F.gelu(y), 3, stride=2, padding=1, count_include_pad=False)


class Vector(nn.Module):
    def __init__(s):
        super().__init__()
        s.fc1, s.bn, s.fc2 = nn.Linear(10, 8), nn.BatchNorm1d(8), nn.Linear(8, 3)

    def forward(s, x):
        return s.fc2(torch.clamp(s.bn(s.fc1(x)), -1, 2))


class Conv1d(nn.Module):
    def __init__(s):
        super().__init__()
        s.c = nn.Conv1d(2, 3, 5, stride=2, padding=2)

    def forward(s, x):
        return F.avg_pool1d(F.leaky_relu(s.c(x), 0.1), 2)


class Block(nn.Module):
    def __init__(s):
        super().__init__()
        s.c = nn.Conv2d(4, 4, 3, padding=1)

    def forward(s, x):
        return F.relu(s.c(x)) + x


class Functions(nn.Module):   # exported with Block as an ONNX local function
    def __init__(s):
        super().__init__()
        s.b1, s.b2 = Block(), Block()

    def forward(s, x):
        return s.b2(s.b1(x))


class PixelShuffles(nn.Module):   # a Reshape to six axes before opset 11
    def __init__(s):
        super().__init__()
        s.u = nn.PixelUnshuffle(2)
        s.c = nn.Conv2d(8, 8, 1)
        s.p = nn.PixelShuffle(2)

    def forward(s, x):
        return s.p(s.c(s.u(x)))


class TorchLRN(nn.Module):   # nn.LocalResponseNorm: its export tests the rank in an If
    def __init__(s):
        super().__init__()
        s.n = nn.LocalResponseNorm(3)

    def forward(s, x):
        return s.n(x)


class Conditions(nn.Module):   # comparisons, And/Or/Not, Where, Cast, Round and Sign of data
    def forward(s, x):
        m = ((x > -0.5) & (x < 0.5)) | ~(x >= 1)
        return torch.where(m, torch.round(x), F.hardshrink(x, 0.3)) + torch.sign(x) * m.float()


class Attention(nn.Module):   # timm's: a permute that moves the batch axis, unbind, q @ k^T, softmax
    def __init__(s, c=8, heads=2):
        super().__init__()
        s.h = heads
        s.qkv = nn.Linear(c, 3 * c)

    def forward(s, x):
        b, n, c = x.shape
        q, k, v = s.qkv(x).reshape(b, n, 3, s.h, c // s.h).permute(2, 0, 3, 1, 4).unbind(0)
        return ((q @ k.transpose(-2, -1)).softmax(-1) @ v).transpose(1, 2).reshape(b, n, c)


MODELS = [("convbn", ConvBn, (3, 8, 8), (9, 13)),
          ("residual", Residual, (4, 6, 6), (11, 17)),
          ("separable", Separable, (4, 8, 8), (13,)),
          ("mixed", Mixed, (3, 8, 8), (11, 13)),
          ("vector", Vector, (10,), (9, 13)),
          ("conv1d", Conv1d, (2, 16), (13,)),
          ("pixelshuffles", PixelShuffles, (2, 6, 4), (9, 13)),
          ("lrn", TorchLRN, (4, 3, 3), (13,)),
          ("conditions", Conditions, (2, 3, 3), (11, 13)),
          ("attention", Attention, (5, 8), (13,))]


def handmade(path):
    """operators no PyTorch export writes: LRN, Upsample in linear mode,
    Resize by ONNX's coordinate modes, MatMul of a constant by data"""
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper, TensorProto
    N = helper.make_node
    inits = [numpy_helper.from_array(np.array([1, 1, 2, 1.5], np.float32), "sc"),
             numpy_helper.from_array(np.array([1, 1, 0.5, 0.5], np.float32), "down"),
             numpy_helper.from_array(np.array([0, 4, -1], np.int64), "to"),
             numpy_helper.from_array(np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4), "w")]
    nodes = [N("LRN", ["x"], ["a"], size=3, alpha=0.01, beta=0.75, bias=2.0),
             N("Resize", ["a", "", "sc"], ["b"], mode="linear", coordinate_transformation_mode="asymmetric"),
             N("Resize", ["b", "", "down"], ["c"], mode="nearest", coordinate_transformation_mode="half_pixel",
               nearest_mode="round_prefer_ceil"),
             N("Reshape", ["c", "to"], ["d"]), N("MatMul", ["w", "d"], ["y"])]
    vi = helper.make_tensor_value_info
    g = helper.make_graph(nodes, "handmade", [vi("x", TensorProto.FLOAT, ["N", 4, 6, 6])],
                          [vi("y", TensorProto.FLOAT, ["N", 3, 24])], inits)
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), path)


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        if f.endswith(".onnx"):
            os.remove(os.path.join(OUT, f))
    torch.manual_seed(0)
    warnings.filterwarnings("ignore")
    for name, cls, shape, opsets in MODELS:
        net = cls().eval()
        x = torch.randn(1, *shape)
        for op in opsets:
            torch.onnx.export(net, x, os.path.join(OUT, "%s_op%d.onnx" % (name, op)), opset_version=op,
                              input_names=["x"], output_names=["y"],
                              dynamic_axes={"x": {0: "N"}, "y": {0: "N"}})
    torch.onnx.export(Functions().eval(), torch.randn(1, 4, 6, 6), os.path.join(OUT, "functions_op15.onnx"),
                      opset_version=15, export_modules_as_functions={Block}, input_names=["x"],
                      output_names=["y"])
    handmade(os.path.join(OUT, "handmade_op13.onnx"))
    print("wrote %d models to %s" % (len([f for f in os.listdir(OUT) if f.endswith(".onnx")]), OUT))


if __name__ == "__main__":
    sys.exit(main())
