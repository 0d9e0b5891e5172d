#!/bin/bash
# bench/profile.sh — where one network's time goes, kernel by kernel.
#
#   bench/profile.sh NET [CNNC FLAGS...]     (make bench-profile NET=mobilenet_v1)
#   bench/profile.sh FILE.cnn|FILE.onnx [CNNC FLAGS...]
#
# Compiles bench/nets/NET.cnn (random weights), or the model FILE (a .cnn file
# with random weights unless the flags name weights, an ONNX model with its own;
# e.g. build/bench-onnx/mobilenet_v2/net.onnx after `make bench-onnx`), with its kernels kept out of
# line (__attribute__((noinline)), which costs little: each is a loop nest),
# times it with bench/bench_main.c, samples it with `perf record`, and prints
# per kernel: share of the samples, µs per call (share x the median), MFLOP
# (2 x the report's MACs of the kernel's layers) and GFLOP/s. Needs perf.
set -u
. "$(dirname "$0")/env.sh"
: "${1:?usage: bench/profile.sh NET|FILE [CNNC FLAGS...]}"
model_arg "$@"
shift
command -v perf >/dev/null || { echo "profile.sh: needs perf (apt-get install linux-perf)" >&2; exit 1; }
d=$OUT/profile/$net
rm -rf "$d"; mkdir -p "$d"
"$CNNC" "$src" $weights "$@" --prefix "$net" -o "$d/net.c" || exit 1
"$CNNC" "$src" $weights "$@" --report=json > "$d/report.json" || exit 1
sed -i "s/^\(CNNRT_ISA_[A-Z]* \)\{0,1\}static void ${net}_/__attribute__((noinline)) &/" "$d/net.c"
upper=$(echo "$net" | tr '[:lower:]' '[:upper:]')
$CC $BENCH_CFLAGS -std=c11 -I"$d" -DNET_H='"net.h"' -DPREFIX="$net" -DUPREFIX="$upper" \
    $("$CNNC" --cflags) -I"$ROOT/runtime" "$BENCH/bench_main.c" "$d/net.c" -L"$BUILD" $("$CNNC" --libs) \
    -o "$d/bench" || exit 1
"$d/bench" --runs 7 --budget 3 > "$d/bench.txt" || exit 1
perf record -q -o "$d/perf.data" "$d/bench" --runs 7 --budget 3 > /dev/null 2> "$d/perf.err" || {
    echo "profile.sh: perf record failed:" >&2; tail -n 3 "$d/perf.err" >&2; exit 1; }
perf report -i "$d/perf.data" --stdio 2> /dev/null | grep "__run" > "$d/perf.txt"
"$PYTHON" - "$d/report.json" "$d/perf.txt" "$(val cnnc_us "$d/bench.txt")" "$net" <<'EOF'
import json, sys
rep = json.load(open(sys.argv[1]))
total_us, net = float(sys.argv[3]), sys.argv[4]
macs = {}   # kernel name (its head layer) -> MACs of its layers
for k in rep["kernels"]:
    macs[k["layers"][0]] = sum(l["macs"] for l in rep["layers"] if l["name"] in k["layers"])
print(f"{net}: {total_us:.0f} us a call; per kernel (perf samples):")
print(f"{'kernel':<24} {'share':>7} {'us':>8} {'MFLOP':>9} {'GFLOP/s':>8}")
for line in open(sys.argv[2]):
    f = line.split()
    # NET_LAYER__run, or NET_LAYER__run_wide (a variant of the kernels)
    share, name = float(f[0].rstrip('%')), f[-1][len(net) + 1:].rsplit("__run", 1)[0]
    us = share * total_us / 100
    mflop = 2 * macs.get(name, 0) / 1e6
    print(f"{name:<24} {share:6.2f}% {us:8.1f} {mflop:9.2f} {mflop / us * 1e3 if us else 0:8.1f}")
EOF
