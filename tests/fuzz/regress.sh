#!/bin/sh
# tests/fuzz/regress.sh [PROGRAM...] — every input of tests/fuzz/regress/
# (inputs a fuzzer once crashed on) and the ONNX seed corpus
# (tests/fuzz/onnx-corpus/) through each PROGRAM, one PASS/FAIL line per
# input and program, then "N passed, M failed".
#   build-fuzz/fuzz_compile   runs each .cnn once; passes when nothing crashes
#   build-fuzz/fuzz_weights   the same with each .safetensors
#   build-fuzz/fuzz_onnx      the same with each .onnx
#   a cnnc (build-asan/cnnc)  each .cnn with --report, then --random-weights
#                             -o OUT.c at -O0 and -O2; each .safetensors as
#                             --weights of fuzz_weights' network; each .onnx
#                             with --report, then -o OUT.c at -O0 and -O2;
#                             passes when cnnc exits 0 or 1 without a
#                             sanitizer report
# Default: build-fuzz/fuzz_compile build-fuzz/fuzz_weights build-fuzz/fuzz_onnx.
cd "$(dirname "$0")/../.." || exit 2
root=$(pwd)
[ $# -gt 0 ] || set -- build-fuzz/fuzz_compile build-fuzz/fuzz_weights build-fuzz/fuzz_onnx
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cnnc-regress.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
pass=0 fail=0
cat >"$tmp/net.cnn" <<'CNN'
network n {
    input x[3, 8, 8];
    conv2d c(out=2, kernel=3);
    batchnorm bn;
    relu;
    flatten;
    dense fc(out=4);
}
CNN
sanitized() { grep -q -E 'Sanitizer|runtime error:|internal error' "$1"; }
# cnnc_runs FILE: the cnnc command lines for one input, one per line
cnnc_runs() {
    case $1 in
    *.cnn)
        echo "$root/$1 --report"
        echo "$root/$1 -O0 --random-weights -o out.c"
        echo "$root/$1 -O2 --random-weights -o out.c" ;;
    *.safetensors)
        echo "net.cnn -O0 --weights $root/$1 -o out.c"
        echo "net.cnn -O2 --weights $root/$1 -o out.c" ;;
    *.onnx)
        echo "$root/$1 --report"
        echo "$root/$1 -O0 -o out.c"
        echo "$root/$1 -O2 -o out.c" ;;
    esac
}
for prog in "$@"; do
    case $prog in /*) ;; *) prog=$root/$prog ;; esac
    pname=$(basename "$prog")
    if [ ! -x "$prog" ]; then
        fail=$((fail + 1)); echo "FAIL no program at $prog"; continue
    fi
    for f in tests/fuzz/regress/*.cnn tests/fuzz/regress/*.safetensors tests/fuzz/regress/*.onnx \
             tests/fuzz/onnx-corpus/*.onnx; do
        [ -f "$f" ] || continue
        case $pname:$f in
        fuzz_compile*:*.cnn | fuzz_weights*:*.safetensors | fuzz_onnx*:*.onnx)
            if "$prog" "$f" >"$tmp/log" 2>&1; then ok=1; else ok=0; fi ;;
        fuzz_*) continue ;;
        *)
            ok=1
            cnnc_runs "$f" >"$tmp/runs"
            while read -r args; do
                # shellcheck disable=SC2086 # the options are words
                (cd "$tmp" && timeout 60 "$prog" $args) >/dev/null 2>"$tmp/log" </dev/null
                rc=$?
                if [ $rc -gt 1 ] || sanitized "$tmp/log"; then
                    ok=0
                    echo "  $pname $args: exit $rc"
                    break
                fi
            done <"$tmp/runs" ;;
        esac
        if [ $ok = 1 ]; then
            pass=$((pass + 1)); echo "PASS $pname ${f#tests/fuzz/}"
        else
            fail=$((fail + 1)); echo "FAIL $pname ${f#tests/fuzz/}"
            grep -E -A 12 '^==[0-9]+==ERROR|runtime error|internal error|deadly signal' "$tmp/log" | head -n 20
        fi
    done
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
