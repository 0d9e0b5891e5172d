#!/bin/bash
# bench/run.sh — the benchmark suite: cnnc's generated code against PyTorch and
# ONNX Runtime, batch 1, one thread, all in one run.
#
#   bench/run.sh [NET ...]          (make bench; NET: a name in bench/nets/, default all)
#
# Environment (all optional):
#   CNNC     the compiler (default build/cnnc)       BUILD  build dir (default build)
#   CC       C compiler (default clang)              PYTHON python with torch (/usr/bin/python3)
#   NODE     node (default node)                     OUT    work dir (default $BUILD/bench)
#   BENCH_CFLAGS  flags for the generated code (default -O3 -march=native -mprefer-vector-width=512)
#   PEER_BUDGET   seconds of timed runs per peer and network (default 2)
#   CNNC_BUDGET   at most this many seconds of timed runs of cnnc's code (default 10)
#
# For each network: bench/torch_ref.py writes random weights (fixed seed), an
# input, PyTorch's float64 reference output and an ONNX model, and times
# PyTorch; cnnc compiles the net with those weights, $CC builds it with
# bench/bench_main.c, which times PREFIX_forward and checks its output against
# the reference (rtol 1e-3, atol 1e-4); bench/ort_bench.js times ONNX Runtime.
# A peer that is not installed shows as "-" (without torch the weights come
# from cnnc --random-weights and nothing is checked).
# The table (Markdown) goes to stdout and to $OUT/results.md; the raw
# key/value output of every step stays in $OUT/NET/*.txt.
set -u

. "$(dirname "$0")/env.sh"
NODE=${NODE:-node}
PEER_BUDGET=${PEER_BUDGET:-2}
CNNC_BUDGET=${CNNC_BUDGET:-10}
ALL_NETS="lenet5 activity1d volume3d conv3x3 depthwise3x3 pointwise1x1 resnet_block mobilenet_block mobilenet_v1 resnet18 mobilenet_v3_small efficientnet_b0 unet_small"
NETS=${*:-$ALL_NETS}

mkdir -p "$OUT"
now() { date +%s.%N; }
# a number with 2 significant digits below 1, 2 decimals up to 10, else 1 decimal
SIG='function sig(x) { return x < 1 ? sprintf("%.2g", x) : x < 10 ? sprintf("%.2f", x) : sprintf("%.1f", x) }'
us() { awk -v x="$1" 'BEGIN { if (x == "-" || x == "") print "-"; else if (x < 100) printf "%.1f", x; else printf "%.0f", x }'; }
ratio() { awk -v a="$1" -v b="$2" "$SIG"' BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-"; else print sig(a / b) "x" }'; }

# ---- which peers are here
HAVE_TORCH=0
"$PYTHON" -c 'import torch' >/dev/null 2>&1 && HAVE_TORCH=1
HAVE_ORT=0
if command -v "$NODE" >/dev/null 2>&1 &&
   (cd "$BENCH" && "$NODE" -e "require('onnxruntime-node')") >/dev/null 2>&1; then
    HAVE_ORT=1
fi
TORCH_VER=-; ORT_VER=-
[ $HAVE_TORCH = 1 ] && TORCH_VER=$("$PYTHON" -c 'import torch; print(torch.__version__)' 2>/dev/null)
[ $HAVE_ORT = 1 ] && ORT_VER=$(cd "$BENCH" && "$NODE" -e "console.log(require('onnxruntime-node/package.json').version)" 2>/dev/null)
[ $HAVE_TORCH = 1 ] || echo "run.sh: no torch in $PYTHON: PyTorch column '-', weights from cnnc --random-weights, no check" >&2
[ $HAVE_ORT = 1 ] || echo "run.sh: no node or onnxruntime-node (cd bench && npm install --ignore-scripts onnxruntime-node): ORT column '-'" >&2

LOADAVG=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null)
if awk -v l="${LOADAVG:-0}" 'BEGIN { exit !(l > 1.0) }'; then
    echo "run.sh: warning: load average $LOADAVG: other processes share the cores, timings will be noisy" >&2
fi

# ---- this core's peak
$CC -O2 -march=native -std=c11 "$BENCH/peak.c" -o "$OUT/peak" || exit 1
"$OUT/peak" > "$OUT/peak.txt"
PEAK=$(val peak_gflops "$OUT/peak.txt")
CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
LOAD0=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null)

# cnnc's flags, then the source tree's as a fallback (a cnnc outside the tree
# points at an install prefix); -L$BUILD first: in the tree --libs names build/
CFLAGS_RT="$("$CNNC" --cflags) -I$ROOT/runtime"
LIBS_RT="-L$BUILD $("$CNNC" --libs)"

ROWS=""
for net in $NETS; do
    src=$BENCH/nets/$net.cnn
    d=$OUT/$net
    if [ ! -f "$src" ]; then echo "run.sh: no $src" >&2; continue; fi
    rm -rf "$d"; mkdir -p "$d"
    echo "== $net" >&2
    err="" weights="" ref="" input=""

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

    # 2. compile: cnnc, then $CC on the generated source (timed), then link the driver
    macs=$("$CNNC" "$src" $weights --report=json 2>/dev/null | sed -n 's/^ *"total_macs": *\([0-9]*\).*/\1/p')
    mflop=$(awk -v m="${macs:-}" 'BEGIN { if (m == "") print "-"; else printf "%.6f", 2 * m / 1e6 }')
    t0=$(now)
    if ! "$CNNC" "$src" $weights -o "$d/net.c" 2> "$d/cnnc.err"; then
        err="cnnc failed"; head -n 5 "$d/cnnc.err" >&2
    fi
    t1=$(now)
    if [ -z "$err" ] && ! $CC $BENCH_CFLAGS -std=c11 $CFLAGS_RT -c "$d/net.c" -o "$d/net.o" 2> "$d/cc.err"; then
        err="cc failed"; head -n 5 "$d/cc.err" >&2
    fi
    t2=$(now)
    upper=$(echo "$net" | tr '[:lower:]' '[:upper:]')
    if [ -z "$err" ] && ! $CC $BENCH_CFLAGS -std=c11 -I"$d" -DNET_H='"net.h"' -DPREFIX="$net" \
             -DUPREFIX="$upper" $CFLAGS_RT "$BENCH/bench_main.c" "$d/net.o" $LIBS_RT \
             -o "$d/bench" 2>> "$d/cc.err"; then
        err="link failed"; tail -n 5 "$d/cc.err" >&2
    fi
    t_cnnc=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
    t_cc=$(awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.1f", b - a }')
    csize=$(stat -c %s "$d/net.c" 2>/dev/null || echo 0)

    # 3. run cnnc's code
    if [ -z "$err" ]; then
        "$d/bench" $input $ref --out "$d/out.bin" --budget "$CNNC_BUDGET" > "$d/cnnc.txt" 2> "$d/bench.err"
        rc=$?
        if [ $rc != 0 ] && [ $rc != 3 ]; then err="run failed ($rc)"; tail -n 3 "$d/bench.err" >&2; fi
    fi

    # 4. ONNX Runtime
    if [ $HAVE_ORT = 1 ] && [ "$(val onnx "$d/torch.txt")" = ok ]; then
        (cd "$BENCH" && "$NODE" ort_bench.js "$d/net.onnx" --input "$d/input.bin" --ref "$d/ref.bin" \
            --budget "$PEER_BUDGET") > "$d/ort.txt" 2> "$d/ort.err" || {
            rc=$?; [ $rc = 3 ] || { echo "run.sh: $net: ort_bench.js failed" >&2; tail -n 3 "$d/ort.err" >&2; }; }
    fi

    c_us=$(val cnnc_us "$d/cnnc.txt"); t_us=$(val torch_us "$d/torch.txt"); o_us=$(val ort_us "$d/ort.txt")
    [ -n "$err" ] && c_us=-
    # MFLOP / µs = 1e12 FLOP/s
    gflops=$(awk -v f="$mflop" -v u="$c_us" "$SIG"' BEGIN { if (f == "-" || u == "-") print "-"; else print sig(f / u * 1e3) }')
    pct=$(awk -v f="$mflop" -v u="$c_us" -v p="$PEAK" "$SIG"' BEGIN { if (f == "-" || u == "-" || p == "-") print "-"; else print sig(100 * f / u * 1e3 / p) "%" }')
    e=$(val max_abs_err "$d/cnnc.txt"); chk=$(sed -n 's/^check //p' "$d/cnnc.txt" 2>/dev/null)
    if [ -n "$err" ]; then errcol="**$err**"
    elif [ "$e" = - ]; then errcol="-"
    elif [ "$chk" = ok ]; then errcol="$e"
    else errcol="$e **FAIL** (${chk#FAIL } bad)"; fi
    ocheck=$(sed -n 's/^check //p' "$d/ort.txt" 2>/dev/null)
    o_disp=$(us "$o_us")
    [ -n "$ocheck" ] && [ "$ocheck" != ok ] && o_disp="$o_disp (output $ocheck)"
    row="| $net | $(awk -v x="$mflop" "$SIG"' BEGIN { print x == "-" ? "-" : sig(x) }') | $t_cnnc + $t_cc | $(awk -v b="$csize" 'BEGIN { printf "%.1f", b / 1e6 }') | $(us "$c_us") | $gflops | $pct | $(us "$t_us") | $o_disp | $(ratio "$t_us" "$c_us") | $(ratio "$o_us" "$c_us") | $errcol |"
    echo "$row" >&2
    ROWS="$ROWS$row
"
    printf 'net %s\nmflop %s\ncnnc_compile_s %s\ncc_compile_s %s\nc_bytes %s\ncnnc_us %s\ntorch_us %s\nort_us %s\nmax_abs_err %s\n' \
        "$net" "$mflop" "$t_cnnc" "$t_cc" "$csize" "$c_us" "$t_us" "$o_us" "$e" > "$d/summary.txt"
    echo "torch_mode $(val torch_mode "$d/torch.txt")" >> "$d/summary.txt"
done

{
    echo "cnnc benchmark, batch 1, one thread, median µs ($(date -u +%Y-%m-%d), $CPU;"
    echo "peak: $(tr '\n' ' ' < "$OUT/peak.txt" | sed 's/ $//') GFLOP/s; PyTorch $TORCH_VER, ONNX Runtime $ORT_VER;"
    echo "generated code: $CC $BENCH_CFLAGS; load average $LOAD0 at the start, $(cut -d' ' -f1 /proc/loadavg 2>/dev/null) at the end)"
    echo
    echo "| network | MFLOP | compile s (cnnc + cc) | net.c MB | cnnc µs | GFLOP/s | % peak | PyTorch µs | ORT µs | vs PyTorch | vs ORT | max abs err |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    printf '%s' "$ROWS"
    echo
    echo "vs X = X's time / cnnc's time (above 1: cnnc is faster). max abs err: cnnc's output against"
    echo "PyTorch's float64 reference; every element must be within 1e-4 + 1e-3 |ref|."
} | tee "$OUT/results.md"
