#!/usr/bin/python3
"""PyTorch peer for the benchmark: a .cnn network as a torch module.

  torch_ref.py NET.cnn --out DIR [--seed S] [--time] [--budget SEC] [--no-onnx]

writes
  DIR/weights.safetensors  random parameters (fixed seed) with cnnc's names
                           (LAYER.weight, LAYER.bias, LAYER.running_mean, ...)
  DIR/input.bin            float32 LE, one sample (fixed seed, N(0,1))
  DIR/ref.bin              float32 LE, the reference output: the same module in
                           float64 (parameters rounded to float32 first)
  DIR/net.onnx             the module exported with torch.onnx (opset 13, batch 1)
and prints `key value` lines on stdout:
  input_size N, output_size N, torch_fp32_max_err E (PyTorch's own float32
  output against the float64 reference), onnx ok|failed, and with --time
  torch_us T: the median latency of the traced TorchScript module (batch 1,
  torch.set_num_threads(1), warm-up, median of N runs filling ~--budget s),
  the faster of torch.jit.freeze and torch.jit.optimize_for_inference (which
  moves convolutions to oneDNN's blocked layout); both are printed as well,
  each with its output checked against the reference (bench_main.c's
  tolerance); the faster path whose output passes counts (torch_check: ok,
  or FAIL N when neither passes).

Parameters: PyTorch's default (fan-in scaled) initialisation from the seed;
BatchNorm gets a random affine part and running statistics measured on a
random batch (one pass, BatchNorm in train mode; variances floored at 1e-2), so
activations stay O(1) through deep nets and folding is really exercised.

The converter covers what bench/nets uses and a bit more: conv1d/2d/3d
(groups, dilation, symmetric/asymmetric/same padding, padding modes),
depthwise_conv2d, separable_conv2d, conv_transpose1d/2d/3d (symmetric
padding), batchnorm, layernorm, instancenorm, groupnorm, relu, relu6, sigmoid,
tanh, abs, sqrt, leaky_relu, elu, hardswish, hardsigmoid, silu, mish, gelu,
clip, prelu, dropout, max/avg pooling 1-3d (symmetric padding), global and
adaptive pools, upsample, flatten, dense, add, mul, sub, div, max, min (with
broadcasting), concat, pad, softmax, and inline parameters; not local2d. It shares no
code with the compiler or with tests/numeric/ref.py.
"""
import argparse
import copy
import json
import os
import re
import statistics
import struct
import sys
import time
import warnings

import torch
import torch.nn as nn
import torch.nn.functional as F


# ------------------------------------------------------------------ parsing

class Ident(str):
    """A bare identifier value (layer name or keyword)."""


class CnnError(Exception):
    pass


_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n]*|//[^\n]*)
  | (?P<string>"[^"\n]*")
  | (?P<number>[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<punct>[{}()\[\];,=])
""", re.VERBOSE)


def tokenize(src):
    pos, out = 0, []
    while pos < len(src):
        m = _TOKEN.match(src, pos)
        if not m:
            raise CnnError(f"unexpected character {src[pos]!r} at offset {pos}")
        pos = m.end()
        kind = m.lastgroup
        if kind in ("ws", "comment"):
            continue
        out.append((kind, m.group()))
    return out


class Parser:
    def __init__(self, toks):
        self.t, self.i = toks, 0

    def peek(self, k=0):
        return self.t[self.i + k] if self.i + k < len(self.t) else (None, None)

    def next(self):
        tok = self.peek()
        self.i += 1
        return tok

    def expect(self, text):
        kind, val = self.next()
        if val != text:
            raise CnnError(f"expected {text!r}, got {val!r}")

    def value(self):
        kind, val = self.next()
        if val == "[":
            items = []
            if self.peek()[1] != "]":
                while True:
                    v = self.value()
                    items.extend(v if isinstance(v, list) else [v])
                    if self.peek()[1] == ",":
                        self.next()
                        continue
                    break
            self.expect("]")
            return items
        if kind == "number":
            return float(val) if re.search(r"[.eE]", val) else int(val)
        if kind == "string":
            return val[1:-1]
        if kind == "ident":
            if val == "true":
                return True
            if val == "false":
                return False
            return Ident(val)
        raise CnnError(f"bad value {val!r}")


def parse(src):
    """Returns (network name, input name, input shape, layers, output name).
    layers: list of dicts {op, name, inputs, attrs} in source order."""
    p = Parser(tokenize(src))
    kind, val = p.next()
    if val != "network":
        raise CnnError("expected 'network'")
    net = p.next()[1]
    p.expect("{")
    inp_name, inp_shape, layers, output = None, None, [], None
    counts = {}
    while p.peek()[1] != "}":
        kind, op = p.next()
        if kind != "ident":
            raise CnnError(f"expected a statement, got {op!r}")
        if op == "input":
            inp_name = p.next()[1]
            inp_shape = p.value()
            p.expect(";")
            continue
        if op == "weights":
            p.value()
            p.expect(";")
            continue
        if op == "output":
            output = p.next()[1]
            p.expect(";")
            continue
        name = None
        if p.peek()[0] == "ident":
            name = p.next()[1]
        counts[op] = counts.get(op, 0) + 1
        if name is None:
            name = f"{op}_{counts[op]}"
        inputs, attrs = [], {}
        if p.peek()[1] == "(":
            p.next()
            if p.peek()[1] != ")":
                while True:
                    if p.peek()[0] == "ident" and p.peek(1)[1] == "=":
                        key = p.next()[1]
                        p.next()
                        attrs[key] = p.value()
                    else:
                        v = p.value()
                        if not isinstance(v, Ident):
                            raise CnnError(f"{name}: bad input {v!r}")
                        inputs.append(str(v))
                    if p.peek()[1] == ",":
                        p.next()
                        continue
                    break
            p.expect(")")
        p.expect(";")
        layers.append({"op": op, "name": name, "inputs": inputs, "attrs": attrs})
    p.expect("}")
    if inp_name is None:
        raise CnnError("no input")
    return net, inp_name, list(inp_shape), layers, output or layers[-1]["name"]


# ------------------------------------------------------------------ modules

def per_dim(v, n, what):
    if isinstance(v, list):
        if len(v) != n:
            raise CnnError(f"{what}: expected {n} values, got {v}")
        return [int(x) for x in v]
    return [int(v)] * n


def pads(attr, n, in_sz, k, s, d):
    """(begin[], end[]) of a layer's padding."""
    if attr is None or attr == "valid":
        return [0] * n, [0] * n
    if attr == "same":
        b, e = [], []
        for i in range(n):
            o = -(-in_sz[i] // s[i])
            tot = max((o - 1) * s[i] + d[i] * (k[i] - 1) + 1 - in_sz[i], 0)
            b.append(tot // 2)
            e.append(tot - tot // 2)
        return b, e
    if isinstance(attr, list) and len(attr) == 2 * n:
        return [int(x) for x in attr[:n]], [int(x) for x in attr[n:]]
    p = per_dim(attr, n, "pad")
    return p, list(p)


def torch_pad_arg(b, e):
    """F.pad's argument (last dimension first)."""
    out = []
    for i in reversed(range(len(b))):
        out += [b[i], e[i]]
    return out


class Pad(nn.Module):
    def __init__(self, arg, mode="constant", value=0.0):
        super().__init__()
        self.arg, self.mode, self.value = arg, mode, value

    def forward(self, x):
        if self.mode == "constant":
            return F.pad(x, self.arg, mode="constant", value=self.value)
        return F.pad(x, self.arg, mode=self.mode)


class Lambda(nn.Module):
    def __init__(self, kind, arg=0):
        super().__init__()
        self.kind, self.arg = kind, arg

    def forward(self, x):
        if self.kind == "flatten":
            return torch.flatten(x, 1)
        if self.kind == "softmax":
            return torch.softmax(x, dim=1)
        if self.kind == "abs":
            return torch.abs(x)
        if self.kind == "sqrt":
            return torch.sqrt(x)
        if self.kind == "clip":
            return torch.clamp(x, self.arg[0], self.arg[1])
        if self.kind == "upsample":
            return F.interpolate(x, **self.arg)
        raise RuntimeError(self.kind)


class Merge(nn.Module):
    def __init__(self, kind, axis=0):
        super().__init__()
        self.kind, self.axis = kind, axis

    def forward(self, xs):
        if self.kind == "concat":
            return torch.cat(xs, dim=self.axis + 1)
        # per-sample shapes broadcast as NumPy does, aligned at the last axis
        f = {"add": torch.add, "mul": torch.mul, "sub": torch.sub, "div": torch.div,
             "max": torch.maximum, "min": torch.minimum}[self.kind]
        y = xs[0]
        for x in xs[1:]:
            y = f(y, x)
        return y


class Net(nn.Module):
    """Runs the layers in source order; `params` maps parameter names (LAYER.weight,
    ...: docs/language.md, section 6) to tensors."""

    def __init__(self, src):
        super().__init__()
        self.netname, self.in_name, self.in_shape, layers, self.out_name = parse(src)
        self.mods = nn.ModuleDict()
        self.steps = []            # (name, inputs, is_merge)
        self.params = {}           # "LAYER.weight" -> Parameter / buffer
        self.inline = {}           # "LAYER.weight" -> values written in the .cnn
        shapes = {self.in_name: [1] + self.in_shape}
        prev = self.in_name
        for L in layers:
            name, op, a = L["name"], L["op"], L["attrs"]
            ins = L["inputs"] or [prev]
            for i in ins:
                if i not in shapes:
                    raise CnnError(f"{name}: unknown input {i}")
            shape = shapes[ins[0]]
            mod, merge = self.build(name, op, a, shape), op in ("add", "mul", "concat", "sub", "div", "max", "min")
            mod.eval()
            self.mods[name] = mod
            for key in ("weight", "bias", "running_mean", "running_var"):
                if key in a and f"{name}.{key}" in self.params:
                    self.inline[f"{name}.{key}"] = a[key]
            self.steps.append((name, ins, merge))
            with torch.no_grad():
                xs = [torch.zeros(shapes[i]) for i in ins]
                y = mod(xs) if merge else mod(xs[0])
            shapes[name] = list(y.shape)
            prev = name
        self.out_shape = shapes[self.out_name]

    def build(self, name, op, a, shape):
        C, sp = shape[1], shape[2:]
        n = len(sp)
        m = re.fullmatch(r"(conv|maxpool|avgpool)([123])d", op)
        if op == "depthwise_conv2d":
            a = dict(a)
            a["out"] = C * int(a.get("multiplier", 1))
            a["groups"] = C
            m = re.fullmatch(r"(conv)(2)d", "conv2d")
        if m and m.group(1) == "conv":
            nd = int(m.group(2))
            if n != nd:
                raise CnnError(f"{name}: {op} on a {n}-d input")
            k = per_dim(a["kernel"], n, "kernel")
            s = per_dim(a.get("stride", 1), n, "stride")
            d = per_dim(a.get("dilation", 1), n, "dilation")
            b, e = pads(a.get("pad"), n, sp, k, s, d)
            mode = str(a.get("padding_mode", "zeros"))
            cls = [nn.Conv1d, nn.Conv2d, nn.Conv3d][nd - 1]
            sym = b == e
            conv = cls(C, int(a["out"]), k, stride=s, dilation=d, groups=int(a.get("groups", 1)),
                       bias=bool(a.get("bias", True)), padding=b if sym else 0,
                       padding_mode=mode if sym else "zeros")
            self.params[f"{name}.weight"] = conv.weight
            if conv.bias is not None:
                self.params[f"{name}.bias"] = conv.bias
            if sym:
                return conv
            return nn.Sequential(Pad(torch_pad_arg(b, e), "constant" if mode == "zeros" else mode), conv)
        if m:  # pooling
            kind, nd = m.group(1), int(m.group(2))
            k = per_dim(a["kernel"], n, "kernel")
            s = per_dim(a.get("stride", a["kernel"]), n, "stride")
            b, e = pads(a.get("pad"), n, sp, k, s, [1] * n)
            if b != e:
                raise CnnError(f"{name}: asymmetric pooling padding is not supported here")
            ceil = bool(a.get("ceil_mode", False))
            if kind == "maxpool":
                cls = [nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d][nd - 1]
                return cls(k, s, b, dilation=per_dim(a.get("dilation", 1), n, "dilation"), ceil_mode=ceil)
            cls = [nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d][nd - 1]
            return cls(k, s, b, ceil_mode=ceil, count_include_pad=bool(a.get("count_include_pad", True)))
        m = re.fullmatch(r"adaptive_(max|avg)pool([123])d", op)
        if m:
            cls = {"max": [nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d, nn.AdaptiveMaxPool3d],
                   "avg": [nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d]}[m.group(1)][n - 1]
            return cls(tuple(per_dim(a["out"], n, "out")))
        m = re.fullmatch(r"conv_transpose([123])d", op)
        if m:
            if n != int(m.group(1)):
                raise CnnError(f"{name}: {op} on a {n}-d input")
            k = per_dim(a["kernel"], n, "kernel")
            pad = a.get("pad", 0)
            if isinstance(pad, list) and len(pad) == 2 * n and pad[:n] != pad[n:]:
                raise CnnError(f"{name}: asymmetric transposed-convolution padding is not supported here")
            cls = [nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d][n - 1]
            conv = cls(C, int(a["out"]), k, stride=per_dim(a.get("stride", 1), n, "stride"),
                       padding=per_dim(pad[:n] if isinstance(pad, list) and len(pad) == 2 * n else pad, n, "pad"),
                       output_padding=per_dim(a.get("output_padding", 0), n, "output_padding"),
                       dilation=per_dim(a.get("dilation", 1), n, "dilation"), groups=int(a.get("groups", 1)),
                       bias=bool(a.get("bias", True)))
            self.params[f"{name}.weight"] = conv.weight
            if conv.bias is not None:
                self.params[f"{name}.bias"] = conv.bias
            return conv
        if op == "upsample":
            mode = str(a.get("mode", "nearest"))
            if mode == "linear":
                mode = ["linear", "bilinear", "trilinear"][n - 1]
            kw = {"mode": mode}
            if mode != "nearest":
                kw["align_corners"] = bool(a.get("align_corners", False))
            if "size" in a:
                kw["size"] = tuple(per_dim(a["size"], n, "size"))
            else:
                sc = a["scale"]
                kw["scale_factor"] = tuple(float(v) for v in sc) if isinstance(sc, list) else float(sc)
            return Lambda("upsample", kw)
        if op == "prelu":
            pr = nn.PReLU(C if "weight" not in a or isinstance(a["weight"], list) and len(a["weight"]) == C else 1)
            self.params[f"{name}.weight"] = pr.weight
            return pr
        if op in ("global_avgpool", "global_maxpool"):
            avg = op == "global_avgpool"
            cls = [[nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d, nn.AdaptiveMaxPool3d],
                   [nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d]][avg][n - 1]
            return cls(1)
        if op == "separable_conv2d":
            k = per_dim(a["kernel"], n, "kernel")
            s = per_dim(a.get("stride", 1), n, "stride")
            d = per_dim(a.get("dilation", 1), n, "dilation")
            b, e = pads(a.get("pad"), n, sp, k, s, d)
            dw = nn.Conv2d(C, C, k, stride=s, dilation=d, groups=C, bias=False, padding=b if b == e else 0)
            pw = nn.Conv2d(C, int(a["out"]), 1, bias=bool(a.get("bias", True)))
            self.params[f"{name}.depthwise.weight"] = dw.weight
            self.params[f"{name}.pointwise.weight"] = pw.weight
            if pw.bias is not None:
                self.params[f"{name}.pointwise.bias"] = pw.bias
            seq = [dw, pw] if b == e else [Pad(torch_pad_arg(b, e)), dw, pw]
            return nn.Sequential(*seq)
        if op == "layernorm":
            ln = nn.LayerNorm(shape[1:], eps=float(a.get("eps", 1e-5)),
                              elementwise_affine=bool(a.get("affine", True)))
            if ln.elementwise_affine:
                self.params[f"{name}.weight"], self.params[f"{name}.bias"] = ln.weight, ln.bias
            return ln
        if op in ("instancenorm", "groupnorm"):
            eps = float(a.get("eps", 1e-5))
            if op == "instancenorm":
                affine = bool(a.get("affine", False))
                norm = nn.GroupNorm(C, C, eps=eps, affine=affine)  # = InstanceNorm, any rank
            else:
                affine = bool(a.get("affine", True))
                norm = nn.GroupNorm(int(a["groups"]), C, eps=eps, affine=affine)
            if affine:
                self.params[f"{name}.weight"], self.params[f"{name}.bias"] = norm.weight, norm.bias
            return norm
        if op == "batchnorm":
            cls = [nn.BatchNorm1d, nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d][n]
            bn = cls(C, eps=float(a.get("eps", 1e-5)), momentum=1.0)
            for k in ("weight", "bias", "running_mean", "running_var"):
                self.params[f"{name}.{k}"] = getattr(bn, k)
            return bn
        if op == "dense":
            if n != 0:
                raise CnnError(f"{name}: dense needs a vector input")
            lin = nn.Linear(C, int(a["out"]), bias=bool(a.get("bias", True)))
            self.params[f"{name}.weight"] = lin.weight
            if lin.bias is not None:
                self.params[f"{name}.bias"] = lin.bias
            return lin
        simple = {"relu": nn.ReLU, "relu6": nn.ReLU6, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh,
                  "dropout": nn.Identity, "hardswish": nn.Hardswish, "hardsigmoid": nn.Hardsigmoid,
                  "silu": nn.SiLU, "mish": nn.Mish}
        if op in simple:
            return simple[op]()
        if op == "leaky_relu":
            return nn.LeakyReLU(float(a.get("alpha", 0.01)))
        if op == "elu":
            return nn.ELU(float(a.get("alpha", 1.0)))
        if op == "gelu":
            return nn.GELU(approximate=str(a.get("approximate", "none")))
        if op == "clip":
            return Lambda("clip", (float(a["min"]) if "min" in a else None, float(a["max"]) if "max" in a else None))
        if op in ("flatten", "softmax", "abs", "sqrt"):
            return Lambda(op)
        if op in ("add", "mul", "concat", "sub", "div", "max", "min"):
            return Merge(op, int(a.get("axis", 0)))
        if op == "pad":
            b, e = pads(a.get("pad"), n, sp, [1] * n, [1] * n, [1] * n)
            mode = str(a.get("mode", "zeros"))
            mode = "constant" if mode in ("zeros", "constant") else mode
            return Pad(torch_pad_arg(b, e), mode, float(a.get("value", 0.0)))
        raise CnnError(f"{name}: op {op} is not supported by torch_ref.py")

    def forward(self, x):
        env = {self.in_name: x}
        for name, ins, merge in self.steps:
            mod = self.mods[name]
            env[name] = mod([env[i] for i in ins]) if merge else mod(env[ins[0]])
        return env[self.out_name]


def randomize_batchnorm(net, in_shape, g, passes=1, batch=2):
    """BatchNorm that does something: a random affine part (weight U(0.5, 1.5),
    bias N(0, 0.1)), then running statistics measured on `passes` random
    batches of `batch` samples of in_shape (generator g), with the BatchNorm
    layers alone in train mode and momentum None (the average over the
    passes; one pass: that batch's), variances floored at 1e-2. Ends in eval
    mode. Shared with torchvision_ref.py."""
    bns = [m for m in net.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    with torch.no_grad():
        for bn in bns:
            if bn.affine:
                bn.weight.copy_(torch.rand(bn.num_features, generator=g) + 0.5)
                bn.bias.copy_(torch.randn(bn.num_features, generator=g) * 0.1)
        if bns:
            net.eval()
            momenta = [bn.momentum for bn in bns]
            for bn in bns:
                bn.reset_running_stats()
                bn.momentum = None
                bn.train()
            for _ in range(passes):
                net(torch.randn([batch] + list(in_shape), generator=g))
            for bn, m in zip(bns, momenta):
                bn.momentum = m
                bn.running_var.clamp_(min=1e-2)
        net.eval()


def init_params(net, seed):
    """Random parameters; BatchNorm statistics measured on a random batch."""
    g = torch.Generator().manual_seed(seed + 1)
    randomize_batchnorm(net, net.in_shape, g)
    with torch.no_grad():
        for key, vals in net.inline.items():
            t = net.params[key]
            v = torch.tensor(vals if isinstance(vals, list) else [vals], dtype=t.dtype)
            if v.numel() != t.numel():
                raise CnnError(f"{key}: {v.numel()} inline values, {t.numel()} expected")
            t.copy_(v.reshape(t.shape))
        # parameters are float32 in the generated code: make them exact float32
        for p in net.parameters():
            p.copy_(p.float())


# ------------------------------------------------------------------ files

def write_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().to(torch.float32).contiguous().cpu()
        data = t.numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(data)]}
        blobs.append(data)
        off += len(data)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def write_f32(path, t):
    with open(path, "wb") as f:
        f.write(t.detach().to(torch.float32).contiguous().numpy().astype("<f4").tobytes())


def time_module(fn, x, budget):
    """Median µs of single calls: warm-up, then as many runs as fit in budget s."""
    t0 = time.perf_counter()
    warm = 0
    while warm < 5 or time.perf_counter() - t0 < min(0.3, budget / 4):
        fn(x)
        warm += 1
    per = (time.perf_counter() - t0) / warm
    runs = max(11, min(301, int(budget / max(per, 1e-6))))
    ts = []
    for _ in range(runs):
        t = time.perf_counter_ns()
        fn(x)
        ts.append(time.perf_counter_ns() - t)
    return statistics.median(ts) / 1e3, runs


# ------------------------------------------------------------------ the steps
# shared with torchvision_ref.py (the ONNX suite): each prints `key value` lines

def write_reference(net, in_shape, out, seed):
    """DIR/input.bin (one N(0,1) sample, generator seed + 2) and DIR/ref.bin: the
    module in float64 (its float32 parameters converted exactly); prints
    input_size, output_size and torch_fp32_max_err. Returns (x, ref)."""
    g = torch.Generator().manual_seed(seed + 2)
    x = torch.randn([1] + list(in_shape), generator=g)
    write_f32(os.path.join(out, "input.bin"), x)
    with torch.no_grad():
        ref = copy.deepcopy(net).double()(x.double())
        y32 = net(x)
    write_f32(os.path.join(out, "ref.bin"), ref)
    print("input_size", x.numel())
    print("output_size", ref.numel())
    print("torch_fp32_max_err", f"{(y32.double() - ref).abs().max().item():.3g}")
    return x, ref


def export_onnx(net, x, path):
    """torch.onnx.export at opset 13, batch 1 (input "input", output "output"),
    constants folded; prints onnx ok|failed."""
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(net, x, path, opset_version=13,
                              input_names=["input"], output_names=["output"],
                              do_constant_folding=True)
        print("onnx ok")
    except Exception as e:  # keep going: ORT is then "-"
        print(f"{os.path.basename(sys.argv[0])}: ONNX export failed: {e}", file=sys.stderr)
        print("onnx failed")


def time_torchscript(net, x, ref, budget, freeze_only=False):
    """Times PyTorch's two TorchScript inference paths (torch.jit.freeze of the
    traced module, and torch.jit.optimize_for_inference), budget / 2 s each;
    prints torch_LABEL_us, torch_LABEL_max_err and torch_LABEL_check (against
    ref, the tolerance of bench_main.c: ok, or FAIL and the number of elements
    off) of each, then torch_mode, torch_us and torch_check of the faster
    one whose output passes (the faster of the two when neither does).
    Call with torch.set_num_threads(1)."""
    best = None
    with torch.no_grad():
        variants = [("freeze", lambda: torch.jit.freeze(torch.jit.trace(net.eval(), x)))]
        if not freeze_only:
            variants.append(("optimize_for_inference",
                             lambda: torch.jit.optimize_for_inference(torch.jit.trace(net.eval(), x))))
        for label, make in variants:
            mod = make()
            diff = (mod(x).double() - ref).abs()
            bad = int((~(diff <= 1e-4 + 1e-3 * ref.abs())).sum().item())
            check = f"FAIL {bad}" if bad else "ok"
            us, runs = time_module(mod, x, budget / len(variants))
            print(f"torch_{label}_us", f"{us:.1f}")
            print(f"torch_{label}_max_err", f"{diff.max().item():.3g}")
            print(f"torch_{label}_check", check)
            if best is None or (check != "ok", us) < (best[2] != "ok", best[0]):
                best = (us, label, check)
    print("torch_mode", best[1])
    print("torch_us", f"{best[0]:.1f}")
    print("torch_check", best[2])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("cnn")
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--time", action="store_true", help="time the frozen TorchScript module")
    ap.add_argument("--budget", type=float, default=2.0, help="seconds of timed runs")
    ap.add_argument("--no-onnx", action="store_true")
    ap.add_argument("--freeze-only", action="store_true",
                    help="time only torch.jit.freeze(trace), not also optimize_for_inference")
    args = ap.parse_args()

    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    with open(args.cnn) as f:
        net = Net(f.read())
    init_params(net, args.seed)
    os.makedirs(args.out, exist_ok=True)
    write_safetensors(os.path.join(args.out, "weights.safetensors"),
                      {k: v for k, v in net.params.items() if k not in net.inline})

    x, ref = write_reference(net, net.in_shape, args.out, args.seed)
    if not args.no_onnx:
        export_onnx(net, x, os.path.join(args.out, "net.onnx"))
    if args.time:
        time_torchscript(net, x, ref, args.budget, args.freeze_only)

if __name__ == "__main__":
    try:
        main()
    except CnnError as e:
        print(f"torch_ref.py: {e}", file=sys.stderr)
        sys.exit(1)
