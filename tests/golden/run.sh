#!/bin/sh
# tests/golden/run.sh — golden and error tests of cnnc's front end.
#
#   tests/golden/NAME.cnn     with NAME.report (cnnc --report), NAME.json
#                             (--report=json) and, when present, NAME.dot
#                             (--emit=dot) beside it; each must match byte
#                             for byte, with exit status 0 and no stderr.
#   tests/errors/NAME.cnn     carries its expected standard error at its end,
#                             one '# expect: LINE' per line, then '# exit: N'.
#                             That block is cut off before cnnc sees the file
#                             (so locations never point into it). cnnc runs
#                             with --report, or with the options of an
#                             '# args: ...' line in the block (it runs
#                             beside weights/, a link to tests/errors/weights/
#                             and its bad safetensors files). A '# todo: WHY'
#                             line marks an expectation written by hand for a
#                             diagnostic the compiler does not give yet: BLESS
#                             keeps it until the output matches, then drops
#                             the todo line.
#   tests/errors/gen/NAME.sh  prints a source on stdout (for inputs too big to
#                             commit); its expectations end the script the
#                             same way.
#
# cnnc runs in a scratch directory on a file named NAME.cnn, with NO_COLOR=1,
# so diagnostics read "NAME.cnn:LINE:COL: ...". CNNC overrides the compiler
# (default build/cnnc). BLESS=1 rewrites the expectations instead of comparing
# (review the diff!). Arguments, if any, select cases by name (lenet5,
# errors/empty, gen/long_name): `BLESS=1 tests/golden/run.sh empty` re-blesses
# one. Prints PASS/FAIL per check, then "N passed, M failed".
set -u
LC_ALL=C
export LC_ALL
NO_COLOR=1
export NO_COLOR

root=$(cd "$(dirname "$0")/../.." && pwd)
cnnc=${CNNC:-build/cnnc}
case $cnnc in /*) ;; *) cnnc=$root/$cnnc ;; esac
if [ ! -x "$cnnc" ]; then
    echo "run.sh: no compiler at $cnnc (run make first)" >&2
    echo "0 passed, 1 failed"
    exit 1
fi
bless=${BLESS:-}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cnnc-golden.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
pass=0
fail=0

only="$*"

ok() { pass=$((pass + 1)); echo "PASS $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }

# selected LABEL: true when no case was named, or LABEL ends with a named one
selected() {
    [ -z "$only" ] && return 0
    for o in $only; do
        case $1 in "$o" | */"$o") return 0 ;; esac
    done
    return 1
}

# ---- golden reports

# golden NAME EXT ARGS...: compare cnnc's stdout with golden/NAME.EXT
golden() {
    name=$1 ext=$2
    shift 2
    want=$root/tests/golden/$name.$ext
    (cd "$root/tests/golden" && "$cnnc" "$name.cnn" "$@") >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if [ -n "$bless" ]; then
        if [ $rc -eq 0 ] && [ ! -s "$tmp/err" ]; then
            cp "$tmp/out" "$want"
            ok "golden/$name.$ext (blessed)"
        else
            bad "golden/$name.$ext (exit $rc, not blessed)"
            cat "$tmp/err"
        fi
        return
    fi
    if [ $rc -ne 0 ] || [ -s "$tmp/err" ]; then
        bad "golden/$name.$ext (exit $rc)"
        cat "$tmp/err"
    elif [ ! -f "$want" ]; then
        bad "golden/$name.$ext (no expected file: run make bless)"
    elif cmp -s "$want" "$tmp/out"; then
        ok "golden/$name.$ext"
    else
        bad "golden/$name.$ext"
        diff -u --label "golden/$name.$ext" --label actual "$want" "$tmp/out"
    fi
}

for f in "$root"/tests/golden/*.cnn; do
    [ -f "$f" ] || continue
    name=$(basename "$f" .cnn)
    selected "golden/$name" || continue
    golden "$name" report --report
    golden "$name" json --report=json
    if [ -f "$root/tests/golden/$name.dot" ]; then golden "$name" dot --emit=dot; fi
done

# ---- error cases

# the source without its trailing '# expect:' / '# exit:' block
source_part() {
    awk '{ line[NR] = $0 } /^# (expect|exit|args|todo):/ { next } { last = NR }
         END { for (i = 1; i <= last; i++) print line[i] }' "$1"
}

# the options of the block's '# args:' line (default --report)
args_part() {
    a=$(awk '/^# args:/ { print substr($0, 9) }' "$1" | tail -n 1)
    echo "${a:---report}"
}

# the expected stderr and exit status from the block
expected_part() {
    awk '/^# expect:/ { s = substr($0, 10); if (substr(s, 1, 1) == " ") s = substr(s, 2); print s }' "$1" >"$2"
    awk '/^# exit:/ { print $3 }' "$1" | tail -n 1 >"$3"
}

# replace the block of FILE with the actual stderr and exit status
rewrite_block() {
    file=$1 err=$2 rc=$3
    {
        source_part "$file"
        grep '^# args:' "$file"
        awk '{ if ($0 == "") print "# expect:"; else print "# expect: " $0 }' "$err"
        echo "# exit: $rc"
    } >"$tmp/new"
    cat "$tmp/new" >"$file"   # keeps the file's mode (gen scripts stay executable)
}

# the files in the scratch directory besides the source and weights/
leftovers() {
    for left in "$tmp"/run/* "$tmp"/run/.[!.]*; do
        [ -e "$left" ] && [ "$(basename "$left")" != "$1" ] && [ "$(basename "$left")" != weights ] &&
            printf ' %s' "$(basename "$left")"
    done
}

# check NAME SOURCE-FILE FILE-WITH-BLOCK
check_error() {
    label=$1 src=$2 file=$3
    rm -rf "$tmp/run"
    mkdir -p "$tmp/run"
    base=$(basename "$label")
    cp "$src" "$tmp/run/$base.cnn"
    # the bad-weights corpus, as weights/NAME.safetensors beside the source
    ln -s "$root/tests/errors/weights" "$tmp/run/weights"
    # shellcheck disable=SC2046 # the options are words, split on purpose
    (cd "$tmp/run" && "$cnnc" "$base.cnn" $(args_part "$file")) >"$tmp/out" 2>"$tmp/err"
    rc=$?
    expected_part "$file" "$tmp/want" "$tmp/want_rc"
    want_rc=$(cat "$tmp/want_rc")
    todo=$(grep '^# todo:' "$file")
    if [ -n "$bless" ] && [ -n "$todo" ]; then
        if [ "$rc" = "$want_rc" ] && cmp -s "$tmp/want" "$tmp/err"; then
            rewrite_block "$file" "$tmp/err" $rc
            ok "$label (fixed: the todo line is gone)"
        else
            bad "$label (kept: $todo)"
        fi
        return
    elif [ -n "$bless" ]; then
        rewrite_block "$file" "$tmp/err" $rc
        ok "$label (blessed, exit $rc)"
        return
    fi
    if [ -z "$want_rc" ]; then
        bad "$label (no '# exit:' line: run make bless)"
    elif [ "$rc" != "$want_rc" ]; then
        bad "$label (exit $rc, expected $want_rc)"
        diff -u --label expected --label actual "$tmp/want" "$tmp/err"
    elif ! cmp -s "$tmp/want" "$tmp/err"; then
        bad "$label"
        diff -u --label expected --label actual "$tmp/want" "$tmp/err"
    elif [ "$rc" != 0 ] && [ -s "$tmp/out" ]; then
        bad "$label (an input in error wrote on stdout)"
    elif [ "$rc" != 0 ] && [ -n "$(leftovers "$base.cnn")" ]; then
        bad "$label (an input in error left files:$(leftovers "$base.cnn"))"
    else
        ok "$label"
    fi
}

for f in "$root"/tests/errors/*.cnn; do
    [ -f "$f" ] || continue
    name=$(basename "$f" .cnn)
    selected "errors/$name" || continue
    source_part "$f" >"$tmp/src"
    check_error "errors/$name" "$tmp/src" "$f"
done

for g in "$root"/tests/errors/gen/*.sh; do
    [ -f "$g" ] || continue
    name=$(basename "$g" .sh)
    selected "errors/gen/$name" || continue
    if ! sh "$g" >"$tmp/src"; then
        bad "errors/gen/$name (the generator failed)"
        continue
    fi
    check_error "errors/gen/$name" "$tmp/src" "$g"
done

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
