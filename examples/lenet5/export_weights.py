#!/usr/bin/env python3
"""Train LeNet-5 (examples/lenet5/lenet5.cnn) on synthetic digits, export safetensors.

No MNIST here (no network), so we draw the ten digits ourselves: each digit is a few
pen strokes (lines and arcs) in a unit box, randomly slanted, scaled, shifted and
thickened, rendered white-on-black on 28x28 like MNIST, plus noise. A few seconds of
training on one core gets ~99% on fresh samples of that distribution.

Pixels are scaled to [0, 1] (value / maxval), nothing else; main.c does the same.

    python3 export_weights.py [-o lenet5.safetensors] [--onnx lenet5.onnx] [--samples DIR] [--seed N]

--onnx also writes the trained network, with its softmax, as an ONNX model
(torch.onnx.export, opset 13, any batch size): `cnnc lenet5.onnx --prefix lenet5`
compiles it to the same API as lenet5.cnn, so main.c classifies with either.

Needs torch and numpy (Debian: apt-get install python3-torch python3-numpy).
The output is deterministic for a seed on a given torch build (one thread).
"""
import argparse
import json
import math
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


# ---------------------------------------------------------------- the network
class LeNet5(nn.Module):
    """Same layers and names as lenet5.cnn, so state_dict names match."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 20, 5, padding=2)
        self.c2 = nn.Conv2d(20, 50, 5, padding=2)
        self.fc1 = nn.Linear(50 * 7 * 7, 500)
        self.fc2 = nn.Linear(500, 10)

    def forward(self, x):  # returns logits; the .cnn adds the softmax
        x = F.max_pool2d(F.relu(self.c1(x)), 2, 2)
        x = F.max_pool2d(F.relu(self.c2(x)), 2)
        x = F.relu(self.fc1(torch.flatten(x, 1)))
        return self.fc2(x)


# ---------------------------------------------------------- synthetic digits
def arc(cx, cy, rx, ry, a0, a1, n=14):
    """Points on an ellipse arc, angles in degrees, y pointing down."""
    t = np.radians(np.linspace(a0, a1, n))
    return list(zip(cx + rx * np.cos(t), cy + ry * np.sin(t)))


# Each digit: a list of polylines in the unit box (x right, y down).
STROKES = {
    0: [arc(.5, .5, .2, .31, 0, 360, 24)],
    1: [[(.4, .3), (.52, .18), (.52, .82)]],
    2: [arc(.5, .36, .19, .17, 180, 380) + [(.28, .82), (.74, .82)]],
    3: [arc(.48, .33, .17, .15, -160, 90), arc(.48, .65, .19, .17, -90, 160)],
    4: [[(.62, .82), (.62, .18), (.27, .62), (.76, .62)]],
    5: [[(.7, .18), (.36, .18), (.33, .47)] + arc(.49, .63, .2, .18, -125, 150)],
    6: [[(.66, .18), (.44, .36), (.32, .62)], arc(.5, .64, .18, .18, 0, 360, 20)],
    7: [[(.27, .19), (.73, .19), (.42, .82)]],
    8: [arc(.5, .32, .15, .14, 0, 360, 18), arc(.5, .65, .19, .17, 0, 360, 20)],
    9: [arc(.5, .35, .17, .16, 0, 360, 20), [(.67, .35), (.6, .82)]],
}


def segments(digit):
    """Polylines of a digit as an array of segments [S, 2 (ends), 2 (xy)]."""
    segs = []
    for line in STROKES[digit]:
        p = np.asarray(line, dtype=np.float32)
        segs.append(np.stack([p[:-1], p[1:]], axis=1))
    return np.concatenate(segs)


def render(digit, n, rng):
    """n random 28x28 images of one digit, float32 in [0, 1]."""
    seg = segments(digit)                                    # [S, 2, 2]
    # Random affine map of the unit box to pixel coordinates.
    ang = np.radians(rng.uniform(-12, 12, n))
    shear = rng.uniform(-0.25, 0.25, n)
    sx = 20 * rng.uniform(0.8, 1.15, n)
    sy = 20 * rng.uniform(0.85, 1.15, n)
    c, s = np.cos(ang), np.sin(ang)
    A = np.empty((n, 2, 2), np.float32)                      # rotation @ shear @ scale
    A[:, 0, 0] = c * sx
    A[:, 0, 1] = (c * shear - s) * sy
    A[:, 1, 0] = s * sx
    A[:, 1, 1] = (s * shear + c) * sy
    t = (14 + rng.uniform(-2.5, 2.5, (n, 2))).astype(np.float32)  # centre + shift
    pts = seg[None] - 0.5 + rng.normal(0, 0.02, (n,) + seg.shape).astype(np.float32)
    pts = np.einsum('nij,nsej->nsei', A, pts) + t[:, None, None, :]
    a, b = pts[:, :, 0], pts[:, :, 1]                        # [n, S, 2]
    # Distance from every pixel centre to every segment.
    yy, xx = np.mgrid[0:28, 0:28].astype(np.float32)
    pix = np.stack([xx.ravel(), yy.ravel()], 1) + 0.5        # [784, 2]
    ab = b - a
    ap = pix[None, :, None, :] - a[:, None]                  # [n, 784, S, 2]
    u = np.clip((ap * ab[:, None]).sum(-1) / np.maximum((ab * ab).sum(-1), 1e-6)[:, None],
                0, 1)
    d = np.linalg.norm(ap - u[..., None] * ab[:, None], axis=-1).min(-1)  # [n, 784]
    width = rng.uniform(0.9, 2.0, (n, 1))
    img = np.clip(width + 0.5 - d, 0, 1) * rng.uniform(0.7, 1.0, (n, 1))
    img += rng.normal(0, rng.uniform(0.0, 0.08, (n, 1)), img.shape)
    return np.clip(img, 0, 1).reshape(n, 28, 28).astype(np.float32)


def dataset(n_per_digit, rng):
    xs, ys = [], []
    for dgt in range(10):
        for k in range(0, n_per_digit, 250):                 # chunks keep memory small
            m = min(250, n_per_digit - k)
            xs.append(render(dgt, m, rng))
            ys.append(np.full(m, dgt))
    x = torch.from_numpy(np.concatenate(xs))[:, None]
    return x, torch.from_numpy(np.concatenate(ys)).long()


def training_digits(seed):
    """One thread, torch and numpy seeded: 4000 training digits and 500 test
    digits, [N, 1, 28, 28] and their classes."""
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    t0 = time.time()
    x, y = dataset(400, rng)
    xt, yt = dataset(50, rng)
    print(f'rendered {len(x)} + {len(xt)} digits in {time.time() - t0:.1f} s')
    return x, y, xt, yt


def train(net, x, y, steps, batch, opt, sched=None):
    """steps of opt (and sched) on random batches of x, cross-entropy."""
    net.train()
    for step in range(steps):
        idx = torch.randint(0, len(x), (batch,))
        loss = F.cross_entropy(net(x[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        if sched:
            sched.step()
        if step % 100 == 0 or step == steps - 1:
            print(f'step {step:4d}  loss {loss.item():.4f}')


# ------------------------------------------------------------ file formats
def write_safetensors(path, tensors):
    """safetensors: u64 LE header size, JSON header, raw LE data (here all F32)."""
    header, blobs, off = {"__metadata__": {"format": "pt"}}, [], 0
    for name, t in tensors.items():
        data = t.detach().cpu().contiguous().numpy().astype('<f4').tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape),
                        "data_offsets": [off, off + len(data)]}
        blobs.append(data)
        off += len(data)
    js = json.dumps(header, separators=(',', ':')).encode()
    js += b' ' * (-len(js) % 8)                              # align data to 8 bytes
    tmp = path + '.tmp'
    with open(tmp, 'wb') as f:
        f.write(struct.pack('<Q', len(js)) + js)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def read_safetensors(path):
    with open(path, 'rb') as f:
        raw = f.read()
    (n,) = struct.unpack('<Q', raw[:8])
    header = json.loads(raw[8:8 + n])
    header.pop("__metadata__", None)
    out = {}
    for name, h in header.items():
        b, e = h["data_offsets"]
        assert h["dtype"] == "F32"
        out[name] = np.frombuffer(raw[8 + n + b:8 + n + e], '<f4').reshape(h["shape"])
    return out


def write_pgm(path, img):
    """28x28 float image in [0, 1] as a plain (ASCII) PGM, maxval 255."""
    px = np.rint(img * 255).astype(int)
    rows = '\n'.join(' '.join(f'{v:3d}' for v in r) for r in px)
    with open(path, 'w') as f:
        f.write(f'P2\n# synthetic digit for examples/lenet5\n28 28\n255\n{rows}\n')


# ------------------------------------------------------------------- main
def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('-o', '--output', default=os.path.join(here, 'lenet5.safetensors'))
    ap.add_argument('--samples', metavar='DIR', help='also write digitK.pgm samples to DIR')
    ap.add_argument('--onnx', metavar='FILE', help='also write the trained network as an ONNX model')
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--steps', type=int, default=160)
    args = ap.parse_args()

    x, y, xt, yt = training_digits(args.seed)
    net = LeNet5()
    t0 = time.time()
    train(net, x, y, args.steps, 32, torch.optim.Adam(net.parameters(), lr=2e-3))
    net.eval()
    with torch.no_grad():
        acc = (net(xt).argmax(1) == yt).float().mean().item()
    print(f'trained in {time.time() - t0:.1f} s; accuracy on fresh digits {acc:.3f}')

    sd = net.state_dict()
    write_safetensors(args.output, sd)
    back = read_safetensors(args.output)                     # check the file
    assert set(back) == set(sd)
    for k, v in sd.items():
        assert np.array_equal(back[k], v.numpy()), k
    print(f'wrote {args.output}: ' +
          ', '.join(f'{k}{list(v.shape)}' for k, v in sd.items()))

    if args.onnx:                                            # the same network, softmax included
        model = nn.Sequential(net, nn.Softmax(dim=1)).eval()
        torch.onnx.export(model, torch.zeros(1, 1, 28, 28), args.onnx, opset_version=13,
                          input_names=['image'], output_names=['probs'],
                          dynamic_axes={'image': {0: 'N'}, 'probs': {0: 'N'}})
        print(f'wrote {args.onnx}')

    if args.samples:                                         # clean-ish samples
        srng = np.random.default_rng(1000 + args.seed)
        for dgt in range(10):
            img = render(dgt, 1, srng)[0]
            with torch.no_grad():
                p = F.softmax(net(torch.from_numpy(img)[None, None]), 1)[0]
            write_pgm(os.path.join(args.samples, f'digit{dgt}.pgm'), img)
            print(f'digit{dgt}.pgm: top class {p.argmax().item()} ({p.max().item():.3f})')
    return 0 if acc > 0.9 else 1


if __name__ == '__main__':
    sys.exit(main())
