#!/usr/bin/env bash
# Numeric tests: every tests/numeric/cases/*.cnn is compiled by cnnc, built with
# each C compiler, run by harness.c, and compared with the PyTorch reference.
#
#   tests/numeric/run.sh [CASE ...]        CASE: a name (conv2d_basic) or a path
#
# Environment:
#   CNNC        the compiler                      [build/cnnc]
#   CNNC_FLAGS  extra cnnc flags, e.g. -O0        []
#   CC          one C compiler to use             [both clang and gcc, when present]
#   PYTHON      python with torch and numpy       [/usr/bin/python3]
#   SEED        weights/input seed                [per case: `# numeric: seed=`, else 1234]
#   JOBS        cases run in parallel             [nproc]
#   NUMERIC_REF reference data made beforehand by `ref.py gen CASES --each
#               --out DIR` (same cases, same SEED): DIR/<case>/ is used instead
#               of generating it again (numeric-all.sh shares one among its
#               configurations); cases missing from DIR are generated  []
#   SAME_AS     cnnc flags of a configuration that runs too, with the same C
#               compilers and flags: a case whose generated C is the same
#               under them is skipped, as it tests nothing new here (an option
#               that changes some layers only: Winograd, channel vectors)  []
#   KEEP=1      keep the work dir (it is kept anyway when a case fails)
#
# Prints `PASS name`, `SKIP name: reason` or `FAIL name: reason` per case (a
# case passes when it passes with every compiler), then `N passed, M failed`
# (and `, K skipped`). Exit 1 if any failed.
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root" || exit 2

CNNC=${CNNC:-build/cnnc}
CNNC_FLAGS=${CNNC_FLAGS:-}
PYTHON=${PYTHON:-/usr/bin/python3}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
STD_FLAGS="-std=c11 -O2 -Wall -Wextra -pedantic -Werror ${EXTRA_CFLAGS:-}"

# --- the cases
cases=()
if [ $# -gt 0 ]; then
    for c in "$@"; do
        [ -f "$c" ] || c="$here/cases/${c%.cnn}.cnn"
        cases+=("$c")
    done
else
    cases=("$here"/cases/*.cnn)
fi

summary() {  # summary PASSED FAILED [SKIPPED]
    echo "$1 passed, $2 failed$([ "${3:-0}" -gt 0 ] && echo ", $3 skipped")"
    [ "$2" -eq 0 ]
}

fail_all() {  # fail_all REASON: every case fails for the same reason
    for c in "${cases[@]}"; do echo "FAIL $(basename "$c" .cnn): $1"; done
    summary 0 "${#cases[@]}"
    exit 1
}

# --- the tools
[ -x "$CNNC" ] || fail_all "no compiler at $CNNC (run make, or set CNNC)"
"$PYTHON" -c "import torch, numpy" 2>/dev/null ||
    fail_all "$PYTHON has no torch/numpy (apt-get install python3-torch)"
ccs=()
for cc in ${CC:-clang gcc}; do
    command -v "$cc" >/dev/null 2>&1 && ccs+=("$cc")
done
[ ${#ccs[@]} -gt 0 ] || fail_all "no C compiler found (${CC:-clang gcc})"

# flags to build generated code: from cnnc when it knows them, else the defaults
cflags=$("$CNNC" --cflags 2>/dev/null) || cflags="-I runtime"
libs=$("$CNNC" --libs 2>/dev/null) || libs="build/libcnnrt.a -lm"

mkdir -p build/numeric
work=$(mktemp -d "$root/build/numeric/run.XXXXXX") || exit 2

# --- reference data for every case at once (one python start), unless
# NUMERIC_REF already has it
NUMERIC_REF=${NUMERIC_REF:-}
refdir() {  # refdir NAME: where the case's input, expected output and weights are
    if [ -n "$NUMERIC_REF" ] && [ -d "$NUMERIC_REF/$1" ]; then
        printf '%s' "$NUMERIC_REF/$1"
    else
        printf '%s' "$work/$1"
    fi
}
togen=()
for c in "${cases[@]}"; do
    n=$(basename "$c" .cnn)
    [ "$(refdir "$n")" = "$work/$n" ] && togen+=("$c")
done
seed=()
[ -n "${SEED:-}" ] && seed=(--seed "$SEED")
if [ ${#togen[@]} -gt 0 ] &&
        ! "$PYTHON" "$here/ref.py" gen "${togen[@]}" --each --out "$work" "${seed[@]}" \
        2> "$work/gen.err"; then
    fail_all "ref.py gen failed: $(head -c 300 "$work/gen.err" | tr '\n' ' ')"
fi

# the harness, once per compiler (it reads each network's sizes from its net.h)
for cc in "${ccs[@]}"; do
    # shellcheck disable=SC2086  # flags are lists
    "$cc" $STD_FLAGS $cflags -DPREFIX=net -DUPREFIX=NET -c "$here/harness.c" \
        -o "$work/harness.$cc.o" 2> "$work/harness.$cc.err" ||
        fail_all "$cc: harness.c: $(grep -m1 -i error "$work/harness.$cc.err" | head -c 300)"
done

# first line of a log that names an error, else its first line
reason() {
    local line
    line=$(grep -m1 -i -E 'error|warning|harness:' "$1" 2>/dev/null) || line=$(head -n1 "$1")
    printf '%s' "${line:0:300}"
}

# run_case CASE.cnn: writes DIR/result, one line
run_case() {
    local src=$1 name d r cc out
    name=$(basename "$src" .cnn)
    d="$work/$name"
    r=$(refdir "$name")
    mkdir -p "$d"
    local res="$d/result"
    if [ -f "$r/gen-error.txt" ]; then
        echo "FAIL $name: reference: $(head -n1 "$r/gen-error.txt")" > "$res"; return
    fi
    local wflag=()
    [ -f "$r/weights.safetensors" ] && wflag=(--weights "$r/weights.safetensors")
    # shellcheck disable=SC2086  # CNNC_FLAGS is a list of flags
    if ! "$CNNC" $CNNC_FLAGS "$src" "${wflag[@]}" -o "$d/net.c" --prefix net \
            > "$d/cnnc.out" 2> "$d/cnnc.err"; then
        echo "FAIL $name: cnnc: $(reason "$d/cnnc.err")" > "$res"; return
    fi
    if [ ! -f "$d/net.c" ] || [ ! -f "$d/net.h" ]; then
        echo "FAIL $name: cnnc wrote no net.c/net.h" > "$res"; return
    fi
    if [ -n "${SAME_AS:-}" ] && mkdir -p "$d/same" &&
            "$CNNC" $SAME_AS "$src" "${wflag[@]}" -o "$d/same/net.c" --prefix net > /dev/null 2>&1 &&
            cmp -s <(tail -n +2 "$d/net.c") <(tail -n +2 "$d/same/net.c") &&   # line 1 names the flags
            cmp -s "$d/net.h" "$d/same/net.h"; then
        echo "SKIP $name: the same C as cnnc $SAME_AS" > "$res"; return
    fi
    local modes=(batch)
    grep -q -E '^\s*(#|//)\s*numeric:.*batch=' "$src" && modes+=(--per-sample)
    for cc in "${ccs[@]}"; do
        # net.c built and linked with the harness by one compiler call
        # shellcheck disable=SC2086  # flags are lists
        if ! "$cc" $STD_FLAGS $cflags "$d/net.c" "$work/harness.$cc.o" -o "$d/run.$cc" $libs \
                2> "$d/cc.$cc.err"; then
            echo "FAIL $name: $cc: $(reason "$d/cc.$cc.err")" > "$res"; return
        fi
        for mode in "${modes[@]}"; do
            # batch: forward (1 sample) or forward_batch; --per-sample: forward n times
            local flag=() label=$cc
            [ "$mode" = batch ] || { flag=("$mode"); label="$cc $mode"; }
            out="$d/out.$cc${mode#batch}.bin"
            timeout 60 "$d/run.$cc" "$d/net.h" "$r/input.bin" "$out" "${flag[@]}" 2> "$d/run.$cc.err"
            local rc=$?
            if [ $rc -ne 0 ]; then
                echo "FAIL $name: $label: harness exit $rc $(reason "$d/run.$cc.err")" > "$res"
                return
            fi
            # compared after every case has run, in one python start
            printf '%s\t%s\t%s\n' "$out" "$r/expected.bin" "$label" >> "$d/compare.list"
        done
    done
    echo "PASS $name" > "$res"
}

# --- run, JOBS at a time
for src in "${cases[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n; done
    run_case "$src" &
done
wait

# --- the outputs against the reference: a case that ran passes when every
# output of it matches (compare.py --list prints one line per output)
lists=()
for src in "${cases[@]}"; do
    l="$work/$(basename "$src" .cnn)/compare.list"
    [ -f "$l" ] && lists+=("$l")
done
if [ ${#lists[@]} -gt 0 ]; then
    cat "${lists[@]}" > "$work/compare.list"
    "$PYTHON" "$here/compare.py" --list "$work/compare.list" > "$work/compare.out" 2>&1
    for src in "${cases[@]}"; do
        name=$(basename "$src" .cnn)
        d="$work/$name"
        [ -f "$d/compare.list" ] || continue
        bad=$(grep -F "$d/" "$work/compare.out" | grep -v -F ': ok: ' | head -n 1)
        n_ok=$(grep -F "$d/" "$work/compare.out" | grep -c -F ': ok: ')
        if [ -n "$bad" ]; then
            echo "FAIL $name: $(printf '%s' "$bad" | cut -f2-)" > "$d/result"
        elif [ "$n_ok" -ne "$(wc -l < "$d/compare.list")" ]; then
            echo "FAIL $name: compare.py gave no result ($(head -c 200 "$work/compare.out"))" > "$d/result"
        fi
    done
fi

passed=0 failed=0 skipped=0
for src in "${cases[@]}"; do
    name=$(basename "$src" .cnn)
    line=$(cat "$work/$name/result" 2>/dev/null) || line="FAIL $name: no result"
    echo "$line"
    case $line in
    PASS*) passed=$((passed + 1)) ;;
    SKIP*) skipped=$((skipped + 1)) ;;
    *)  failed=$((failed + 1))
        # the kept work dir gets the case's reference data when it was shared
        r=$(refdir "$name")
        [ "$r" = "$work/$name" ] || cp "$r"/* "$work/$name/" 2>/dev/null ;;
    esac
done

if [ "$failed" -gt 0 ] || [ "${KEEP:-0}" = 1 ]; then
    echo "work dir: ${work#"$root"/}" >&2
else
    rm -rf "$work"
fi
summary "$passed" "$failed" "$skipped"
