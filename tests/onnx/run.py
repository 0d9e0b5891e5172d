#!/usr/bin/python3
"""tests/onnx/run.py: ONNX models through cnnc, against PyTorch and the ONNX node tests.

  (a) small PyTorch modules exported with torch.onnx.export at several opsets,
      compiled at -O0 and -O2, run through tests/numeric/harness.c and compared
      with PyTorch's output on a batch (an export whose generated C is that of
      an export built before, as most models are at several opsets, runs
      that build);
  (b) --emit=cnn: the .cnn (and its .safetensors) compiles to the same output;
  (c) broken models: the diagnostics in tests/onnx/errors/*.expect;
  (d) the ONNX backend node tests (/usr/share/libonnx-testdata/data/node):
      each test cnnc compiles is run on its inputs and compared with its
      outputs; the others count as not supported, with cnnc's reason, except
      the tests in nodes-supported.txt, which fail when cnnc refuses them.

Usage: run.py CNNC [WORKDIR]. ONNX_PARTS picks parts (torch errors nodes),
ONNX_MODELS names PyTorch models to run alone. Prints PASS/FAIL lines and ends with
"N passed, M failed". BLESS=1 rewrites the error expectations.
"""
import collections, glob, hashlib, os, re, subprocess, sys
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CNNC = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build/cnnc"))
WORK = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "build/onnx-tests"))
NODE_DIR = "/usr/share/libonnx-testdata/data/node"
CC = os.environ.get("CC_TEST", "cc")
os.makedirs(WORK, exist_ok=True)
passed = failed = 0


def result(ok, name, why=""):
    global passed, failed
    if ok:
        passed += 1
        print("PASS", name)
    else:
        failed += 1
        print("FAIL", name, ("- " + why) if why else "")


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def flags():
    return run([CNNC, "--cflags"]).stdout.split() + run([CNNC, "--libs"]).stdout.split()


FLAGS = None
# one variant of the -O2 kernels (the numeric suite runs them all): a third of the build
CFLAGS = ["-std=c11", "-O1", "-Wall", "-Wextra", "-pedantic", "-Werror", "-DCNNRT_DISPATCH=0"]
HARNESS = None   # tests/numeric/harness.c built once (it reads each network's sizes from its .h)
# binaries by the generated C they were built from, its file names taken out:
# an export whose C is the same as one built before (most models give the
# same graph at several opsets) runs that binary, a build saved
BUILT = {}


def build(src, opt, tag, extra=()):
    """compile src (.onnx or .cnn) with cnnc and the harness; the binary or an error string"""
    global FLAGS, HARNESS
    FLAGS = FLAGS or flags()
    if HARNESS is None:
        HARNESS = os.path.join(WORK, "harness.%d.o" % os.getpid())
        r = run([CC, *CFLAGS, "-DPREFIX=net", "-DUPREFIX=NET", "-c",
                 os.path.join(ROOT, "tests/numeric/harness.c"), "-o", HARNESS])
        if r.returncode != 0:
            sys.exit("harness.c: " + r.stderr.strip()[:400])
    c = os.path.join(WORK, tag + ".c")
    r = run([CNNC, src, "-" + opt, "--prefix", "net", "-o", c, *extra])
    if r.returncode != 0:
        return None, r.stderr.strip()
    stem = os.path.splitext(os.path.basename(src))[0].encode()
    with open(c, "rb") as f, open(c[:-2] + ".h", "rb") as h:
        key = hashlib.sha256((f.read() + h.read()).replace(tag.encode(), b"@").replace(stem, b"@")).digest()
    if key in BUILT:
        return BUILT[key], ""
    exe = os.path.join(WORK, tag)
    r = run([CC, *CFLAGS, c, HARNESS, "-o", exe, *FLAGS])
    if r.returncode != 0:
        return None, "generated C: " + r.stderr.strip()[:400]
    BUILT[key] = exe
    return exe, ""


def forward(exe, x):
    """run the harness on x (batch first); the outputs, batch first"""
    inp, out = exe + ".in", exe + ".out"
    np.ascontiguousarray(x, dtype=np.float32).tofile(inp)
    r = run([exe, exe + ".h", inp, out])
    if r.returncode != 0:
        return None
    return np.fromfile(out, dtype=np.float32).reshape(x.shape[0], -1)


def close(got, want, tol=1e-4):
    want = want.reshape(got.shape)
    err = np.abs(got - want) / (1.0 + np.abs(want))
    return bool(np.all(err <= tol)), float(err.max()) if err.size else 0.0


# ---------------------------------------------------------------- (a), (b) PyTorch
def torch_models():
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    class ConvBnPool(nn.Module):
        def __init__(s):
            super().__init__()
            s.conv1 = nn.Conv2d(3, 8, 3, padding=1, bias=False)
            s.bn1 = nn.BatchNorm2d(8)
            s.pool = nn.MaxPool2d(2)
            s.fc = nn.Linear(8 * 4 * 4, 10)

        def forward(s, x):
            x = s.pool(F.relu(s.bn1(s.conv1(x))))
            return F.softmax(s.fc(x.view(x.size(0), -1)), dim=1)

    class Block(nn.Module):
        def __init__(s, c):
            super().__init__()
            s.conv1 = nn.Conv2d(c, c, 3, padding=1)
            s.bn1 = nn.BatchNorm2d(c)
            s.conv2 = nn.Conv2d(c, c, 3, padding=1)
            s.bn2 = nn.BatchNorm2d(c)

        def forward(s, x):
            return F.relu(x + s.bn2(s.conv2(F.relu(s.bn1(s.conv1(x))))))

    class Residual(nn.Module):
        def __init__(s):
            super().__init__()
            s.stem = nn.Conv2d(3, 8, 3, stride=2, padding=1)
            s.layer1 = nn.Sequential(Block(8), Block(8))
            s.head = nn.Linear(8, 5)

        def forward(s, x):
            x = s.layer1(F.relu(s.stem(x)))
            x = F.adaptive_avg_pool2d(x, 1)
            return s.head(torch.flatten(x, 1))

    class Activations(nn.Module):
        def __init__(s):
            super().__init__()
            s.c1 = nn.Conv2d(4, 8, 3, padding=(1, 2), dilation=(1, 2), groups=2)
            s.c2 = nn.Conv2d(8, 8, 1)

        def forward(s, x):
            x = F.leaky_relu(s.c1(x), 0.1)
            x = torch.cat([torch.sigmoid(x), torch.tanh(x), F.elu(x), F.relu6(x)], 1)
            x = F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False)
            return x * 2.0 + 1.0

    class Mnist(nn.Module):   # PyTorch's MNIST example, smaller: LogSoftmax at the end
        def __init__(s):
            super().__init__()
            s.c = nn.Conv2d(1, 4, 3)
            s.fc = nn.Linear(4 * 4 * 4, 10)

        def forward(s, x):
            x = F.max_pool2d(F.relu(s.c(x)), 2)
            return F.log_softmax(s.fc(torch.flatten(x, 1)), dim=1), F.log_softmax(x, dim=1)

    class SuperResolution(nn.Module):   # the torch.onnx tutorial's model, smaller: PixelShuffle
        def __init__(s):
            super().__init__()
            s.c1 = nn.Conv2d(1, 8, 5, padding=2)
            s.c2 = nn.Conv2d(8, 9, 3, padding=1)

        def forward(s, x):
            return F.pixel_shuffle(s.c2(torch.relu(s.c1(x))), 3)

    class CeilPool(nn.Module):   # ceil_mode before opset 10: end pads as large as the kernel
        def __init__(s):
            super().__init__()
            s.c = nn.Conv2d(3, 4, 1)

        def forward(s, x):
            x = s.c(x)
            a = F.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)
            return a + F.max_pool2d(x, 3, stride=2, padding=1, ceil_mode=True)

    class ConstBroadcast(nn.Module):   # constants neither scalar nor per channel: constant layers
        def __init__(s):
            super().__init__()
            s.c = nn.Conv2d(3, 4, 3, padding=1)
            s.pos = nn.Parameter(torch.randn(1, 1, 6, 6))   # a position embedding
            s.row = nn.Parameter(torch.randn(6, 1))
            s.g = nn.Parameter(torch.rand(4, 6, 6) + 0.5)

        def forward(s, x):
            y = (s.c(x) + s.pos - s.row) * s.g
            return torch.minimum(torch.max(y, s.row * 0.1), torch.tensor(0.5)), 2.0 - y / s.g   # g read twice

    class Expand(nn.Module):   # Expand of data: its input where an elementwise op broadcasts, else x * ones
        def __init__(s):
            super().__init__()
            s.c = nn.Conv2d(3, 8, 3, padding=1)
            s.fc = nn.Linear(8, 8)

        def forward(s, x):
            y = s.c(x)
            b, c, h, w = y.shape
            se = torch.sigmoid(s.fc(y.mean((2, 3)))).view(b, c, 1, 1)   # SENet's expand_as
            g = y.mean(1, keepdim=True)
            return (y * se.expand_as(y) - g.expand(-1, 8, -1, -1), torch.cat([y, g.expand(-1, 2, -1, -1)], 1),
                    torch.relu(se.expand(b, c, h, w)))

    class Normalize(nn.Module):   # F.normalize (ReduceL2, Clip, Expand, Div), ReduceL1, -x, 1 / x, a coordinate constant
        def __init__(s):
            super().__init__()
            s.c = nn.Conv2d(3, 6, 3, padding=1)
            s.w = nn.Parameter(torch.randn(5, 6))   # an ArcFace head: normalized weights (folded) times normalized x
            ys, xs = torch.meshgrid(torch.linspace(-1, 1, 5), torch.linspace(-1, 1, 6), indexing="ij")
            s.register_buffer("coords", torch.stack([xs, ys])[None])

        def forward(s, x):
            y = s.c(x)
            e = F.normalize(y.mean((2, 3)))
            cos = F.linear(e, F.normalize(s.w))
            z = torch.cat([F.normalize(y, p=1.0), s.coords.expand(x.shape[0], -1, -1, -1)], 1)
            return cos, z, -y, 1.0 / (y.abs() + 1), 2.0 / (torch.sigmoid(y) + 0.5)

    class MoreActs(nn.Module):   # Selu, Celu (opset 12+), Softplus not in Mish, Exp, Log, Pow; GeM pooling
        def __init__(s, celu):
            super().__init__()
            s.c = nn.Conv2d(3, 6, 3, padding=1)
            s.p = nn.Parameter(torch.tensor([3.0]))   # GeM's learned exponent
            s.celu = celu

        def forward(s, x):
            y = s.c(x)
            gem = y.clamp(min=1e-6).pow(s.p).mean((2, 3)).pow(1.0 / s.p)
            a = F.selu(y) + (F.celu(y, 0.5) if s.celu else 0)
            return gem, a, F.softplus(y), torch.tanh(F.softplus(y)) + 1, torch.log(torch.exp(y) + 1), y ** 3

    class Crop(nn.Module):   # negative padding crops: slices, then the padding that is left
        def __init__(s):
            super().__init__()
            s.c = nn.Conv2d(3, 4, 1)

        def forward(s, x):
            y = s.c(x)
            return F.pad(y, (-1, 2, 0, -2)), nn.ZeroPad2d(-1)(y)

    class Mish(nn.Module):   # before opset 18: Softplus, Tanh, Mul
        def __init__(s):
            super().__init__()
            s.c = nn.Conv2d(3, 4, 3, padding=1)

        def forward(s, x):
            x = F.mish(s.c(x))
            return torch.tanh(x) * x   # not a pattern

    class Modern(nn.Module):
        def __init__(s):
            super().__init__()
            s.c1 = nn.Conv2d(3, 6, 3)
            s.c2 = nn.Conv2d(6, 6, 3, groups=6)
            s.fc = nn.Linear(6, 4)

        def forward(s, x):
            x = F.silu(s.c1(F.pad(x, (1, 1, 1, 1), mode="reflect")))
            x = F.hardswish(s.c2(x))
            x = F.gelu(F.hardsigmoid(x) + x)
            x = F.max_pool2d(x, 2, ceil_mode=True)
            return s.fc(F.adaptive_max_pool2d(x, 1).flatten(1))

    class Vector(nn.Module):
        def __init__(s):
            super().__init__()
            s.fc1 = nn.Linear(20, 16)
            s.bn = nn.BatchNorm1d(16)
            s.drop = nn.Dropout(0.3)
            s.fc2 = nn.Linear(16, 3)

        def forward(s, x):
            return torch.softmax(s.fc2(s.drop(torch.clamp(s.bn(s.fc1(x)), -1, 2))), 1)

    class Conv1d(nn.Module):
        def __init__(s):
            super().__init__()
            s.c = nn.Conv1d(2, 4, 5, stride=2, padding=2)
            s.p = nn.AvgPool1d(2)

        def forward(s, x):
            return s.p(torch.relu(s.c(x)))

    class TwoHeads(nn.Module):   # several outputs, in the model's order
        def __init__(s):
            super().__init__()
            s.c = nn.Conv2d(3, 8, 3, padding=1)
            s.c2 = nn.Conv2d(8, 4, 3)
            s.fc = nn.Linear(4 * 6 * 6, 5)

        def forward(s, x):
            f = torch.relu(s.c(x))
            return F.max_pool2d(f, 2), s.fc(torch.flatten(s.c2(f), 1))

    class Gather(nn.Module):   # indexing the data by constants: Gather, a slice per run of indices
        def forward(s, x):
            # x[:, i] as torchvision's GoogLeNet and Inception v3 begin (transform_input)
            ch = torch.cat([torch.unsqueeze(x[:, i], 1) * (0.2 + 0.1 * i) + 0.1 * i for i in range(3)], 1)
            y = torch.relu(ch + x[:, [2, 1, 0]])          # BGR to RGB: three slices, a concat
            # x[:, 1] of 6 x 6: a reshape to [6, 6] (not to [6])
            return y.mean(2) + x[:, :, -1] + x[:, [0, 0, 2], 1] + x[:, [0, 1, 2], 3] + x[:, 1][:, :3]

    class Flip(nn.Module):   # torch.flip: Slice with step -1; descending indices: one slice backwards
        def __init__(s):
            super().__init__()
            s.c = nn.Conv2d(3, 4, 3, padding=1)

        def forward(s, x):
            y = torch.relu(s.c(torch.flip(x, [3])))
            # repeat along two axes: Tile, a concat per axis
            return (torch.flip(y, [1, 2]) + y[:, [3, 1]].repeat(1, 2, 2, 1)[:, :, 3:8]
                    + x[:, [2, 1, 0, 0]][:, :, :, [6, 4, 2, 0, 1, 2, 3]])

    class PadMultiple(nn.Module):   # shape arithmetic with Mod: padded to a multiple of 8 (Swin's windows)
        def __init__(s):
            super().__init__()
            s.c = nn.Conv2d(3, 4, 3, stride=2, padding=1)

        def forward(s, x):
            h, w = x.shape[-2:]
            # (-w) % 8 as Python's % (the divisor's sign): 6 for w = 10, where C's % gives -2
            return s.c(F.pad(x, (0, (-w) % 8, 0, (8 - h % 8) % 8)))

    class Decoder(nn.Module):   # transposed convolutions, resizing
        def __init__(s):
            super().__init__()
            s.up1 = nn.ConvTranspose2d(3, 4, 3, stride=2, padding=1, output_padding=1)
            s.up2 = nn.ConvTranspose2d(4, 6, 4, stride=2, padding=1, groups=2, bias=False)
            s.near = nn.Upsample(scale_factor=2, mode="nearest")

        def forward(s, x):
            x = torch.relu(s.up1(x))
            return s.near(s.up2(x))[:, :, 1:-1:2, 2:]

    class Bilinear(nn.Module):
        def __init__(s, align):
            super().__init__()
            s.align = align
            s.c = nn.Conv2d(3, 4, 3, padding=1)

        def forward(s, x):
            x = F.interpolate(s.c(x), scale_factor=2, mode="bilinear", align_corners=s.align)
            return F.interpolate(x, size=(5, 7), mode="bilinear", align_corners=s.align)

    class NearestScale(nn.Module):   # scales as float32: 10 by 2.3 is 23 (ONNX Runtime, PyTorch), not 22;
        def __init__(s):             # row 17 of 12 by 1.7 reads row 10 (17 / 1.7), not 9
            super().__init__()
            s.c = nn.Conv2d(3, 2, 1)

        def forward(s, x):
            return F.interpolate(s.c(x), scale_factor=(1.7, 2.3), mode="nearest")

    class ConvNeXtBlock(nn.Module):   # permute, LayerNorm over the channels, permute back
        def __init__(s):
            super().__init__()
            s.dw = nn.Conv2d(8, 8, 3, padding=1, groups=8)
            s.norm = nn.LayerNorm(8)
            s.fc = nn.Linear(8, 8)

        def forward(s, x):
            y = s.dw(x).permute(0, 2, 3, 1)
            y = s.fc(s.norm(y)).permute(0, 3, 1, 2)
            return x + y

    def CNBlock():   # torchvision's ConvNeXt block: 7x7 depthwise, permute, LayerNorm, MLP, permute, layer scale
        from torchvision.models.convnext import CNBlock as Block
        return Block(16, layer_scale=0.5, stochastic_depth_prob=0.0)

    class Shuffle(nn.Module):   # ShuffleNetV2: split, shuffle, PReLU, reductions
        def __init__(s):
            super().__init__()
            s.c = nn.Conv2d(4, 8, 1)
            s.act1 = nn.PReLU()
            s.act2 = nn.PReLU(4)
            s.inorm = nn.InstanceNorm2d(8, affine=True)

        def forward(s, x):
            x = s.c(x)
            a, b = x.chunk(2, dim=1)
            x = torch.cat([s.act1(a), s.act2(b)], 1)
            n, c, h, w = x.size()
            x = x.view(n, 2, c // 2, h, w).transpose(1, 2).contiguous().view(n, c, h, w)
            p, q, r = torch.split(s.inorm(x), [2, 4, 2], dim=1)
            return torch.cat([p.mean((2, 3), keepdim=True), q.amax(3, keepdim=True).sum(2, keepdim=True),
                              r.mean((2, 3), keepdim=True)], 1)

    class LayerNorm(nn.Module):   # F.layer_norm: a pattern below opset 17
        def __init__(s):
            super().__init__()
            s.fc = nn.Linear(12, 10)
            s.w = nn.Parameter(torch.rand(10) + 0.5)
            s.b = nn.Parameter(torch.rand(10))

        def forward(s, x):
            y = F.layer_norm(s.fc(x), (10,), s.w, s.b, 1e-3)
            return F.layer_norm(y * 2, (10,), s.w)

    class PixelShuffles(nn.Module):   # Reshape to 6 axes, Transpose, Reshape (PixelShuffle before opset 11)
        def __init__(s):
            super().__init__()
            s.u = nn.PixelUnshuffle(2)
            s.c = nn.Conv2d(12, 27, 1)
            s.p = nn.PixelShuffle(3)

        def forward(s, x):
            return s.p(s.c(s.u(x)))

    class TorchLRN(nn.Module):   # nn.LocalResponseNorm: pad, a 3-D average pool, an If on the rank
        def __init__(s):
            super().__init__()
            s.c = nn.Conv2d(3, 8, 3)
            s.n = nn.LocalResponseNorm(5, 1e-3, 0.75, 2.0)

        def forward(s, x):
            return s.n(torch.relu(s.c(x)))

    class Conditions(nn.Module):   # comparisons, And/Or/Xor/Not, Cast, Where of data
        def __init__(s):
            super().__init__()
            s.c = nn.Conv2d(3, 4, 3, padding=1)
            s.hs, s.ss = nn.Hardshrink(0.4), nn.Softshrink(0.3)

        def forward(s, x):
            y = s.c(x)
            band = ((y > -0.2) & (y < 1.0)).float()
            outer = ((y >= 0.5) | (y <= -0.5)) ^ (x[:, :1] != 0.1)
            same = torch.round(x) == torch.floor(x)
            return torch.cat([s.hs(y), s.ss(y), torch.where(y > 0, y, 0.1 * y), band * x[:, 1:2], outer.float(),
                              (~same).float(), torch.where(same, x, y[:, :3])], 1)

    class Rounding(nn.Module):   # sign, floor, ceil, round, sin, cos, erf of data; LPPool2d (Sign)
        def __init__(s):
            super().__init__()
            s.c = nn.Conv2d(3, 3, 1)
            s.lp = nn.LPPool2d(2, 2)

        def forward(s, x):
            y = 3 * s.c(x)
            return torch.cat([torch.sign(y), torch.floor(y), torch.ceil(y), torch.round(y), torch.sin(y),
                              torch.cos(y), torch.erf(y), F.interpolate(s.lp(y), scale_factor=2.0)], 1)

    class LeftMatMul(nn.Module):   # a constant matrix times the data: the channels mixed, a 1x1 conv1d
        def __init__(s):
            super().__init__()
            s.w = nn.Parameter(torch.randn(5, 4))
            s.c = nn.Conv1d(5, 6, 3)

        def forward(s, x):
            return s.c(torch.relu(torch.matmul(s.w, x) + 0.5))

    class Attention(nn.Module):   # self-attention over a feature map's positions, batch first, as users write it
        def __init__(s, c=16, heads=4):
            super().__init__()
            s.heads = heads
            s.conv = nn.Conv2d(3, c, 3, padding=1)
            s.qkv = nn.Linear(c, 3 * c)
            s.proj = nn.Linear(c, c)
            s.bias = nn.Parameter(torch.randn(heads, 1, 1) * 0.1)   # a constant of the per-sample rank, broadcast

        def forward(s, x):
            x = s.conv(x)
            b, c, h, w = x.shape
            t = x.flatten(2).transpose(1, 2)                        # [B, HW, C]
            q, k, v = s.qkv(t).chunk(3, dim=-1)
            q, k, v = [u.reshape(b, h * w, s.heads, c // s.heads).transpose(1, 2) for u in (q, k, v)]
            a = (q @ k.transpose(-2, -1)) * (c // s.heads) ** -0.5 + s.bias
            o = (a.softmax(-1) @ v).transpose(1, 2).reshape(b, h * w, c)
            return x + s.proj(o).transpose(1, 2).reshape(b, c, h, w)

    class TimmAttention(nn.Module):   # timm's Attention: q, k, v from one reshape and permute that moves the batch axis
        def __init__(s, index=False, c=16, heads=4):
            super().__init__()
            s.h, s.index = heads, index
            s.norm = nn.LayerNorm(c)
            s.qkv = nn.Linear(c, 3 * c)
            s.proj = nn.Linear(c, c)

        def forward(s, x):   # [B, N, C]
            b, n, c = x.shape
            qkv = s.qkv(s.norm(x)).reshape(b, n, 3, s.h, c // s.h).permute(2, 0, 3, 1, 4)
            q, k, v = (qkv[0], qkv[1], qkv[2]) if s.index else qkv.unbind(0)   # Gather, or Split and Squeeze
            a = ((q * (c // s.h) ** -0.5) @ k.transpose(-2, -1)).softmax(dim=-1)
            return x + s.proj((a @ v).transpose(1, 2).reshape(b, n, c))

    class Up1d(nn.Module):
        def __init__(s):
            super().__init__()
            s.up = nn.ConvTranspose1d(2, 3, 5, stride=3, padding=2, dilation=2)

        def forward(s, x):
            return s.up(x)

    class NormParts(nn.Module):   # the layer norm's mean read elsewhere too: no pattern, each part a layer
        def forward(s, x):
            m = x.mean(-1, keepdim=True)
            d = x - m
            return d / torch.sqrt((d ** 2).mean(-1, keepdim=True) + 1e-5) + m

    class FnBlock(nn.Module):
        def __init__(s):
            super().__init__()
            s.c = nn.Conv2d(4, 4, 3, padding=1)
            s.bn = nn.BatchNorm2d(4)

        def forward(s, x):
            return torch.relu(s.bn(s.c(x))) + x

    class Functions(nn.Module):
        def __init__(s):
            super().__init__()
            s.b1, s.b2 = FnBlock(), FnBlock()

        def forward(s, x):
            return s.b2(s.b1(x)).mean((2, 3))

    return [("decoder", Decoder, (3, 4, 4)), ("normparts", NormParts, (3, 6)), ("bilinear", lambda: Bilinear(False), (3, 4, 6)),
            ("bilinear_ac", lambda: Bilinear(True), (3, 4, 6)), ("nearest_scale", NearestScale, (3, 12, 10)),
            ("convnext", ConvNeXtBlock, (8, 5, 5)),
            ("cnblock", CNBlock, (16, 6, 6)),
            ("shuffle", Shuffle, (4, 6, 6)), ("layernorm", LayerNorm, (12,)), ("up1d", Up1d, (2, 7)), ("leftmatmul", LeftMatMul, (4, 7)), ("attention", Attention, (3, 5, 7)), ("timm_attention", TimmAttention, (10, 16), (11, 13, 17)),
            ("timm_attention_index", lambda: TimmAttention(True), (7, 16), (13,)), ("torchlrn", TorchLRN, (3, 9, 9)), ("pixelshuffles", PixelShuffles, (3, 8, 6)),
            ("conditions", Conditions, (3, 6, 5), (11, 13, 17)), ("rounding", Rounding, (3, 6, 8), (11, 13, 17)),
            ("convbnpool", ConvBnPool, (3, 8, 8)), ("residual", Residual, (3, 16, 16)),
            ("activations", Activations, (4, 9, 11)), ("mish", Mish, (3, 6, 6)), ("mnist", Mnist, (1, 10, 10)), ("ceilpool", CeilPool, (3, 8, 10)),
            ("constbroadcast", ConstBroadcast, (3, 6, 6)), ("crop", Crop, (3, 6, 7)),
            ("expand", Expand, (3, 6, 5)), ("normalize", Normalize, (3, 5, 6)),
            ("moreacts", lambda: MoreActs(False), (3, 5, 6), (9, 11)), ("moreacts_celu", lambda: MoreActs(True), (3, 5, 6), (13, 17)),
            ("superres", SuperResolution, (1, 7, 9), (11, 13, 17)),   # before 11: a Reshape to 6 axes ("modern", Modern, (3, 10, 10)),
            ("vector", Vector, (20,)), ("conv1d", Conv1d, (2, 32)), ("twoheads", TwoHeads, (3, 8, 8)),
            ("gather", Gather, (3, 6, 6)), ("flip", Flip, (3, 5, 7), (10, 11, 13, 17)), ("padmultiple", PadMultiple, (3, 13, 10)),
            # Block exported as an ONNX local function (newer exporters' form): inlined
            ("functions", Functions, (4, 6, 6), (15,), {"export_modules_as_functions": {FnBlock}})]


# the layers a pattern must give (op: present, or absent with "!"), by model
PATTERNS = {"shuffle": ["channel_shuffle", "!transpose"], "mish": ["mish", "tanh"], "layernorm": ["layernorm", "!reduce_mean"],
            "expand": ["constant"], "normalize": ["sqrt", "reduce_sum", "div"],
            "moreacts": ["selu", "softplus", "exp", "log", "pow", "!mish"], "moreacts_celu": ["celu", "softplus", "pow"],
            "convnext": ["layernorm", "!reduce_mean"], "cnblock": ["layernorm", "gelu", "!reduce_mean"], "normparts": ["!layernorm", "reduce_mean"],
            "pixelshuffles": ["pixel_unshuffle", "pixel_shuffle", "!transpose", "!reshape"], "leftmatmul": ["conv1d", "!dense"],
            "attention": ["matmul", "softmax", "transpose"], "timm_attention": ["matmul", "softmax", "layernorm"],
            "conditions": ["where", "greater", "less", "min", "max", "not_equal", "equal"],
            "rounding": ["sign", "floor", "ceil", "round", "sin", "cos", "erf"]}


def test_torch():
    import torch
    torch.manual_seed(0)
    import zoo
    only = os.environ.get("ONNX_MODELS", "").split()   # a few models by name
    # (name, constructor, input shape[, opsets[, torch.onnx.export options]])
    for name, cls, shape, *more in torch_models() + zoo.models():
        if only and name not in only:
            continue
        opsets = more[0] if more else (9, 11, 13, 17)
        export_kw = more[1] if len(more) > 1 else {}
        net = cls().eval()
        for mod in net.modules():   # statistics that make BatchNorm do something
            if isinstance(mod, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)):
                mod.running_mean.uniform_(-0.5, 0.5)
                mod.running_var.uniform_(0.5, 2.0)
                mod.weight.data.uniform_(0.5, 1.5)
        x = torch.randn(3, *shape)
        with torch.no_grad():
            y = net(x)
        ys = y if isinstance(y, tuple) else (y,)
        # several outputs: one after another per sample
        want = np.concatenate([t.numpy().reshape(x.shape[0], -1) for t in ys], axis=1)
        names = ["y"] if len(ys) == 1 else ["y%d" % i for i in range(len(ys))]
        for opset in opsets:
            tag = "%s_op%d" % (name, opset)
            path = os.path.join(WORK, tag + ".onnx")
            try:
                axes = {n: {0: "N"} for n in ["x"] + names}
                torch.onnx.export(net, x[:1], path, opset_version=opset, input_names=["x"],
                                  output_names=names, dynamic_axes=axes, **export_kw)
            except Exception as e:   # an exporter limit, not ours
                print("skip %s: torch.onnx.export: %s" % (tag, str(e).splitlines()[0][:100]))
                continue
            for opt in ("O0", "O2"):
                exe, err = build(path, opt, tag + "_" + opt)
                if not exe:
                    result(False, "%s -%s" % (tag, opt), err)
                    continue
                got = forward(exe, x.numpy())
                ok, e = (False, 0) if got is None else close(got, want)
                result(ok, "%s -%s" % (tag, opt), "max error %.2g" % e)
            if name in PATTERNS:
                rep = run([CNNC, path, "--report"]).stdout.split()
                bad = [p for p in PATTERNS[name] if ((p[1:] in rep) if p[0] == "!" else p not in rep)]
                result(not bad, "%s layers" % tag, "report: %s" % " ".join(bad))
                # the parts a pattern took leave no parameters behind (no
                # "not used by any layer" warning, none in --emit=cnn's file)
                cnn = os.path.join(WORK, tag + "_quiet.cnn")
                r = run([CNNC, path, "--emit=cnn", "-o", cnn])
                r2 = run([CNNC, cnn, "-o", os.path.join(WORK, tag + "_quiet.c")]) if r.returncode == 0 else r
                result(r.returncode == 0 and r2.returncode == 0 and not r.stderr and not r2.stderr,
                       "%s no warnings" % tag, (r.stderr + r2.stderr).strip()[:300])
            if opset == 13 or len(opsets) == 1:   # (b) the .cnn round trip
                cnn = os.path.join(WORK, tag + ".cnn")
                r = run([CNNC, path, "--emit=cnn", "-o", cnn])
                exe, err = build(cnn, "O2", tag + "_cnn") if r.returncode == 0 else (None, r.stderr)
                got = forward(exe, x.numpy()) if exe else None
                ok, e = (False, 0) if got is None else close(got, want)
                result(ok, "%s --emit=cnn" % tag, err or "max error %.2g" % e)
                r1 = run([CNNC, path, "--report"]).stdout
                r2 = run([CNNC, cnn, "--report"]).stdout
                result(r1 == r2 and r1, "%s --emit=cnn report" % tag, "reports differ")


def test_external():
    """a model saved with its weights in a file beside it, as onnx.save_model
    writes models over 2 GB: the same output as PyTorch"""
    import onnx
    import torch
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.BatchNorm2d(8), torch.nn.ReLU(),
                              torch.nn.Flatten(), torch.nn.Linear(8 * 6 * 6, 5)).eval()
    x = torch.randn(2, 3, 6, 6)
    with torch.no_grad():
        want = net(x).numpy()
    d = os.path.join(WORK, "external")
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "ext.onnx")
    torch.onnx.export(net, x[:1], path, opset_version=13, input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {0: "N"}, "y": {0: "N"}})
    onnx.save_model(onnx.load(path), path, save_as_external_data=True, all_tensors_to_one_file=True,
                    location="ext.weights", size_threshold=0)
    inline = sum(len(t.raw_data) for t in onnx.load(path, load_external_data=False).graph.initializer)
    result(inline == 0 and os.path.getsize(os.path.join(d, "ext.weights")) > 0, "external data: the weights are beside",
           "%d bytes still inline" % inline)
    for opt in ("O0", "O2"):
        exe, err = build(path, opt, "external_" + opt)
        got = forward(exe, x.numpy()) if exe else None
        ok, e = (False, 0) if got is None else close(got, want)
        result(ok, "external data -%s" % opt, err or "max error %.2g" % e)


def test_folding():
    """reductions of constants folded at compile time: a Reshape to
    [ReduceProd(shape[:1]), ReduceProd(shape[1:])] (the batch alone stays the
    batch; the flattened size, as some exporters compute it), and data times
    every kind of reduction of a weight (LogSumExp of values whose exp
    overflows, the mean of integers truncated, noop_with_empty_axes); and
    Slice of data with steps below -1 and a start clamped to the first
    element: the same outputs as numpy"""
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper, TensorProto
    rng = np.random.RandomState(3)
    w = rng.uniform(-1, 1, (3, 24)).astype(np.float32)
    inits = [numpy_helper.from_array(w, "w"), numpy_helper.from_array(w * 1000, "big"),
             numpy_helper.from_array(np.abs(w) + 0.5, "pos")]
    inits += [numpy_helper.from_array(np.array(v, np.int64), k) for k, v in
              (("zero", [0]), ("one", [1]), ("end", [4]), ("ax0", [0]), ("ints", [2, 3, 5]),
               ("s20", [20]), ("e100", [-100]), ("ax1", [1]), ("m3", [-3]), ("s100", [-100]), ("e200", [-200]), ("m1", [-1]))]
    N = helper.make_node
    nodes = [N("Shape", ["x"], ["s"]), N("Slice", ["s", "zero", "one"], ["batch"]), N("Slice", ["s", "one", "end"], ["rest"]),
             N("ReduceProd", ["batch"], ["nb"], keepdims=1), N("ReduceProd", ["rest"], ["size"], keepdims=1),
             N("Concat", ["nb", "size"], ["to"], axis=0), N("Reshape", ["x", "to"], ["flat"]),
             N("ReduceMean", ["w"], ["mean"], axes=[0], keepdims=0), N("ReduceMax", ["w"], ["max"], axes=[0], keepdims=1),
             N("ReduceL2", ["w"], ["l2"], axes=[0], keepdims=0), N("ReduceSum", ["w"], ["sum"], keepdims=0),
             N("ReduceLogSumExp", ["big"], ["lse"], axes=[0], keepdims=0), N("ReduceMin", ["w"], ["min"], axes=[0], keepdims=0),
             N("ReduceL1", ["w"], ["l1"], axes=[0], keepdims=0), N("ReduceSumSquare", ["w"], ["ss"], axes=[0], keepdims=0),
             N("ReduceLogSum", ["pos"], ["ls"], axes=[0], keepdims=0), N("ReduceMean", ["ints"], ["imean"], keepdims=0),
             N("Cast", ["imean"], ["fmean"], to=TensorProto.FLOAT), N("ReduceSum", ["w"], ["same"], noop_with_empty_axes=1),
             N("ReduceSum", ["same", "ax0"], ["same_sum"], keepdims=0),
             N("Mul", ["flat", "mean"], ["a"]), N("Add", ["a", "max"], ["b"]), N("Mul", ["b", "l2"], ["c"]),
             N("Add", ["c", "sum"], ["d"]), N("Sub", ["d", "lse"], ["e"]), N("Add", ["e", "min"], ["f"]),
             N("Mul", ["f", "l1"], ["g"]), N("Add", ["g", "ss"], ["h"]), N("Mul", ["h", "ls"], ["i"]),
             N("Mul", ["i", "fmean"], ["j"]), N("Add", ["j", "same_sum"], ["k"]),
             N("Slice", ["k", "s20", "e100", "ax1", "m3"], ["back3"]), N("Slice", ["k", "s100", "e200", "ax1", "m1"], ["first"]),
             N("Concat", ["k", "back3", "first"], ["y"], axis=1)]
    g = helper.make_graph(nodes, "fold", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2, 3, 4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 32])], inits)
    d = os.path.join(WORK, "folding")
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "fold.onnx")
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), path)
    x = rng.uniform(-1, 1, (2, 2, 3, 4)).astype(np.float32)
    wd, bd = w.astype(np.float64), w.astype(np.float64) * 1000
    lse = bd.max(0) + np.log(np.exp(bd - bd.max(0)).sum(0))
    k = ((((x.reshape(2, 24) * wd.mean(0) + wd.max(0, keepdims=True)) * np.sqrt((wd * wd).sum(0)) + wd.sum() - lse
           + wd.min(0)) * np.abs(wd).sum(0) + (wd * wd).sum(0)) * np.log((np.abs(wd) + 0.5).sum(0)) * 3 + wd.sum(0))
    want = np.concatenate([k, k[:, 20::-3], k[:, :1]], 1)
    for opt in ("O0", "O2"):
        exe, err = build(path, opt, "folding_" + opt)
        got = forward(exe, x) if exe else None
        ok, e = (False, 0) if got is None else close(got, want)
        result(ok, "folding reductions of constants -%s" % opt, err or "max error %.2g" % e)


def handmade(name, opset, nodes, inits, x, want):
    """a one-input model of nodes from "x" to "y" (its batch a symbol),
    compiled at -O0 and -O2 and from its --emit=cnn file: each run's output
    against want"""
    import onnx
    from onnx import helper, TensorProto
    vi = helper.make_tensor_value_info
    g = helper.make_graph(nodes, name, [vi("x", TensorProto.FLOAT, ["N"] + list(x.shape[1:]))],
                          [vi("y", TensorProto.FLOAT, ["N"] + list(want.shape[1:]))], inits)
    d = os.path.join(WORK, "handmade")
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, name + ".onnx")
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)]), path)
    cnn = os.path.join(d, name + ".cnn")
    r = run([CNNC, path, "--emit=cnn", "-o", cnn])
    for how, src, opt in (("-O0", path, "O0"), ("-O2", path, "O2"), ("--emit=cnn", cnn, "O2")):
        exe, err = build(src, opt, "%s_%s" % (name, how.strip("-").replace("=", "_"))) \
            if r.returncode == 0 or src == path else (None, r.stderr)
        got = forward(exe, x) if exe else None
        ok, e = (False, 0) if got is None else close(got, want.reshape(x.shape[0], -1))
        result(ok, "%s (opset %d) %s" % (name, opset, how), err or "max error %.2g" % e)


def test_resize_asymmetric():
    """linear resizing by asymmetric coordinates (x_original = x_resized /
    scale): Upsample of opset 7 (scales an attribute) and 9 (an input), and
    Resize of opset 13 with coordinate_transformation_mode asymmetric and
    one with tf_half_pixel_for_nn, against numpy"""
    import numpy as np
    from onnx import helper, numpy_helper

    def linear(x, axis, scale, shift):   # one axis: the position (o + shift) / scale, clamped to the input
        I = x.shape[axis]
        O = int(np.floor(np.float32(I) * np.float32(scale)))   # in float32, as ONNX Runtime
        r = np.clip((np.arange(O) + shift) / float(np.float32(scale)), 0, I - 1)
        i0 = np.floor(r).astype(int)
        i1 = np.minimum(i0 + 1, I - 1)
        shape = [1] * x.ndim
        shape[axis] = O
        w = (r - i0).reshape(shape)
        return np.take(x, i0, axis) * (1 - w) + np.take(x, i1, axis) * w

    rng = np.random.RandomState(5)
    x = rng.uniform(-1, 1, (2, 2, 5, 6)).astype(np.float32)
    xd = x.astype(np.float64)
    for name, opset, sc, mode, shift in (("upsample7", 7, [1, 1, 1.5, 2], None, 0), ("upsample9", 9, [1, 1, 2, 1.5], None, 0),
                                         ("resize13", 13, [1, 1, 0.6, 1.7], "asymmetric", 0),
                                         ("resize_tf", 13, [1, 1, 1.4, 0.5], "tf_half_pixel_for_nn", 0.5)):
        want = linear(linear(xd, 2, sc[2], shift), 3, sc[3], shift)
        scales = numpy_helper.from_array(np.array(sc, np.float32), "sc")
        if opset == 7:
            node, inits = helper.make_node("Upsample", ["x"], ["y"], mode="linear", scales=sc), []
        elif opset == 9:
            node, inits = helper.make_node("Upsample", ["x", "sc"], ["y"], mode="linear"), [scales]
        else:
            node, inits = helper.make_node("Resize", ["x", "", "sc"], ["y"], mode="linear",
                                           coordinate_transformation_mode=mode), [scales]
        handmade(name, opset, [node], inits, x, want)
    # nearest in Resize of opset 10: floor where it enlarges, round (ties up) where it
    # shrinks, as ONNX Runtime computes it
    for name, sc, rnd in (("resize10_up", [1, 1, 1.7, 2], np.floor), ("resize10_down", [1, 1, 0.6, 0.5],
                                                                     lambda r: np.floor(r + 0.5))):
        want = xd
        for axis in (2, 3):
            I = want.shape[axis]
            O = int(np.floor(np.float32(I) * np.float32(sc[axis])))
            idx = np.minimum(rnd(np.arange(O) / float(np.float32(sc[axis]))).astype(int), I - 1)
            want = np.take(want, idx, axis)
        node = helper.make_node("Resize", ["x", "sc"], ["y"], mode="nearest")
        handmade(name, 10, [node], [numpy_helper.from_array(np.array(sc, np.float32), "sc")], x, want)


def test_convt_output_shape():
    """ConvTranspose sized by output_shape alone: the pads it implies, the
    larger half at the start (ONNX's definition and ONNX Runtime's output),
    by SAME_UPPER the smaller; an output past the full one extends its end;
    against PyTorch's conv_transpose2d of the full output, cropped"""
    import numpy as np
    import torch
    import torch.nn.functional as F
    from onnx import helper, numpy_helper
    rng = np.random.RandomState(8)
    x = rng.uniform(-1, 1, (2, 3, 4, 5)).astype(np.float32)
    w = rng.uniform(-1, 1, (3, 4, 3, 3)).astype(np.float32)
    full = F.conv_transpose2d(torch.from_numpy(x).double(), torch.from_numpy(w).double(), stride=2,
                              output_padding=1).numpy()   # 10 x 12; the full output is 9 x 11
    for name, shape, auto, start in (("convt_shape_even", [9, 9], None, (0, 1)), ("convt_shape_odd", [8, 10], None, (1, 1)),
                                     ("convt_shape_upper", [8, 10], "SAME_UPPER", (0, 0)),
                                     ("convt_shape_past", [10, 12], None, (0, 0))):
        kw = {"auto_pad": auto} if auto else {}
        node = helper.make_node("ConvTranspose", ["x", "w"], ["y"], strides=[2, 2], output_shape=shape, **kw)
        want = full[:, :, start[0]:start[0] + shape[0], start[1]:start[1] + shape[1]]
        handmade(name, 13, [node], [numpy_helper.from_array(w, "w")], x, want)


def test_lrn():
    """LRN (AlexNet's, and with its defaults) against numpy: ONNX's
    definition, the window c - (size-1)/2 .. c + (size-1)/2 for odd sizes"""
    import numpy as np
    from onnx import helper
    rng = np.random.RandomState(6)
    x = rng.uniform(-2, 2, (2, 7, 4, 5)).astype(np.float32)
    xd = x.astype(np.float64)
    for name, size, alpha, beta, bias in (("lrn_alexnet", 5, 1e-3, 0.75, 2.0), ("lrn_default", 3, 1e-4, 0.75, 1.0),
                                          ("lrn_wide", 9, 0.5, 1.3, 0.7)):
        h = (size - 1) // 2
        sq = np.pad(xd * xd, ((0, 0), (h, h), (0, 0), (0, 0)))
        s = sum(sq[:, j:j + 7] for j in range(size))
        want = xd / (bias + alpha / size * s) ** beta
        kw = {} if name == "lrn_default" else {"alpha": alpha, "beta": beta, "bias": bias}
        handmade(name, 13, [helper.make_node("LRN", ["x"], ["y"], size=size, **kw)], [], x, want)


def test_erf_logic():
    """GELU's parts where the pattern does not complete (erf(x / sqrt 2), 1 + it,
    x times that: each part a layer), and the logical operators of constants
    (folded) as a Where's condition, against numpy"""
    import math
    import numpy as np
    from onnx import helper, numpy_helper
    x = np.random.RandomState(7).uniform(-3, 3, (2, 3, 4, 5)).astype(np.float32)
    xd = x.astype(np.float64)
    erf = np.vectorize(math.erf)(xd / math.sqrt(2.0))
    s2 = numpy_helper.from_array(np.array(math.sqrt(2.0), np.float32), "s2")
    one = numpy_helper.from_array(np.array(1.0, np.float32), "one")
    parts = [helper.make_node("Div", ["x", "s2"], ["d"]), helper.make_node("Erf", ["d"], ["e"]),
             helper.make_node("Add", ["e", "one"], ["e1"]), helper.make_node("Mul", ["x", "e1"], ["g2"])]
    for name, last, want in (("erf_part", "e", erf), ("erf_plus1", "e1", 1 + erf), ("erf_times_x", "g2", xd * (1 + erf))):
        k = [n.output[0] for n in parts].index(last) + 1
        nodes = parts[:k] + [helper.make_node("Identity", [last], ["y"])]
        handmade(name, 13, nodes, [s2, one], x, want)
    a = numpy_helper.from_array(np.array([1.0, -1.0, 0.5, 0.0, 2.0], np.float32), "a")
    b = numpy_helper.from_array(np.array([1.0, 0.0, 0.0, 1.0, 3.0], np.float32), "b")
    nodes = [helper.make_node("GreaterOrEqual", ["a", "b"], ["ge"]), helper.make_node("LessOrEqual", ["a", "b"], ["le"]),
             helper.make_node("Xor", ["ge", "le"], ["ne"]), helper.make_node("Not", ["ne"], ["eq"]),
             helper.make_node("And", ["eq", "ge"], ["m1"]), helper.make_node("Or", ["m1", "ne"], ["m"]),
             helper.make_node("Where", ["m", "x", "a"], ["y"])]
    m = (np.array([1, -1, 0.5, 0, 2]) >= np.array([1, 0, 0, 1, 3])) | (np.array([1, -1, 0.5, 0, 2]) != np.array([1, 0, 0, 1, 3]))
    handmade("logic_constants", 16, nodes, [a, b], x, np.where(m, xd, np.array([1.0, -1.0, 0.5, 0.0, 2.0])))
    # a Reshape of an Identity of a Reshape's output that a Sigmoid reads too:
    # the two Reshapes are one only where nothing else reads the first
    i64 = lambda name, v: numpy_helper.from_array(np.array(v, np.int64), name)
    nodes = [helper.make_node("Relu", ["x"], ["r0"]), helper.make_node("Reshape", ["r0", "s1"], ["r"]),
             helper.make_node("Identity", ["r"], ["t"]), helper.make_node("Reshape", ["t", "s2"], ["a"]),
             helper.make_node("Sigmoid", ["r"], ["g"]), helper.make_node("Reshape", ["g", "s2"], ["b"]),
             helper.make_node("Concat", ["a", "b"], ["y"], axis=1)]
    xr = np.maximum(xd, 0).reshape(2, -1)
    handmade("reshape_alias", 13, nodes, [i64("s1", [0, 5, 12]), i64("s2", [0, 60])], x,
             np.concatenate([xr, 1 / (1 + np.exp(-xr))], axis=1))


# ---------------------------------------------------------------- (c) errors
def test_errors():
    import gen_errors
    bless = os.environ.get("BLESS")
    for name, path, extra in gen_errors.make(WORK):
        if os.path.exists(os.path.join(WORK, "err.c")):
            os.unlink(os.path.join(WORK, "err.c"))
        r = run([CNNC, path, *extra, "-o", os.path.join(WORK, "err.c")], cwd=WORK)
        got = "exit %d\n%s" % (r.returncode, r.stderr)
        exp = os.path.join(HERE, "errors", name + ".expect")
        if bless:
            os.makedirs(os.path.dirname(exp), exist_ok=True)
            open(exp, "w").write(got)
        want = open(exp).read() if os.path.exists(exp) else "(no expectation)"
        # the C is written when (and only when) cnnc succeeds (a model of warnings)
        wrote = os.path.exists(os.path.join(WORK, "err.c"))
        result(got == want and wrote == (r.returncode == 0), "error " + name,
               "\n--- want\n%s--- got\n%s" % (want, got))


# ---------------------------------------------------------------- (d) node tests
def bake(m, d, name):
    """a node test whose inputs after the first (weights, scales, axes) hold the
    same values in every data set: a copy of the model with them as
    initializers, as an exporter writes them; None when there is nothing to do"""
    import onnx
    from onnx import numpy_helper
    inits = {t.name for t in m.graph.initializer}
    extra = [(k, i) for k, i in enumerate(m.graph.input) if i.name not in inits][1:]
    sets = sorted(glob.glob(os.path.join(d, "test_data_set_*")))
    if not extra or not sets:
        return None
    vals = {}
    for ds in sets:
        for k, i in extra:
            f = os.path.join(ds, "input_%d.pb" % k)
            if not os.path.exists(f):
                return None
            try:
                a = numpy_helper.to_array(onnx.load_tensor(f))
            except Exception:   # a sequence, an optional, ...
                return None
            if i.name in vals and not np.array_equal(vals[i.name], a):
                return None
            vals[i.name] = a
    for k, i in extra:
        m.graph.initializer.append(numpy_helper.from_array(vals[i.name], i.name))
    path = os.path.join(WORK, "node_%s.onnx" % name)
    onnx.save(m, path)
    return path


def test_nodes():
    import onnx
    from onnx import numpy_helper
    if not os.path.isdir(NODE_DIR):
        print("skip node tests: %s is missing (libonnx-testdata)" % NODE_DIR)
        return
    counts = collections.defaultdict(lambda: [0, 0, 0])   # op: passed, failed, unsupported
    reasons = collections.Counter()
    # the tests cnnc compiles: one it no longer supports fails
    with open(os.path.join(HERE, "nodes-supported.txt")) as f:
        supported = {ln.strip() for ln in f if ln.strip() and not ln.startswith("#")}
    for d in sorted(glob.glob(os.path.join(NODE_DIR, "test_*"))):
        name = os.path.basename(d)
        model = os.path.join(d, "model.onnx")
        try:
            m = onnx.load(model)
        except Exception:
            continue
        op = m.graph.node[0].op_type if m.graph.node else "?"
        model = bake(m, d, name) or model
        r = run([CNNC, model, "--report"])
        if r.returncode != 0:
            counts[op][2] += 1
            line = r.stderr.strip().splitlines()[0] if r.stderr.strip() else "?"
            reasons[re.sub(r"^.*?error: (node \S+ \(\S+\): )?", "", line)[:90]] += 1
            if name in supported:
                result(False, "node " + name, "no longer compiles: " + line)
            continue
        exe, err = build(model, "O0", "node_" + name)
        ok, why = bool(exe), err
        for ds in sorted(glob.glob(os.path.join(d, "test_data_set_*"))) if exe else []:
            ins = [numpy_helper.to_array(onnx.load_tensor(f)) for f in sorted(glob.glob(ds + "/input_*.pb"))]
            outs = [numpy_helper.to_array(onnx.load_tensor(f)) for f in sorted(glob.glob(ds + "/output_*.pb"))]
            x = ins[0].astype(np.float32)
            got = forward(exe, x)
            if got is None:
                ok, why = False, "the harness failed"
                break
            # several outputs: one after another per sample
            want = np.concatenate([o.astype(np.float32).reshape(x.shape[0], -1) for o in outs], axis=1)
            good, e = close(got, want, 1e-4)
            if not good:
                ok, why = False, "max error %.2g" % e
                break
        counts[op][0 if ok else 1] += 1
        result(ok, "node " + name, why)
    print("ONNX node tests by operator (passed / failed / not supported):")
    for op in sorted(counts):
        p, f, u = counts[op]
        print("  %-24s %3d %3d %3d" % (op, p, f, u))
    print("reasons for not supported:")
    for why, k in reasons.most_common(25):
        print("  %4d  %s" % (k, why))


def main():
    sys.path.insert(0, HERE)
    which = os.environ.get("ONNX_PARTS", "torch errors nodes").split()
    if "torch" in which:
        test_torch()
    if "errors" in which:
        test_external()
        test_folding()
        test_resize_asymmetric()
        test_convt_output_shape()
        test_lrn()
        test_erf_logic()
        test_errors()
    if "nodes" in which:
        test_nodes()
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":   # importing it (for its helpers) runs nothing
    sys.exit(main())
