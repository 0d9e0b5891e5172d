#!/bin/bash
# The numeric suite's configurations: every case (tests/numeric/run.sh) at
# -O0, -O1 and -O2, each built by one compiler (they alternate, so both see
# every path): -O2 with -march=native (the wide register tiles of AVX-512 on
# this machine, one variant), -O2 without -march (the variant of the kernels
# the CPU chooses at run time: the wide one here), -O2 with -march=x86-64-v3
# and dispatch off (the narrow tiles), the baseline and AVX2 variants capped
# by CNNRT_ISA_MAX, on the generic no-vector path (the C of --target=auto
# under CNNRT_NO_VECTOR, and --target=generic's own), with Winograd for every
# eligible 3x3 convolution, with channel vectors for every conv2d, with
# caches so small that the kernels block and stream as big layers do; built for
# 64-bit ARM (NEON) and run under qemu-user when the cross tools are
# installed; then the lecture's worked examples. (--target=avx2 writes the
# narrow tiles that the x86-64-v3 builds of the default compile; tests/cli
# checks that they are the same code.) On a CPU without AVX-512, -march=native
# gives the vector ISA of x86-64-v3: O2-native's build then runs the narrow
# tiles that O2 (gcc, chosen at run time), O2-v3 (clang) and O2-base's
# build (clang, every variant) already cover, and it is skipped.
#
#   numeric-all.sh [--check]      every configuration, run in parallel by
#                                 tests/run-all.sh (progress, one closing
#                                 "N passed, M failed" line); --check: the quick
#                                 tier's configurations only
#   numeric-all.sh --list [--check]   NAME<TAB>LABEL, one configuration a line
#   numeric-all.sh --run NAME     one configuration (run.sh's output)
#   numeric-all.sh --gen DIR      reference data of every case into DIR, for
#                                 NUMERIC_REF=DIR (shared by the configurations)
#
# The quick tier (make check) runs the cases at -O0 built with gcc and at -O2
# built with clang, and the lecture examples; make test runs all of them.
cd "$(dirname "$0")/../.." || exit 2

# NAME|TIER|LABEL|CNNC_FLAGS|EXTRA_CFLAGS|CC (empty: run.sh's, clang and gcc)|SAME_AS
# SAME_AS: the cnnc flags of a configuration here whose builds cover this
# one's (the same compiler and flags): cases whose C they do not change skip
# TIER: full (make test), check (make check), both. run-all.sh starts them in
# this order: the costliest first (about 2 CPU-minutes each, aarch64 a little
# more; -O0 and -O1 less; the lecture examples a few seconds).
configs() {
    cat <<'EOF'
aarch64-O2|full|cnnc -O2, built for aarch64 (NEON), run under qemu-aarch64|-O2||cc-aarch64
aarch64-neon|full|cnnc -O2 --target=neon --conv-vectors=channels --winograd=on, aarch64 under qemu|-O2 --target=neon --conv-vectors=channels --winograd=on||cc-aarch64
O2|full|cnnc -O2, gcc (every variant built, the CPU's best run)|-O2||gcc
O2-native|full|cnnc -O2, generated C built with -march=native, clang|-O2|-march=native|clang
O2-v3|full|cnnc -O2, built with -march=x86-64-v3 (AVX2) and -DCNNRT_DISPATCH=0 (one variant: the narrow tiles), clang|-O2|-march=x86-64-v3 -DCNNRT_DISPATCH=0|clang
O2-base|full|cnnc -O2, the baseline x86-64 variant chosen at run time (-DCNNRT_ISA_MAX=CNNRT_ISA_BASE), clang|-O2|-DCNNRT_ISA_MAX=CNNRT_ISA_BASE|clang
O2-novector|full|cnnc -O2, the generic path (CNNRT_NO_VECTOR), gcc|-O2|-DCNNRT_NO_VECTOR|gcc
O2-winograd-native|full|cnnc -O2 --winograd=on (every eligible 3x3 conv), -march=native, clang|-O2 --winograd=on|-march=native|clang|-O2
O2-channels-native|full|cnnc -O2 --conv-vectors=channels (channel-blocked values), -march=native, clang|-O2 --conv-vectors=channels|-march=native|clang|-O2
O2-channels-winograd-generic|full|cnnc -O2 --conv-vectors=channels --winograd=on --target=generic (the generic path), clang|-O2 --conv-vectors=channels --winograd=on --target=generic||clang
O2-channels-winograd-v3|full|cnnc -O2 --conv-vectors=channels --winograd=on, -march=x86-64-v3, the AVX2 variant chosen at run time, gcc|-O2 --conv-vectors=channels --winograd=on|-march=x86-64-v3 -DCNNRT_ISA_MAX=CNNRT_ISA_AVX2|gcc
O2-smallcache|full|cnnc -O2 --cache=4K,16K,64K (the blocked paths of big layers on small ones), gcc, the CPU's best variant|-O2 --cache=4K,16K,64K||gcc|-O2
O0|full|cnnc -O0, gcc (clang's build: make test-asan)|-O0||gcc
O1|full|cnnc -O1, clang|-O1||clang
O0-gcc|check|cnnc -O0, gcc only|-O0||gcc
O2-clang|check|cnnc -O2, clang only|-O2||clang
lecture|both|lecture examples||||
EOF
}

case ${1:-} in
--list)
    want=full
    [ "${2:-}" = --check ] && want=check
    configs | while IFS='|' read -r name tier label _; do
        [ "$tier" = "$want" ] || [ "$tier" = both ] && printf '%s\t%s\n' "$name" "$label"
    done
    ;;
--gen)
    [ -n "${2:-}" ] || { echo "numeric-all.sh: --gen needs a directory" >&2; exit 2; }
    seed=()
    [ -n "${SEED:-}" ] && seed=(--seed "$SEED")
    mkdir -p "$2" && exec "${PYTHON:-/usr/bin/python3}" tests/numeric/ref.py gen \
        tests/numeric/cases/*.cnn --each --out "$2" "${seed[@]}"
    ;;
--run)
    line=$(configs | grep "^${2:-}|") ||
        { echo "numeric-all.sh: no configuration '${2:-}' (see --list)" >&2; exit 2; }
    IFS='|' read -r name _ label flags cflags cc same <<<"$line"
    echo "== numeric cases, $label"
    if [ "$name" = lecture ]; then
        exec /usr/bin/python3 tests/numeric/lecture_test.py
    fi
    if [ "$name" = O2-native ] && tests/native-is-v3.sh "$cc"; then
        echo "SKIP $name: -march=native is x86-64-v3's vector ISA here (O2, O2-v3 and O2-base run its kernels)"
        echo "0 passed, 0 failed"
        exit 0
    fi
    if [ "$cc" = cc-aarch64 ]; then
        if ! command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 ||
                ! command -v qemu-aarch64 >/dev/null 2>&1; then
            echo "SKIP $name: no aarch64-linux-gnu-gcc or qemu-aarch64" \
                 "(scripts/install-deps.sh --tests installs them)"
            echo "0 passed, 0 failed"
            exit 0
        fi
        PATH=$PWD/tests/numeric:$PATH
        export PATH
    fi
    [ -n "$cc" ] && { CC=$cc; export CC; }
    CNNC_FLAGS=$flags EXTRA_CFLAGS=$cflags SAME_AS=$same exec tests/numeric/run.sh
    ;;
--check | '')
    exec tests/run-all.sh ${1:+"$1"} numeric
    ;;
*)
    sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
