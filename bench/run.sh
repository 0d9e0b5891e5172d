#!/bin/bash
# bench/run.sh — the benchmark suite: cnnc's generated code against PyTorch and
# ONNX Runtime, batch 1, one thread, all in one run.
#
#   bench/run.sh [NET ...]          (make bench; NET: a name in bench/nets/, default all)
#
# Environment (all optional):
#   CNNC     the compiler (default build/cnnc)       BUILD  build dir (default build)
#   CC       C compiler of bench/peak.c (clang)      PYTHON python with torch (/usr/bin/python3)
#   NODE     node (default node)                     OUT    work dir (default $BUILD/bench)
#   BENCH_BUILDS  the builds of the generated code, "cc|flags" ';'-separated
#                 (default: clang and gcc with $BENCH_CFLAGS, then clang and gcc
#                 with -O2 alone: the portable build, which chooses its kernels
#                 by the CPU when it runs)
#   BENCH_CFLAGS  the tuned builds' flags (default -O3 -march=native -mprefer-vector-width=512)
#   PEER_BUDGET   seconds of timed runs per peer and network (default 2)
#   CNNC_BUDGET   at most this many seconds of timed runs of each build (default 5)
#   BENCH_ROUNDS  rounds the builds and ONNX Runtime take turns in, each with
#                 its share of the budgets (default 5); the table gives each
#                 one's median over its rounds
#
# For each network: bench/torch_ref.py writes random weights (fixed seed), an
# input, PyTorch's float64 reference output and an ONNX model, and times
# PyTorch; cnnc compiles the net with those weights, each build compiles it
# with bench/bench_main.c, which times PREFIX_forward and checks its output
# against the reference (rtol 1e-3, atol 1e-4); bench/ort_bench.js times ONNX
# Runtime. The steps after the first, the builds and the table are
# bench/lib.sh's, shared with bench/run_onnx.sh (the ONNX models).
# A peer that is not installed shows as "-" (without torch the weights come
# from cnnc --random-weights and nothing is checked).
# The table (Markdown) goes to stdout and to $OUT/results.md; the raw
# key/value output of every step stays in $OUT/NET/*.txt.
set -u

. "$(dirname "$0")/env.sh"
ALL_NETS="lenet5 activity1d volume3d conv3x3 depthwise3x3 pointwise1x1 resnet_block mobilenet_block mobilenet_v1 resnet18 mobilenet_v3_small efficientnet_b0 unet_small"
NETS=${*:-$ALL_NETS}

. "$BENCH/lib.sh"
# the peers, the load, the builds, this core's peak (lib.sh)
bench_setup "weights from cnnc --random-weights, no check"

# shellcheck disable=SC2034  # input, ref: read by bench_net (lib.sh)
for net in $NETS; do
    src=$BENCH/nets/$net.cnn
    d=$OUT/$net
    if [ ! -f "$src" ]; then echo "run.sh: no $src" >&2; continue; fi
    rm -rf "$d"; mkdir -p "$d"
    echo "== $net" >&2
    weights="" ref="" input=""

    # 1. weights, input, reference, ONNX, PyTorch timing
    if [ $HAVE_TORCH = 1 ]; then
        if "$PYTHON" "$BENCH/torch_ref.py" "$src" --out "$d" --time --budget "$PEER_BUDGET" \
               > "$d/torch.txt" 2> "$d/torch.err"; then
            weights="--weights $d/weights.safetensors"; ref="--ref $d/ref.bin"; input="--input $d/input.bin"
        else
            echo "run.sh: $net: torch_ref.py failed:" >&2; tail -n 3 "$d/torch.err" >&2
        fi
    fi
    [ -n "$weights" ] || weights="--random-weights=1"

    # 2. cnnc (timed), each build of the generated code (timed, checked),
    # 3. ONNX Runtime, and the row (lib.sh)
    bench_net "$net" "$d" "$src" $weights
done

print_table "cnnc benchmark"
