#!/bin/sh
# tests/fuzz/test-asan.sh — `make test-asan`: the golden, errors and cli suites
# on the sanitized compiler, then the numeric suite with the generated C built
# with -fsanitize=address,undefined as well (through the compiler wrappers that
# fuzz.mk writes to $ASAN_BUILD/cc/), at each level of $ASAN_LEVELS.
# One closing "N passed, M failed" line sums them all.
#
#   ASAN_CNNC    the sanitized compiler     [build-asan/cnnc]
#   ASAN_BUILD   its build directory        [build-asan]
#   ASAN_LEVELS  cnnc flags for numeric, ';'-separated, each optionally
#                followed by '|' and flags for the generated C, and by '|'
#                and the one compiler (clang or gcc) that builds it
#                [-O0||clang;-O2 --conv-vectors=channels --winograd=on|-DCNNRT_DISPATCH=0 -DCNNRT_WIDE=1|gcc]
#                (-DCNNRT_DISPATCH=0 -DCNNRT_WIDE=1: one variant of the
#                kernels, the wide register tiles, which without -march the
#                generated C would take only on an AVX-512 CPU; Winograd and channel
#                vectors where they apply, pixel vectors elsewhere). A level
#                whose compiler is missing takes the other. Sanitized builds
#                are slow: the other -O2 paths run unsanitized in make test,
#                whose harness checks guard zones around every buffer. (gcc
#                builds the -O2 level: clang with the sanitizers takes minutes
#                over one large channel-blocked kernel that gcc builds in 20 s.)
#   ASAN_CCS     compilers for the levels that name none [clang and gcc, those
#                present]; each runs as its wrapper in $ASAN_BUILD/cc/ (put
#                on PATH): clang-asan, gcc-asan
cd "$(dirname "$0")/../.." || exit 2
root=$(pwd)
ASAN_BUILD=${ASAN_BUILD:-build-asan}
ASAN_CNNC=${ASAN_CNNC:-$ASAN_BUILD/cnnc}
ASAN_LEVELS=${ASAN_LEVELS:--O0||clang;-O2 --conv-vectors=channels --winograd=on|-DCNNRT_DISPATCH=0 -DCNNRT_WIDE=1|gcc}
case $ASAN_CNNC in /*) ;; *) ASAN_CNNC=$root/$ASAN_CNNC ;; esac
# numeric/run.sh names its files after each compiler: plain names, on PATH
PATH=$root/$ASAN_BUILD/cc:$PATH
export PATH
if [ -z "${ASAN_CCS:-}" ]; then
    ASAN_CCS=
    for cc in clang gcc; do
        command -v $cc >/dev/null 2>&1 && [ -x "$root/$ASAN_BUILD/cc/$cc-asan" ] &&
            ASAN_CCS="$ASAN_CCS $cc-asan"
    done
fi
# a sanitizer report is never an expected output: make it loud and distinct
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:exitcode=99}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS UBSAN_OPTIONS

p=0 f=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT INT TERM
tally() {   # NAME: sums the last "N passed, M failed" line of $log
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    if [ -z "$line" ]; then
        echo "FAIL $1: no result line"
        f=$((f + 1))
        return
    fi
    p=$((p + $(echo "$line" | cut -d' ' -f1)))
    f=$((f + $(echo "$line" | cut -d' ' -f3)))
}
part() {    # TITLE: a part begins (show says how long it took)
    t0=$(date +%s)
    echo "== $1"
}
show() {    # the part's failures and sanitizer reports, not its PASS lines; its time
    grep -v '^PASS' "$log" | grep -v -E '^[0-9]+ passed, [0-9]+ failed'
    echo "   $(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1) in $(($(date +%s) - t0)) s"
}

part "golden and errors (cnnc: $ASAN_CNNC)"
CNNC=$ASAN_CNNC sh tests/golden/run.sh >"$log" 2>&1
show; tally golden
part "cli"
CNNC=$ASAN_CNNC sh tests/cli/run.sh >"$log" 2>&1
show; tally cli
if [ -d tests/fuzz/regress ]; then
    part "fuzz regressions through cnnc"
    sh tests/fuzz/regress.sh "$ASAN_CNNC" >"$log" 2>&1
    show; tally regress
fi
old_ifs=$IFS
IFS=';'
for level in $ASAN_LEVELS; do
    IFS=$old_ifs
    flags=${level%%|*} cflags= ccs=$ASAN_CCS
    case $level in *'|'*) cflags=${level#*|} ;; esac
    case $cflags in *'|'*)
        want=${cflags#*|} cflags=${cflags%%|*}
        case " $ASAN_CCS " in
        *" $want-asan "*) ccs=" $want-asan" ;;
        *) ccs=" ${ASAN_CCS##* }" ;;   # not present: the other one
        esac ;;
    esac
    part "numeric, cnnc $flags, generated C with the sanitizers:$ccs $cflags"
    CNNC=$ASAN_CNNC CNNC_FLAGS=$flags EXTRA_CFLAGS=$cflags CC=$ccs tests/numeric/run.sh >"$log" 2>&1
    show; tally "numeric $level"
done
IFS=$old_ifs
echo "$p passed, $f failed"
[ "$f" -eq 0 ]
