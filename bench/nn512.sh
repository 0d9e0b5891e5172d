#!/bin/bash
# bench/nn512.sh — cnnc and NN-512 side by side on the networks both can express:
# conv3x3, resnet_block and mobilenet_block, batch 1, one thread.
#
#   NN512_SRC=/path/to/NN-512 bench/nn512.sh [NET ...]    (make bench-nn512 NN512_SRC=...)
#
# NN-512 is not part of this project and nothing here downloads it: NN512_SRC is
# a checkout of its source (the directory with main.go), built with Go (Debian:
# golang-go) into $OUT. It writes C for AVX-512 only, so this runs only on a CPU
# with AVX-512F.
#
# bench/nn512/NET.graph is NET in NN-512's graph language; this script puts a
# Config line before it: the L1D and L2 sizes of this machine (getconf), and
# NN512_L3 (default 4MiB) as the L3 share of one thread, which a virtual machine
# often does not report. mobilenet_block uses ReLU6, which NN-512 does not have:
# both sides compute ReLU there (cnnc's source gets relu in place of relu6).
#
# The same program times both: bench/bench_main.c, with bench/nn512/shim.h in
# front of NN-512's code. Each build (cc and flags) of each network runs
# ROUNDS times (default 5), cnnc and NN-512 alternating; the table gives the
# median of each side's medians, and their ratio (above 1: cnnc is faster).
#
# Environment: CNNC, BUILD, CC (of bench/peak.c), OUT (default $BUILD/nn512),
# GO (default go), ROUNDS, NN512_L3, BENCH_BUILDS ("cc|flags", ';'-separated;
# default clang and gcc with BENCH_CFLAGS). The table goes to stdout and to
# $OUT/results.md.
set -u

own_out=${OUT:-}
. "$(dirname "$0")/env.sh"
[ -n "$own_out" ] || OUT=$BUILD/nn512
NETS=${*:-conv3x3 resnet_block mobilenet_block}
GO=${GO:-go}
ROUNDS=${ROUNDS:-5}
NN512_L3=${NN512_L3:-4MiB}
ME=$(basename "$0")

die() { echo "$ME: $*" >&2; exit 1; }
[ -n "${NN512_SRC:-}" ] || die "set NN512_SRC to a checkout of NN-512's source (the directory with main.go)"
[ -f "$NN512_SRC/main.go" ] || die "$NN512_SRC: no main.go: not NN-512's source"
command -v "$GO" >/dev/null 2>&1 || die "no $GO (Debian: apt-get install golang-go)"
grep -qw avx512f /proc/cpuinfo || die "this CPU has no AVX-512F, the only platform NN-512 writes code for"

mkdir -p "$OUT"
(cd "$NN512_SRC" && CGO_ENABLED=0 "$GO" build -o "$OUT/NN-512" .) || die "building NN-512 failed"
NN_VER=$("$OUT/NN-512" version 2>/dev/null | head -n 1)

if [ -z "${BENCH_BUILDS:-}" ]; then
    BENCH_BUILDS=""
    for c in clang gcc; do
        command -v $c >/dev/null 2>&1 && BENCH_BUILDS="$BENCH_BUILDS${BENCH_BUILDS:+;}$c|$BENCH_CFLAGS"
    done
fi
IFS=';' read -r -a BUILDS <<< "$BENCH_BUILDS"

$CC -O2 -march=native -std=c11 "$BENCH/peak.c" -o "$OUT/peak" || exit 1
PEAK=$(val peak_gflops <("$OUT/peak"))
CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
L1=$(getconf LEVEL1_DCACHE_SIZE 2>/dev/null); L1=${L1:-32768}
L2=$(getconf LEVEL2_CACHE_SIZE 2>/dev/null); L2=${L2:-1048576}
[ "$L1" -gt 0 ] 2>/dev/null || L1=32768
[ "$L2" -gt "$L1" ] 2>/dev/null || L2=1048576
CONFIG="Config Prefix=nn512 Platform=AVX512Float32 L1DataCachePerThread=$L1 L2CachePerThreadExL1=$((L2 - L1)) L3CachePerThreadExL1L2=$NN512_L3"
CFLAGS_RT="$("$CNNC" --cflags) -I$ROOT/runtime"
LIBS_RT="-L$BUILD $("$CNNC" --libs)"

# median of the numbers on stdin
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print "-"; else print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }

ROWS=""
for net in $NETS; do
    graph=$BENCH/nn512/$net.graph src=$BENCH/nets/$net.cnn d=$OUT/$net
    [ -f "$graph" ] && [ -f "$src" ] || { echo "$ME: $net: no $graph or $src" >&2; continue; }
    rm -rf "$d"; mkdir -p "$d"
    echo "== $net" >&2

    # the two sources of the same network, random weights
    sed 's/\<relu6\>/relu/' "$src" > "$d/net.cnn"
    "$CNNC" "$d/net.cnn" --random-weights=1 -o "$d/net.c" || die "$net: cnnc failed"
    upper=$(echo "$net" | tr '[:lower:]' '[:upper:]')
    nin=$(sed -n "s/^#define ${upper}_INPUT_SIZE *\([0-9]*\).*/\1/p" "$d/net.h")
    nout=$(sed -n "s/^#define ${upper}_OUTPUT_SIZE *\([0-9]*\).*/\1/p" "$d/net.h")
    { echo "$CONFIG"; grep -v '^#' "$graph"; } > "$d/nn512.graph"
    "$OUT/NN-512" compile "$d/nn512.graph" "$d" || die "$net: NN-512 failed on $d/nn512.graph"
    grep -q 'float\* outData,' "$d/nn512.h" && grep -q 'float\* xData$' "$d/nn512.h" ||
        die "$net: NN-512's inference function does not take (out, x)"

    i=0
    for b in "${BUILDS[@]}"; do
        i=$((i + 1)); bcc=${b%%|*} bfl=${b#*|}
        $bcc $bfl -std=c11 -I"$d" -DNET_H='"net.h"' -DPREFIX="$net" -DUPREFIX="$upper" $CFLAGS_RT \
            "$BENCH/bench_main.c" "$d/net.c" $LIBS_RT -o "$d/cnnc$i" || die "$net: $bcc failed on cnnc's code"
        $bcc $bfl -std=c11 -I"$d" -I"$BENCH/nn512" -DNET_H='"shim.h"' -DPREFIX=nn -DUPREFIX=NN \
            -DNN_INPUT_SIZE="$nin" -DNN_OUTPUT_SIZE="$nout" "$BENCH/bench_main.c" "$d/nn512.c" \
            -lpthread -lm -o "$d/nn512_$i" 2> "$d/nn512_cc$i.err" || {
            tail -n 5 "$d/nn512_cc$i.err" >&2; die "$net: $bcc failed on NN-512's code"; }
        : > "$d/cnnc$i.us"; : > "$d/nn512_$i.us"
        for r in $(seq "$ROUNDS"); do
            for side in cnnc nn512_; do
                "$d/$side$i" --runs 3 --budget 1 --min-ms 30 > "$d/$side$i.$r.txt" || die "$net: $side$i failed"
                val cnnc_us "$d/$side$i.$r.txt" >> "$d/$side$i.us"
            done
        done
        c=$(median < "$d/cnnc$i.us"); n=$(median < "$d/nn512_$i.us")
        row=$(awk -v net="$net" -v b="$bcc $bfl" -v c="$c" -v n="$n" \
            'BEGIN { printf "| %s | %s | %.1f | %.1f | %.2fx |", net, b, c, n, n / c }')
        echo "$row" >&2
        ROWS="$ROWS$row
"
    done
done

{
    echo "## cnnc and NN-512, side by side"
    echo
    echo "CPU: ${CPU:-unknown}; peak: $PEAK GFLOP/s (bench/peak.c); NN-512 $NN_VER; cnnc $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo -);"
    echo "compilers: $(for b in "${BUILDS[@]}"; do "${b%%|*}" --version 2>/dev/null | head -n 1; done | sort -u | paste -sd ';' | sed 's/;/; /g');"
    echo "NN-512's Config: L1D $L1, L2 (less L1) $((L2 - L1)), L3 share $NN512_L3; one thread, batch 1;"
    echo "median of $ROUNDS alternating rounds, each the median of 3 runs of >= 30 ms."
    echo
    echo "| network | build | cnnc µs | NN-512 µs | NN-512 / cnnc |"
    echo "|---|---|---:|---:|---:|"
    printf '%s' "$ROWS"
} | tee "$OUT/results.md"
