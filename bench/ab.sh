#!/bin/bash
# bench/ab.sh — two builds of one network timed in one process, turn about:
# whether a change to the compiler (or a flag) makes the generated code
# faster, measured finer than the machine's noise.
#
#   bench/ab.sh NET|FILE [CNNC FLAGS...]        (make bench-ab NET=... FLAGS_B=...)
#
# NET is a name of nets/; FILE a .cnn file (random weights unless the flags
# name weights) or an ONNX model. A and B are cnnc's output for it; they
# differ by
#   CNNC_A, CNNC_B     the compiler binaries (default: $CNNC for both), e.g.
#                      the cnnc of a checkout before the change
#   FLAGS_A, FLAGS_B   flags for one side only, e.g. FLAGS_B=--winograd=off
#   RUNTIME_A          a directory whose cnnrt.h A's code includes instead of
#                      the tree's (the runtime header of a checkout before a
#                      change to it; its inline functions are A's own)
#   CC_A               the C compiler of A's code (default: each of AB_CCS),
#                      e.g. CC_A=clang AB_CCS=gcc: the same code built by
#                      clang (A) and by gcc (B), one line "gcc (A: clang): ..."
# Each C compiler of AB_CCS (default "clang gcc") builds both into one
# program (bench/ab_main.c, BENCH_CFLAGS), which runs them in BLOCKS
# (default 40) pairs of blocks of at least 20 ms (MIN_MS), alternating which
# goes first; one line per C compiler:
#   clang: A 6842.5 us, B 6754.5 us, B/A 0.988 (quartiles 0.981-0.994), max |B-A| 8.9e-08
# Exit status 1 when a step fails, 3 when the outputs disagree (beyond
# 1e-4 + 1e-3 |A|). Files in $OUT/ab/NAME/.
set -u
. "$(dirname "$0")/env.sh"
: "${1:?usage: bench/ab.sh NET|FILE [CNNC FLAGS...]}"
model_arg "$@"
shift
cnnc_a=$(abspath "${CNNC_A:-$CNNC}") cnnc_b=$(abspath "${CNNC_B:-$CNNC}")
d=$OUT/ab/$net
rm -rf "$d"; mkdir -p "$d"
# FLAGS_A and FLAGS_B are lists of words
# shellcheck disable=SC2086
"$cnnc_a" "$src" $weights "$@" ${FLAGS_A:-} --prefix a_net -o "$d/a.c" 2> "$d/cnnc_a.err" || {
    echo "ab.sh: A: $cnnc_a failed:" >&2; tail -n 5 "$d/cnnc_a.err" >&2; exit 1; }
# shellcheck disable=SC2086
"$cnnc_b" "$src" $weights "$@" ${FLAGS_B:-} --prefix b_net -o "$d/b.c" 2> "$d/cnnc_b.err" || {
    echo "ab.sh: B: $cnnc_b failed:" >&2; tail -n 5 "$d/cnnc_b.err" >&2; exit 1; }
if [ -z "${RUNTIME_A:-}${CC_A:-}" ] && cmp -s <(sed 's/a_net\|A_NET\|"a\.h"//g' "$d/a.c") <(sed 's/b_net\|B_NET\|"b\.h"//g' "$d/b.c"); then
    echo "ab.sh: A and B are the same code (the ratio shows where the two copies lie in memory)"
fi
status=0
for cc in ${AB_CCS:-clang gcc}; do
    a_src=$d/a.c a_cc=${CC_A:-$cc}
    if [ -n "${RUNTIME_A:-}${CC_A:-}" ]; then
        a_src=$d/a_$cc.o
        # shellcheck disable=SC2086
        $a_cc $BENCH_CFLAGS -std=c11 -I"$d" ${RUNTIME_A:+-I"$RUNTIME_A"} $("$CNNC" --cflags) -c "$d/a.c" -o "$a_src" \
            2> "$d/cc_$cc.err" || { echo "ab.sh: $a_cc failed on A:" >&2; head -n 5 "$d/cc_$cc.err" >&2; exit 1; }
    fi
    # shellcheck disable=SC2086
    $cc $BENCH_CFLAGS -std=c11 -I"$d" $("$CNNC" --cflags) "$BENCH/ab_main.c" "$a_src" "$d/b.c" \
        -L"$BUILD" $("$CNNC" --libs) -o "$d/ab_$cc" 2> "$d/cc_$cc.err" || {
        echo "ab.sh: $cc failed:" >&2; head -n 5 "$d/cc_$cc.err" >&2; exit 1; }
    "$d/ab_$cc" --blocks "${BLOCKS:-40}" --min-ms "${MIN_MS:-20}" > "$d/ab_$cc.txt"
    rc=$?
    [ $rc -le 3 ] || { echo "ab.sh: $d/ab_$cc exited with $rc" >&2; exit 1; }
    f=$d/ab_$cc.txt
    echo "$cc$([ "$a_cc" != "$cc" ] && echo " (A: $a_cc)"): A $(val a_us "$f") us, B $(val b_us "$f") us, B/A $(val ratio "$f")" \
         "(quartiles $(val ratio_q25 "$f")-$(val ratio_q75 "$f")), max |B-A| $(val max_abs_diff "$f")" \
         "$([ $rc = 3 ] && echo "(outputs disagree: $(val check "$f" | sed 's/FAIL //') elements beyond 1e-4 + 1e-3 |A|)")"
    [ $rc = 3 ] && status=3
done
exit $status
