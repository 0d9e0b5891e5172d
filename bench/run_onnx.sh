#!/bin/bash
# bench/run_onnx.sh — the ONNX suite: torchvision's networks exported to ONNX,
# which cnnc compiles from the .onnx file itself, against ONNX Runtime on the
# same file and PyTorch on the module it was exported from; batch 1, one
# thread, all in one run.
#
#   bench/run_onnx.sh [NET ...]     (make bench-onnx; NET: a torchvision.models
#                                    architecture, default the five of ALL_NETS)
#
# Environment: as bench/run.sh (CNNC, BUILD, CC, PYTHON, NODE, BENCH_BUILDS,
# BENCH_CFLAGS, PEER_BUDGET, CNNC_BUDGET), but OUT defaults to $BUILD/bench-onnx.
#
# For each network: bench/torchvision_ref.py builds it with random weights
# (fixed seed; BatchNorm statistics measured on random batches), writes
# net.onnx (torch.onnx.export, opset 13), an input and the module's float64
# output (the reference), and times PyTorch; `cnnc net.onnx --prefix NET -o
# net.c` (timed); each build compiles it with bench/bench_main.c, which times
# NET_forward and checks its output against the reference (rtol 1e-3, atol
# 1e-4); bench/ort_bench.js times ONNX Runtime on the same net.onnx. The steps
# after the first, the builds and the table are bench/lib.sh's, as in run.sh.
# Needs torch and torchvision (the models come from them); without ONNX Runtime
# its column shows "-".
# The table (Markdown) goes to stdout and to $OUT/results.md; the raw
# key/value output of every step stays in $OUT/NET/*.txt.
set -u

OUT=${OUT:-${BUILD:-build}/bench-onnx}
. "$(dirname "$0")/env.sh"
ALL_NETS="resnet50 mobilenet_v2 mobilenet_v3_small efficientnet_b0 shufflenet_v2_x1_0"
NETS=${*:-$ALL_NETS}

# the models come from torchvision: nothing to do without it
if ! "$PYTHON" -c 'import torch, torchvision' >/dev/null 2>&1; then
    echo "run_onnx.sh: needs torch and torchvision in $PYTHON (Debian: python3-torch python3-torchvision)" >&2
    exit 1
fi
. "$BENCH/lib.sh"
# the peers, the load, the builds, this core's peak (lib.sh)
bench_setup "no models"

# shellcheck disable=SC2034  # input, ref: read by bench_net (lib.sh)
for net in $NETS; do
    d=$OUT/$net
    rm -rf "$d"; mkdir -p "$d"
    echo "== $net" >&2
    input="" ref=""

    # 1. the module (random weights), its ONNX model, input, float64 reference,
    # PyTorch timing
    if ! "$PYTHON" "$BENCH/torchvision_ref.py" "$net" --out "$d" --time --budget "$PEER_BUDGET" \
           > "$d/torch.txt" 2> "$d/torch.err"; then
        echo "run_onnx.sh: $net: torchvision_ref.py failed:" >&2; tail -n 3 "$d/torch.err" >&2
    fi
    [ -f "$d/input.bin" ] && input="--input $d/input.bin"
    [ -f "$d/ref.bin" ] && ref="--ref $d/ref.bin"

    # 2. cnnc on net.onnx (timed), each build of the generated code (timed,
    # checked), 3. ONNX Runtime on net.onnx, and the row (lib.sh)
    bench_net "$net" "$d" "$d/net.onnx" --prefix "$net"
done

print_table "cnnc benchmark, ONNX models" \
"cnnc and ONNX Runtime ran the same net.onnx (torch.onnx.export, opset 13); PyTorch the
torchvision module it was exported from (weights=None: random, fixed seed)."
