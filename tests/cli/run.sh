#!/bin/sh
# tests/cli/run.sh — the command line of cnnc (docs/language.md, section 8),
# in the manner of chibicc's test/driver.sh: each check runs cnnc and looks at
# its exit status, its output and the files it leaves. CNNC overrides the
# compiler (default build/cnnc). Prints PASS/FAIL per check, then
# "N passed, M failed".
set -u
LC_ALL=C
export LC_ALL
unset NO_COLOR

root=$(cd "$(dirname "$0")/../.." && pwd)
cnnc=${CNNC:-build/cnnc}
case $cnnc in /*) ;; *) cnnc=$root/$cnnc ;; esac
if [ ! -x "$cnnc" ]; then
    echo "run.sh: no compiler at $cnnc (run make first)" >&2
    echo "0 passed, 1 failed"
    exit 1
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cnnc-cli.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
cd "$tmp" || exit 1
pass=0
fail=0

# check NAME CONDITION...: PASS when the condition (a command) succeeds
check() {
    name=$1
    shift
    if "$@"; then
        pass=$((pass + 1))
        echo "PASS $name"
    else
        fail=$((fail + 1))
        echo "FAIL $name"
        for f in out err; do
            [ -s "$f" ] && { echo "  --- $f:"; head -n 20 "$f" | sed 's/^/  /'; }
        done
    fi
}

# run ARGS...: cnnc with stdout in ./out, stderr in ./err, status in $rc
run() {
    "$cnnc" "$@" >out 2>err
    rc=$?
}

status() { [ "$rc" -eq "$1" ]; }
has() { grep -q -e "$2" "$1"; }
empty() { [ ! -s "$1" ]; }
no_escapes() { ! grep -q "$(printf '\033')" "$1"; }

cat >good.cnn <<'CNN'
network good {
    input x[3, 16, 16];
    conv2d c1(out=8, kernel=3, pad=1);
    batchnorm bn1;
    relu r1;
    conv2d c2(out=3, kernel=3, pad=1);
    add sum(x, c2);
    relu;
}
CNN
cat >bad.cnn <<'CNN'
network bad {
    input x[3, 16, 16];
    conv2d c1(out=8, kernal=3);
    dense fc(out=10);
}
CNN

# ---- information
run --help
check "--help exits 0" status 0
check "--help prints the usage" has out "usage: cnnc"
check "--help lists the layer kinds" has out "conv2d"
check "--help documents -O and -O3" has out "-O, -O3: the same as -O2"
check "--help lists --target=auto, the default" has out "--target=auto|.*auto (default)"
run -h
check "-h exits 0" status 0
run --version
check "--version exits 0" status 0
check "--version prints the version" has out "^cnnc [0-9][0-9.]*"
run --cflags
check "--cflags exits 0" status 0
check "--cflags prints -I" has out "-I"
run --libs
check "--libs exits 0" status 0
check "--libs prints -l" has out "-l"
run --cflags --libs
check "--cflags --libs exits 0" status 0
check "--cflags --libs prints both on one line" has out "^-I.* -L.* -lcnnrt -lm$"
run --libs --cflags
check "--libs --cflags prints the same" has out "^-I.* -L.* -lcnnrt -lm$"
run --cflags net.cnn
check "--cflags with a file is a usage error" status 2

# ---- bad usage: exit 2
run --no-such-option good.cnn
check "unknown option exits 2" status 2
check "unknown option is named" has err "no-such-option"
run
check "no input file exits 2" status 2
check "no input file says so" has err "no input file"
run good.cnn bad.cnn
check "two input files exit 2" status 2
run good.cnn -O7
check "-O7 exits 2" status 2
run good.cnn --report=xml
check "--report=xml exits 2" status 2
run good.cnn --emit=asm
check "--emit=asm exits 2" status 2
run good.cnn -o
check "-o without a file exits 2" status 2
for p in 1abc a-b "a b" ""; do
    run good.cnn --report --prefix "$p"
    check "--prefix '$p' exits 2" status 2
done
run good.cnn --report --prefix=9lives
check "--prefix=9lives exits 2" status 2
run good.cnn --report --prefix my_net2
check "--prefix my_net2 is accepted" status 0

# ---- input
run missing.cnn
check "a missing file exits 1" status 1
check "a missing file is named" has err "missing.cnn"
run good.cnn --report
check "--report exits 0" status 0
check "--report prints the table" has out "Total params:"
check "--report writes nothing on stderr" empty err
cp out report.file
"$cnnc" - --report <good.cnn >out 2>err
rc=$?
check "'-' reads standard input" status 0
check "--report on stdin matches the file's" cmp -s out report.file
"$cnnc" - --report=json <good.cnn >out 2>err
rc=$?
check "--report=json on stdin exits 0" status 0
json() { jq -e "$1" out >/dev/null; }
check "--report=json is JSON" json '.network == "good" and (.layers | length) == 6'
check "--report=json has the totals" json '.total_params > 0 and .total_macs > 0 and .param_bytes == 4 * .total_params'
check "--report=text is --report" sh -c '"$1" good.cnn --report=text | cmp -s - report.file' sh "$cnnc"
run good.cnn --report
cp out again.file
check "the same input gives the same report" cmp -s again.file report.file
printf 'network s {\n  input x[3];\n  relu(y);\n}\n' | "$cnnc" - --report >out 2>err
rc=$?
check "an error on stdin exits 1" status 1
check "stdin diagnostics say <stdin>" has err "^<stdin>:3:8: error: unknown name 'y'"

# ---- optimization levels
for o in -O0 -O1 -O2; do
    run good.cnn --report "$o"
    check "$o is accepted" status 0
done
# as gcc: -O and -O3 are accepted and mean -O2 (the most there is)
mkdir -p lvl/O2 lvl/O lvl/O3
"$cnnc" good.cnn --random-weights -O2 -o lvl/O2/net.c 2>err
for o in -O -O3; do
    run good.cnn --random-weights "$o" -o "lvl/${o#-}/net.c"
    check "$o is accepted" status 0
    check "$o gives the code of -O2" sh -c 'cmp -s "$1/net.c" lvl/O2/net.c && cmp -s "$1/net.h" lvl/O2/net.h' sh "lvl/${o#-}"
done

# ---- dot
run good.cnn --emit=dot
check "--emit=dot exits 0" status 0
check "--emit=dot is a digraph" has out "^digraph"
check "--emit=dot draws the residual edge dashed" has out "n0 -> n[0-9]* \[style=dashed"
cp out graph.dot
check "--emit=dot is valid for dot -Tsvg" sh -c 'dot -Tsvg graph.dot >graph.svg 2>dot.err && [ ! -s dot.err ] && grep -q "<svg" graph.svg'
run good.cnn --emit=dot -o g.dot
check "--emit=dot -o FILE exits 0" status 0
check "--emit=dot -o FILE writes the file" cmp -s g.dot graph.dot

# ---- C output (docs/language.md, sections 8 and 10)
mkdir -p cout
run good.cnn --random-weights -o cout/net.c
check "-o FILE exits 0" status 0
check "-o FILE writes FILE and its header" sh -c '[ -s cout/net.c ] && [ -s cout/net.h ]'
check "-o FILE leaves no temporary file" sh -c '[ "$(ls -A cout | tr "\n" " ")" = "net.c net.h " ]'
check "the header declares good_forward" has cout/net.h "good_forward"
run good.cnn --random-weights --prefix my_net -o cout/p.c
check "--prefix names the symbols" has cout/p.h "my_net_forward"
run good.cnn --random-weights -o -
check "-o - writes the source on stdout" sh -c 'grep -q good_forward out && [ ! -e good.c ] && [ ! -e -.h ]'
mkdir -p cobj
run good.cnn --random-weights -c -o cobj/net.c
check "-c compiles the source to an object (\$CC, default clang)" sh -c '[ -s cobj/net.o ] && nm cobj/net.o | grep -q "T good_forward"'
CC=gcc run good.cnn --random-weights -c -o cobj/g.c
check "-c uses \$CC" sh -c '[ -s cobj/g.o ]'
# a source path with a star-slash (and a slash-star) in it: the comments that
# name it still close where they should, and the file compiles warning-free
mkdir -p 'odd*' 'odd*/x'
cp good.cnn 'odd*/x/good.cnn'
CC=gcc run 'odd*/x/good.cnn' --random-weights -c -o cobj/odd.c
check "a source path with '*/' in it gives C that compiles" sh -c '[ -s cobj/odd.o ] && gcc -std=c11 -Wall -Wextra -pedantic -Werror -fsyntax-only -I"$1" cobj/odd.c' sh "$root/runtime"
# a file named just ".onnx" is an ONNX model by its extension (here not a
# valid one), and a .cnn file named ".cnn" writes ".cnn.c", not ".c"
mkdir -p dotonnx dotcnn
cp good.cnn dotonnx/.onnx
cp good.cnn dotcnn/.cnn
(cd dotonnx && "$cnnc" .onnx >../out 2>../err)
check "a file named '.onnx' is read as ONNX" sh -c '[ "$1" -eq 1 ] && grep -q "not a valid ONNX model" err && [ "$(ls -A dotonnx)" = .onnx ]' sh "$?"
(cd dotcnn && "$cnnc" .cnn --random-weights >../out 2>../err)
check "a file named '.cnn' writes .cnn.c and .cnn.h" sh -c '[ -s dotcnn/.cnn.c ] && [ -s dotcnn/.cnn.h ] && [ ! -e dotcnn/.c ]'
# --winograd: auto picks 3x3 stride-1 conv2d with 32+ channels, on every
# 3x3 stride-1 conv2d, off none; a bad mode is a usage error
cat >wino.cnn <<'EOF'
network wino {
    input x[32, 16, 16];
    conv2d big(out=32, kernel=3, pad=1);
    conv2d small(out=8, kernel=3, pad=1);
    conv2d strided(out=8, kernel=3, pad=1, stride=2);
}
EOF
run wino.cnn --random-weights --target=avx512 -o -   # one variant of the kernels
check "--winograd=auto: the 32-channel conv only" sh -c '[ "$(grep -c "Winograd F(4x4,3x3)" out)" = 1 ]'
run wino.cnn --random-weights --winograd=on --target=avx512 -o -
check "--winograd=on: both stride-1 convs" sh -c '[ "$(grep -c "Winograd F(4x4,3x3)" out)" = 2 ]'
run wino.cnn --random-weights --winograd=off -o -
check "--winograd=off: none" sh -c '! grep -q "Winograd" out'
run wino.cnn --random-weights --winograd=on -O0 -o -
check "-O0 never uses Winograd" sh -c '! grep -q "Winograd" out'
# auto weighs the lanes of Winograd's vectors of 16 tiles: 28x28 (49 tiles of
# 4x4 in 64 lanes) takes F(4x4,3x3); 14x14 (16 such tiles in 32 lanes, 49 of
# 2x2 in 64) F(2x2,3x3); 7x7 is faster direct
cat >wino2.cnn <<'EOF'
network wino2 {
    input x[32, 28, 28];
    conv2d big(out=32, kernel=3, pad=1);
    maxpool2d p(kernel=2);
    conv2d mid(out=32, kernel=3, pad=1);
    maxpool2d q(kernel=2);
    conv2d small(out=32, kernel=3, pad=1);
}
EOF
run wino2.cnn --random-weights --target=avx512 --dump-passes -o -
check "--winograd=auto: F(4x4) at 28x28 and (16 tiles, gathered into one vector) at 14x14, direct at 7x7" sh -c \
    'grep -A1 "^ *0 big" err | grep -q "kernel Winograd: F(4x4,3x3): 7 x 7 tiles of 4x4 in" &&
     grep -A1 "^ *2 mid" err | grep -q "kernel Winograd: F(4x4,3x3): 4 x 4 tiles of 4x4 (gathered) in blocks of 16" &&
     grep -A1 "^ *4 small" err | grep -q "kernel channel vectors"'
# weights beyond the cache (256 x 256 x 16 floats by F(2x2) at 10x10): one
# block of all 32 tiles, so that they come from memory once, in tiles of as
# many channels as 24 accumulators hold
cat >wino3.cnn <<'EOF'
network wino3 {
    input x[256, 10, 10];
    conv2d c(out=256, kernel=3, pad=1);
}
EOF
run wino3.cnn --random-weights --target=avx512 --dump-passes -o -
check "--winograd=auto: big weights, one block of tiles" has err "F(2x2,3x3): 5 x 5 tiles of 2x2 in blocks of 32; products of 12 channels x 2 x 16 tiles"
run wino.cnn --winograd=maybe
check "--winograd=maybe exits 2" status 2
check "--winograd=maybe says what it takes" has err "'--winograd=maybe': --winograd takes auto, on or off"

# --target: auto writes the kernels in three variants (wide tiles for
# AVX-512, narrow for AVX2 and for the baseline): CNNRT_DISPATCH (x86-64
# built without AVX-512) keeps all three and chooses at run time; else
# CNNRT_WIDE, set from __AVX512F__, keeps one: built for AVX-512 it holds
# --target=avx512's tiles, for AVX2 others
cat >tgt.cnn <<'EOF'
network tgt {
    input x[16, 16, 16];
    conv2d c(out=32, kernel=3, pad=1);
    flatten;
    dense d(out=10);
}
EOF
tiles() { grep -o "tiles of [0-9]* [a-z ]*x [0-9]* x 16\|outputs o0 \.\. o0 + [0-9]*" "$1" | tr '\n' ';'; }
variants() { grep -o "static void tgt_forward_[a-z]*" "$1" | tr '\n' ';'; }
run tgt.cnn --random-weights -o tgt_auto.c
check "--target=auto: three variants of the kernels" \
    test "$(variants tgt_auto.c)" = "static void tgt_forward_wide;static void tgt_forward_narrow;static void tgt_forward_base;"
check "--target=auto: the CPU chooses under CNNRT_DISPATCH" has tgt_auto.c "switch (cnnrt_isa())"
check "--target=auto: no target guard" sh -c '! grep -q "#error \"generated for" tgt_auto.c'
run tgt.cnn --random-weights --target=avx512 -o tgt_512.c
check "--target=avx512: one set of kernels" sh -c '! grep -q "CNNRT_WIDE\|CNNRT_DISPATCH\|_wide(" tgt_512.c'
check "--target=avx512: an #error guard" has tgt_512.c "#ifndef __AVX512F__"
run tgt.cnn --random-weights --target=avx2 -o tgt_avx2.c
check "--target=avx2: one set of kernels and a guard" sh -c '! grep -q "CNNRT_WIDE\|CNNRT_DISPATCH" tgt_avx2.c && grep -q "#ifndef __AVX2__" tgt_avx2.c'
${CC:-clang} -E -C -P -I"$root/runtime" -march=x86-64-v4 tgt_auto.c >tgt_v4.i 2>/dev/null
${CC:-clang} -E -C -P -I"$root/runtime" -march=x86-64-v3 -DCNNRT_DISPATCH=0 tgt_auto.c >tgt_v3.i 2>/dev/null
${CC:-clang} -E -C -P -I"$root/runtime" -march=x86-64-v3 tgt_auto.c >tgt_v3d.i 2>/dev/null
w=$(tiles tgt_512.c) v4=$(tiles tgt_v4.i) v3=$(tiles tgt_v3.i)
check "--target=auto built for AVX-512 takes --target=avx512's tiles, one variant" \
    test -n "$w" -a "$v4" = "$w" -a "$(variants tgt_v4.i)" = "static void tgt_forward_wide;"
check "--target=auto built for AVX2 without dispatch takes the narrow tiles" \
    test -n "$v3" -a "$v3" != "$w" -a "$(variants tgt_v3.i)" = "static void tgt_forward_narrow;"
check "--target=auto built for AVX2 keeps the three variants to choose from" \
    test "$(variants tgt_v3d.i)" = "$(variants tgt_auto.c)"
# --cache: the sizes the blocks are chosen for. wino3's 4 MB of transformed
# weights outgrow 4 x half of the default 1 MiB L2 (tiles of as many channels
# as 24 accumulators hold, above), not 4 x half of 4 MiB; the first line of
# the C names the sizes
run wino3.cnn --random-weights --target=avx512 --cache=32K,4M,32M --dump-passes -o cache.c
check "--cache=32K,4M,32M: the weights fit the L2, other product tiles" \
    has err "F(2x2,3x3): 5 x 5 tiles of 2x2 in blocks of 32; products of 8 channels x 2 x 16 tiles"
check "--cache: the first line of the C names the sizes" has cache.c "^/\* wino3.c .*(-O2, --cache=32K,4M,32M)"
run wino3.cnn --random-weights --cache=32K,1M,32M --prefix x -o - && tail -n +2 out >cache_default.c
run wino3.cnn --random-weights --prefix x -o - && tail -n +2 out >cache_none.c
check "--cache=32K,1M,32M (the default sizes) writes the default's code" cmp -s cache_default.c cache_none.c
run wino3.cnn --random-weights --cache=host -o -
check "--cache=host: this machine's sizes (Linux tells them)" has out "(-O2, --cache=[0-9]*[KM],[0-9]*[KM],[0-9]*[KM]*)"
for bad in 32K 32K,16K 32K,,1M 32K,1M, 1K,2K,3K,4K 512,1M x 2000M,4000M -1K,1M; do
    run wino3.cnn --random-weights --cache="$bad" -o cache_bad.c
    check "--cache=$bad is a usage error, nothing written" sh -c "[ $rc -eq 2 ] && [ ! -e cache_bad.c ]"
    check "--cache=$bad says what it takes" has err "'--cache=$bad': .*--cache"
done
# --conv-vectors and channel-blocked values (--dump-passes shows them)
cat >blk.cnn <<'EOF'
network blk {
    input x[16, 7, 7];
    conv2d a(out=32, kernel=1);
    conv2d b(out=32, kernel=3, pad=1);
    global_avgpool g;
}
EOF
run blk.cnn --random-weights --conv-vectors=channels --dump-passes -o -
check "--conv-vectors=channels: channel vectors in the C" has out "channel vectors: tiles of"
check "--conv-vectors=channels: a's value is channel-blocked (b reads it)" has err "a  *-> scratch+[0-9]* (channel-blocked)"
check "--conv-vectors=channels: b's value is too (the global pool reads it so)" has err "b  *-> scratch+[0-9]* (channel-blocked)"
# a 1x1 conv between a value stored channel-blocked and a depthwise conv
# that could keep its channels in the lanes takes channel vectors even at up
# to twice the modelled cost of pixel vectors (EfficientNet-B0's first
# expansion, 16 -> 96 at 112x112): the 1x1 before it then stores blocked and
# the strided depthwise conv after it reads blocked. From a 32x32 input (16x16
# after the stem) only the expansion's input is blocked, and the 1x1 before
# it, beside the depthwise conv that writes its input, keeps pixel vectors
sed -e 's/x\[3, 48, 48\]/x[3, 224, 224]/' "$root/tests/numeric/cases/blocked_expansion.cnn" >bexp.cnn
run bexp.cnn --random-weights --target=avx512 --dump-passes -o -
check "between blocked values: the expansion takes channel vectors and stores blocked" sh -c \
    'grep -A1 "^ *3 expand" err | grep -q "(channel-blocked)" && grep -A1 "^ *3 expand" err | grep -q "kernel channel vectors"'
check "between blocked values: the 1x1 before it stores blocked" has err "2 project+project_bn  *-> scratch+[0-9]* (channel-blocked)"
check "between blocked values: the depthwise conv after it takes the lanes" sh -c 'grep -A1 "^ *4 dw2" err | grep -q "kernel depthwise lanes"'
sed -e 's/x\[3, 48, 48\]/x[3, 32, 32]/' "$root/tests/numeric/cases/blocked_expansion.cnn" >bexp2.cnn
run bexp2.cnn --random-weights --target=avx512 --dump-passes -o -
check "beside one blocked value: the 1x1 keeps pixel vectors" sh -c 'grep -A1 "^ *2 project" err | grep -q "kernel pixel vectors"'
# a 1x1 conv that reads a C-order value and feeds a depthwise conv whose
# output is stored blocked leans to channel vectors as one between blocked
# values does: the depthwise conv keeps its lanes either way, and would else
# transpose its input into them (the 1x1 is modelled at 1.54x pixel vectors)
run "$root/tests/numeric/cases/blocked_outside.cnn" --random-weights --target=avx512 --dump-passes -o -
check "outside lanes: the 1x1 takes channel vectors and stores blocked" sh -c \
    'grep -A1 "^ *0 expand" err | grep -q "(channel-blocked)" && grep -A1 "^ *0 expand" err | grep -q "kernel channel vectors"'
check "outside lanes: the depthwise conv keeps its lanes" sh -c 'grep -A1 "^ *1 dw" err | grep -q "kernel depthwise lanes"'
# a stem from 3 channels over 3x3 taps (MobileNetV3-small's: 3 -> 16, 3x3/2,
# modelled at 1.53x pixel vectors) takes channel vectors, so that the strided
# depthwise conv after it keeps its 16 channels in the lanes
run "$root/tests/numeric/cases/blocked_stem.cnn" --random-weights --dump-passes -o -
check "a 3x3/2 stem from 3 channels: channel vectors, stored blocked" sh -c \
    'grep -A1 "^ *0 stem" err | grep -q "(channel-blocked)" && grep -A1 "^ *0 stem" err | grep -q "kernel channel vectors"'
check "a 3x3/2 stem from 3 channels: the depthwise conv after it takes the lanes" sh -c \
    'grep -A1 "^ *1 dw" err | grep -q "kernel depthwise lanes"'
# channel vectors over 2048 input channels at 7x7: 256 KB of weights a block
# beside 400 KB of input outgrow the cache together; in two passes of 1024
# channels. Over 1024 channels (128 KB a block, 200 KB of input) in one
run "$root/tests/numeric/cases/pointwise_passes.cnn" --random-weights --target=avx512 --dump-passes -o -
check "2048 channels at 7x7: a 1x1 conv in passes of 1024 input channels" sh -c \
    'grep -A1 "^ *0 a+ra" err | grep -q "the input in place, in passes of 1024 input channels"'
sed -e 's/x\[2048, 7, 7\]/x[1024, 7, 7]/' -e 's/out=2048/out=1024/' "$root/tests/numeric/cases/pointwise_passes.cnn" >pw1024.cnn
run pw1024.cnn --random-weights --target=avx512 --dump-passes -o -
check "1024 channels at 7x7: a 1x1 conv in one pass" sh -c \
    'grep -A1 "^ *0 a+ra" err | grep "kernel channel vectors" | grep -vq "in passes"'
# with 9 taps, passes whose weights stay in L1 (16 KB): a 3x3/2 conv of 128
# channels, 2304 bytes a channel of a 64-channel block, in passes of 7
cat >l1pass.cnn <<'EOF'
network l1pass {
    input x[128, 56, 56];
    conv2d c(out=128, kernel=3, stride=2, pad=1);
    relu;
}
EOF
run l1pass.cnn --random-weights --target=avx512 --dump-passes -o -
check "3x3/2 conv of 128 channels: in passes of 7 input channels (L1)" sh -c \
    'grep -A1 "^ *0 c+" err | grep -q "whole phase planes 2x1 x 29 x 58, in passes of 7 input channels"'
# channel vectors with a stride along the rows read whole padded rows (row
# phases only) where the taps read every column phase; a 1x1/2 conv reads
# one, and keeps it alone (whole rows would be twice the floats)
cat >pw_s2.cnn <<'EOF'
network pw_s2 {
    input x[64, 28, 28];
    conv2d c(out=128, kernel=1, stride=2);
}
EOF
run pw_s2.cnn --random-weights --conv-vectors=channels --dump-passes -o -
check "1x1/2 conv in channel vectors: one phase plane, not whole rows" sh -c \
    'grep -A1 "^ *0 c " err | grep -q "whole phase planes 1x1 x 14 x 14"'
# a 1x1 conv at one position reads each weight once: the blocks of output
# channels that pad the fewest (96 channels: 2 x 48, not 2 x 64)
run "$root/tests/numeric/cases/squeeze_excite.cnn" --random-weights --dump-passes -o -
check "one position: 96 output channels in blocks of 48, not 64" sh -c \
    'grep -A1 "^ *2 s2+gate" err | grep -q "1 positions x 3 x 16 channels (narrow 1 x 3 x 16)"'
# pixel tiles outside the channel blocks over an output past L2 (192 x 40 x
# 40, 1.2 MB) fetch their lines at the next tile's positions; at 28 x 28 the
# output fits (0.6 MB): no fetch
run "$root/tests/numeric/cases/pointwise_fetch_out.cnn" --random-weights --dump-passes -o -
check "1x1 layers with outputs past L2 fetch them a tile ahead" sh -c \
    'test "$(grep -c "outputs fetched a tile ahead, pixel tiles outer" err)" = 2 && grep -q CNNRT_PREFETCH_W out'
sed 's/x\[32, 40, 40\]/x[32, 28, 28]/' "$root/tests/numeric/cases/pointwise_fetch_out.cnn" > "$tmp/fetch28.cnn"
run "$tmp/fetch28.cnn" --random-weights --dump-passes -o -
check "1x1 layers with outputs within L2 fetch none ahead" sh -c \
    '! grep -q "outputs fetched a tile ahead" err && ! grep -q CNNRT_PREFETCH_W out'
# depthwise lanes over rows too wide for one band: the padded input is read
# band by band of output rows, as many bands as the budget needs and as even
# as they go (23 rows of 298 columns: 6 bands of 4 rows, the last of 3), and
# the scratch holds one band, not the whole padded input
run "$root/tests/numeric/cases/depthwise_bands.cnn" --random-weights --target=avx512 --dump-passes -o -
check "depthwise bands: 4 output rows, 6 padded rows of 300" has err "band of 4 output rows the padded input 6 x 300"
check "depthwise bands: stride 2, 2 output rows, 5 padded rows" has err "band of 2 output rows the padded input 5 x 299"
check "depthwise bands: the band loop is written" has out "for (int oh0 = 0; oh0 < 23; oh0 += 4)"
# channel vectors: runs of positions that fit an output row start at each
# row (no padding columns computed); a tile leaves a register for the
# broadcast, 1x1 too (7 x 2: 7 x 4 would spill); of tiles that cost the same,
# the larger (14 x 2 at 14x14, not 4 x 4 or 7 x 2)
cat >cvr.cnn <<'EOF'
network cvr {
    input x[64, 7, 7];
    conv2d a(out=64, kernel=3, pad=1);
    conv2d b(out=64, kernel=1);
}
EOF
run cvr.cnn --random-weights --conv-vectors=channels --target=avx512 --dump-passes -o -
check "channel vectors: a 7x7 output in runs of its rows, 7 x 2 x 16 for 3x3" has err "kernel channel vectors: 7 positions of a row x 2 x 16 channels;"
check "channel vectors: 7 x 2 x 16 for 1x1 too" has err "kernel channel vectors: 7 positions x 2 x 16 channels; the input in place"
check "channel vectors: the C says a row's runs" has out "tiles of 7 positions of an output row x 2 x 16 output channels"
cat >cvt.cnn <<'EOF'
network cvt {
    input x[512, 14, 14];
    conv2d b(out=512, kernel=1);
}
EOF
run cvt.cnn --random-weights --conv-vectors=channels --target=avx512 --dump-passes -o -
check "channel vectors: the larger of tiles that cost the same (14 x 2)" has err "kernel channel vectors: 14 positions x 2 x 16 channels; the input in place"
run blk.cnn --random-weights --conv-vectors=pixels --dump-passes -o -
check "--conv-vectors=pixels: no channel vectors, nothing blocked" sh -c '! grep -q "channel vectors" out && ! grep -q "channel-blocked" err'
run blk.cnn --random-weights --conv-vectors=channels -O1 --dump-passes -o -
check "-O1: nothing blocked" sh -c '! grep -q "channel-blocked" err'
# a conv2d with groups = channels = out (ONNX's depthwise Conv) is depthwise:
# channels in the lanes beside blocked values, as for depthwise_conv2d
cat >grp.cnn <<'EOF'
network grp {
    input x[16, 7, 7];
    conv2d a(out=32, kernel=1);
    conv2d g(out=32, kernel=3, groups=32, pad=1);
    conv2d b(out=32, kernel=1);
    global_avgpool p;
}
EOF
run grp.cnn --random-weights --conv-vectors=channels --dump-passes -o -
check "conv2d groups=C=out: depthwise lanes" sh -c 'grep -A1 "^ *[0-9]* g " err | grep -q "depthwise lanes"'
# a squeeze-excite block stays channel-blocked through its elementwise kernels
run "$root/tests/numeric/cases/se_blocked.cnn" --random-weights --dump-passes -o -
check "squeeze-excite: the depthwise conv, gate * x and the add store blocked" \
    sh -c 'for k in "d+r" m ab p; do grep -q "^ *[0-9]* $k  *-> .*(channel-blocked)" err || exit 1; done'
run blk.cnn --conv-vectors=lanes
check "--conv-vectors=lanes exits 2" status 2
check "--conv-vectors=lanes says what it takes" has err "'--conv-vectors=lanes': --conv-vectors takes auto, pixels or channels"

run --cflags
check "--cflags names the runtime's headers" sh -c 'grep -q -- "-I" out && [ -f "$(sed "s/^-I//" out)/cnnrt.h" ]'
run --libs
check "--libs names the runtime library" sh -c 'grep -q -- "^-L.* -lcnnrt -lm$" out && [ -f "$(sed "s/^-L//; s/ .*//" out)/libcnnrt.a" ]'

# --cflags and --libs of a copied binary: beside it a build tree (the library
# of its own build directory if it has one, else the tree's build/), an
# installation, or neither (an error that says where it looked)
here=$(pwd -P)
mkdir -p lone/bin inst/bin inst/include inst/lib tree/runtime tree/build tree/build-asan
cp "$cnnc" lone/bin/cnnc
"$here/lone/bin/cnnc" --cflags >out 2>err
rc=$?
check "a copied binary alone: --cflags exits 1" status 1
check "a copied binary alone: --cflags prints nothing on stdout" empty out
check "a copied binary alone: --cflags says where it looked" has err \
    "^cnnc: error: cannot find cnnrt.h beside the cnnc binary (looked in $here/lone/runtime and $here/lone/include); run 'make install' or use the build tree's build/cnnc$"
"$here/lone/bin/cnnc" --libs >out 2>err
rc=$?
check "a copied binary alone: --libs exits 1" sh -c '[ $1 -eq 1 ] && [ ! -s out ] && grep -q "cannot find cnnrt.h" err' sh $rc
cp "$cnnc" inst/bin/cnnc
touch inst/include/cnnrt.h inst/lib/libcnnrt.a
check "an installation: --cflags" sh -c '[ "$("$1/inst/bin/cnnc" --cflags)" = "-I$1/inst/include" ]' sh "$here"
check "an installation: --libs" sh -c '[ "$("$1/inst/bin/cnnc" --libs)" = "-L$1/inst/lib -lcnnrt -lm" ]' sh "$here"
rm inst/lib/libcnnrt.a
"$here/inst/bin/cnnc" --libs >out 2>err
rc=$?
check "an installation without the library: --libs exits 1" status 1
check "an installation without the library: --libs says where it looked" has err \
    "^cnnc: error: cannot find libcnnrt.a beside the cnnc binary (looked in $here/inst/lib); run 'make install'$"
cp "$cnnc" tree/build-asan/cnnc
touch tree/runtime/cnnrt.h tree/build/libcnnrt.a
check "another build directory: --cflags" sh -c '[ "$("$1/tree/build-asan/cnnc" --cflags)" = "-I$1/tree/runtime" ]' sh "$here"
check "another build directory without a library: the tree's build/" \
    sh -c '[ "$("$1/tree/build-asan/cnnc" --libs)" = "-L$1/tree/build -lcnnrt -lm" ]' sh "$here"
touch tree/build-asan/libcnnrt.a
check "another build directory with its library: its own" \
    sh -c '[ "$("$1/tree/build-asan/cnnc" --libs)" = "-L$1/tree/build-asan -lcnnrt -lm" ]' sh "$here"
ln -s "$here/tree/build-asan/cnnc" lone/bin/cnnc-link
check "a symbolic link to a binary: the binary's place" sh -c '[ "$("$1/lone/bin/cnnc-link" --cflags)" = "-I$1/tree/runtime" ]' sh "$here"
check "no '//' in the flags" sh -c 'for b in inst/bin/cnnc tree/build-asan/cnnc; do ./$b --cflags; ./$b --libs; done 2>&1 | grep -q "//" && exit 1; exit 0'
# a binary in a directory of / (as /tmp/cnnc): its parent is / itself
if top=$(mktemp /tmp/cnnc-cli-bin.XXXXXX 2>/dev/null) && cp "$cnnc" "$top" && chmod +x "$top"; then
    "$top" --cflags >out 2>err
    rc=$?
    check "a binary in /tmp: --cflags exits 1" status 1
    check "a binary in /tmp: no '//' in the paths" has err "(looked in /runtime and /include)"
    rm -f "$top"
fi

# ---- one thing on standard output: --report with the C or the graph there
# is a usage error; the report is printed only when the run succeeds
for args in "--report -o -" "--report=json -o -" "--report=text -o -"; do
    # shellcheck disable=SC2086 # the options are words, split on purpose
    run good.cnn --random-weights $args
    check "$args exits 2" status 2
    check "$args says why" has err "^cnnc: error: --report and '-o -' both write to standard output; write the C to a file with -o FILE$"
    check "$args writes nothing on stdout" empty out
done
"$cnnc" - --report -o - <good.cnn >out 2>err
rc=$?
check "--report -o - on stdin exits 2" status 2
for args in "--emit=dot --report" "--emit=dot --report=json" "--emit=dot --report -o -"; do
    # shellcheck disable=SC2086
    run good.cnn $args
    check "$args exits 2" status 2
    check "$args says why" has err "^cnnc: error: --report and --emit=dot both write to standard output; write the graph to a file with -o FILE$"
    check "$args writes nothing on stdout" empty out
done
run good.cnn --emit=dot --report -o rg.dot
check "--emit=dot -o FILE --report exits 0" status 0
check "--emit=dot -o FILE --report: the report on stdout" cmp -s out report.file
check "--emit=dot -o FILE --report: the graph in FILE" cmp -s rg.dot graph.dot
mkdir -p rep
run good.cnn --report --random-weights -o rep/net.c
check "--report -o FILE exits 0" status 0
check "--report -o FILE: the report on stdout" cmp -s out report.file
check "--report -o FILE: the C in FILE" sh -c '[ -s rep/net.c ] && [ -s rep/net.h ]'
rm -f rep/*
run good.cnn --report -o rep/net.c
check "--report -o FILE without weights exits 1" status 1
check "--report -o FILE without weights: no report on stdout" empty out
check "--report -o FILE without weights: no file" sh -c '[ -z "$(ls -A rep)" ]'
CC=false run good.cnn --report --random-weights -c -o rep/net.c
check "--report -c with a failing compile exits 1" status 1
check "--report -c with a failing compile: no report on stdout" empty out

# ---- weights (docs/language.md, section 6)
# no weights at all: one error, the hint first (tests/errors/weights_none.cnn
# shows all of it)
mkdir -p rep
run good.cnn -o rep/none.c
check "no weights: exit 1" status 1
check "no weights: one error" sh -c '[ "$(grep -c "error:" err)" = 1 ]'
check "no weights: the error counts the tensors" has err "^good.cnn:1:9: error: no weights file: 8 parameter tensors have no values$"
check "no weights: the hint comes second" sh -c 'sed -n 4p err | grep -q "^good.cnn: note: give a safetensors file with .weights \"FILE\";. or --weights FILE, or use --random-weights to try the network$"'
check "no weights: every tensor is listed" sh -c '[ "$(grep -c "^good.cnn:[0-9]*:[0-9]*: note: missing '"'"'" err)" = 8 ]'
# a weights statement whose file does not exist, with --random-weights: a
# warning at the statement, random values, exit 0
sed 's/^    input x\[3, 16, 16\];/&\n    weights "not_made_yet.safetensors";/' good.cnn >later.cnn
run later.cnn --random-weights -o rep/later.c
check "a missing weights file with --random-weights exits 0" status 0
check "a missing weights file with --random-weights: a warning at the statement" \
    has err "^later.cnn:3:13: warning: weights file 'not_made_yet.safetensors' not found; using --random-weights values instead$"
check "a missing weights file with --random-weights: the C is written" sh -c '[ -s rep/later.c ]'
run later.cnn -o rep/later2.c
check "a missing weights file without --random-weights exits 1" status 1
check "a missing weights file without --random-weights: the file is named" has err "^not_made_yet.safetensors: error: cannot read the weights file"
# a file that lacks some tensors, with --random-weights: its tensors are
# used, random values fill the rest, with a warning
cat >part.cnn <<'CNN'
network n {
    input x[3, 8, 8];
    weights "part.safetensors";
    conv2d c(out=2, kernel=3);
    batchnorm bn;
    relu;
    flatten;
    dense fc(out=4);
}
CNN
cp "$root/tests/errors/weights/missing.safetensors" part.safetensors
mkdir -p rep/s rep/w rep/r
run part.cnn --random-weights -o rep/s/net.c
check "a partial weights file with --random-weights exits 0" status 0
check "a partial weights file with --random-weights: a warning at the statement" \
    has err "^part.cnn:3:13: warning: 3 parameter tensors are not in 'part.safetensors'; using --random-weights values for them$"
run part.cnn --weights part.safetensors --random-weights -o rep/w/net.c
check "a partial --weights file with --random-weights: a warning about the file" \
    has err "^part.safetensors: warning: 3 parameter tensors are not in the file; using --random-weights values for them$"
check "the same values from the statement's file and from --weights" cmp -s rep/s/net.c rep/w/net.c
mv part.safetensors part.later
run part.cnn --random-weights -o rep/r/net.c
mv part.later part.safetensors
check "the file's tensors are used, not random ones" sh -c '[ -s rep/r/net.c ] && ! cmp -s rep/s/net.c rep/r/net.c'
run part.cnn -o rep/part4.c
check "a partial weights file without --random-weights exits 1" status 1
check "a partial weights file: the error names the file" has err "^part.cnn:3:13: error: 3 parameter tensors are not in 'part.safetensors'$"
check "a partial weights file: the note says which file was searched" has err "^part.cnn: note: 'part.safetensors' was searched"

# ---- errors: exit 1, nothing written
mkdir -p outdir
run bad.cnn -o outdir/net.c
check "an input in error exits 1" status 1
check "an input in error prints the error" has err "bad.cnn:3:22: error: conv2d has no attribute 'kernal'"
check "an input in error creates no output" sh -c '[ -z "$(ls -A outdir)" ]'
check "an input in error prints nothing on stdout" empty out
echo "keep me" >outdir/keep.c
run bad.cnn -o outdir/keep.c
check "an input in error leaves an existing output alone" sh -c '[ "$(cat outdir/keep.c)" = "keep me" ] && [ ! -e outdir/keep.h ]'
check "an input in error leaves no temporary file" sh -c '[ "$(ls -A outdir)" = "keep.c" ]'
run bad.cnn --report
check "--report of an input in error exits 1" status 1
check "--report of an input in error prints no report" empty out
run bad.cnn --emit=dot -o outdir/bad.dot
check "--emit=dot of an input in error writes no file" sh -c '[ ! -e outdir/bad.dot ]'

# ---- colour
run bad.cnn
check "stderr not a terminal: no escape codes" no_escapes err
NO_COLOR=1 "$cnnc" bad.cnn >out 2>err
check "NO_COLOR: no escape codes" no_escapes err
if command -v script >/dev/null 2>&1; then
    # script(1) gives cnnc a terminal
    script -qec "'$cnnc' bad.cnn" /dev/null >tty.out 2>&1 </dev/null
    check "on a terminal: colour" sh -c "grep -q \"\$(printf '\\033')\\[\" tty.out"
    NO_COLOR=1 script -qec "'$cnnc' bad.cnn" /dev/null >tty.out 2>&1 </dev/null
    check "on a terminal with NO_COLOR: no escape codes" no_escapes tty.out
fi

# ---- several outputs: one after another, each with its offset and size
run "$root/tests/numeric/cases/outputs_several.cnn" --random-weights --prefix multi -o multi.c
check "several outputs compile" status 0
check "several outputs: OUTPUT_SIZE is their sum" has multi.h "^#define MULTI_OUTPUT_SIZE  360 "
check "several outputs: the first at offset 0" has multi.h "^#define MULTI_OUTPUT_P_OFFSET 0$"
check "several outputs: each size" has multi.h "^#define MULTI_OUTPUT_P_SIZE 128 "
check "several outputs: offsets in the statement's order" has multi.h "^#define MULTI_OUTPUT_X_OFFSET 144$"
check "several outputs: the last" has multi.h "^#define MULTI_OUTPUT_C2_OFFSET 344$"
run "$root/tests/numeric/cases/outputs_several.cnn" --random-weights --report
check "several outputs: the report marks the last layer an output too" has out "^c2 .*(output)$"
check "several outputs: the report marks an early output" has out "^p .*(output)$"

# ---- limits on standard input (a file over 64 MiB is tests/errors/gen/file_too_big.sh)
head -c $((64 * 1024 * 1024 + 1)) /dev/zero | "$cnnc" - --report >out 2>err
rc=$?
check "stdin over 64 MiB exits 1" status 1
check "stdin over 64 MiB names the limit" has err "^<stdin>: error: the file is larger than 64 MiB"

# ---- atomic outputs and determinism: tests/cli/atomic.sh, counted here
CNNC=$cnnc sh "$root/tests/cli/atomic.sh" >atomic.log 2>&1
grep -v -E '^[0-9]+ passed, [0-9]+ failed' atomic.log
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' atomic.log | tail -n 1)
if [ -n "$line" ]; then
    pass=$((pass + $(echo "$line" | cut -d' ' -f1)))
    fail=$((fail + $(echo "$line" | cut -d' ' -f3)))
else
    fail=$((fail + 1))
    echo "FAIL tests/cli/atomic.sh gave no result line"
fi

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
