#!/bin/bash
# bench/winograd_accuracy.sh — what Winograd F(4x4,3x3) and F(2x2,3x3) cost in accuracy:
# each network compiled with --winograd=off (direct convolutions) and
# --winograd=on (every 3x3 stride-1 conv2d), both run on the same input and
# weights and compared with PyTorch's float64 output.
#
#   bench/winograd_accuracy.sh [NET ...]   (make bench-accuracy; default: the
#                                           suite's nets with 3x3 stride-1 convs)
#
# Prints a Markdown table: max |out - ref| of each, the largest |ref|, and
# max |out - ref| / max |ref|. Environment as bench/run.sh (CNNC, BUILD, CC,
# PYTHON, OUT, BENCH_CFLAGS). Needs torch (the reference).
set -u
. "$(dirname "$0")/env.sh"
OUT=$OUT/accuracy
NETS=${*:-"conv3x3 resnet_block resnet18"}

"$PYTHON" -c 'import torch' 2>/dev/null || { echo "winograd_accuracy.sh: needs torch in $PYTHON" >&2; exit 1; }
CFLAGS_RT="$("$CNNC" --cflags) -I$ROOT/runtime"
LIBS_RT="-L$BUILD $("$CNNC" --libs)"
# the largest |x| of a float32 file
maxabs() { "$PYTHON" -c 'import sys, numpy; print("%.3g" % numpy.abs(numpy.fromfile(sys.argv[1], "<f4")).max())' "$1"; }

echo "| network | 3x3 s1 convs | max err, direct | max err, Winograd | max abs ref | relative, direct | relative, Winograd |"
echo "|---|---:|---:|---:|---:|---:|---:|"
fail=0
for net in $NETS; do
    d=$OUT/$net
    rm -rf "$d"; mkdir -p "$d"
    src=$BENCH/nets/$net.cnn
    "$PYTHON" "$BENCH/torch_ref.py" "$src" --out "$d" --no-onnx > "$d/torch.txt" 2> "$d/torch.err" || {
        echo "winograd_accuracy.sh: $net: torch_ref.py failed" >&2; fail=1; continue; }
    upper=$(echo "$net" | tr '[:lower:]' '[:upper:]')
    nwino=0
    for mode in off on; do
        m=$d/$mode; mkdir -p "$m"
        "$CNNC" "$src" --weights "$d/weights.safetensors" --winograd=$mode -o "$m/net.c" &&
        $CC $BENCH_CFLAGS -std=c11 -I"$m" -DNET_H='"net.h"' -DPREFIX="$net" -DUPREFIX="$upper" $CFLAGS_RT \
            "$BENCH/bench_main.c" "$m/net.c" $LIBS_RT -o "$m/bench" &&
        "$m/bench" --input "$d/input.bin" --ref "$d/ref.bin" --runs 3 --budget 1 > "$m/run.txt"
        [ $? = 0 ] || { echo "winograd_accuracy.sh: $net --winograd=$mode failed" >&2; fail=1; }
        [ $mode = on ] && nwino=$(grep -c "Winograd F([24]x[24],3x3)" "$m/net.c")
    done
    eo=$(val max_abs_err "$d/off/run.txt"); ew=$(val max_abs_err "$d/on/run.txt")
    r=$(maxabs "$d/ref.bin" 2>/dev/null || echo -)
    rel() { awk -v e="$1" -v r="$2" 'BEGIN { if (e == "-" || r == "-" || r + 0 == 0) print "-"; else printf "%.2g", e / r }'; }
    echo "| $net | $nwino | $eo | $ew | $r | $(rel "$eo" "$r") | $(rel "$ew" "$r") |"
done
exit $fail
