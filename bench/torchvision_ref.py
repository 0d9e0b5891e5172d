#!/usr/bin/python3
"""PyTorch peer of the ONNX suite (bench/run_onnx.sh): one torchvision network.

  torchvision_ref.py NET --out DIR [--seed S] [--shape C,H,W] [--time] [--budget SEC]

NET: a torchvision.models architecture (resnet50, mobilenet_v2,
mobilenet_v3_small, efficientnet_b0, shufflenet_v2_x1_0, ...), built with
weights=None (nothing is downloaded) and its 1000 classes. Writes
  DIR/net.onnx    the module exported with torch.onnx (opset 13, batch 1): what
                  cnnc compiles and ONNX Runtime runs
  DIR/input.bin   float32 LE, one sample of --shape (default 3,224,224), N(0,1)
  DIR/ref.bin     float32 LE, the reference output: the same module in float64
                  (its float32 parameters converted exactly)
and prints `key value` lines on stdout: net, torchvision_version, params,
input_size, output_size, torch_fp32_max_err (PyTorch's own float32 output
against the reference), onnx ok|failed, and with --time PyTorch's latency
as bench/torch_ref.py measures it (torch_us, torch_mode, ...: the faster of
torch.jit.freeze and torch.jit.optimize_for_inference of the traced module,
one thread, median of single calls over ~--budget s).

Parameters: torchvision's own initialisation after torch.manual_seed(seed);
BatchNorm gets a random affine part and running statistics measured on 3
random batches of 2 (torch_ref.randomize_batchnorm: the BatchNorm layers in
train mode, momentum None), so that activations stay O(1) and folding is
exercised. The steps after that are bench/torch_ref.py's own functions.
"""
import argparse
import os
import sys

import torch
import torchvision
import torchvision.models as tvm

import torch_ref  # bench/torch_ref.py, beside this file


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("net", help="a torchvision.models architecture, e.g. resnet50")
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--shape", default="3,224,224", help="one sample's shape (C,H,W)")
    ap.add_argument("--time", action="store_true", help="time the TorchScript module")
    ap.add_argument("--budget", type=float, default=2.0, help="seconds of timed runs")
    args = ap.parse_args()
    shape = [int(v) for v in args.shape.split(",")]

    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    try:
        net = tvm.get_model(args.net, weights=None)
    except (ValueError, KeyError) as e:
        print(f"torchvision_ref.py: {args.net}: not a torchvision model ({e})", file=sys.stderr)
        sys.exit(1)
    torch_ref.randomize_batchnorm(net, shape, torch.Generator().manual_seed(args.seed + 1),
                                  passes=3, batch=2)
    os.makedirs(args.out, exist_ok=True)
    print("net", args.net)
    print("torchvision_version", torchvision.__version__)
    print("params", sum(p.numel() for p in net.parameters()))

    x, ref = torch_ref.write_reference(net, shape, args.out, args.seed)
    torch_ref.export_onnx(net, x, os.path.join(args.out, "net.onnx"))
    if args.time:
        torch_ref.time_torchscript(net, x, ref, args.budget)


if __name__ == "__main__":
    main()
