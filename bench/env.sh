# bench/env.sh — what the benchmark scripts share (sourced, after `set -u`):
# the source root (and cd there), the tools from the environment with their
# defaults, and val(). See bench/run.sh for the variables.
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
abspath() { case $1 in /*) echo "$1" ;; *) echo "$ROOT/$1" ;; esac; }
BUILD=$(abspath "${BUILD:-build}")
CNNC=$(abspath "${CNNC:-$BUILD/cnnc}")
CC=${CC:-clang}
PYTHON=${PYTHON:-/usr/bin/python3}
OUT=$(abspath "${OUT:-$BUILD/bench}")
BENCH_CFLAGS=${BENCH_CFLAGS:--O3 -march=native -mprefer-vector-width=512}
BENCH=$ROOT/bench
[ -x "$CNNC" ] || { echo "$(basename "$0"): no compiler at $CNNC (run make)" >&2; exit 1; }

# `key value` lines: the value of KEY in FILE (first match), or "-"
val() { v=$(sed -n "s/^$1 //p" "$2" 2>/dev/null | head -n 1); echo "${v:--}"; }

# the model argument of profile.sh and ab.sh, NET (a name of nets/) or FILE (a
# .cnn file or an ONNX model), then the cnnc flags: sets src, net (a C name:
# the file's, or its folder's for net.*) and weights (--random-weights unless
# the model is ONNX or the flags name weights)
model_arg() {
    case $1 in
    *.cnn|*.onnx)
        src=$(abspath "$1")
        net=$(basename "$src"); net=${net%.*}
        [ "$net" = net ] && net=$(basename "$(dirname "$src")")
        net=$(echo "$net" | tr -c 'A-Za-z0-9_\n' _) ;;
    *)  src=$BENCH/nets/$1.cnn; net=$1 ;;
    esac
    [ -f "$src" ] || { echo "$(basename "$0"): no $src" >&2; exit 1; }
    shift
    weights=--random-weights
    case "$src $*" in *.onnx*|*--weights*) weights= ;; esac
}
