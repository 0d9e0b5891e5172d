#!/usr/bin/python3
"""Self-test of ref.py: its parser, its safetensors I/O, and its layer semantics
checked against torch.nn modules (symmetric cases) and against naive Python
loops written from the formulas of docs/language.md (asymmetric padding, `same`, local2d).

Run: /usr/bin/python3 tests/numeric/ref_selftest.py   (or ref.py selftest)
"""
import itertools
import math
import os
import sys
import tempfile
import warnings

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ref  # noqa: E402

torch.set_default_dtype(torch.float64)
warnings.filterwarnings("ignore", category=UserWarning)   # torch's padding='same' note
RNG = np.random.RandomState(0)
FAILS = []
COUNT = [0]


def check(cond, what):
    COUNT[0] += 1
    if not cond:
        FAILS.append(what)
        print("FAIL", what)


def close(a, b, what, tol=1e-10):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    ok = a.shape == b.shape and np.allclose(a, b, rtol=tol, atol=tol, equal_nan=False)
    if not ok and a.shape == b.shape:
        what += f" (max err {np.max(np.abs(a - b)):.3g})"
    elif not ok:
        what += f" (shape {a.shape} vs {b.shape})"
    check(ok, what)


def run(src, x, tensors=None):
    """Run a .cnn source on x ([B, *shape] numpy) -> numpy output."""
    net = ref.parse(src)
    p = ref.Params(file_tensors=tensors) if tensors is not None else ref.Params()
    return ref.forward(net, torch.tensor(x), p).numpy()


def f32(a):
    return np.asarray(a, dtype=np.float32).astype(np.float64)


# ---------------------------------------------------------------- naive loops

def src_index(i, n, pb, mode):
    """Index into the unpadded input for padded coordinate i (None = zero)."""
    j = i - pb
    if 0 <= j < n:
        return j
    if mode in ("zeros", "constant"):
        return None
    if mode == "replicate":
        return min(max(j, 0), n - 1)
    if mode == "reflect":
        while j < 0 or j >= n:
            j = -j if j < 0 else 2 * (n - 1) - j
        return j
    raise ValueError(mode)


def naive_conv(x, w, b, S, D, pb, pe, groups, mode="zeros"):
    """x [C, *I], w [out, C/g, *K] -> [out, *O], straight from the definition."""
    C, I = x.shape[0], x.shape[1:]
    out, cg, K = w.shape[0], w.shape[1], w.shape[2:]
    n = len(I)
    O = [(I[d] + pb[d] + pe[d] - D[d] * (K[d] - 1) - 1) // S[d] + 1 for d in range(n)]
    y = np.zeros([out] + O)
    og = out // groups
    for o in range(out):
        g = o // og
        for pos in itertools.product(*[range(k) for k in O]):
            s = b[o] if b is not None else 0.0
            for ci in range(cg):
                for kk in itertools.product(*[range(k) for k in K]):
                    idx = []
                    for d in range(n):
                        j = src_index(pos[d] * S[d] + kk[d] * D[d], I[d], pb[d], mode)
                        if j is None:
                            break
                        idx.append(j)
                    else:
                        s += x[(g * cg + ci,) + tuple(idx)] * w[(o, ci) + kk]
            y[(o,) + pos] = s
    return y


def naive_pool(x, kind, K, S, D, pb, pe, ceil, cip):
    """x [C, *I]; the rule of docs/language.md: O by floor/ceil, drop a window starting in the
    end padding; max over real elements; avg divides by the positions inside
    [-pb, I+pe) (count_include_pad) or by the real elements."""
    C, I, n = x.shape[0], x.shape[1:], len(K)
    O = []
    for d in range(n):
        span = I[d] + pb[d] + pe[d] - D[d] * (K[d] - 1) - 1
        o = (math.ceil(span / S[d]) if ceil else span // S[d]) + 1
        if ceil and (o - 1) * S[d] >= I[d] + pb[d]:
            o -= 1
        O.append(o)
    y = np.zeros([C] + O)
    for c in range(C):
        for pos in itertools.product(*[range(k) for k in O]):
            vals, region = [], 0
            for kk in itertools.product(*[range(k) for k in K]):
                q = [pos[d] * S[d] - pb[d] + kk[d] * D[d] for d in range(n)]
                if all(-pb[d] <= q[d] < I[d] + pe[d] for d in range(n)):
                    region += 1
                if all(0 <= q[d] < I[d] for d in range(n)):
                    vals.append(x[(c,) + tuple(q)])
            if kind == "max":
                y[(c,) + pos] = max(vals)
            else:
                y[(c,) + pos] = sum(vals) / (region if cip else len(vals))
    return y


def naive_local2d(x, w, b, S, pb, pe):
    C, H, W = x.shape
    out, OH, OW, _, kh, kw = w.shape
    y = np.zeros((out, OH, OW))
    for o, i, j in itertools.product(range(out), range(OH), range(OW)):
        s = b[o, i, j] if b is not None else 0.0
        for c, u, v in itertools.product(range(C), range(kh), range(kw)):
            r, q = i * S[0] + u - pb[0], j * S[1] + v - pb[1]
            if 0 <= r < H and 0 <= q < W:
                s += x[c, r, q] * w[o, i, j, c, u, v]
        y[o, i, j] = s
    return y


# ---------------------------------------------------------------- tests

def test_parser():
    src = """
    # comment
    network t {   // another comment
        input x[3, 8, 8];
        conv2d(out=4, kernel=3, pad=same, weight=[[1,2],[3,[4]]], eps=1e-5, s="str");
        relu;
        conv2d named(x, out=2, kernel=[3, 3], bias=false, alpha=-0.5, flag=true);
        conv2d;
        relu;
        add(relu_1, relu_2);
        output conv2d_3;
    }"""
    net = ref.parse(src)
    names = [L.name for L in net.layers]
    check(names == ["conv2d_1", "relu_1", "named", "conv2d_3", "relu_2", "add_1"],
          f"auto names count every statement of the op: {names}")
    L = net.layers
    check(L[0].inputs == ["x"], "first layer takes the input")
    check(L[0].attrs["weight"] == [1, 2, 3, 4], "nested list flattened")
    check(L[0].attrs["pad"] == "same" and isinstance(L[0].attrs["pad"], ref.Keyword), "keyword")
    check(isinstance(L[0].attrs["s"], ref.String), "string value")
    check(L[0].attrs["eps"] == 1e-5 and isinstance(L[0].attrs["eps"], float), "float")
    check(L[2].attrs["alpha"] == -0.5 and L[2].attrs["flag"] is True
          and L[2].attrs["bias"] is False, "negative float, true/false")
    check(L[2].inputs == ["x"] and L[3].inputs == ["named"], "previous statement")
    check(L[5].inputs == ["relu_1", "relu_2"], "positional inputs")
    check(net.output == "conv2d_3", "output statement")
    check(ref.parse("network a { input i[4]; relu; sigmoid; }").output == "sigmoid_1",
          "default output is the last statement")
    for bad in ["network a { input i[4]; relu(nope); }",
                "network a { input i[4]; relu r; relu r; }",
                "network a { input i[4]; relu; output q; }",
                "network a { input i[4]; relu(x=[1,2); }"]:
        try:
            ref.parse(bad)
            check(False, f"parse error expected: {bad}")
        except ref.CnnError:
            check(True, "")


def test_safetensors():
    with tempfile.TemporaryDirectory() as d:
        for dt in ("F32", "F64", "F16", "BF16"):
            a = ref.round_to_dtype(RNG.uniform(-2, 2, (3, 4)), dt)
            b = ref.round_to_dtype(RNG.uniform(-2, 2, (5,)), dt)
            p = os.path.join(d, f"t_{dt}.safetensors")
            ref.st_write(p, [("a.weight", a), ("b", b)], dt)
            got = ref.st_read(p)
            close(got["a.weight"], a, f"safetensors {dt} round trip a", 0)
            close(got["b"], b, f"safetensors {dt} round trip b", 0)
            with open(p, "rb") as f:
                n = int.from_bytes(f.read(8), "little")
            check((8 + n) % 8 == 0, f"safetensors {dt}: data section aligned")


def test_conv_vs_torch():
    # symmetric cases against nn.ConvNd, including padding_mode and groups
    cases = [
        (2, 3, 4, (8, 9), 3, 1, 1, 1, 1, "zeros", True),
        (2, 3, 4, (8, 9), 3, 2, 1, 1, 1, "zeros", True),
        (2, 4, 6, (9, 9), 3, 1, 2, 2, 2, "zeros", False),
        (2, 3, 4, (7, 8), 3, 2, 1, 1, 1, "reflect", True),
        (2, 3, 4, (7, 8), 3, 1, 2, 1, 1, "replicate", True),
        (2, 3, 4, (7, 8), (3, 2), (2, 1), (1, 0), (1, 2), 1, "zeros", True),
        (1, 2, 3, (11,), 3, 2, 1, 2, 1, "zeros", True),
        (1, 2, 4, (11,), 5, 1, 2, 1, 2, "reflect", True),
        (3, 2, 3, (5, 6, 4), 3, 1, 1, 1, 1, "zeros", True),
        (3, 2, 2, (5, 6, 5), 2, 2, 1, 1, 1, "replicate", False),
    ]
    for n, C, out, I, k, s, p, d, g, mode, bias in cases:
        mod = [None, nn.Conv1d, nn.Conv2d, nn.Conv3d][n](
            C, out, k, stride=s, padding=p, dilation=d, groups=g, bias=bias, padding_mode=mode)
        x = RNG.uniform(-1, 1, (2, C) + I)
        lst = lambda v: v if isinstance(v, int) else "[" + ",".join(map(str, v)) + "]"
        src = (f"network t {{ input x[{C},{','.join(map(str, I))}]; conv{n}d c(out={out}, "
               f"kernel={lst(k)}, stride={lst(s)}, pad={lst(p)}, dilation={lst(d)}, groups={g}, "
               f"bias={'true' if bias else 'false'}, padding_mode={mode}); }}")
        t = {"c.weight": mod.weight.detach().numpy()}
        if bias:
            t["c.bias"] = mod.bias.detach().numpy()
        # ref rounds parameters to float32: give it float32-exact values
        with torch.no_grad():
            mod.weight.copy_(torch.tensor(f32(t["c.weight"])))
            if bias:
                mod.bias.copy_(torch.tensor(f32(t["c.bias"])))
        want = mod(torch.tensor(x)).detach().numpy()
        close(run(src, x, t), want, f"conv{n}d k={k} s={s} p={p} d={d} g={g} {mode} vs nn")


def test_conv_asym_and_same():
    # 2*dims pad lists and `same` (stride 1 and 2) against naive loops,
    # and `same` stride 1 against torch's own padding='same'
    for n, I, k, s, d, pad, mode in [
        (2, (7, 8), 3, 1, 1, [0, 1, 2, 1], "zeros"),
        (2, (7, 8), 3, 2, 1, [1, 0, 0, 2], "reflect"),
        (2, (7, 8), (2, 3), 1, 1, [1, 2, 0, 1], "replicate"),
        (2, (7, 8), 4, 1, 1, "same", "zeros"),
        (2, (7, 8), 3, 2, 1, "same", "zeros"),
        (2, (8, 8), 4, 2, 1, "same", "reflect"),
        (2, (7, 9), 3, (2, 3), 2, "same", "zeros"),
        (1, (10,), 4, 3, 1, "same", "replicate"),
        (1, (10,), 3, 1, 1, [2, 0], "zeros"),
        (3, (4, 5, 6), 2, 2, 1, "same", "zeros"),
        (2, (6, 6), 3, 1, 1, "valid", "zeros"),
    ]:
        C, out = 2, 3
        K = ref.per_dim(k if isinstance(k, int) else list(k), n, "k", "t")
        S = ref.per_dim(s if isinstance(s, int) else list(s), n, "s", "t")
        D = [d] * n
        x = RNG.uniform(-1, 1, (1, C) + I)
        w = f32(RNG.uniform(-1, 1, [out, C] + K))
        b = f32(RNG.uniform(-1, 1, [out]))
        if pad == "same":
            # same: O = ceil(I/S), total = max((O-1)S + D(K-1) + 1 - I, 0), odd extra at end
            pb, pe = [], []
            for i in range(n):
                o = -(-I[i] // S[i])
                tot = max((o - 1) * S[i] + D[i] * (K[i] - 1) + 1 - I[i], 0)
                pb.append(tot // 2)
                pe.append(tot - tot // 2)
            ptxt = "same"
        elif pad == "valid":
            pb = pe = [0] * n
            ptxt = "valid"
        else:
            pb, pe = pad[:n], pad[n:]
            ptxt = "[" + ",".join(map(str, pad)) + "]"
        src = (f"network t {{ input x[{C},{','.join(map(str, I))}]; conv{n}d c(out={out}, "
               f"kernel=[{','.join(map(str, K))}], stride=[{','.join(map(str, S))}], "
               f"dilation={d}, pad={ptxt}, padding_mode={mode}); }}")
        got = run(src, x, {"c.weight": w, "c.bias": b})[0]
        want = naive_conv(x[0], w, b, S, D, pb, pe, 1, mode)
        close(got, want, f"conv{n}d I={I} k={k} s={s} d={d} pad={pad} {mode} vs loops")
        if pad == "same":
            for i in range(n):
                check(got.shape[1 + i] == -(-I[i] // S[i]), f"same: O = ceil(I/S) {I} {s}")
            if all(v == 1 for v in S):
                m = [None, nn.Conv1d, nn.Conv2d, nn.Conv3d][n](
                    C, out, K, dilation=d, padding="same", padding_mode=mode)
                with torch.no_grad():
                    m.weight.copy_(torch.tensor(w))
                    m.bias.copy_(torch.tensor(b))
                close(got, m(torch.tensor(x))[0].detach().numpy(),
                      f"conv{n}d same k={k} d={d} vs nn padding='same'")


def test_depthwise_separable_local():
    C, I = 3, (7, 6)
    x = RNG.uniform(-1, 1, (2, C) + I)
    # depthwise multiplier 2 == nn.Conv2d(groups=C, out=2C)
    m = nn.Conv2d(C, 2 * C, 3, stride=2, padding=1, groups=C, padding_mode="reflect")
    w, b = f32(m.weight.detach()), f32(m.bias.detach())
    with torch.no_grad():
        m.weight.copy_(torch.tensor(w))
        m.bias.copy_(torch.tensor(b))
    src = ("network t { input x[3,7,6]; depthwise_conv2d dw(kernel=3, multiplier=2, stride=2, "
           "pad=1, padding_mode=reflect); }")
    close(run(src, x, {"dw.weight": w, "dw.bias": b}), m(torch.tensor(x)).detach().numpy(),
          "depthwise multiplier 2 vs nn")
    # separable = depthwise (no bias) then 1x1
    dw = f32(RNG.uniform(-1, 1, (C, 1, 3, 3)))
    pw = f32(RNG.uniform(-1, 1, (4, C, 1, 1)))
    pb = f32(RNG.uniform(-1, 1, (4,)))
    src = "network t { input x[3,7,6]; separable_conv2d s(out=4, kernel=3, pad=same, stride=2); }"
    got = run(src, x, {"s.depthwise.weight": dw, "s.pointwise.weight": pw, "s.pointwise.bias": pb})
    for bi in range(2):
        # same, stride 2: O = 4,3; totals = 2,1 -> pads (1,1), (0,1)
        mid = naive_conv(x[bi], dw, None, [2, 2], [1, 1], [1, 0], [1, 1], C)
        want = naive_conv(mid, pw, pb, [1, 1], [1, 1], [0, 0], [0, 0], 1)
        close(got[bi], want, "separable same stride 2 vs loops")
    # local2d, symmetric and asymmetric pad
    for pad, pbe in [(0, ([0, 0], [0, 0])), (1, ([1, 1], [1, 1])),
                     ("[1,0,0,2]", ([1, 0], [0, 2]))]:
        pb_, pe_ = pbe
        OH = (I[0] + pb_[0] + pe_[0] - 3) // 2 + 1
        OW = (I[1] + pb_[1] + pe_[1] - 2) // 1 + 1
        w = f32(RNG.uniform(-1, 1, (2, OH, OW, C, 3, 2)))
        b = f32(RNG.uniform(-1, 1, (2, OH, OW)))
        src = f"network t {{ input x[3,7,6]; local2d l(out=2, kernel=[3,2], stride=[2,1], pad={pad}); }}"
        got = run(src, x, {"l.weight": w, "l.bias": b})
        for bi in range(2):
            close(got[bi], naive_local2d(x[bi], w, b, [2, 1], pb_, pe_), f"local2d pad={pad}")


def naive_conv_transpose(x, w, b, S, D, pb, pe, op, groups):
    """x [C, *I], w [C, out/g, *K] -> [out, *O]: each input scattered into the
    full output, then cropped by pb at the start and pe at the end."""
    C, I = x.shape[0], x.shape[1:]
    og, K = w.shape[1], w.shape[2:]
    n, cg = len(I), C // groups
    full = [(I[d] - 1) * S[d] + D[d] * (K[d] - 1) + 1 + op[d] for d in range(n)]
    y = np.zeros([og * groups] + full)
    for c in range(C):
        g = c // cg
        for pos in itertools.product(*[range(i) for i in I]):
            for j in range(og):
                for kk in itertools.product(*[range(k) for k in K]):
                    q = tuple(pos[d] * S[d] + kk[d] * D[d] for d in range(n))
                    y[(g * og + j,) + q] += x[(c,) + pos] * w[(c, j) + kk]
    if b is not None:
        y += np.asarray(b).reshape([-1] + [1] * n)
    return y[(slice(None),) + tuple(slice(pb[d], full[d] - pe[d]) for d in range(n))]


def test_conv_transpose():
    # symmetric padding against nn.ConvTransposeNd, asymmetric against loops
    lst = lambda v: v if isinstance(v, int) else "[" + ",".join(map(str, v)) + "]"
    for n, C, out, I, k, s, p, op, d, g, bias in [
        (1, 3, 4, (7,), 3, 2, 1, 1, 1, 1, True),
        (2, 4, 6, (5, 6), 3, 2, 1, 1, 1, 2, True),
        (2, 3, 3, (4, 5), (2, 3), (3, 2), (0, 1), (2, 0), (1, 2), 3, False),
        (2, 2, 4, (5, 4), 3, 1, 2, 1, 2, 1, True),
        (3, 2, 3, (3, 4, 3), 3, 2, 1, (1, 0, 1), 1, 1, True),
    ]:
        mod = [None, nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d][n](
            C, out, k, stride=s, padding=p, output_padding=op, dilation=d, groups=g, bias=bias)
        x = RNG.uniform(-1, 1, (2, C) + I)
        src = (f"network t {{ input x[{C},{','.join(map(str, I))}]; conv_transpose{n}d c(out={out}, "
               f"kernel={lst(k)}, stride={lst(s)}, pad={lst(p)}, output_padding={lst(op)}, "
               f"dilation={lst(d)}, groups={g}, bias={'true' if bias else 'false'}); }}")
        t = {"c.weight": f32(mod.weight.detach().numpy())}
        if bias:
            t["c.bias"] = f32(mod.bias.detach().numpy())
        with torch.no_grad():
            mod.weight.copy_(torch.tensor(t["c.weight"]))
            if bias:
                mod.bias.copy_(torch.tensor(t["c.bias"]))
        want = mod(torch.tensor(x)).detach().numpy()
        close(run(src, x, t), want, f"conv_transpose{n}d k={k} s={s} p={p} op={op} d={d} g={g} vs nn")
    for n, C, out, I, K, S, D, pad, op, g in [
        (1, 2, 3, (5,), [3], [2], [1], [2, 0], [1], 1),
        (2, 4, 2, (3, 4), [3, 2], [2, 3], [1, 1], [0, 1, 2, 0], [1, 2], 2),
        (2, 2, 2, (4, 3), [2, 3], [1, 2], [2, 1], [3, 0, 0, 2], [1, 0], 1),
    ]:
        x = RNG.uniform(-1, 1, (1, C) + I)
        w = f32(RNG.uniform(-1, 1, [C, out // g] + K))
        b = f32(RNG.uniform(-1, 1, [out]))
        src = (f"network t {{ input x[{C},{','.join(map(str, I))}]; conv_transpose{n}d c(out={out}, "
               f"kernel={lst(K)}, stride={lst(S)}, pad={lst(pad)}, output_padding={lst(op)}, "
               f"dilation={lst(D)}, groups={g}); }}")
        want = naive_conv_transpose(x[0], w, b, S, D, pad[:n], pad[n:], op, g)
        close(run(src, x, {"c.weight": w, "c.bias": b})[0], want,
              f"conv_transpose{n}d I={I} K={K} S={S} D={D} pad={pad} op={op} g={g} vs loops")


def test_pool_vs_torch():
    cnt = 0
    for n in (1, 2, 3):
        sizes = {1: [(9,), (10,), (5,)], 2: [(7, 8), (5, 5), (6, 9)], 3: [(5, 4, 6)]}[n]
        for I in sizes:
            for k, s, p, d, ceil, cip in itertools.product(
                    (2, 3), (1, 2, 3), (0, 1), (1, 2), (False, True), (False, True)):
                if p > k // 2 or (n == 3 and s == 1):
                    continue
                x = RNG.uniform(-1, 1, (2, 3) + I)
                kk = ",".join(map(str, [k] * n))
                for kind in ("max", "avg"):
                    if kind == "avg" and d != 1:
                        continue
                    dd = f", dilation={d}" if kind == "max" else ""
                    src = (f"network t {{ input x[3,{','.join(map(str, I))}]; "
                           f"{kind}pool{n}d(kernel=[{kk}], stride={s}, pad={p}{dd}, "
                           f"ceil_mode={str(ceil).lower()}, "
                           f"count_include_pad={str(cip).lower()}); }}")
                    try:
                        if kind == "max":
                            m = [None, nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d][n](
                                k, s, p, dilation=d, ceil_mode=ceil)
                        else:
                            m = [None, nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d][n](
                                k, s, p, ceil_mode=ceil, count_include_pad=cip)
                        want = m(torch.tensor(x)).numpy()
                    except RuntimeError:
                        continue   # torch rejects (output size < 1)
                    got = run(src, x)
                    close(got, want, f"{src} vs nn")
                    cnt += 1
    check(cnt > 300, f"pool cases compared: {cnt}")
    # the reference's example: I=5, k=2, s=2, pad=1, ceil -> 3 (the 4th would start in the pad)
    x = RNG.uniform(-1, 1, (1, 1, 5))
    for kind, m in (("max", nn.MaxPool1d(2, 2, 1, ceil_mode=True)),
                    ("avg", nn.AvgPool1d(2, 2, 1, ceil_mode=True))):
        got = run(f"network t {{ input x[1,5]; {kind}pool1d(kernel=2, pad=1, ceil_mode=true); }}", x)
        check(got.shape == (1, 1, 3), f"{kind}pool ceil drop: shape {got.shape}")
        close(got, m(torch.tensor(x)).numpy(), f"{kind}pool ceil drop vs nn")


def test_pool_asym():
    for n, I, k, s, d, pb, pe, ceil in [
        (2, (7, 8), 3, 2, 1, [1, 0], [0, 1], False),
        (2, (7, 8), 3, 2, 1, [0, 1], [1, 1], True),
        (2, (6, 6), 2, 2, 1, [1, 1], [0, 0], True),
        (1, (9,), 3, 2, 2, [0], [2], True),
        (1, (5,), 2, 2, 1, [1], [0], True),
        (3, (4, 5, 5), 2, 2, 1, [0, 1, 0], [1, 0, 1], True),
    ]:
        x = RNG.uniform(-1, 1, (1, 2) + I)
        ptxt = ",".join(map(str, pb + pe))
        for kind in ("max", "avg"):
            for cip in (True, False):
                if kind == "max" and not cip:
                    continue
                dd = d if kind == "max" else 1
                src = (f"network t {{ input x[2,{','.join(map(str, I))}]; {kind}pool{n}d("
                       f"kernel={k}, stride={s}, pad=[{ptxt}], dilation={dd}, "
                       f"ceil_mode={str(ceil).lower()}, count_include_pad={str(cip).lower()}); }}")
                if kind == "avg":
                    src = src.replace(f", dilation={dd}", "")
                got = run(src, x)[0]
                want = naive_pool(x[0], kind, [k] * n, [s] * n, [dd] * n, pb, pe, ceil, cip)
                close(got, want, f"asym {src} vs loops")
    # `same` for a pool (output = ceil(I/S))
    x = RNG.uniform(-1, 1, (1, 1, 7, 7))
    got = run("network t { input x[1,7,7]; maxpool2d(kernel=2, pad=same); }", x)
    close(got[0], naive_pool(x[0], "max", [2, 2], [2, 2], [1, 1], [0, 0], [1, 1], False, True),
          "maxpool same")


def test_norms():
    x = RNG.uniform(-1, 1, (3, 4, 5, 6))
    w, b = f32(RNG.uniform(0.5, 1.5, 4)), f32(RNG.uniform(-.5, .5, 4))
    rm, rv = f32(RNG.uniform(-.5, .5, 4)), f32(RNG.uniform(.5, 2, 4))
    bn = nn.BatchNorm2d(4, eps=1e-3).eval()
    with torch.no_grad():
        bn.weight.copy_(torch.tensor(w))
        bn.bias.copy_(torch.tensor(b))
        bn.running_mean.copy_(torch.tensor(rm))
        bn.running_var.copy_(torch.tensor(rv))
    t = {"n.weight": w, "n.bias": b, "n.running_mean": rm, "n.running_var": rv}
    close(run("network t { input x[4,5,6]; batchnorm n(eps=1e-3); }", x, t),
          bn(torch.tensor(x)).detach().numpy(), "batchnorm2d vs nn (eval)")
    # inline statistics
    src = ("network t { input x[4,5,6]; batchnorm n(eps=1e-3, weight=[%s], bias=[%s], "
           "running_mean=[%s], running_var=[%s]); }" %
           tuple(",".join(repr(float(v)) for v in a) for a in (w, b, rm, rv)))
    close(run(src, x, {}), bn(torch.tensor(x)).detach().numpy(), "batchnorm inline params")
    # vector [N]: N channels of size 1, like BatchNorm1d on features
    v = RNG.uniform(-1, 1, (5, 4))
    close(run("network t { input x[4]; batchnorm n(eps=1e-3); }", v, t),
          _bn1d(bn, v), "batchnorm on a vector")
    # instancenorm, with and without affine
    inn = nn.InstanceNorm2d(4, affine=True)
    with torch.no_grad():
        inn.weight.copy_(torch.tensor(w))
        inn.bias.copy_(torch.tensor(b))
    close(run("network t { input x[4,5,6]; instancenorm n(affine=true); }", x, t),
          inn(torch.tensor(x)).detach().numpy(), "instancenorm affine vs nn")
    close(run("network t { input x[4,5,6]; instancenorm n; }", x, {}),
          nn.InstanceNorm2d(4)(torch.tensor(x)).numpy(), "instancenorm vs nn")
    close(run("network t { input x[4,9]; instancenorm n; }", x.reshape(3, 4, 30)[:, :, :9].copy(), {}),
          nn.InstanceNorm1d(4)(torch.tensor(x.reshape(3, 4, 30)[:, :, :9].copy())).numpy(),
          "instancenorm 1d vs nn")
    # groupnorm
    gn = nn.GroupNorm(2, 4, eps=1e-4)
    with torch.no_grad():
        gn.weight.copy_(torch.tensor(w))
        gn.bias.copy_(torch.tensor(b))
    close(run("network t { input x[4,5,6]; groupnorm n(groups=2, eps=1e-4); }", x, t),
          gn(torch.tensor(x)).detach().numpy(), "groupnorm vs nn")
    close(run("network t { input x[4,5,6]; groupnorm n(groups=4, affine=false); }", x, {}),
          nn.GroupNorm(4, 4, affine=False)(torch.tensor(x)).numpy(), "groupnorm no affine")
    close(run("network t { input x[4]; groupnorm n(groups=2, affine=false); }", v, {}),
          nn.GroupNorm(2, 4, affine=False)(torch.tensor(v)).numpy(), "groupnorm on a vector")
    # layernorm over the whole per-sample shape
    lw, lb = f32(RNG.uniform(.5, 1.5, (4, 5, 6))), f32(RNG.uniform(-.5, .5, (4, 5, 6)))
    ln = nn.LayerNorm([4, 5, 6])
    with torch.no_grad():
        ln.weight.copy_(torch.tensor(lw))
        ln.bias.copy_(torch.tensor(lb))
    close(run("network t { input x[4,5,6]; layernorm n; }", x, {"n.weight": lw, "n.bias": lb}),
          ln(torch.tensor(x)).detach().numpy(), "layernorm vs nn")
    close(run("network t { input x[4]; layernorm n(affine=false); }", v, {}),
          nn.LayerNorm(4, elementwise_affine=False)(torch.tensor(v)).numpy(), "layernorm vector")


def _bn1d(bn2d, v):
    m = nn.BatchNorm1d(4, eps=1e-3).eval()
    m.load_state_dict(bn2d.state_dict())
    return m(torch.tensor(v)).detach().numpy()


def test_local_response_norm():
    """docs/language.md: x / (k + alpha/size * sum of squares over channels
    c - size//2 .. c + (size-1)//2, those outside the input 0)^beta"""
    v = RNG.uniform(-2, 2, (2, 6, 3, 4))
    for size, alpha, beta, k in [(5, 0.01, 0.75, 2.0), (4, 0.3, 0.6, 1.0), (1, 1e-4, 0.75, 1.0), (9, 0.5, 1.2, 0.5)]:
        want = np.zeros_like(v)
        for c in range(6):
            js = [j for j in range(c - size // 2, c + (size - 1) // 2 + 1) if 0 <= j < 6]
            want[:, c] = v[:, c] / (k + alpha / size * (v[:, js] ** 2).sum(1)) ** beta
        close(run(f"network t {{ input x[6,3,4]; local_response_norm(size={size}, alpha={alpha}, beta={beta}, "
                  f"k={k}); }}", v), want, f"local_response_norm size {size} vs the formula")


def test_activations_and_misc():
    x = RNG.uniform(-3, 8, (2, 3, 4, 5))
    X = torch.tensor(x)
    for op, mod in [("relu", nn.ReLU()), ("relu6", nn.ReLU6()), ("sigmoid", nn.Sigmoid()),
                    ("tanh", nn.Tanh()), ("abs", torch.abs), ("leaky_relu", nn.LeakyReLU()),
                    ("leaky_relu(alpha=0.2)", nn.LeakyReLU(0.2)), ("elu", nn.ELU()),
                    ("elu(alpha=0.5)", nn.ELU(0.5)), ("softmax", nn.Softmax(dim=1)),
                    ("log_softmax", nn.LogSoftmax(dim=1)), ("log_softmax(axis=-1)", nn.LogSoftmax(dim=-1)),
                    ("dropout(p=0.3)", lambda t: t), ("flatten", nn.Flatten()),
                    ("hardswish", nn.Hardswish()), ("hardsigmoid", nn.Hardsigmoid()),
                    ("silu", nn.SiLU()), ("mish", nn.Mish()), ("gelu", nn.GELU()),
                    ("gelu(approximate=none)", nn.GELU()),
                    ("gelu(approximate=tanh)", nn.GELU(approximate="tanh")),
                    ("clip", lambda t: t), ("clip(min=-1.5)", lambda t: torch.clamp(t, min=-1.5)),
                    ("clip(max=2)", lambda t: torch.clamp(t, max=2.0)),
                    ("clip(min=-0.5, max=6.25)", nn.Hardtanh(-0.5, 6.25)),
                    ("clip(min=0, max=6)", nn.ReLU6())]:
        close(run(f"network t {{ input x[3,4,5]; {op}; }}", x), mod(X).numpy(), f"{op} vs nn")
    close(run("network t { input x[3,4,5]; abs; sqrt; }", x), np.sqrt(np.abs(x)), "sqrt")
    v = RNG.uniform(-2, 2, (2, 7))
    close(run("network t { input x[7]; softmax; }", v), nn.Softmax(1)(torch.tensor(v)).numpy(),
          "softmax on a vector")
    w, b = f32(RNG.uniform(-1, 1, (3, 60))), f32(RNG.uniform(-1, 1, 3))
    close(run("network t { input x[3,4,5]; flatten; dense d(out=3); }", x, {"d.weight": w, "d.bias": b}),
          x.reshape(2, 60) @ w.T + b, "flatten + dense")
    close(run("network t { input x[3,4,5]; flatten; dense d(out=3, bias=false); }", x, {"d.weight": w}),
          x.reshape(2, 60) @ w.T, "dense without bias")
    src = "network t { input x[3,4,5]; relu a(x); tanh b(x); abs c(x); %s(a, b, c); }"
    close(run(src % "add", x), np.maximum(x, 0) + np.tanh(x) + np.abs(x), "add of 3")
    close(run(src % "mul", x), np.maximum(x, 0) * np.tanh(x) * np.abs(x), "mul of 3")
    close(run(src % "concat", x), np.concatenate([np.maximum(x, 0), np.tanh(x), np.abs(x)], 1),
          "concat channels")
    # comparisons as 1 or 0, where by a nonzero condition, broadcast; the rounding family
    src = ("network t { input x[3,4,5]; constant k(shape=[5], value=[-1, -0.5, 0, 0.5, 1]); %s }")
    for op, fn in (("greater", np.greater), ("less", np.less), ("greater_equal", np.greater_equal),
                   ("less_equal", np.less_equal), ("equal", np.equal), ("not_equal", np.not_equal)):
        close(run(src % f"{op}(x, k);", x), fn(x, [-1, -0.5, 0, 0.5, 1]).astype(np.float64), op)
    close(run(src % "tanh t(x); where(k, x, t);", x), np.where(np.array([-1, -0.5, 0, 0.5, 1]) != 0, x, np.tanh(x)),
          "where")
    r = np.round(x * 4) / 2   # halves among them
    for op, fn in (("sign", np.sign), ("floor", np.floor), ("ceil", np.ceil), ("round", np.round),
                   ("sin", np.sin), ("cos", np.cos)):
        close(run(f"network t {{ input x[3,4,5]; {op}; }}", r), fn(r), op)
    close(run("network t { input x[3,4,5]; erf; }", x), np.vectorize(math.erf)(x), "erf")
    close(run("network t { input x[3,4,5]; relu a(x); concat(a, x, axis=2); }", x),
          np.concatenate([np.maximum(x, 0), x], 3), "concat axis 2")
    close(run("network t { input x[3,4,5]; global_avgpool; }", x), x.mean((2, 3), keepdims=True),
          "global_avgpool")
    close(run("network t { input x[3,4,5]; global_maxpool; }", x), x.max((2, 3), keepdims=True),
          "global_maxpool")
    # pad layer
    for mode, npmode in [("zeros", "constant"), ("constant", "constant"), ("reflect", "reflect"),
                         ("replicate", "edge")]:
        got = run(f"network t {{ input x[3,4,5]; pad(pad=[1,2,0,3], mode={mode}); }}", x)
        close(got, np.pad(x, [(0, 0), (0, 0), (1, 0), (2, 3)], mode=npmode), f"pad {mode}")
    got = run("network t { input x[3,4,5]; pad(pad=1, mode=constant, value=-2.5); }", x)
    close(got, np.pad(x, [(0, 0), (0, 0), (1, 1), (1, 1)], constant_values=-2.5), "pad value")
    got = run("network t { input x[3,7]; pad(pad=[2], mode=reflect); }", x.reshape(2, 3, 20)[:, :, :7])
    close(got, np.pad(x.reshape(2, 3, 20)[:, :, :7], [(0, 0), (0, 0), (2, 2)], mode="reflect"),
          "pad 1d reflect")


def naive_linear_1d(x, O, step, align):
    """docs/language.md: source (o + 0.5) * step - 0.5 clamped at 0 (o * step with
    align_corners), the two inputs around it blended."""
    I = x.shape[-1]
    y = np.zeros(x.shape[:-1] + (O,))
    for o in range(O):
        r = o * step if align else max((o + 0.5) * step - 0.5, 0.0)
        i0 = min(int(math.floor(r)), I - 1)
        i1 = min(i0 + 1, I - 1)
        lam = r - i0
        y[..., o] = (1 - lam) * x[..., i0] + lam * x[..., i1]
    return y


def naive_adaptive(x, out, kind):
    """docs/language.md: window [floor(o*I/O), ceil((o+1)*I/O)) per dimension."""
    n = len(out)
    I = x.shape[-n:]
    y = np.zeros(x.shape[:-n] + tuple(out))
    for o in itertools.product(*[range(k) for k in out]):
        sl = tuple(slice(o[d] * I[d] // out[d], -(-(o[d] + 1) * I[d] // out[d])) for d in range(n))
        win = x[(Ellipsis,) + sl].reshape(x.shape[:-n] + (-1,))
        y[(Ellipsis,) + o] = win.max(-1) if kind == "max" else win.mean(-1)
    return y


def test_resampling():
    x = RNG.uniform(-1, 1, (2, 3, 5, 7))
    X = torch.tensor(x)
    modes = {1: "linear", 2: "bilinear", 3: "trilinear"}
    for dims, shape in [(1, (2, 3, 7)), (2, (2, 3, 5, 7)), (3, (2, 3, 4, 5, 6))]:
        v = RNG.uniform(-1, 1, shape)
        V = torch.tensor(v)
        sp = ",".join(str(d) for d in shape[1:])
        for s in [2, 1.5, 0.7, 2.3]:
            close(run(f"network t {{ input x[{sp}]; upsample(scale={s}); }}", v),
                  nn.Upsample(scale_factor=s)(V).numpy(), f"upsample {dims}-D nearest scale {s} vs nn")
            for ac in ("true", "false"):
                close(run(f"network t {{ input x[{sp}]; upsample(scale={s}, mode=linear, "
                          f"align_corners={ac}); }}", v),
                      nn.Upsample(scale_factor=s, mode=modes[dims], align_corners=ac == "true")(V).numpy(),
                      f"upsample {dims}-D linear scale {s} align_corners={ac} vs nn")
    for O, s, ac in [(14, 2.0, False), (11, 1.6, False), (4, 0.6, False), (12, 1.75, True), (1, 0.2, True)]:
        v = RNG.uniform(-1, 1, (2, 3, 7))
        step = (6 / (O - 1) if O > 1 else 0.0) if ac else 1 / s
        close(run(f"network t {{ input x[3,7]; upsample(scale={s}, mode=linear, align_corners={str(ac).lower()}); }}", v),
              naive_linear_1d(v, O, step, ac), f"upsample linear scale {s} align_corners={ac} vs the formula")
    # ONNX's coordinate modes: half_pixel and align_corners are PyTorch's linear,
    # asymmetric linear the formula, half_pixel with round_prefer_ceil nearest-exact
    for dims, shape in [(1, (2, 3, 7)), (2, (2, 3, 5, 7))]:
        v = RNG.uniform(-1, 1, shape)
        V = torch.tensor(v)
        sp = ",".join(str(d) for d in shape[1:])
        for s in [2, 1.5, 0.7]:
            for co, ac in (("half_pixel", False), ("align_corners", True)):
                close(run(f"network t {{ input x[{sp}]; upsample(scale={s}, mode=linear, coordinates={co}); }}", v),
                      nn.Upsample(scale_factor=s, mode=modes[dims], align_corners=ac)(V).numpy(),
                      f"upsample {dims}-D linear scale {s} coordinates={co} vs nn")
            close(run(f"network t {{ input x[{sp}]; upsample(scale={s}, coordinates=half_pixel, "
                      f"rounding=round_prefer_ceil); }}", v),
                  nn.Upsample(scale_factor=s, mode="nearest-exact")(V).numpy(),
                  f"upsample {dims}-D nearest scale {s} half_pixel round_prefer_ceil vs nearest-exact")
    for O, s in [(14, 2.0), (11, 1.6), (4, 0.6)]:
        v = RNG.uniform(-1, 1, (2, 3, 7))
        close(run(f"network t {{ input x[3,7]; upsample(scale={s}, mode=linear, coordinates=asymmetric); }}", v),
              naive_linear_1d(v, O, 1 / s, True), f"upsample linear scale {s} asymmetric vs the formula")
    # nearest by ONNX's rounding modes, against the definition (4 -> 2 by half_pixel: ties)
    for I, O, co, rnd, idx in [(7, 3, "half_pixel", "round_prefer_floor", [1, 3, 5]),
                               (4, 8, "half_pixel", "round_prefer_floor", [0, 0, 1, 1, 2, 2, 3, 3]),
                               (4, 2, "half_pixel", "round_prefer_floor", [0, 2]),
                               (4, 2, "half_pixel", "round_prefer_ceil", [1, 3]),
                               (4, 8, "asymmetric", "ceil", [0, 1, 1, 2, 2, 3, 3, 3]),
                               (4, 8, "tf_half_pixel_for_nn", "floor", [0, 0, 1, 1, 2, 2, 3, 3]),
                               (4, 3, "align_corners", "round_prefer_floor", [0, 1, 3]),
                               (4, 3, "pytorch_half_pixel", "floor", [0, 1, 2]),
                               (4, 1, "pytorch_half_pixel", "floor", [0])]:
        v = RNG.uniform(-1, 1, (1, 2, I))
        close(run(f"network t {{ input x[2,{I}]; upsample(size={O}, coordinates={co}, rounding={rnd}); }}", v),
              v[..., idx], f"upsample nearest size {I} -> {O} {co} {rnd} vs the definition")
    # nearest with a size: PyTorch's float32 kernel, floor(o * (float)(I/O)) in float
    for I, O in [(14, 46), (26, 22), (7, 3), (5, 12)]:
        v = RNG.uniform(-1, 1, (1, 2, I))
        got = run(f"network t {{ input x[2,{I}]; upsample(size={O}); }}", v)
        sc = np.float32(np.float32(I) / np.float32(O))
        idx = [min(int(math.floor(np.float32(np.float32(o) * sc))), I - 1) for o in range(O)]
        close(got, v[..., idx], f"upsample nearest size {I} -> {O} vs the float32 formula")
        close(got, nn.Upsample(size=O)(torch.tensor(v, dtype=torch.float32)).double().numpy(),
              f"upsample nearest size {I} -> {O} vs nn in float32", 1e-6)
    close(run("network t { input x[3,5,7]; upsample(size=[9, 4]); }", x),
          nn.Upsample(size=(9, 4))(X.float()).double().numpy(), "upsample nearest 2-D size vs nn", 1e-6)
    for kind, mods in [("avg", {1: nn.AdaptiveAvgPool1d, 2: nn.AdaptiveAvgPool2d, 3: nn.AdaptiveAvgPool3d}),
                       ("max", {1: nn.AdaptiveMaxPool1d, 2: nn.AdaptiveMaxPool2d, 3: nn.AdaptiveMaxPool3d})]:
        for shape, out in [((2, 3, 10), [4]), ((2, 3, 10), [13]), ((2, 3, 9, 7), [4, 11]), ((2, 3, 9, 7), [1, 1]),
                           ((2, 2, 5, 6, 7), [2, 4, 3]), ((2, 2, 5, 6, 7), [7, 1, 9])]:
            n = len(out)
            v = RNG.uniform(-1, 1, shape)
            src = (f"network t {{ input x[{','.join(str(d) for d in shape[1:])}]; "
                   f"adaptive_{kind}pool{n}d(out=[{', '.join(str(o) for o in out)}]); }}")
            got = run(src, v)
            close(got, mods[n](tuple(out))(torch.tensor(v)).numpy(), f"adaptive_{kind}pool{n}d {out} vs nn")
            close(got, naive_adaptive(v, out, kind), f"adaptive_{kind}pool{n}d {out} vs loops")
def test_move_layers():
    """slice, channel_shuffle, reshape, transpose, the reductions and constant against
    numpy's slicing, reshapes, transposes and reductions, and torch.nn.ChannelShuffle."""
    x = RNG.uniform(-3, 3, (2, 6, 4, 5))
    X = torch.tensor(x)
    for attrs, want in [("", x), ("start=1, end=4", x[:, 1:4]), ("axis=-1, start=-4, end=-1", x[..., -4:-1]),
                        ("axis=1, start=1, step=2", x[:, :, 1::2]), ("axis=2, end=100, step=3", x[..., ::3]),
                        ("start=-100, end=-2, step=2", x[:, -100:-2:2]), ("step=-1", x[:, ::-1]),
                        ("axis=1, start=2, step=-2", x[:, :, 2::-2]), ("axis=2, start=100, end=-100, step=-3", x[..., ::-3]),
                        ("axis=-1, start=-2, end=0, step=-1", x[..., -2:0:-1])]:
        close(run(f"network t {{ input x[6,4,5]; slice({attrs}); }}", x), want, f"slice({attrs})")
    for g in (1, 2, 3, 6):
        close(run(f"network t {{ input x[6,4,5]; channel_shuffle(groups={g}); }}", x),
              nn.ChannelShuffle(g)(X).numpy(), f"channel_shuffle({g}) vs nn")
    naive = np.stack([x[:, (c % 3) * 2 + c // 3] for c in range(6)], 1)
    close(run("network t { input x[6,4,5]; channel_shuffle(groups=3); }", x), naive, "channel_shuffle by index")
    for shape, want in [("[-1]", (2, 120)), ("[5, -1, 2]", (2, 5, 12, 2)), ("[2, 3, 4, 5]", (2, 2, 3, 4, 5))]:
        close(run(f"network t {{ input x[6,4,5]; reshape(shape={shape}); }}", x), x.reshape(want),
              f"reshape {shape}")
    for perm in ([0, 1, 2], [2, 0, 1], [1, 2, 0], [-1, -2, -3], [0, 2, 1]):
        axes = [0] + [(a % 3) + 1 for a in perm]
        close(run(f"network t {{ input x[6,4,5]; transpose(perm={perm}); }}", x), np.transpose(x, axes),
              f"transpose {perm}")
    for op, fn in [("reduce_mean", np.mean), ("reduce_max", np.max), ("reduce_min", np.min), ("reduce_sum", np.sum)]:
        close(run(f"network t {{ input x[6,4,5]; {op}; }}", x), fn(x, axis=(1, 2, 3), keepdims=True), f"{op} all")
        close(run(f"network t {{ input x[6,4,5]; {op}(keepdims=false); }}", x), fn(x, axis=(1, 2, 3)).reshape(2, 1),
              f"{op} all, no axis left: [1]")
        close(run(f"network t {{ input x[6,4,5]; {op}(axes=[0, -1], keepdims=false); }}", x), fn(x, axis=(1, 3)),
              f"{op} axes 0 and -1")
        close(run(f"network t {{ input x[6,4,5]; {op}(axes=1); }}", x), fn(x, axis=2, keepdims=True), f"{op} axis 1")
    v = f32(RNG.uniform(-1, 1, (6, 4, 5)))
    close(run("network t { input x[6,4,5]; constant k(shape=[6,4,5]); add(x, k); }", x, {"k.value": v}),
          x + v, "constant from a file")
    close(run("network t { input x[2]; constant k(shape=[1, 2], value=[[1.5, -2]]); concat(k, k); }", x[:, 0, 0, :2]),
          np.tile([1.5, -2.0], (2, 2, 1)), "constant inline, batch of 2")
def naive_bcast(fn, *ts):
    """NumPy broadcasting of per-sample shapes, by hand: each sample's element
    at output index i reads each input at i with the axes it lacks or has as
    1 held at 0 (aligned at the last axis)."""
    B = ts[0].shape[0]
    shapes = [t.shape[1:] for t in ts]
    rank = max(len(s) for s in shapes)
    out = [max((s[len(s) - rank + d] if d >= rank - len(s) else 1) for s in shapes) for d in range(rank)]
    y = np.zeros([B] + out)
    for b in range(B):
        for i in itertools.product(*[range(n) for n in out]):
            vals = []
            for t, s in zip(ts, shapes):
                j = tuple(0 if s[d] == 1 else i[rank - len(s) + d] for d in range(len(s)))
                vals.append(t[(b,) + j])
            v = vals[0]
            for w in vals[1:]:
                v = fn(v, w)
            y[(b,) + i] = v
    return y


def test_broadcast_and_prelu():
    nanmax = lambda a, b: a if a > b or math.isnan(a) else b     # torch.maximum
    nanmin = lambda a, b: a if a < b or math.isnan(a) else b
    x = RNG.uniform(-1, 1, (2, 3, 4, 5))
    x[0, 1, 2, 3] = math.nan
    ops = {"add": lambda a, b: a + b, "mul": lambda a, b: a * b, "sub": lambda a, b: a - b,
           "div": lambda a, b: a / b, "max": nanmax, "min": nanmin}
    forms = [("global_avgpool b(x)", lambda t: t.mean((2, 3), keepdims=True)),      # [C,1,1]
             ("avgpool2d b(x, kernel=[4, 1])", lambda t: t.mean(2, keepdims=True)),  # [C,1,W]
             ("conv2d b(x, out=1, kernel=1, weight=[1, 1, 1], bias=[0])",            # [1,H,W]
              lambda t: t.sum(1, keepdims=True))]
    y = np.where(np.isnan(x), 0.5, x)
    for op, fn in ops.items():
        for layer, ref_fn in forms:
            b = ref_fn(y)
            src = f"network t {{ input x[3,4,5]; {layer}; {op}(x, b); }}"
            close(run(src, y), naive_bcast(fn, y, b), f"{op} [3,4,5] with {layer}")
            src = f"network t {{ input x[3,4,5]; {layer}; {op}(b, x); }}"
            close(run(src, y), naive_bcast(fn, b, y), f"{op} {layer} with [3,4,5]")
        two = f"network t {{ input x[3,4,5]; avgpool2d c(x, kernel=[4, 1]); avgpool2d r(x, kernel=[1, 5]); {op}(c, r); }}"
        close(run(two, y), naive_bcast(fn, y.mean(2, keepdims=True), y.mean(3, keepdims=True)),
              f"{op} [3,1,5] with [3,4,1]")
    # max and min of three, with a NaN: torch.maximum propagates it
    for op in ("max", "min"):
        got = run(f"network t {{ input x[3,4,5]; global_avgpool g(x); abs a(x); {op}(a, x, g); }}", x)
        exp = naive_bcast(ops[op], np.abs(x), x, x.mean((2, 3), keepdims=True))
        check(np.isnan(exp[0, 1]).all() and np.array_equal(np.isnan(got), np.isnan(exp)), f"{op} propagates NaN")
        close(np.nan_to_num(got), np.nan_to_num(exp), f"{op} of three")
    # [W] and [1] from dense layers, and a vector with [1]
    wd, od = f32(RNG.uniform(-1, 1, (5, 60))), f32(RNG.uniform(-1, 1, (1, 60)))
    t = {"w.weight": wd, "w.bias": np.zeros(5), "o.weight": od, "o.bias": np.zeros(1)}
    fl = y.reshape(2, 60)
    wv, ov = fl @ wd.T, fl @ od.T
    src = "network t { input x[3,4,5]; flatten f(x); dense w(f, out=5); dense o(f, out=1); %s; }"
    close(run(src % "sub(x, w)", y, t), naive_bcast(ops["sub"], y, wv), "sub [3,4,5] with [5]")
    close(run(src % "div(o, x)", y, t), naive_bcast(ops["div"], ov, y), "div [1] by [3,4,5]")
    close(run(src % "sub(w, o)", y, t), naive_bcast(ops["sub"], wv, ov), "sub [5] with [1]")
    # prelu against nn.PReLU, [C] and [1]
    pw = f32(RNG.uniform(0, 0.5, 3))
    m = nn.PReLU(3)
    m.weight.data = torch.tensor(pw)
    close(run("network t { input x[3,4,5]; prelu p; }", y, {"p.weight": pw}), m(torch.tensor(y)).detach().numpy(),
          "prelu [C] vs nn.PReLU(3)")
    m1 = nn.PReLU()
    m1.weight.data = torch.tensor([-0.75])
    close(run("network t { input x[3,4,5]; prelu p(weight=-0.75); }", y), m1(torch.tensor(y)).detach().numpy(),
          "prelu inline [1] vs nn.PReLU()")
    close(run("network t { input x[3,4,5]; prelu p; }", y, {"p.weight": f32([0.3])}),
          np.where(y > 0, y, f32(0.3) * y), "prelu [1] from a file")
    slopes = f32(np.arange(60) / 60.0)
    close(run("network t { input x[60]; prelu p; }", fl, {"p.weight": slopes}),
          np.where(fl > 0, fl, slopes * fl), "prelu on a vector: a slope per element")
    for bad in ["network t { input x[3,4,5]; sub(x, x, x); }",
                "network t { input x[3,4,5]; div(x); }"]:
        try:
            run(bad, y)
            check(False, f"error expected: {bad}")
        except ref.CnnError:
            check(True, "")


def test_activation_formulas():
    """The newer activations against the formulas of docs/language.md, written here with
    the math module, at the kinks (-3, 3), near 0 and far out on both sides."""
    pts = [-1000.0, -90.0, -30.0, -20.5, -10.0, -4.0, -3.0, -2.999, -1.0, -1e-3, 0.0, 1e-3,
           0.5, 2.999, 3.0, 3.001, 8.0, 19.5, 20.5, 30.0, 90.0, 1000.0]
    x = np.array([pts])
    relu6 = lambda v: min(max(v, 0.0), 6.0)
    sig = lambda v: 1.0 / (1.0 + math.exp(-v)) if v >= 0 else math.exp(v) / (1.0 + math.exp(v))
    softplus = lambda v: v + math.log1p(math.exp(-v)) if v > 0 else math.log1p(math.exp(v))
    k = math.sqrt(2.0 / math.pi)
    for op, fn in [
        ("hardswish", lambda v: v * relu6(v + 3.0) / 6.0),
        ("hardsigmoid", lambda v: relu6(v + 3.0) / 6.0),
        ("silu", lambda v: v * sig(v)),
        ("mish", lambda v: v * math.tanh(softplus(v))),
        ("gelu", lambda v: 0.5 * v * (1.0 + math.erf(v / math.sqrt(2.0)))),
        ("gelu(approximate=tanh)", lambda v: 0.5 * v * (1.0 + math.tanh(k * (v + 0.044715 * v ** 3)))),
        ("clip(min=-2.5, max=3.25)", lambda v: min(max(v, -2.5), 3.25)),
        ("clip(min=-2.5)", lambda v: max(v, -2.5)),
        ("clip(max=-1)", lambda v: min(v, -1.0)),
        ("clip(min=2, max=1)", lambda v: 1.0),           # torch.clamp: max wins
    ]:
        got = run(f"network t {{ input x[{len(pts)}]; {op}; }}", x)
        close(got, np.array([[fn(v) for v in pts]]), f"{op} vs its formula", 1e-12)
    # exp, log and fractional powers where they are finite
    pos = [1e-30, 1e-3, 0.25, 1.0, 2.5, 30.0, 80.0]
    for op, fn, at in [
        ("selu", lambda v: 1.0507009873554805 * (v if v > 0 else 1.6732632423543772 * math.expm1(v)), pts),
        ("celu(alpha=0.5)", lambda v: v if v > 0 else 0.5 * math.expm1(v / 0.5), pts),
        ("softplus", lambda v: v if v > 20 else math.log1p(math.exp(v)), pts),
        ("softplus(beta=2, threshold=5)", lambda v: v if 2 * v > 5 else math.log1p(math.exp(2 * v)) / 2, pts),
        ("exp", math.exp, [v for v in pts if v < 100] + pos),
        ("log", math.log, pos),
        ("pow(exponent=3)", lambda v: v ** 3, pts),
        ("pow(exponent=0.3)", lambda v: v ** 0.3, pos),
    ]:
        got = run(f"network t {{ input x[{len(at)}]; {op}; }}", np.array([at]))
        close(got, np.array([[fn(v) for v in at]]), f"{op} vs its formula", 1e-12)
    # the bounds are float32 numbers, as the generated code's
    got = run("network t { input x[1]; clip(min=0.1); }", np.array([[-1.0]]))
    close(got, f32([[0.1]]), "clip bound rounded to float32", 0)
    for bad in ["gelu(approximate=fast)", 'clip(min="a")', "clip(max=true)"]:
        try:
            run(f"network t {{ input x[4]; {bad}; }}", np.zeros((1, 4)))
            check(False, f"error expected: {bad}")
        except ref.CnnError:
            check(True, "")


def test_params_listing():
    src = open(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                            "cases", "lenet5.cnn")).read()
    net = ref.parse(src)
    p = ref.Params()
    y = ref.forward(net, torch.zeros((1,) + net.input_shape), p)
    check(p.requests == [("c1.weight", (20, 1, 5, 5)), ("c1.bias", (20,)),
                         ("c2.weight", (50, 20, 5, 5)), ("c2.bias", (50,)),
                         ("fc1.weight", (500, 2450)), ("fc1.bias", (500,)),
                         ("fc2.weight", (10, 500)), ("fc2.bias", (10,))],
          f"lenet5 parameters {p.requests}")
    check(tuple(y.shape) == (1, 10), "lenet5 output [10]")


def test_gen_roundtrip():
    """gen writes files that `run` reproduces exactly, for every dtype."""
    here = os.path.dirname(os.path.abspath(__file__))
    case = os.path.join(here, "cases", "residual_block.cnn")
    with tempfile.TemporaryDirectory() as d:
        for dt in ("F32", "F16", "BF16", "F64"):
            ref.gen_one(case, d, 5, 2, dt, None)
            exp = np.fromfile(os.path.join(d, "expected.bin"), "<f4")
            rc = ref.main(["run", case, "--weights", os.path.join(d, "weights.safetensors"),
                           "--input", os.path.join(d, "input.bin"),
                           "--out", os.path.join(d, "again.bin")])
            again = np.fromfile(os.path.join(d, "again.bin"), "<f4")
            check(rc == 0 and np.array_equal(exp, again), f"gen/run round trip {dt}")
            check(exp.size == 2 * 4 * 8 * 8, f"batch 2 expected size {exp.size}")


def test_cases_in_float32():
    """Every case, computed by torch in float32 from the same float32 weights
    and input, must pass compare.py against the float64 reference: the cases
    are well conditioned for rtol 1e-4 / atol 1e-5."""
    import glob
    import compare
    here = os.path.dirname(os.path.abspath(__file__))
    worst = (0.0, "")
    with tempfile.TemporaryDirectory() as d:
        for case in sorted(glob.glob(os.path.join(here, "cases", "*.cnn"))):
            name = os.path.basename(case)[:-4]
            net, _ = ref.gen_one(case, d, None, None, None, None)
            wpath = os.path.join(d, "weights.safetensors")
            tensors = ref.st_read(wpath) if os.path.exists(wpath) else {}
            x = np.fromfile(os.path.join(d, "input.bin"), "<f4")
            x = torch.tensor(x.reshape((-1,) + net.input_shape))
            ref.DTYPE = torch.float32
            try:
                y = ref.forward(net, x, ref.Params(file_tensors=tensors))
            finally:
                ref.DTYPE = torch.float64
            out = tuple(float(v) for v in y.reshape(-1).numpy())
            exp = compare.load(os.path.join(d, "expected.bin"))
            ok, msg = compare.compare(out, exp, 1e-4, 1e-5)
            check(ok, f"case {name} in float32: {msg}")
            r = float(msg.split("(")[-1].split(" x")[0]) if "x tolerance" in msg else 0.0
            worst = max(worst, (r, name))
    print(f"float32 torch vs reference: worst case {worst[1]} at {worst[0]:.3g} x tolerance")


def main():
    for name, fn in list(globals().items()):
        if name.startswith("test_"):
            fn()
    print(f"selftest: {COUNT[0] - len(FAILS)} passed, {len(FAILS)} failed")
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
