#!/usr/bin/python3
"""Independent numerical reference for cnnc (docs/language.md), in PyTorch float64.

Shares no code with the compiler: it has its own .cnn parser (docs/language.md, sections 2-5), its own
safetensors reader/writer, and builds every layer of the language reference with torch ops.

  ref.py gen NET.cnn [NET2.cnn ...] --out DIR [--seed S] [--batch N] [--dtype F32]
      DIR/weights.safetensors  random parameters (only when the net needs any)
      DIR/input.bin            float32 LE, n samples x INPUT_SIZE
      DIR/expected.bin         float32 LE, reference output (float64, rounded)
      With several files (or --each), each goes to DIR/<file stem>/; a file
      that fails leaves DIR/<stem>/gen-error.txt and the others go on.
  ref.py run NET.cnn --input input.bin --out out.bin [--weights W.safetensors]
  ref.py params NET.cnn        list every parameter the net needs (name, shape)
  ref.py selftest              check these semantics against torch.nn modules

A `.cnn` file may carry directives for `gen` in a comment line:
  # numeric: batch=3 dtype=F16 seed=7 input=positive
(command-line options win over directives).

Semantics chosen where the language reference leaves room (also see README of tests/numeric):
- Auto names OP_K: K counts every statement of that OP so far, named or not.
- Pooling is implemented by explicit window gathering (not F.*pool), so
  asymmetric padding is exact: max ignores padding (as if -inf); avg divides by
  the number of window positions inside [-Pb, I+Pe) when count_include_pad
  (PyTorch's clipped pool_size, generalised to Pb != Pe), else by the number of
  real input elements. ceil_mode drops a window that starts at or after I+Pb.
  For symmetric padding this equals PyTorch exactly (checked in selftest).
- Convolutions with asymmetric padding or reflect/replicate: F.pad, then conv
  with padding 0.
- upsample, nearest: the source indices of PyTorch's float32 kernel (see
  op_upsample); linear and the adaptive pools are F.interpolate and
  F.adaptive_*_pool*d as they are; with `coordinates` or `rounding`, the
  source positions of ONNX's Resize written out (onnx_resize).
- All parameters and inline values are rounded to float32 first (the generated
  code stores float32), then the whole net is computed in float64.
"""
import fractions
import itertools
import json
import math
import os
import re
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
DTYPE = torch.float64   # the selftest sets float32 to see how a float32 net fares


# ---------------------------------------------------------------- parsing

class Keyword(str):
    """A bare identifier used as a value (same, valid, reflect, ...)."""


class String(str):
    """A double-quoted string value."""


class CnnError(Exception):
    pass


_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<comment>(?:\#|//)[^\n]*)
  | (?P<num>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
  | (?P<str>"[^"\n]*")
  | (?P<id>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<punct>[{}\[\](),;=])
""", re.X)


def tokenize(src):
    """-> list of (kind, value, line); kinds: num id str punct eof."""
    toks, pos, line = [], 0, 1
    while pos < len(src):
        m = _TOKEN.match(src, pos)
        if not m:
            raise CnnError(f"line {line}: unexpected character {src[pos]!r}")
        kind, text = m.lastgroup, m.group()
        if kind == "num":
            isint = re.fullmatch(r"[-+]?\d+", text) is not None
            toks.append(("num", int(text) if isint else float(text), line))
        elif kind == "str":
            toks.append(("str", String(text[1:-1]), line))
        elif kind in ("id", "punct"):
            toks.append((kind, text, line))
        line += text.count("\n")
        pos = m.end()
    toks.append(("eof", None, line))
    return toks


class Layer:
    def __init__(self, op, name, inputs, attrs, line):
        self.op, self.name, self.inputs, self.attrs, self.line = op, name, inputs, attrs, line

    def __repr__(self):
        return f"Layer({self.op} {self.name} {self.inputs} {self.attrs})"


class Net:
    def __init__(self):
        self.name = None
        self.input_name = None
        self.input_shape = None
        self.output = None      # the first output
        self.outputs = []
        self.weights_file = None
        self.layers = []
        self.directives = {}


class Parser:
    def __init__(self, src):
        self.toks = tokenize(src)
        self.i = 0

    def peek(self, k=0):
        return self.toks[self.i + k]

    def next(self):
        t = self.toks[self.i]
        self.i += 1
        return t

    def expect(self, kind, value=None):
        t = self.next()
        if t[0] != kind or (value is not None and t[1] != value):
            raise CnnError(f"line {t[2]}: expected {value or kind}, got {t[1]!r}")
        return t[1]

    def accept(self, value):
        if self.peek()[0] == "punct" and self.peek()[1] == value:
            self.i += 1
            return True
        return False

    # value := num | true | false | id | str | '[' value {',' value} ']'
    # Lists are flattened row-major into one python list.
    def value(self):
        kind, v, line = self.next()
        if kind == "num" or kind == "str":
            return v
        if kind == "id":
            return {"true": True, "false": False}.get(v, Keyword(v))
        if kind == "punct" and v == "[":
            out = []
            if self.accept("]"):
                return out
            while True:
                x = self.value()
                out.extend(x if isinstance(x, list) else [x])
                if self.accept("]"):
                    return out
                self.expect("punct", ",")
        raise CnnError(f"line {line}: expected a value, got {v!r}")

    # network := 'network' ID '{' stmt* '}'
    def network(self):
        net = Net()
        self.expect("id", "network")
        net.name = self.expect("id")
        self.expect("punct", "{")
        counts = {}
        prev = None
        while not self.accept("}"):
            kind, word, line = self.next()
            if kind != "id":
                raise CnnError(f"line {line}: expected a statement, got {word!r}")
            if word == "input":
                net.input_name = self.expect("id")
                self.expect("punct", "[")
                dims = [self.expect("num")]
                while self.accept(","):
                    dims.append(self.expect("num"))
                self.expect("punct", "]")
                net.input_shape = tuple(dims)
                prev = net.input_name
            elif word == "output":
                net.outputs = [self.expect("id")]
                while self.accept(","):
                    net.outputs.append(self.expect("id"))
                net.output = net.outputs[0]
            elif word == "weights":
                net.weights_file = self.expect("str")
            else:
                prev = self.layer(net, word, line, counts, prev)
            self.expect("punct", ";")
        self.expect("eof")
        if net.input_name is None:
            raise CnnError("no input declared")
        known = {net.input_name} | {L.name for L in net.layers}
        if net.output is None:
            net.output = net.layers[-1].name if net.layers else net.input_name
            net.outputs = [net.output]
        for o in net.outputs:
            if o not in known:
                raise CnnError(f"output {o!r} is not defined")
        return net

    # layer := OP [NAME] ['(' [arg {',' arg}] ')']   arg := ID | ID '=' value
    def layer(self, net, op, line, counts, prev):
        counts[op] = counts.get(op, 0) + 1
        name = None
        if self.peek()[0] == "id":
            name = self.next()[1]
        if name is None:
            name = f"{op}_{counts[op]}"
        inputs, attrs = [], {}
        if self.accept("("):
            if not self.accept(")"):
                while True:
                    key = self.expect("id")
                    if self.accept("="):
                        attrs[key] = self.value()
                    else:
                        inputs.append(key)
                    if self.accept(")"):
                        break
                    self.expect("punct", ",")
        defined = {net.input_name} | {L.name for L in net.layers}
        if name in defined:
            raise CnnError(f"line {line}: name {name!r} is already defined")
        for x in inputs:
            if x not in defined:
                raise CnnError(f"line {line}: {op} {name!r}: unknown input {x!r}")
        if not inputs and op not in SOURCES:
            if prev is None:
                raise CnnError(f"line {line}: {op} {name!r} has no previous output")
            inputs = [prev]
        net.layers.append(Layer(op, name, inputs, attrs, line))
        return name


def parse(src):
    net = Parser(src).network()
    for m in re.finditer(r"^\s*(?:#|//)\s*numeric:(.*)$", src, re.M):
        for kv in m.group(1).split():
            k, _, v = kv.partition("=")
            net.directives[k] = v
    return net


def parse_file(path):
    with open(path) as f:
        return parse(f.read())


# ---------------------------------------------------------------- safetensors

_DT = {"F32": ("<f4", 4), "F64": ("<f8", 8), "F16": ("<f2", 2), "BF16": (None, 2)}


def st_write(path, tensors, dtype="F32"):
    """tensors: list of (name, np.ndarray). Values must already be representable
    in dtype (see round_to_dtype) for an exact round trip."""
    header, blobs, off = {}, [], 0
    for name, a in tensors:
        a = np.asarray(a, dtype=np.float64)
        if dtype == "BF16":
            bits = np.ascontiguousarray(a.astype("<f4")).view("<u4") >> 16
            raw = bits.astype("<u2").tobytes()
        else:
            raw = np.ascontiguousarray(a.astype(_DT[dtype][0])).tobytes()
        header[name] = {"dtype": dtype, "shape": list(a.shape),
                        "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)                     # align the data section to 8
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def st_read(path):
    """-> {name: np.ndarray float64}; F32, F64, F16, BF16."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack_from("<Q", data, 0)
    header = json.loads(data[8:8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        raw = data[base + b:base + e]
        dt = info["dtype"]
        if dt == "BF16":
            a = (np.frombuffer(raw, "<u2").astype("<u4") << 16).view("<f4")
        elif dt in _DT:
            a = np.frombuffer(raw, _DT[dt][0])
        else:
            raise CnnError(f"{path}: {name}: unsupported dtype {dt}")
        out[name] = a.astype(np.float64).reshape(info["shape"])
    return out


def round_to_dtype(a, dtype):
    """The float64 value that a tensor stored as dtype and read as f32 has."""
    a = np.asarray(a, dtype=np.float64)
    if dtype == "F16":
        return a.astype(np.float16).astype(np.float64)
    if dtype == "BF16":  # truncate to bf16 (the writer truncates too)
        bits = a.astype("<f4").view("<u4") & np.uint32(0xFFFF0000)
        return bits.view("<f4").astype(np.float64)
    return a.astype(np.float32).astype(np.float64)


# ---------------------------------------------------------------- parameters

class Params:
    """Hands out parameters by name. With `file_tensors` it reads them; with
    `rng` it creates random ones (and records them for writing)."""

    def __init__(self, file_tensors=None, rng=None, dtype="F32"):
        self.file = file_tensors
        self.rng = rng
        self.dtype = dtype
        self.created = []          # (name, array) in creation order
        self.prelu_shared = set()  # prelu layers given weight [1] (generated weights)
        self.requests = []         # (name, shape) for `params`

    def get(self, name, shape, init):
        shape = tuple(int(s) for s in shape)
        self.requests.append((name, shape))
        if self.file is not None:
            if name not in self.file:
                raise CnnError(f"missing parameter {name} {list(shape)}")
            a = self.file[name]
            if tuple(a.shape) != shape:
                raise CnnError(f"{name}: shape {list(a.shape)}, expected {list(shape)}")
            a = round_to_dtype(a, "F32")
        elif self.rng is not None:
            a = round_to_dtype(self.random(shape, init), self.dtype)
            self.created.append((name, a))
        else:
            a = np.zeros(shape)
        return torch.tensor(a, dtype=DTYPE)

    def random(self, shape, init):
        r = self.rng
        if init[0] == "fan":          # PyTorch-like: U(-1/sqrt(fan_in), +)
            bound = 1.0 / math.sqrt(max(init[1], 1))
            return r.uniform(-bound, bound, shape)
        lo, hi = {"gamma": (0.5, 1.5), "beta": (-0.5, 0.5),
                  "mean": (-0.5, 0.5), "var": (0.5, 2.0), "slope": (0.0, 0.5)}[init[0]]
        return r.uniform(lo, hi, shape)


# ---------------------------------------------------------------- helpers

def per_dim(v, n, what, name):
    """int -> [v]*n; list of n (or 1) ints -> list."""
    if isinstance(v, bool) or v is None:
        raise CnnError(f"{name}: bad {what} {v!r}")
    if isinstance(v, int):
        return [v] * n
    if isinstance(v, list) and len(v) == n:
        return [int(x) for x in v]
    if isinstance(v, list) and len(v) == 1:
        return [int(v[0])] * n
    raise CnnError(f"{name}: {what} needs 1 or {n} entries, got {v!r}")


def pads(v, n, I, K, S, D, name):
    """The pad attribute -> (begins, ends), one per spatial dim."""
    if v is None or v == "valid":
        return [0] * n, [0] * n
    if v == "same":
        pb, pe = [], []
        for i in range(n):
            o = -(-I[i] // S[i])
            tot = max((o - 1) * S[i] + D[i] * (K[i] - 1) + 1 - I[i], 0)
            pb.append(tot // 2)
            pe.append(tot - tot // 2)
        return pb, pe
    if isinstance(v, int) and not isinstance(v, bool):
        return [v] * n, [v] * n
    if isinstance(v, list) and len(v) == n:
        return [int(x) for x in v], [int(x) for x in v]
    if isinstance(v, list) and len(v) == 2 * n:
        return [int(x) for x in v[:n]], [int(x) for x in v[n:]]
    raise CnnError(f"{name}: bad pad {v!r} for {n} spatial dims")


def torch_pad(x, pb, pe, mode, value=0.0):
    """Pad the trailing len(pb) dims of x; mode zeros|constant|reflect|replicate."""
    if not any(pb) and not any(pe):
        return x
    spec = []
    for b, e in zip(reversed(pb), reversed(pe)):
        spec += [b, e]
    if mode in ("zeros", "constant"):
        return F.pad(x, spec, mode="constant", value=value)
    if mode in ("reflect", "replicate"):
        return F.pad(x, spec, mode=mode)
    raise CnnError(f"bad padding mode {mode!r}")


CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}


def out_size(I, K, S, D, pb, pe, ceil=False):
    span = I + pb + pe - D * (K - 1) - 1
    o = (-(-span // S) if ceil else span // S) + 1
    if ceil and (o - 1) * S >= I + pb:   # window would start in the end padding
        o -= 1
    return o


def pool_nd(x, kind, K, S, D, pb, pe, ceil, count_include_pad):
    """Max/avg pooling over the trailing n dims by explicit window gathering."""
    n = len(K)
    I = list(x.shape[-n:])
    O = [out_size(I[i], K[i], S[i], D[i], pb[i], pe[i], ceil) for i in range(n)]
    for i in range(n):
        if O[i] < 1:
            raise CnnError(f"pool output size {O[i]} < 1 in dim {i}")
    acc = cnt = None
    for off in itertools.product(*[range(k) for k in K]):
        t = x
        real = region = torch.ones([1] * (x.dim() - n) + O, dtype=torch.bool)
        for i in range(n):
            idx = torch.arange(O[i]) * S[i] - pb[i] + off[i] * D[i]
            r = (idx >= 0) & (idx < I[i])
            g = (idx >= -pb[i]) & (idx < I[i] + pe[i])
            shape = [1] * (x.dim() - n + i) + [O[i]] + [1] * (n - i - 1)
            real = real & r.view(shape)
            region = region & g.view(shape)
            t = t.index_select(x.dim() - n + i, idx.clamp(0, I[i] - 1))
        if kind == "max":
            v = torch.where(real, t, torch.tensor(-math.inf))
            acc = v if acc is None else torch.maximum(acc, v)
        else:
            v = torch.where(real, t, torch.tensor(0.0))
            c = (region if count_include_pad else real).to(x.dtype)
            acc = v if acc is None else acc + v
            cnt = c if cnt is None else cnt + c
    return acc if kind == "max" else acc / cnt


# ---------------------------------------------------------------- layers

class Ctx:
    """What a layer's rule sees: the layer, its input tensors ([B, *shape],
    float64) and the parameter source."""

    def __init__(self, layer, xs, params, batch=1):
        self.L, self.xs, self.params, self.batch = layer, xs, params, batch
        self.x = xs[0] if xs else None

    def attr(self, key, default=None):
        return self.L.attrs.get(key, default)

    def param(self, key, shape, init):
        """Inline value (weight=, bias=, running_mean=, running_var=) or N.key."""
        shape = tuple(int(s) for s in shape)
        v = self.L.attrs.get(key)
        if v is not None and not isinstance(v, bool):   # bias=true/false is a flag
            v = v if isinstance(v, list) else [v]
            if len(v) != int(np.prod(shape)):
                raise CnnError(f"{self.L.name}: inline {key} has {len(v)} values, "
                               f"needs {int(np.prod(shape))} for {list(shape)}")
            return torch.tensor(round_to_dtype(np.array(v, dtype=np.float64), "F32")
                                .reshape(shape), dtype=DTYPE)
        return self.params.get(f"{self.L.name}.{key}", shape, init)

    @property
    def nsp(self):           # number of spatial dims of the input
        return self.x.dim() - 2

    def spatial(self):
        return list(self.x.shape[2:])


def conv_common(c, out, groups, depthwise_mult=None, mode_ok=True):
    """conv1d/2d/3d and depthwise_conv2d."""
    x, n, L = c.x, c.nsp, c.L
    C = x.shape[1]
    K = per_dim(c.attr("kernel"), n, "kernel", L.name)
    S = per_dim(c.attr("stride", 1), n, "stride", L.name)
    D = per_dim(c.attr("dilation", 1), n, "dilation", L.name)
    pb, pe = pads(c.attr("pad", 0), n, c.spatial(), K, S, D, L.name)
    if C % groups or out % groups:
        raise CnnError(f"{L.name}: groups {groups} does not divide C={C} / out={out}")
    fan = C // groups * int(np.prod(K))
    w = c.param("weight", [out, C // groups] + K, ("fan", fan))
    b = c.param("bias", [out], ("fan", fan)) if c.attr("bias", True) else None
    xp = torch_pad(x, pb, pe, str(c.attr("padding_mode", "zeros")) if mode_ok else "zeros")
    return CONV[n](xp, w, b, stride=S, dilation=D, groups=groups)


def op_conv(n):
    def f(c):
        if c.nsp != n:
            raise CnnError(f"{c.L.name}: conv{n}d needs {n} spatial dims")
        return conv_common(c, int(c.attr("out")), int(c.attr("groups", 1)))
    return f


def op_depthwise(c):
    if c.nsp != 2:
        raise CnnError(f"{c.L.name}: depthwise_conv2d needs [C,H,W]")
    C = c.x.shape[1]
    return conv_common(c, C * int(c.attr("multiplier", 1)), C)


def op_separable(c):
    x, L = c.x, c.L
    if c.nsp != 2:
        raise CnnError(f"{L.name}: separable_conv2d needs [C,H,W]")
    C, out = x.shape[1], int(c.attr("out"))
    K = per_dim(c.attr("kernel"), 2, "kernel", L.name)
    S = per_dim(c.attr("stride", 1), 2, "stride", L.name)
    D = per_dim(c.attr("dilation", 1), 2, "dilation", L.name)
    pb, pe = pads(c.attr("pad", 0), 2, c.spatial(), K, S, D, L.name)
    dw = c.param("depthwise.weight", [C, 1] + K, ("fan", int(np.prod(K))))
    pw = c.param("pointwise.weight", [out, C, 1, 1], ("fan", C))
    pbias = c.param("pointwise.bias", [out], ("fan", C)) if c.attr("bias", True) else None
    y = F.conv2d(torch_pad(x, pb, pe, "zeros"), dw, None, stride=S, dilation=D, groups=C)
    return F.conv2d(y, pw, pbias)


CONVT = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}


def op_conv_transpose(n):
    """The full transposed convolution (no padding, output_padding at the end),
    cropped by pb at the start and pe at the end of each spatial dim."""
    def f(c):
        x, L = c.x, c.L
        if c.nsp != n:
            raise CnnError(f"{L.name}: conv_transpose{n}d needs {n} spatial dims")
        C, out, groups = x.shape[1], int(c.attr("out")), int(c.attr("groups", 1))
        K = per_dim(c.attr("kernel"), n, "kernel", L.name)
        S = per_dim(c.attr("stride", 1), n, "stride", L.name)
        D = per_dim(c.attr("dilation", 1), n, "dilation", L.name)
        OP = per_dim(c.attr("output_padding", 0), n, "output_padding", L.name)
        if isinstance(c.attr("pad", 0), str):
            raise CnnError(f"{L.name}: pad takes integers")
        pb, pe = pads(c.attr("pad", 0), n, c.spatial(), K, S, D, L.name)
        if C % groups or out % groups:
            raise CnnError(f"{L.name}: groups {groups} does not divide C={C} / out={out}")
        if any(OP[i] >= S[i] and OP[i] >= D[i] for i in range(n)):
            raise CnnError(f"{L.name}: output_padding {OP} not below stride {S} or dilation {D}")
        fan = out // groups * int(np.prod(K))
        w = c.param("weight", [C, out // groups] + K, ("fan", fan))
        b = c.param("bias", [out], ("fan", fan)) if c.attr("bias", True) else None
        y = CONVT[n](x, w, b, stride=S, output_padding=OP, groups=groups, dilation=D)
        crop = tuple(slice(pb[i], y.shape[2 + i] - pe[i]) for i in range(n))
        y = y[(slice(None), slice(None)) + crop]
        if min(y.shape[2:]) < 1:
            raise CnnError(f"{L.name}: output size {list(y.shape[2:])} below 1")
        return y
    return f


def op_local2d(c):
    x, L = c.x, c.L
    if c.nsp != 2:
        raise CnnError(f"{L.name}: local2d needs [C,H,W]")
    B, C = x.shape[:2]
    out = int(c.attr("out"))
    K = per_dim(c.attr("kernel"), 2, "kernel", L.name)
    S = per_dim(c.attr("stride", 1), 2, "stride", L.name)
    pb, pe = pads(c.attr("pad", 0), 2, c.spatial(), K, S, [1, 1], L.name)
    xp = torch_pad(x, pb, pe, "zeros")
    OH = (xp.shape[2] - K[0]) // S[0] + 1
    OW = (xp.shape[3] - K[1]) // S[1] + 1
    fan = C * K[0] * K[1]
    w = c.param("weight", [out, OH, OW, C, K[0], K[1]], ("fan", fan))
    cols = F.unfold(xp, K, stride=S)                     # [B, C*kh*kw, OH*OW]
    cols = cols.view(B, C, K[0], K[1], OH, OW)
    y = torch.einsum("bcijhw,ohwcij->bohw", cols, w)
    if c.attr("bias", True):
        y = y + c.param("bias", [out, OH, OW], ("fan", fan))
    return y


def op_pool(kind, n):
    def f(c):
        L = c.L
        if c.nsp != n:
            raise CnnError(f"{L.name}: {L.op} needs {n} spatial dims")
        K = per_dim(c.attr("kernel"), n, "kernel", L.name)
        S = per_dim(c.attr("stride", c.attr("kernel")), n, "stride", L.name)
        D = per_dim(c.attr("dilation", 1), n, "dilation", L.name) if kind == "max" else [1] * n
        pb, pe = pads(c.attr("pad", 0), n, c.spatial(), K, S, D, L.name)
        return pool_nd(c.x, kind, K, S, D, pb, pe, bool(c.attr("ceil_mode", False)),
                       bool(c.attr("count_include_pad", True)))
    return f


def channel_view(x):
    """[B,C,...] -> [B,C,M]; a vector [B,N] is N channels of size 1."""
    return x.reshape(x.shape[0], x.shape[1], -1)


def bcast(p, x):
    """Per-channel vector p -> shape broadcasting against x [B,C,...]."""
    return p.view([1, -1] + [1] * (x.dim() - 2))


def op_batchnorm(c):
    x, C = c.x, c.x.shape[1]
    eps = float(c.attr("eps", 1e-5))
    w = c.param("weight", [C], ("gamma",))
    b = c.param("bias", [C], ("beta",))
    m = c.param("running_mean", [C], ("mean",))
    v = c.param("running_var", [C], ("var",))
    return (x - bcast(m, x)) / torch.sqrt(bcast(v, x) + eps) * bcast(w, x) + bcast(b, x)


def normalize(v, dims, eps):
    mean = v.mean(dim=dims, keepdim=True)
    var = v.var(dim=dims, unbiased=False, keepdim=True)
    return (v - mean) / torch.sqrt(var + eps)


def op_instancenorm(c):
    x, C = c.x, c.x.shape[1]
    y = normalize(channel_view(x), [2], float(c.attr("eps", 1e-5))).view(x.shape)
    if c.attr("affine", False):
        y = y * bcast(c.param("weight", [C], ("gamma",)), x) + \
            bcast(c.param("bias", [C], ("beta",)), x)
    return y


def op_groupnorm(c):
    x, C = c.x, c.x.shape[1]
    G = int(c.attr("groups"))
    if C % G:
        raise CnnError(f"{c.L.name}: groups {G} does not divide C={C}")
    y = normalize(x.reshape(x.shape[0], G, -1), [2], float(c.attr("eps", 1e-5))).view(x.shape)
    if c.attr("affine", True):
        y = y * bcast(c.param("weight", [C], ("gamma",)), x) + \
            bcast(c.param("bias", [C], ("beta",)), x)
    return y


def op_local_response_norm(c):
    if c.x.dim() < 3:
        raise CnnError(f"{c.L.name}: local_response_norm needs spatial dims")
    return F.local_response_norm(c.x, int(c.attr("size")), float(c.attr("alpha", 1e-4)),
                                 float(c.attr("beta", 0.75)), float(c.attr("k", 1.0)))


def op_layernorm(c):
    x = c.x
    shp = list(x.shape[sample_axis(c, c.attr("axis", 0), x.dim() - 1):])
    w = b = None
    if c.attr("affine", True):
        w, b = c.param("weight", shp, ("gamma",)), c.param("bias", shp, ("beta",))
    return F.layer_norm(x, shp, w, b, float(c.attr("eps", 1e-5)))


def op_dense(c):
    x = c.x    # a vector, or a tensor: its last axis, as nn.Linear
    n_in, out = x.shape[-1], int(c.attr("out"))
    w = c.param("weight", [out, n_in], ("fan", n_in))
    b = c.param("bias", [out], ("fan", n_in)) if c.attr("bias", True) else None
    return F.linear(x, w, b)


def op_nary(fn, nmax=None):
    """Elementwise over two or more inputs (at most nmax), broadcast as NumPy
    does over the per-sample shapes: aligned at the last axis, so each
    [B, *shape] gets 1s inserted after the batch axis up to the largest rank."""
    def f(c):
        if len(c.xs) < 2 or (nmax and len(c.xs) > nmax):
            raise CnnError(f"{c.L.name}: {c.L.op} needs {nmax or 'two or more'} inputs")
        rank = max(t.dim() for t in c.xs)
        xs = [t.reshape([t.shape[0]] + [1] * (rank - t.dim()) + list(t.shape[1:])) for t in c.xs]
        y = xs[0]
        for t in xs[1:]:
            y = fn(y, t)
        return y
    return f


def op_matmul(c):
    """torch.matmul on the per-sample shapes: a vector a is one row, a vector
    b one column (the axis dropped after); the axes before the last two
    broadcast, so each [B, *shape] gets 1s after the batch axis"""
    if len(c.xs) != 2:
        raise CnnError(f"{c.L.name}: matmul needs 2 inputs")
    a, b = c.xs
    va, vb = a.dim() == 2, b.dim() == 2
    if va:
        a = a.unsqueeze(1)
    if vb:
        b = b.unsqueeze(2)
    rank = max(a.dim(), b.dim())
    a, b = [t.reshape([t.shape[0]] + [1] * (rank - t.dim()) + list(t.shape[1:])) for t in (a, b)]
    y = torch.matmul(a, b)
    if vb:
        y = y.squeeze(-1)
    if va:
        y = y.squeeze(-2 if not vb else -1)
    return y if y.dim() > 1 else y.reshape(y.shape[0], 1)


def op_where(c):
    """torch.where(cond != 0, a, b), the three broadcast as op_nary's inputs"""
    if len(c.xs) != 3:
        raise CnnError(f"{c.L.name}: where needs 3 inputs")
    rank = max(t.dim() for t in c.xs)
    cond, a, b = [t.reshape([t.shape[0]] + [1] * (rank - t.dim()) + list(t.shape[1:])) for t in c.xs]
    return torch.where(cond != 0, a, b)


def compare(fn):
    """a comparison as 1 or 0 in the inputs' type (torch.gt, ...)"""
    return op_nary(lambda a, b: fn(a, b).to(a.dtype), 2)


def op_prelu(c):
    """nn.PReLU: weight [C] (num_parameters=C) or [1]; [1] when given inline as
    one number, when the file holds [1], or (generated weights) for the layers
    named in the case's `# numeric: prelu_shared=NAME,...`."""
    x, C = c.x, c.x.shape[1]
    inline = c.attr("weight")
    if inline is not None:
        n = len(inline) if isinstance(inline, list) else 1
    elif c.params.file is not None:
        n = c.params.file.get(f"{c.L.name}.weight", np.zeros(C)).shape[0]
    else:
        n = 1 if c.L.name in c.params.prelu_shared else C
    w = c.param("weight", [n], ("slope",))
    return F.prelu(x, w)


def op_concat(c):
    if len(c.xs) < 2:
        raise CnnError(f"{c.L.name}: concat needs two or more inputs")
    axis = int(c.attr("axis", 0))
    rank = c.x.dim() - 1
    if axis < 0:
        axis += rank
    return torch.cat(c.xs, dim=axis + 1)


def op_pad(c):
    n = c.nsp
    if n < 1:
        raise CnnError(f"{c.L.name}: pad needs spatial dims")
    pb, pe = pads(c.attr("pad"), n, c.spatial(), [1] * n, [1] * n, [1] * n, c.L.name)
    return torch_pad(c.x, pb, pe, str(c.attr("mode", "zeros")), float(c.attr("value", 0.0)))


def op_global(kind):
    def f(c):
        dims = list(range(2, c.x.dim()))
        if not dims:
            raise CnnError(f"{c.L.name}: {c.L.op} needs spatial dims")
        return c.x.mean(dim=dims, keepdim=True) if kind == "avg" else \
            c.x.amax(dim=dims, keepdim=True)
    return f


def unary(fn):
    return lambda c: fn(c.x, c)


def op_gelu(c):
    mode = c.attr("approximate", "none")
    if mode not in ("none", "tanh"):
        raise CnnError(f"{c.L.name}: gelu approximate must be none or tanh, got {mode!r}")
    return F.gelu(c.x, approximate=str(mode))


def op_clip(c):
    # torch.clamp: min(max(x, min), max); min > max gives max everywhere.
    # The bounds are the float32 numbers the generated code compares with.
    bounds = []
    for key, default in (("min", -math.inf), ("max", math.inf)):
        v = c.attr(key, default)
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise CnnError(f"{c.L.name}: clip {key} must be a number, got {v!r}")
        with np.errstate(over="ignore"):    # beyond float32: an infinity
            bounds.append(float(round_to_dtype(v, "F32")))
    return torch.clamp(c.x, min=bounds[0], max=bounds[1])


def spatial_list(v, n, what, name, kind):
    """A number, or a list of 1 or n numbers -> n values of kind."""
    v = v if isinstance(v, list) else [v]
    if len(v) not in (1, n) or any(isinstance(x, bool) or not isinstance(x, (int, float)) for x in v):
        raise CnnError(f"{name}: {what} needs 1 or {n} numbers, got {v!r}")
    return [kind(x) for x in (v * n if len(v) == 1 else v)]


def op_upsample(c):
    """F.interpolate with the same scale_factor or size, mode, align_corners.
    Nearest takes the source indices of PyTorch's float32 kernel: with a size
    its float64 kernel picks floor(o*I/O) exactly, its float32 one computes
    I/O and the product in float, and the generated code is float32."""
    n, L = c.nsp, c.L
    if n < 1:
        raise CnnError(f"{L.name}: upsample needs spatial dims")
    scale, size = c.attr("scale"), c.attr("size")
    if (scale is None) == (size is None):
        raise CnnError(f"{L.name}: upsample needs exactly one of scale and size")
    if scale is not None:
        spec = {"scale_factor": spatial_list(scale, n, "scale", L.name, float)}
    else:
        spec = {"size": spatial_list(size, n, "size", L.name, int)}
    mode, ac = str(c.attr("mode", "nearest")), c.attr("align_corners")
    coords, rounding = c.attr("coordinates"), c.attr("rounding")
    if coords is not None or rounding is not None:
        return onnx_resize(c.x, n, spec, mode, str(coords or "asymmetric"), str(rounding or "floor"),
                           float(c.attr("cubic_a", -0.75)), bool(c.attr("exclude_outside", False)))
    if mode == "cubic":
        a, ex = float(c.attr("cubic_a", -0.75)), bool(c.attr("exclude_outside", False))
        if n == 2 and a == -0.75 and not ex:    # PyTorch's own
            return F.interpolate(c.x, mode="bicubic", align_corners=bool(ac), **spec)
        return cubic(c.x, n, spec, bool(ac), a, ex)
    if mode == "linear":
        return F.interpolate(c.x, mode={1: "linear", 2: "bilinear", 3: "trilinear"}[n],
                             align_corners=bool(ac), **spec)
    if mode != "nearest" or ac is not None:
        raise CnnError(f"{L.name}: mode {mode!r} with align_corners={ac!r}")
    y = c.x
    for i in range(n):     # nearest is separable: one dimension at a time
        I = y.shape[2 + i]
        one = {k: [v[i]] for k, v in spec.items()}
        idx = F.interpolate(torch.arange(I, dtype=torch.float32).view(1, 1, I), mode="nearest", **one)
        y = y.index_select(2 + i, idx.view(-1).long())
    return y


def onnx_resize(x, n, spec, mode, coords, rounding, a, exclude):
    """upsample with coordinates or rounding: ONNX's Resize, one dimension at a
    time. The source position of output o by coordinate_transformation_mode
    (x_original in the ONNX operator's definition), in float64; nearest rounds
    it by nearest_mode and clamps the index to the input, linear clamps the
    position to [0, I - 1] and blends the two inputs around it."""
    if mode == "cubic":
        return cubic(x, n, spec, False, a, exclude, coords)
    for i in range(n):
        I, O, step = resize_axis(x.shape[2 + i], spec, i)
        pos = source_positions(I, O, step, coords)
        if mode == "nearest":   # exactly: ties as ONNX rounds them
            half = fractions.Fraction(1, 2)
            idx = [{"floor": math.floor(p), "ceil": math.ceil(p),
                    "round_prefer_floor": math.floor(p) + (p - math.floor(p) > half),
                    "round_prefer_ceil": math.floor(p) + (p - math.floor(p) >= half)}[rounding] for p in pos]
            x = x.index_select(2 + i, torch.tensor(idx).clamp(0, I - 1))
            continue
        r = torch.tensor([float(p) for p in pos], dtype=torch.float64).clamp(0, I - 1)
        i0 = torch.floor(r).long()
        i1 = (i0 + 1).clamp(max=I - 1)
        shape = [1] * x.dim()
        shape[2 + i] = O
        w1 = (r - i0).to(x.dtype).view(shape)
        x = x.index_select(2 + i, i0) * (1 - w1) + x.index_select(2 + i, i1) * w1
    return x


def resize_axis(I, spec, i):
    """Dimension i's input size, output size and step of source positions,
    an exact fraction: 1/scale with a scale (the double's exact value), I/O
    with a size."""
    if "size" in spec:
        O = spec["size"][i]
        return I, O, fractions.Fraction(I, O)
    O = int(math.floor(I * spec["scale_factor"][i]))
    return I, O, 1 / fractions.Fraction(spec["scale_factor"][i])


def source_positions(I, O, step, coords):
    """ONNX's x_original of each output position, exact fractions"""
    half = fractions.Fraction(1, 2)
    if coords == "align_corners":
        return [fractions.Fraction(o * (I - 1), O - 1) if O > 1 else fractions.Fraction(0) for o in range(O)]
    if coords == "asymmetric":
        return [o * step for o in range(O)]
    if coords == "tf_half_pixel_for_nn":
        return [(o + half) * step for o in range(O)]
    if coords == "pytorch_half_pixel" and O == 1:
        return [fractions.Fraction(0)]
    return [(o + half) * step - half for o in range(O)]


def cubic(x, n, spec, align, a, exclude, coords="half_pixel"):
    """Cubic resizing one dimension at a time, as ONNX's Resize with mode cubic
    (and PyTorch's bicubic): the source position r, the 4 inputs from
    floor(r) - 1 weighed by Keys' kernel with a, an index outside reading the
    edge, or with exclude dropped and the weights rescaled to sum 1."""
    def keys(s):
        s = s.abs()
        return torch.where(s <= 1, ((a + 2) * s - (a + 3)) * s * s + 1,
                           torch.where(s < 2, ((a * s - 5 * a) * s + 8 * a) * s - 4 * a, torch.zeros_like(s)))
    for i in range(n):
        I, O, step = resize_axis(x.shape[2 + i], spec, i)
        r = torch.tensor([float(p) for p in source_positions(I, O, step, "align_corners" if align else coords)],
                         dtype=torch.float64)
        f = torch.floor(r)
        idx = [f.long() - 1 + j for j in range(4)]
        w = [keys(r - (f - 1 + j)) for j in range(4)]
        if exclude:
            w = [torch.where((k < 0) | (k >= I), torch.zeros_like(wj), wj) for k, wj in zip(idx, w)]
            total = sum(w)
            w = [wj / total for wj in w]
        shape = [1] * x.dim()
        shape[2 + i] = O
        x = sum(x.index_select(2 + i, k.clamp(0, I - 1)) * wj.to(x.dtype).view(shape) for k, wj in zip(idx, w))
    return x


def op_adaptive(kind, n):
    fn = {("avg", 1): F.adaptive_avg_pool1d, ("avg", 2): F.adaptive_avg_pool2d,
          ("avg", 3): F.adaptive_avg_pool3d, ("max", 1): F.adaptive_max_pool1d,
          ("max", 2): F.adaptive_max_pool2d, ("max", 3): F.adaptive_max_pool3d}[kind, n]

    def f(c):
        if c.nsp != n:
            raise CnnError(f"{c.L.name}: {c.L.op} needs {n} spatial dims")
        return fn(c.x, spatial_list(c.attr("out"), n, "out", c.L.name, int))
    return f


def sample_axis(c, a, rank, what="axis"):
    """A per-sample axis (negative from the end) -> the batched tensor's dim."""
    a = int(a)
    if not -rank <= a < rank:
        raise CnnError(f"{c.L.name}: {what} {a} out of range for rank {rank}")
    return (a % rank) + 1


def op_slice(c):
    rank = c.x.dim() - 1
    d = sample_axis(c, c.attr("axis", 0), rank)
    n = c.x.shape[d]
    start, end, step = c.attr("start"), c.attr("end"), int(c.attr("step", 1))
    # Python's own slice clamping (torch takes no negative step: the indices)
    taken = range(*slice(None if start is None else int(start), None if end is None else int(end), step).indices(n))
    y = c.x.index_select(d, torch.tensor(list(taken), dtype=torch.long))
    if y.shape[d] == 0:
        raise CnnError(f"{c.L.name}: empty slice of {n} along axis {d - 1}")
    return y


def op_channel_shuffle(c):
    g = int(c.attr("groups"))
    B, C = c.x.shape[:2]
    if C % g:
        raise CnnError(f"{c.L.name}: groups {g} does not divide {C} channels")
    rest = c.x.shape[2:]
    return c.x.reshape(B, g, C // g, -1).transpose(1, 2).reshape(B, C, *rest)


def op_pixel(shuffle):
    """PyTorch's pixel_shuffle/unshuffle (mode crd); mode dcr as the ONNX
    specification writes DepthToSpace (DCR) and SpaceToDepth"""
    def op(c):
        r, mode, x = int(c.attr("factor")), c.attr("mode", "crd"), c.x
        if mode == "crd":
            return F.pixel_shuffle(x, r) if shuffle else F.pixel_unshuffle(x, r)
        b, C, h, w = x.shape
        if shuffle:
            t = x.reshape(b, r, r, C // (r * r), h, w).permute(0, 3, 4, 1, 5, 2)
            return t.reshape(b, C // (r * r), h * r, w * r)
        t = x.reshape(b, C, h // r, r, w // r, r).permute(0, 3, 5, 1, 2, 4)
        return t.reshape(b, C * r * r, h // r, w // r)
    return op


def op_reshape(c):
    shape = c.attr("shape")
    shape = shape if isinstance(shape, list) else [shape]
    return c.x.reshape([c.x.shape[0]] + [int(s) for s in shape])


def op_transpose(c):
    perm = c.attr("perm")
    perm = perm if isinstance(perm, list) else [perm]
    rank = c.x.dim() - 1
    dims = [sample_axis(c, a, rank, "perm entry") for a in perm]
    if sorted(dims) != list(range(1, rank + 1)):
        raise CnnError(f"{c.L.name}: perm {perm} is no permutation of {rank} axes")
    return c.x.permute([0] + dims)


def op_reduce(kind):
    def f(c):
        rank = c.x.dim() - 1
        axes = c.attr("axes")
        axes = list(range(rank)) if axes is None else axes if isinstance(axes, list) else [axes]
        dims = [sample_axis(c, a, rank, "axes entry") for a in axes]
        if len(set(dims)) != len(dims):
            raise CnnError(f"{c.L.name}: an axis twice in {axes}")
        keep = bool(c.attr("keepdims", True))
        y = {"mean": torch.mean, "max": torch.amax, "min": torch.amin, "sum": torch.sum}[kind](c.x, dim=dims, keepdim=keep)
        return y.reshape(c.x.shape[0], 1) if y.dim() == 1 else y   # no axis left: the vector [1]
    return f


def op_constant(c):
    shape = c.attr("shape")
    shape = shape if isinstance(shape, list) else [shape]
    v = c.param("value", shape, ("beta",))
    return v.unsqueeze(0).expand([c.batch] + list(v.shape))


SOURCES = {"constant"}   # ops that take no input


OPS = {
    "conv1d": op_conv(1), "conv2d": op_conv(2), "conv3d": op_conv(3),
    "depthwise_conv2d": op_depthwise,
    "separable_conv2d": op_separable,
    "local2d": op_local2d,
    "global_avgpool": op_global("avg"), "global_maxpool": op_global("max"),
    "batchnorm": op_batchnorm, "layernorm": op_layernorm,
    "instancenorm": op_instancenorm, "groupnorm": op_groupnorm, "local_response_norm": op_local_response_norm,
    "relu": unary(lambda x, c: torch.relu(x)),
    "relu6": unary(lambda x, c: torch.clamp(x, 0.0, 6.0)),
    "sigmoid": unary(lambda x, c: torch.sigmoid(x)),
    "tanh": unary(lambda x, c: torch.tanh(x)),
    "sqrt": unary(lambda x, c: torch.sqrt(x)),
    "abs": unary(lambda x, c: torch.abs(x)),
    "leaky_relu": unary(lambda x, c: F.leaky_relu(x, float(c.attr("alpha", 0.01)))),
    "elu": unary(lambda x, c: F.elu(x, float(c.attr("alpha", 1.0)))),
    "selu": unary(lambda x, c: F.selu(x)),
    "celu": unary(lambda x, c: F.celu(x, float(c.attr("alpha", 1.0)))),
    "softplus": unary(lambda x, c: F.softplus(x, float(c.attr("beta", 1.0)), float(c.attr("threshold", 20.0)))),
    "exp": unary(lambda x, c: torch.exp(x)),
    "log": unary(lambda x, c: torch.log(x)),
    "pow": unary(lambda x, c: torch.pow(x, float(c.attr("exponent")))),
    "hardswish": unary(lambda x, c: F.hardswish(x)),
    "hardsigmoid": unary(lambda x, c: F.hardsigmoid(x)),
    "silu": unary(lambda x, c: F.silu(x)),
    "mish": unary(lambda x, c: F.mish(x)),
    "gelu": op_gelu,
    "clip": op_clip,
    "sign": unary(lambda x, c: torch.sign(x)),
    "floor": unary(lambda x, c: torch.floor(x)),
    "ceil": unary(lambda x, c: torch.ceil(x)),
    "round": unary(lambda x, c: torch.round(x)),
    "sin": unary(lambda x, c: torch.sin(x)),
    "cos": unary(lambda x, c: torch.cos(x)),
    "erf": unary(lambda x, c: torch.erf(x)),
    "softmax": unary(lambda x, c: torch.softmax(x, dim=sample_axis(c, c.attr("axis", 0), x.dim() - 1))),
    "log_softmax": unary(lambda x, c: torch.log_softmax(x, dim=sample_axis(c, c.attr("axis", 0), x.dim() - 1))),
    "flatten": unary(lambda x, c: x.reshape(x.shape[0], -1)),
    "dropout": unary(lambda x, c: x),
    "dense": op_dense,
    "matmul": op_matmul,
    "add": op_nary(torch.add), "mul": op_nary(torch.mul),
    "sub": op_nary(torch.sub, 2), "div": op_nary(torch.div, 2),
    "max": op_nary(torch.maximum), "min": op_nary(torch.minimum),
    "greater": compare(torch.gt), "less": compare(torch.lt), "greater_equal": compare(torch.ge),
    "less_equal": compare(torch.le), "equal": compare(torch.eq), "not_equal": compare(torch.ne),
    "where": op_where,
    "prelu": op_prelu,
    "concat": op_concat,
    "pad": op_pad,
    "upsample": op_upsample,
    "slice": op_slice, "channel_shuffle": op_channel_shuffle,
    "pixel_shuffle": op_pixel(True), "pixel_unshuffle": op_pixel(False),
    "reshape": op_reshape, "transpose": op_transpose,
    "reduce_mean": op_reduce("mean"), "reduce_max": op_reduce("max"), "reduce_min": op_reduce("min"),
    "reduce_sum": op_reduce("sum"),
    "constant": op_constant,
}
for _n in (1, 2, 3):
    OPS[f"maxpool{_n}d"] = op_pool("max", _n)
    OPS[f"conv_transpose{_n}d"] = op_conv_transpose(_n)
    OPS[f"avgpool{_n}d"] = op_pool("avg", _n)
    OPS[f"adaptive_avgpool{_n}d"] = op_adaptive("avg", _n)
    OPS[f"adaptive_maxpool{_n}d"] = op_adaptive("max", _n)


def forward(net, x, params):
    """x: [B, *input_shape] float64 -> output [B, *out_shape]; several
    outputs: [B, their sizes summed], one after another per sample."""
    if tuple(x.shape[1:]) != tuple(net.input_shape):
        raise CnnError(f"input shape {list(x.shape[1:])} != {list(net.input_shape)}")
    vals = {net.input_name: x}
    for L in net.layers:
        if L.op not in OPS:
            raise CnnError(f"line {L.line}: unknown op {L.op!r}")
        try:
            vals[L.name] = OPS[L.op](Ctx(L, [vals[i] for i in L.inputs], params, x.shape[0]))
        except (RuntimeError, ValueError, TypeError) as e:    # from torch or int()
            raise CnnError(f"line {L.line}: {L.op} {L.name}: {e}") from e
    if len(net.outputs) == 1:
        return vals[net.output]
    return torch.cat([vals[o].reshape(x.shape[0], -1) for o in net.outputs], dim=1)


# ---------------------------------------------------------------- CLI

def read_f32(path):
    return np.fromfile(path, dtype="<f4").astype(np.float64)


def write_f32(path, a):
    np.asarray(a, dtype="<f4").tofile(path)


def gen_one(path, out, seed, batch, dtype, input_kind):
    os.makedirs(out, exist_ok=True)
    for f in ("weights.safetensors", "input.bin", "expected.bin", "gen-error.txt"):
        if os.path.exists(os.path.join(out, f)):
            os.remove(os.path.join(out, f))
    net = parse_file(path)
    d = net.directives
    seed = int(d.get("seed", 1234)) if seed is None else seed
    batch = int(d.get("batch", 1)) if batch is None else batch
    dtype = d.get("dtype", "F32") if dtype is None else dtype
    input_kind = d.get("input", "signed") if input_kind is None else input_kind
    rng = np.random.RandomState(seed)
    n = int(np.prod(net.input_shape))
    lo = {"signed": -1.0, "positive": 0.0}[input_kind]
    x = rng.uniform(lo, 1.0, (batch,) + tuple(net.input_shape)).astype(np.float32)
    params = Params(rng=rng, dtype=dtype)
    params.prelu_shared = set(d.get("prelu_shared", "").split(","))
    y = forward(net, torch.tensor(x.astype(np.float64)), params)
    wpath = os.path.join(out, "weights.safetensors")
    if params.created:
        st_write(wpath, params.created, dtype)
    write_f32(os.path.join(out, "input.bin"), x.reshape(batch, n))
    write_f32(os.path.join(out, "expected.bin"), y.reshape(batch, -1).numpy())
    if not np.all(np.isfinite(y.numpy())):
        print(f"warning: {path}: reference output has non-finite values", file=sys.stderr)
    return net, y


def main(argv):
    import argparse
    ap = argparse.ArgumentParser(prog="ref.py", description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen", help="random weights, input and expected output")
    g.add_argument("cnn", nargs="+")
    g.add_argument("--out", required=True)
    g.add_argument("--each", action="store_true", help="always write DIR/<stem>/")
    g.add_argument("--seed", type=int)
    g.add_argument("--batch", type=int)
    g.add_argument("--dtype", choices=["F32", "F64", "F16", "BF16"])
    g.add_argument("--input", choices=["signed", "positive"], dest="input_kind")
    r = sub.add_parser("run", help="reference output for given weights and input")
    r.add_argument("cnn")
    r.add_argument("--weights")
    r.add_argument("--input", required=True)
    r.add_argument("--out", required=True)
    p = sub.add_parser("params", help="list the parameters a net needs")
    p.add_argument("cnn")
    sub.add_parser("selftest", help="check semantics against torch.nn")
    a = ap.parse_args(argv)
    try:
        if a.cmd == "gen":
            many = len(a.cnn) > 1 or a.each
            for path in a.cnn:
                stem = os.path.splitext(os.path.basename(path))[0]
                out = os.path.join(a.out, stem) if many else a.out
                try:
                    gen_one(path, out, a.seed, a.batch, a.dtype, a.input_kind)
                except CnnError as e:
                    if not many:
                        raise
                    print(f"{path}: error: {e}", file=sys.stderr)
                    os.makedirs(out, exist_ok=True)
                    with open(os.path.join(out, "gen-error.txt"), "w") as f:
                        f.write(f"{e}\n")
        elif a.cmd == "run":
            net = parse_file(a.cnn)
            wpath = a.weights
            if wpath is None and net.weights_file:
                wpath = os.path.join(os.path.dirname(a.cnn), net.weights_file)
            tensors = st_read(wpath) if wpath else {}
            x = read_f32(a.input).reshape((-1,) + tuple(net.input_shape))
            y = forward(net, torch.tensor(x), Params(file_tensors=tensors))
            write_f32(a.out, y.reshape(x.shape[0], -1).numpy())
        elif a.cmd == "params":
            net = parse_file(a.cnn)
            params = Params()
            y = forward(net, torch.zeros((1,) + tuple(net.input_shape)), params)
            for name, shape in params.requests:
                print(name, list(shape))
            print("output", list(y.shape[1:]))
        elif a.cmd == "selftest":
            import ref_selftest
            return ref_selftest.main()
    except CnnError as e:
        print(f"ref.py: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    sys.exit(main(sys.argv[1:]))
