#!/usr/bin/python3
"""Compare a generated network's output with the reference.

  compare.py OUTPUT.bin EXPECTED.bin [--rtol 1e-4] [--atol 1e-5]
  compare.py --list FILE [--rtol 1e-4] [--atol 1e-5]

FILE has one comparison a line, OUTPUT.bin<TAB>EXPECTED.bin<TAB>LABEL; each
prints OUTPUT.bin<TAB>LABEL: ok: ... or LABEL: MISMATCH: ... (exit 1 if any
mismatched).

Both files are float32 little-endian. An element passes when
|out - exp| <= atol + rtol * |exp| (NaN passes only against NaN, inf only
against the same inf). Prints the worst element (largest error relative to
its allowance) and exits 1 on any mismatch or size difference, 2 on bad usage.
Pure Python (struct), so it needs neither numpy nor torch.
"""
import math
import struct
import sys


def load(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) % 4:
        raise ValueError(f"{path}: {len(data)} bytes is not a whole number of floats")
    return struct.unpack(f"<{len(data) // 4}f", data)


def compare(out, exp, rtol, atol):
    """-> (ok, message)."""
    if len(out) != len(exp):
        return False, f"size {len(out)} floats, expected {len(exp)}"
    worst, worst_i, bad = -1.0, -1, 0
    for i, (a, b) in enumerate(zip(out, exp)):
        if math.isnan(b) or math.isinf(b):
            ratio = 0.0 if (a == b or (math.isnan(a) and math.isnan(b))) else math.inf
        elif math.isnan(a) or math.isinf(a):
            ratio = math.inf
        else:
            ratio = abs(a - b) / (atol + rtol * abs(b))
        if ratio > 1.0:
            bad += 1
        if ratio > worst:
            worst, worst_i = ratio, i
    if worst_i < 0:
        return True, "empty output"
    a, b = out[worst_i], exp[worst_i]
    msg = (f"worst [{worst_i}] got {a!r} expected {b!r} |diff| {abs(a - b):.3g} "
           f"({worst:.3g} x tolerance)")
    if bad:
        return False, f"{bad}/{len(out)} elements differ; {msg}"
    return True, msg


def one(out, exp, rtol, atol):
    """-> (ok, the line to print)"""
    try:
        ok, msg = compare(load(out), load(exp), rtol, atol)
    except (OSError, ValueError) as e:
        return False, f"compare: {e}"
    return ok, ("ok: " if ok else "MISMATCH: ") + msg


def main(argv):
    args, rtol, atol, listed = [], 1e-4, 1e-5, None
    it = iter(argv)
    for a in it:
        if a == "--rtol":
            rtol = float(next(it))
        elif a == "--atol":
            atol = float(next(it))
        elif a == "--list":
            listed = next(it)
        else:
            args.append(a)
    if listed is not None and not args:
        all_ok = True
        with open(listed) as f:
            for line in f:
                out, exp, label = line.rstrip("\n").split("\t")
                ok, msg = one(out, exp, rtol, atol)
                all_ok &= ok
                print(f"{out}\t{label}: {msg}")
        return 0 if all_ok else 1
    if len(args) != 2:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    ok, msg = one(args[0], args[1], rtol, atol)
    print(msg)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
