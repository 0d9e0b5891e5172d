#!/usr/bin/python3
"""The lecture's worked examples as golden numbers (tests/numeric/lecture/*.cnn).

Each golden value is checked three ways: against torch.nn.functional directly
(and, for convolutions, naive loops), against ref.py run on the .cnn file (its
inline weights), and against the code cnnc generates, built with every C
compiler found and run by harness.c (rtol 1e-4, atol 1e-5).

What torch (1.13, float64) gave, and whether the lecture's printed numbers agree:
(a) 1-D conv (3x5 accelerometer rows, kernel 3x3, stride 2, no pad):
    torch [3, -4]. The lecture prints [3, -4]: AGREES.
(b) 3-D conv, the lecture's numerical example (4x4x4 input, 3x3x3 kernel,
    no pad, stride 1): torch
        [[[-21, 21], [21, 28]], [[32, -67], [17, -29]]]   (indexed [d][h][w])
    The lecture prints [[[-21, 21], [13, 28]], [[32, -61], [17, -29]]]:
    two of the eight values are WRONG: Y(0,1,0) is 21 (not 13) and Y(1,0,1)
    is -67 (not -61). Its worked values Y(0,0,0) = -10 + 0 - 11 = -21 (the
    per-depth-slice partial sums agree too) and Y(0,0,1) = 21 are right.
(c) Pooling, the forward pass of the lecture's backpropagation example
    (X = [[1,3,2,1],[4,2,1,5],[2,0,3,1],[1,5,2,2]], 2x2, stride 2):
    torch max [[4, 5], [5, 3]], average [[2.5, 2.25], [2, 2]]. AGREES.
(d) Sobel: the lecture shows pictures, not numbers. Goldens worked out
    by hand for a 5x6 image whose columns 0-2 are 0 and 3-5 are 1, with the
    `pad=1` Sobel layers of examples/sobel/sobel.cnn; torch agrees. Note the
    sign: PyTorch's conv is a cross-correlation, so Sobel_x =
    [1 0 -1; 2 0 -2; 1 0 -1] gives a NEGATIVE Gx (-4) on this dark-to-bright
    edge, and zero padding makes the last column respond (+4) as an edge back
    to 0.

  /usr/bin/python3 tests/numeric/lecture_test.py [--no-cnnc]
Environment as run.sh: CNNC, CNNC_FLAGS, CC. Ends with `N passed, M failed`.
"""
import itertools
import math
import os
import shlex
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import compare  # noqa: E402
import ref      # noqa: E402

D = torch.float64

# ---------------------------------------------------------------- the examples

# (a) §7.8.2
ACCEL = [[2, 3, 1, 0, 4], [1, 2, 0, 1, 3], [0, 1, 2, 3, 1]]
ACCEL_W = [[1, 0, -1], [-1, 1, 0], [0, -1, 1]]
ACCEL_GOLDEN = [3, -4]

# (b) §7.8.3, depth slices
VOL = [[[1, -2, 5, 2], [-1, 1, 4, -3], [1, 5, 5, 2], [-1, -2, 2, 2]],
       [[-3, 0, -1, -4], [2, 0, -4, -1], [-5, 4, 0, 3], [-5, 5, 5, 4]],
       [[-3, 1, -2, 3], [-3, -1, -3, 1], [-1, 3, 1, -4], [-2, 3, -4, 4]],
       [[3, 4, -1, -4], [-2, 1, 2, -3], [-5, -2, -4, 2], [-2, -4, 0, 0]]]
VOL_K = [[[-2, 0, 2], [1, 3, -2], [-2, 0, -2]],
         [[-2, 2, 0], [2, 3, 3], [2, 3, 0]],
         [[-3, 2, 1], [1, -2, 3], [1, -2, -3]]]
VOL_GOLDEN = [[[-21, 21], [21, 28]], [[32, -67], [17, -29]]]
VOL_LECTURE = [[[-21, 21], [13, 28]], [[32, -61], [17, -29]]]   # as printed

# (c) §7.11.3
POOL_X = [[1, 3, 2, 1], [4, 2, 1, 5], [2, 0, 3, 1], [1, 5, 2, 2]]
POOL_MAX = [[4, 5], [5, 3]]
POOL_AVG = [[2.5, 2.25], [2, 2]]

# (d) §7.3.3: a vertical step edge, and Gx, Gy by hand (pad=1, zeros)
STEP = [[0, 0, 0, 1, 1, 1]] * 5
SOBEL_GX = [[0, 0, -3, -3, 0, 3]] + [[0, 0, -4, -4, 0, 4]] * 3 + [[0, 0, -3, -3, 0, 3]]
SOBEL_GY = [[0, 0, -1, -3, -4, -3]] + [[0] * 6] * 3 + [[0, 0, 1, 3, 4, 3]]
SOBEL_G = [[math.sqrt(a * a + b * b) for a, b in zip(ra, rb)]
           for ra, rb in zip(SOBEL_GX, SOBEL_GY)]

SOBEL_X = [[1, 0, -1], [2, 0, -2], [1, 0, -1]]
SOBEL_Y = [[1, 2, 1], [0, 0, 0], [-1, -2, -1]]


def naive_corr(x, k, stride=1):
    """Valid cross-correlation of one channel, any rank, by loops."""
    x, k = np.asarray(x, float), np.asarray(k, float)
    O = [(a - b) // stride + 1 for a, b in zip(x.shape, k.shape)]
    y = np.zeros(O)
    for pos in itertools.product(*map(range, O)):
        for kk in itertools.product(*map(range, k.shape)):
            y[pos] += x[tuple(p * stride + q for p, q in zip(pos, kk))] * k[kk]
    return y


def torch_results():
    """name -> (torch result, independent loops or None)."""
    t = lambda v: torch.tensor(v, dtype=D)
    accel = F.conv1d(t(ACCEL)[None], t(ACCEL_W)[None], stride=2)[0, 0].numpy()
    accel_loop = sum(naive_corr(np.array(ACCEL)[c][None], np.array(ACCEL_W)[c][None], 2)[0]
                     for c in range(3))
    vol = F.conv3d(t(VOL)[None, None], t(VOL_K)[None, None])[0, 0].numpy()
    x = t(POOL_X)[None, None]
    pool = np.stack([F.max_pool2d(x, 2, 2)[0, 0].numpy(), F.avg_pool2d(x, 2, 2)[0, 0].numpy()])
    img = t(STEP)[None, None]
    gx = F.conv2d(img, t(SOBEL_X)[None, None], padding=1)[0, 0]
    gy = F.conv2d(img, t(SOBEL_Y)[None, None], padding=1)[0, 0]
    sob = torch.stack([gx, gy, torch.sqrt(gx * gx + gy * gy)]).numpy()
    sob_loop = np.stack([naive_corr(np.pad(STEP, 1), SOBEL_X), naive_corr(np.pad(STEP, 1), SOBEL_Y)])
    return {
        "conv1d_accel": (accel, accel_loop),
        "conv3d_volume": (vol, naive_corr(VOL, VOL_K)),
        "pooling": (pool, None),
        "sobel": (sob, sob_loop),
    }


EXAMPLES = {   # name -> (input, golden output)
    "conv1d_accel": (ACCEL, [ACCEL_GOLDEN]),
    "conv3d_volume": ([VOL], [VOL_GOLDEN]),
    "pooling": ([POOL_X], [POOL_MAX, POOL_AVG]),
    "sobel": ([STEP], [SOBEL_GX, SOBEL_GY, SOBEL_G]),
}

# ---------------------------------------------------------------- checks

RESULTS = []


def report(ok, what, why=""):
    RESULTS.append(ok)
    print(("PASS " if ok else "FAIL ") + what + ("" if ok else f": {why}"))


def same(got, want, what):
    got, want = np.asarray(got, float), np.asarray(want, float)
    if got.shape != want.shape:
        report(False, what, f"shape {got.shape}, expected {want.shape}")
    elif not np.allclose(got, want, rtol=1e-12, atol=1e-12):
        report(False, what, f"got {got.tolist()}, expected {want.tolist()}")
    else:
        report(True, what)


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def first_error(text):
    lines = text.strip().splitlines()
    return next((l for l in lines if "error" in l.lower()), lines[0] if lines else "")[:300]


def check_cnnc(name, x, golden, work):
    """cnnc -> net.c, built with each compiler with harness.c, run, compared."""
    cnnc = os.environ.get("CNNC", os.path.join(ROOT, "build", "cnnc"))
    what = f"lecture/{name}: cnnc"
    if not os.access(cnnc, os.X_OK):
        return report(False, what, f"no compiler at {cnnc}")
    d = os.path.join(work, name)
    os.makedirs(d, exist_ok=True)
    np.asarray(x, "<f4").tofile(os.path.join(d, "input.bin"))
    np.asarray(golden, "<f4").tofile(os.path.join(d, "expected.bin"))
    src = os.path.join(HERE, "lecture", name + ".cnn")
    r = run([cnnc] + shlex.split(os.environ.get("CNNC_FLAGS", "")) +
            [src, "-o", os.path.join(d, "net.c"), "--prefix", "net"], cwd=ROOT)
    if r.returncode != 0:
        return report(False, what, f"cnnc exit {r.returncode}: {first_error(r.stderr)}")
    flags = run([cnnc, "--cflags"])
    cflags = shlex.split(flags.stdout) if flags.returncode == 0 else ["-I", "runtime"]
    libs = run([cnnc, "--libs"])
    libs = shlex.split(libs.stdout) if libs.returncode == 0 else ["build/libcnnrt.a", "-lm"]
    std = "-std=c11 -O2 -Wall -Wextra -pedantic -Werror".split()
    ccs = [c for c in os.environ.get("CC", "clang gcc").split() if shutil.which(c)]
    if not ccs:
        return report(False, what, "no C compiler")
    for cc in ccs:
        exe = os.path.join(d, "run." + cc)
        r = run([cc] + std + cflags + ["-DPREFIX=net", "-DUPREFIX=NET",
                                       os.path.join(HERE, "harness.c"),
                                       os.path.join(d, "net.c"), "-o", exe] + libs, cwd=ROOT)
        if r.returncode != 0:
            report(False, f"{what} [{cc}]", f"build: {first_error(r.stderr)}")
            continue
        out = os.path.join(d, f"out.{cc}.bin")
        r = run([exe, os.path.join(d, "net.h"), os.path.join(d, "input.bin"), out], timeout=60)
        if r.returncode != 0:
            report(False, f"{what} [{cc}]", f"harness exit {r.returncode} {r.stderr.strip()}")
            continue
        ok, msg = compare.compare(compare.load(out), compare.load(
            os.path.join(d, "expected.bin")), 1e-4, 1e-5)
        got = np.fromfile(out, "<f4").tolist()
        report(ok, f"{what} [{cc}]", f"{msg}; got {got}")


def main(argv):
    use_cnnc = "--no-cnnc" not in argv
    tr = torch_results()
    # the lecture's printed 3-D output differs from torch in exactly two places
    diff = np.argwhere(np.array(VOL_LECTURE) != tr["conv3d_volume"][0]).tolist()
    report(diff == [[0, 1, 0], [1, 0, 1]], "lecture/conv3d_volume: printed output wrong "
           "only at Y(0,1,0) and Y(1,0,1)", f"differences at {diff}")
    partial = [float((np.array(VOL)[i, :3, :3] * np.array(VOL_K)[i]).sum()) for i in range(3)]
    report(partial == [-10, 0, -11], "lecture/conv3d_volume: Y(0,0,0) partial sums -10, 0, -11",
           str(partial))

    work = None
    if use_cnnc:
        os.makedirs(os.path.join(ROOT, "build", "numeric"), exist_ok=True)
        work = tempfile.mkdtemp(prefix="lecture.", dir=os.path.join(ROOT, "build", "numeric"))
    for name, (x, golden) in EXAMPLES.items():
        golden = np.array(golden, float).reshape(-1)     # flat, C-order
        t, loops = tr[name]
        same(t.reshape(-1), golden, f"lecture/{name}: golden vs torch")
        if loops is not None:     # the loops may cover only the first channels
            same(loops.reshape(-1), golden[:loops.size], f"lecture/{name}: golden vs naive loops")
        net = ref.parse_file(os.path.join(HERE, "lecture", name + ".cnn"))
        xin = torch.tensor(np.array(x, float).reshape((1,) + net.input_shape))
        y = ref.forward(net, xin, ref.Params(file_tensors={}))[0].numpy()
        same(y.reshape(-1), golden, f"lecture/{name}: golden vs ref.py on the .cnn")
        if use_cnnc:
            check_cnnc(name, np.array(x, float).reshape(-1), golden, work)
    failed = RESULTS.count(False)
    if work and not failed:
        shutil.rmtree(work, ignore_errors=True)
    elif work:
        print(f"work dir: {os.path.relpath(work, ROOT)}", file=sys.stderr)
    print(f"{len(RESULTS) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
