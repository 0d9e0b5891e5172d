"""tests/onnx/zoo.py — torchvision's standard architectures for the ONNX suite
(tests/onnx/run.py): each exported by torch.onnx.export with random weights
(and BatchNorm statistics that do something), compiled by cnnc at -O0 and
-O2 and compared with PyTorch on two samples. Narrow or small variants with
10 classes and 64x64 inputs keep the suite quick; the full sizes belong to
the benchmark (bench/).
"""


def models():
    """(name, constructor, input shape, opsets)"""
    import torchvision.models as tvm

    return [
        # hardswish, hardsigmoid, squeeze-excite (a broadcast Mul)
        ("tv_mobilenet_v3_small", lambda: tvm.mobilenet_v3_small(weights=None, width_mult=0.5, num_classes=10),
         (3, 64, 64), (13, 17)),
        # channel split, channel shuffle, a mean over the positions
        ("tv_shufflenet_v2_x0_5", lambda: tvm.shufflenet_v2_x0_5(weights=None, num_classes=10),
         (3, 64, 64), (13,)),
        # fire modules: concat, max pooling with ceil_mode
        ("tv_squeezenet1_1", lambda: tvm.squeezenet1_1(weights=None, num_classes=10), (3, 64, 64), (11,)),
        # inverted residuals, relu6, a mean over the positions
        ("tv_mnasnet0_5", lambda: tvm.mnasnet0_5(weights=None, num_classes=10), (3, 64, 64), (13,)),
        # SiLU, squeeze-excite, stochastic depth (identity at inference)
        ("tv_efficientnet_b0", lambda: tvm.efficientnet_b0(weights=None, num_classes=10), (3, 64, 64), (13,)),
        # basic blocks, the residual adds
        ("tv_resnet18", lambda: tvm.resnet18(weights=None, num_classes=10), (3, 64, 64), (9, 13)),
    ]
