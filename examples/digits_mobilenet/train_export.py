#!/usr/bin/env python3
"""Train torchvision's MobileNetV3-small on synthetic digits, export it to ONNX.

The model is torchvision.models.mobilenet_v3_small as it is (weights=None,
num_classes=10): 3-channel input, hardswish, squeeze-excite, the classifier's
dropout. It learns the synthetic digits of examples/lenet5 (28x28, white on
black, pixels in [0, 1]) with the gray value in all three channels, which is
what main.c feeds it. The export is the model as a user exports theirs, with a
softmax after it: torch.onnx.export, opset 13, any batch size. Then

    cnnc digits.onnx -o digits.c      # digits.c + digits.h, prefix from the file name

    python3 train_export.py [-o digits.onnx] [--seed N] [--steps N]

Needs torch, torchvision and numpy (Debian: apt-get install python3-torch
python3-torchvision python3-numpy). Deterministic for a seed on a given torch
build (one thread); about a minute on one core.
"""
import argparse
import os
import sys
import time

import torch
import torch.nn as nn
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lenet5'))
from export_weights import train, training_digits  # noqa: E402  (the synthetic digits)


def rgb(x):
    """[N, 1, 28, 28] gray -> [N, 3, 28, 28]: the value in every channel."""
    return x.expand(-1, 3, -1, -1).contiguous()


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('-o', '--output', default=os.path.join(here, 'digits.onnx'))
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--steps', type=int, default=400)
    args = ap.parse_args()

    x, y, xt, yt = training_digits(args.seed)
    x, xt = rgb(x), rgb(xt)
    net = torchvision.models.mobilenet_v3_small(weights=None, num_classes=10)
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    t0 = time.time()
    train(net, x, y, args.steps, 64, opt, torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=args.steps))
    # BatchNorm's running statistics, which torchvision's MobileNetV3 updates
    # slowly (momentum 0.01), recomputed for the final weights: the mean over
    # a few batches of the training digits
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.reset_running_stats()
                m.momentum = None
        perm = torch.randperm(len(x))
        for k in range(0, 2048, 256):
            net(x[perm[k:k + 256]])
    net.eval()
    with torch.no_grad():
        acc = (net(xt).argmax(1) == yt).float().mean().item()
    print(f'trained in {time.time() - t0:.1f} s; accuracy on fresh digits {acc:.3f}')

    model = nn.Sequential(net, nn.Softmax(dim=1)).eval()
    torch.onnx.export(model, torch.zeros(1, 3, 28, 28), args.output, opset_version=13,
                      input_names=['image'], output_names=['probs'],
                      dynamic_axes={'image': {0: 'N'}, 'probs': {0: 'N'}})
    print(f'wrote {args.output}')
    return 0 if acc > 0.9 else 1


if __name__ == '__main__':
    sys.exit(main())
