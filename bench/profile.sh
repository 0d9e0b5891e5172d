#!/bin/bash
# bench/profile.sh — where one network's time goes, kernel by kernel.
#
#   bench/profile.sh NET [CNNC FLAGS...]     (make bench-profile NET=mobilenet_v1)
#   bench/profile.sh FILE.cnn|FILE.onnx [CNNC FLAGS...]
#
# Compiles bench/nets/NET.cnn (random weights), or the model FILE (a .cnn file
# with random weights unless the flags name weights, an ONNX model with its own;
# e.g. build/bench-onnx/mobilenet_v2/net.onnx after `make bench-onnx`) (its
# kernels are functions out of line, CNNRT_KERNEL, for perf to tell apart),
# times it with bench/bench_main.c, samples it with `perf record`, and prints
# per kernel: share of the samples, µs per call (share x the median), MFLOP
# (2 x the report's MACs of the kernel's layers), GFLOP/s, the MB it moves (its
# inputs from outside it, its output and its layers' parameters, 4 bytes a
# float), GB/s, and "x bytes": its time over the time its bytes take at
# bench/peak.c's bandwidth (the L2 cache's where they fit in it, else 8 MB's),
# with "mem" where that time is above its FLOP's at the peak: a memory-bound
# kernel, "fma" otherwise. Needs perf.
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
upper=$(echo "$net" | tr '[:lower:]' '[:upper:]')
$CC $BENCH_CFLAGS -std=c11 -I"$d" -DNET_H='"net.h"' -DPREFIX="$net" -DUPREFIX="$upper" \
    $("$CNNC" --cflags) -I"$ROOT/runtime" "$BENCH/bench_main.c" "$d/net.c" -L"$BUILD" $("$CNNC" --libs) \
    -o "$d/bench" || exit 1
"$d/bench" --runs 7 --budget 3 > "$d/bench.txt" || exit 1
perf record -q -o "$d/perf.data" "$d/bench" --runs 7 --budget 3 > /dev/null 2> "$d/perf.err" || {
    echo "profile.sh: perf record failed:" >&2; tail -n 3 "$d/perf.err" >&2; exit 1; }
perf report -i "$d/perf.data" --stdio 2> /dev/null | grep "__run" > "$d/perf.txt"
# this core's peak and bandwidth, measured once for every network
if [ ! -s "$OUT/profile/peak.txt" ] || [ "$BENCH/peak.c" -nt "$OUT/profile/peak.txt" ]; then
    $CC -O2 -march=native -std=c11 "$BENCH/peak.c" -o "$OUT/profile/peak" && "$OUT/profile/peak" 5 > "$OUT/profile/peak.txt" || exit 1
fi
insize=$(sed -n 's/^#define [A-Z0-9_]*_INPUT_SIZE *\([0-9]*\).*/\1/p' "$d/net.h")
"$PYTHON" - "$d/report.json" "$d/perf.txt" "$(val cnnc_us "$d/bench.txt")" "$net" "$OUT/profile/peak.txt" "$insize" <<'EOF'
import json, sys
rep = json.load(open(sys.argv[1]))
total_us, net = float(sys.argv[3]), sys.argv[4]
peak = dict(l.split() for l in open(sys.argv[5]))
gflops, bw_l2, bw_l3 = float(peak["peak_gflops"]), float(peak["bw_gbs_l2"]), float(peak["bw_gbs_l3"])
l2_bytes = int(peak["l2_bytes"])
layers = {l["name"]: l for l in rep["layers"]}
def floats(name):   # a tensor's floats: a layer's output, else the network's input
    if name not in layers:
        return int(sys.argv[6] or 0)
    n = 1
    for d in layers[name]["shape"]:
        n *= d
    return n
macs, nbytes = {}, {}   # kernel name (its head layer) -> MACs of its layers, bytes it moves
for k in rep["kernels"]:
    names = k["layers"]
    macs[names[0]] = sum(layers[n]["macs"] for n in names)
    inputs = {i for n in names for i in layers[n]["inputs"] if i not in names}
    nbytes[names[0]] = 4 * (sum(floats(i) for i in inputs) + floats(names[-1]) + sum(layers[n]["params"] for n in names))
print(f"{net}: {total_us:.0f} us a call; per kernel (perf samples; peak {gflops} GFLOP/s, "
      f"bandwidth {bw_l2} GB/s within the L2 cache, {bw_l3} beyond):")
print(f"{'kernel':<24} {'share':>7} {'us':>8} {'MFLOP':>9} {'GFLOP/s':>8} {'MB':>7} {'GB/s':>6} {'x bytes':>7}")
for line in open(sys.argv[2]):
    f = line.split()
    # NET_LAYER__run, or NET_LAYER__run_wide (a variant of the kernels)
    share, name = float(f[0].rstrip('%')), f[-1][len(net) + 1:].rsplit("__run", 1)[0]
    us = share * total_us / 100
    mflop, b = 2 * macs.get(name, 0) / 1e6, nbytes.get(name, 0)
    bytes_us = b / (bw_l2 if b <= l2_bytes else bw_l3) / 1e3
    bound = "mem" if bytes_us > mflop / gflops * 1e3 else "fma"
    print(f"{name:<24} {share:6.2f}% {us:8.1f} {mflop:9.2f} {mflop / us * 1e3 if us else 0:8.1f} "
          f"{b / 1e6:7.2f} {b / us / 1e3 if us else 0:6.1f} {us / bytes_us if bytes_us else 0:7.2f} {bound}")
EOF
