#!/bin/sh
# Every numeric case at -O0, -O1 and -O2 (each under clang and gcc; -O2 also
# with -march=native (the wide register tiles of AVX-512 on this machine),
# -march=x86-64-v3 (AVX2: the narrow ones, as without -march), on the generic
# no-vector path, with Winograd for every eligible 3x3 convolution, with
# channel vectors for every conv2d, and built for 64-bit ARM (NEON) and run
# under qemu-user when the cross tools are installed), then the lecture's worked examples; one
# closing "N passed, M failed" line.
cd "$(dirname "$0")/../.." || exit 2
p=0 f=0
tally() {   # sums the last "N passed, M failed" line of the output in $1
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1)
    if [ -z "$line" ]; then f=$((f + 1)); return; fi
    p=$((p + $(echo "$line" | cut -d' ' -f1)))
    f=$((f + $(echo "$line" | cut -d' ' -f3)))
}
log=$(mktemp)
run() {   # run LABEL CNNC_FLAGS EXTRA_CFLAGS
    echo "== numeric cases, $1"
    CNNC_FLAGS=$2 EXTRA_CFLAGS=$3 tests/numeric/run.sh >"$log" 2>&1
    grep -v '^PASS' "$log"
    tally "$log"
}
run "cnnc -O0" -O0 ""
run "cnnc -O1" -O1 ""
run "cnnc -O2" -O2 ""
run "cnnc -O2, generated C built with -march=native" -O2 "-march=native"
run "cnnc -O2, built with -march=x86-64-v3 (AVX2)" -O2 "-march=x86-64-v3"
run "cnnc -O2, the generic path (CNNRT_NO_VECTOR)" -O2 "-DCNNRT_NO_VECTOR"
run "cnnc -O2 --target=generic" "-O2 --target=generic" ""
run "cnnc -O2 --target=avx2, built with -march=native" "-O2 --target=avx2" "-march=native"
run "cnnc -O2 --winograd=on (every eligible 3x3 conv), -march=native" "-O2 --winograd=on" "-march=native"
run "cnnc -O2 --winograd=on, the generic path" "-O2 --winograd=on --target=generic" ""
run "cnnc -O2 --conv-vectors=channels (channel-blocked values), -march=native" "-O2 --conv-vectors=channels" "-march=native"
run "cnnc -O2 --conv-vectors=channels, the generic path" "-O2 --conv-vectors=channels --target=generic" ""
run "cnnc -O2 --conv-vectors=channels --winograd=on, -march=x86-64-v3 (AVX2)" "-O2 --conv-vectors=channels --winograd=on" "-march=x86-64-v3"
# 64-bit ARM: NEON, the narrow tiles (auto) and --target=neon, under qemu-user
if command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 && command -v qemu-aarch64 >/dev/null 2>&1; then
    for flags in -O2 "-O2 --target=neon --conv-vectors=channels --winograd=on"; do
        echo "== numeric cases, cnnc $flags, built for aarch64 (NEON) and run under qemu-aarch64"
        PATH=$PWD/tests/numeric:$PATH CC=cc-aarch64 CNNC_FLAGS=$flags tests/numeric/run.sh >"$log" 2>&1
        grep -v '^PASS' "$log"
        tally "$log"
    done
else
    echo "== aarch64: skipped (no aarch64-linux-gnu-gcc or qemu-aarch64: apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user)"
fi
echo "== lecture examples"
/usr/bin/python3 tests/numeric/lecture_test.py >"$log" 2>&1
grep -v '^PASS' "$log"
tally "$log"
rm -f "$log"
echo "$p passed, $f failed"
[ "$f" -eq 0 ]
