#!/bin/sh
# tests/native-is-v3.sh CC...: exit status 0 when, under every compiler named,
# -march=native predefines the vector ISA macros of -march=x86-64-v3 (an AVX2
# CPU without AVX-512), so that a build with it compiles the same kernels as
# one with x86-64-v3; 1 otherwise (an AVX-512 CPU: the wide tiles).
isa() { "$1" -march="$2" -dM -E -x c /dev/null 2>/dev/null | grep -E '^#define __(AVX|FMA|F16C)' | sort; }
for cc in "$@"; do
    command -v "$cc" >/dev/null 2>&1 || exit 1
    [ "$(isa "$cc" native)" = "$(isa "$cc" x86-64-v3)" ] || exit 1
done
exit 0
