#!/bin/sh
# Generated code as a product:
#  1. golden C: tests/codegen/NAME.cnn compiled at -O0 and -O2 must give
#     exactly NAME.O0.c/.h and NAME.O2.c/.h (BLESS=1 rewrites them);
#  2. the generated code of the examples and of tests/codegen/warn/*.cnn
#     compiles with -std=c11 -Wall -Wextra -pedantic -Werror under gcc and
#     clang, without -march, with -march=x86-64-v3 and with -march=native
#     where that is another ISA (AVX-512: the two register-tile variants of
#     --target=auto), at -O2, and at -O0 without -march,
#     and tests/codegen/warn/*.cnn for each single --target;
#  3. clang's code of those at -O2 for AVX-512 (x86-64-v4) has no scatters,
#     and a transposed conv of column stride 2 and an even width stores
#     whole vectors (its column phases interleaved); under clang 19 the
#     register tiles of LeNet-5 and of a depthwise conv stay in registers;
#  4. make examples: every example app builds and runs;
#  5. bench/ab.sh builds two networks' generated code into one program and
#     compares their outputs (its timing is not checked).
# Ends with "N passed, M failed".
cd "$(dirname "$0")/../.." || exit 2
CNNC=${CNNC:-build/cnnc}
out=build/codegen
mkdir -p "$out"
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "PASS $1"; }
ko() { fail=$((fail + 1)); echo "FAIL $1"; }
# the head of a function of the generated C (a kernel, CNNRT_KERNEL, or a
# variant's forward function), where the awk scripts below switch which
# function's lines they count
fhead='^(CNNRT_KERNEL )?(CNNRT_ISA_[A-Z]* )?static void'

for f in tests/codegen/*.cnn; do
    n=$(basename "$f" .cnn)
    for lv in O0 O2; do
        "$CNNC" "$f" -$lv -o "$out/$n.$lv.c" --prefix "$n" 2>"$out/$n.$lv.err" || { ko "golden $n -$lv: cnnc failed"; continue; }
        # the header is named after the output file; the goldens keep that name
        if [ "${BLESS:-}" = 1 ]; then
            cp "$out/$n.$lv.c" "tests/codegen/$n.$lv.c"; cp "$out/$n.$lv.h" "tests/codegen/$n.$lv.h"
            ok "golden $n -$lv (blessed)"
        elif cmp -s "$out/$n.$lv.c" "tests/codegen/$n.$lv.c" && cmp -s "$out/$n.$lv.h" "tests/codegen/$n.$lv.h"; then
            ok "golden $n -$lv"
        else
            diff -u "tests/codegen/$n.$lv.c" "$out/$n.$lv.c" | head -40
            ko "golden $n -$lv: the generated C changed (review, then BLESS=1 $0)"
        fi
    done
done

warning_free() {   # warning_free C_FILE LABEL CC [ARCH]: compiles with -Werror, or the first errors
    if $3 -std=c11 -Wall -Wextra -pedantic -Werror -O2 $4 -Iruntime -c "$1" -o "${1%.c}.o" 2>"${1%.c}.cc.err"; then
        ok "$2 $3 $4"
    else
        head -5 "${1%.c}.cc.err"; ko "$2 $3 $4: warnings or errors"
    fi
}
# -march=native where its vector ISA differs from x86-64-v3's (an AVX-512
# CPU: the wide tiles); on an AVX2 CPU both compilers see the same macros
# under either, so the same code, and native's build would repeat v3's
archs="- -march=x86-64-v3"
if tests/native-is-v3.sh gcc clang; then
    echo "(-march=native: the vector ISA of -march=x86-64-v3 here, not built again)"
else
    archs="$archs -march=native"
fi
for f in examples/*/*.cnn tests/codegen/warn/*.cnn; do
    n=$(basename "$f" .cnn)
    [ "$n" = resnet18 ] && continue   # 11.7 M weights: compiled by the benchmark
    for lv in O0 O2; do
        "$CNNC" "$f" -$lv --random-weights=1 -o "$out/ex_$n.$lv.c" 2>"$out/ex_$n.err" || { ko "$n -$lv: cnnc"; continue; }
        # the -O0 code is plain loops, the same for every -march (the runtime
        # header's vector paths are the -O2 builds')
        lvarchs=$archs
        [ $lv = O0 ] && lvarchs=-
        for cc in gcc clang; do
            for arch in $lvarchs; do
                [ "$arch" = - ] && arch=
                warning_free "$out/ex_$n.$lv.c" "$n -$lv" $cc $arch
            done
        done
    done
done

# one set of kernels (--target=generic|avx2|avx512, the -O2 tiles of one
# register class, each layer's weights before its kernel): the same
# networks compile as cleanly for the ISA they are written for (a kernel
# that fetches a later layer's weights ahead named them before they were
# declared)
for f in tests/codegen/warn/*.cnn; do
    n=$(basename "$f" .cnn)
    for spec in generic: avx2:-march=x86-64-v3 avx512:-march=x86-64-v4; do
        t=${spec%%:*} arch=${spec#*:}
        "$CNNC" "$f" --target="$t" --random-weights=1 -o "$out/ex_${n}_$t.c" 2>"$out/ex_${n}_$t.err" ||
            { ko "$n --target=$t: cnnc"; continue; }
        for cc in gcc clang; do warning_free "$out/ex_${n}_$t.c" "$n --target=$t" $cc $arch; done
    done
done

# no AVX-512 scatters in clang's code of the -O2 kernels (vscatterdps is slow on
# AMD's cores; strided stores stay scalar: CNNRT_STRIDED)
for f in examples/*/*.cnn tests/codegen/warn/*.cnn; do
    n=$(basename "$f" .cnn)
    [ "$n" = resnet18 ] && continue
    if clang -std=c11 -O2 -march=x86-64-v4 -Iruntime -S "$out/ex_$n.O2.c" -o "$out/ex_$n.s" 2>"$out/ex_$n.cc.err"; then
        if grep -q scatter "$out/ex_$n.s"; then ko "$n -O2 clang x86-64-v4: $(grep -c scatter "$out/ex_$n.s") scatters"
        else ok "$n -O2 clang x86-64-v4: no scatters"; fi
    else
        head -5 "$out/ex_$n.cc.err"; ko "$n -O2 clang x86-64-v4: does not compile"
    fi
done

# the weights stored as bytes come after all the code (gcc stops tracking
# columns some 300 MB into a file: code read after ResNet-50's weights made
# -Wall's misleading-indentation check print a note), declared before it
for lv in O0 O2; do
    c=$out/ex_lenet5.$lv.c
    set -- $(awk '/^(CNNRT_KERNEL )?(CNNRT_ISA_[A-Z]* )?(static )?void [a-z0-9_]+\(/ {f = NR}
                  /_bytes = \{$/ && !d {d = NR} /_bytes;$/ && !b {b = NR}
                  END {printf "%d %d %d", b, f, d}' "$c")
    if [ "$1" -gt 0 ] && [ "$1" -lt "$2" ] && [ "$2" -lt "$3" ]; then
        ok "lenet5 -$lv: weight bytes declared before the code (line $1), defined after it (line $3)"
    else ko "lenet5 -$lv: weight bytes declared before the code, defined after it (lines $1, last function $2, $3)"; fi
done

# silu_tile: the SiLU goes through the tile's values (every exponential in
# their loop, none lane by lane in the stores), the relu6 through the clamps
c=$out/ex_silu_tile.O2.c
counts=$(awk -v h="$fhead" '$0 ~ h {k = /_e__run/ ? 1 : /_p__run/ ? 2 : 0}
              k == 1 && /silu on the tile.s values/ {v++} k == 1 && /cnnrt_xsigmoid/ && !/const float u[0-9]+_/ {l++}
              k == 2 && /CNNRT_RELU16|CNNRT_ATMOST16/ {c++}
              END {printf "%d %d %d", v, l, c}' "$c")
set -- $counts
if [ "$1" -gt 0 ] && [ "$2" = 0 ] && [ "$3" -gt 0 ]; then
    ok "silu_tile -O2: SiLU on the tile's values, relu6 on its vectors"
else ko "silu_tile -O2: SiLU on the tile's values, relu6 on its vectors (value loops $1, lane exps $2, clamps $3)"; fi

# dw_chain: the depthwise's SiLU in a pass over each channel's outputs, not
# on the tiles' values, a loop whose chains clang interleaves (CNNRT_SIMD_CHAINS)
c=$out/ex_dw_chain.O2.c
counts=$(awk -v h="$fhead" '$0 ~ h {k = /_d__run/}
              k && /epilogue over the channel.s outputs/ {p++; getline; i += /CNNRT_SIMD_CHAINS/}
              k && /on the tile.s values/ {v++}
              END {printf "%d %d %d", p, v, i}' "$c")
set -- $counts
if [ "$1" -gt 0 ] && [ "$2" = 0 ] && [ "$3" = "$1" ]; then
    ok "dw_chain -O2: SiLU over each channel's outputs, its chains interleaved"
else ko "dw_chain -O2: SiLU over each channel's outputs, its chains interleaved (passes $1, tile value loops $2, interleaved $3)"; fi

# none_in_avx2_gcc NET REGEX WHAT FOUND: NET (of warn/) written for
# --target=avx2 and compiled by gcc for AVX2 has no line of assembly matching
# REGEX (ok "NET ...: WHAT", else ko with the count and FOUND)
none_in_avx2_gcc() {
    local n=$1 s=$out/$1_avx2.s
    if "$CNNC" "tests/codegen/warn/$n.cnn" --target=avx2 --random-weights=1 -o "$out/${n}_avx2.c" 2>"$out/${n}_avx2.err" &&
       gcc -std=c11 -O2 -march=x86-64-v3 -Iruntime -S "$out/${n}_avx2.c" -o "$s" 2>>"$out/${n}_avx2.err"; then
        local k
        k=$(grep -c -E "$2" "$s")
        if [ "$k" = 0 ]; then ok "$n --target=avx2 gcc: $3"
        else ko "$n --target=avx2 gcc: $k $4"; fi
    else head -5 "$out/${n}_avx2.err"; ko "$n --target=avx2 gcc: does not compile"; fi
}

# dw_chain for AVX2 under gcc: the tiles' input vectors loaded into registers
# (CNNRT_LOAD16), none copied in 16-byte pieces through the stack, where
# each read of them waited on a failed store forwarding (9x slower)
none_in_avx2_gcc dw_chain 'vmovdq[au][[:space:]]+%xmm[0-9]+, -?[0-9]*\(%rsp\)' \
    "no vectors through the stack in pieces" "16-byte stores to the stack"

# pointwise_32x32 for AVX2 under gcc: a pixel tile's input vectors held in
# registers for its channels (CNNRT_IN_REGS), where gcc folded their loads
# into every multiply-add, a load per use: 8 such in the loop over input
# channels, more loads than Zen 3 issues (the layer 1.35x the time)
none_in_avx2_gcc pointwise_32x32 'vfmadd[0-9a-z]*[[:space:]]+-?[0-9]*\(' \
    "the input vectors in registers" "multiply-adds load their input"

# gcc's AVX2 pixel tiles over several taps fenced tap by tap (CNNRT_TAPS_FENCE:
# LeNet-5 0.81x the time under gcc on Zen 3), those of one tap not (a 1x1
# conv2d fenced 1.19x): empty asm statements in the preprocessed narrow code
fences() {  # fences FILE.c FUNCTION: the fences in FUNCTION, preprocessed by gcc for AVX2
    gcc -std=c11 -E -P -march=x86-64-v3 -DCNNRT_DISPATCH=0 -Iruntime "$1" 2>/dev/null |
        awk -v f="$2" '/^ *(__attribute__.* )?(static )?void / {k = index($0, f "(") > 0}
                       k && /__asm__ volatile\(""/ {n++} END {print n + 0}'
}
"$CNNC" tests/codegen/warn/pointwise_32x32.cnn --random-weights=1 -o "$out/pw_auto.c" 2>/dev/null
a=$(fences "$out/ex_lenet5.O2.c" lenet5_c2__run_narrow) b=$(fences "$out/pw_auto.c" pointwise_32x32_c__run_narrow)
if [ "$a" -gt 0 ] && [ "$b" = 0 ]; then ok "gcc AVX2: LeNet-5's 5x5 pixel tiles fenced ($a), a 1x1 layer's not"
else ko "gcc AVX2: LeNet-5's 5x5 pixel tiles fenced, a 1x1 layer's not ($a, $b fences)"; fi
# and a first layer's channel vectors (3 channels, 3x3/2: 6 x 16, a tile that
# fills the registers) tap by tap: gcc shared broadcasts between the taps and
# spilled them (0.76x the time fenced)
"$CNNC" tests/codegen/warn/first_layer.cnn --random-weights=1 -o "$out/first_layer.c" 2>/dev/null
a=$(fences "$out/first_layer.c" first_layer_conv__run_narrow)
if [ "$a" = 9 ]; then ok "gcc AVX2: a first layer's channel vectors fenced at each of its 9 taps"
else ko "gcc AVX2: a first layer's channel vectors fenced at each of its 9 taps ($a fences)"; fi

# volume_first: a conv3d from one channel, whose AVX2 register blocks read the
# same input: each of its 27 taps' input pointer fresh under gcc (gcc hoisted
# and spilled the loads: volume3d 0.94x the time fresh); from 8 channels too
# (gcc kept several taps' loads live and spilled the tile: LeNet-5 0.89x the
# time fresh), from 3 not (activity1d 1.048x the time with its first conv1d
# fresh too, 0.911x without)
"$CNNC" tests/codegen/warn/volume_first.cnn --random-weights=1 -o "$out/volume_first.c" 2>/dev/null
fresh() {  # fresh FILE.c FUNCTION: the taps' fresh input pointers in FUNCTION, preprocessed by gcc for AVX2
    gcc -std=c11 -E -P -march=x86-64-v3 -DCNNRT_DISPATCH=0 -Iruntime "$1" 2>/dev/null |
        awk -v f="$2" '/^ *(__attribute__.* )?(static )?void / {k = index($0, f "(") > 0}
                       k && /__asm__\(""  *: "\+r"\(src\)\)/ {n++} END {print n + 0}'
}
a=$(fresh "$out/volume_first.c" volume_first_c1__run_narrow) b=$(fresh "$out/volume_first.c" volume_first_c2__run_narrow)
c=$(fresh "$out/ex_activity1d.O2.c" activity1d_c1__run_narrow) d=$(fresh "$out/ex_activity1d.O2.c" activity1d_c2__run_narrow)
if [ "$a" = 27 ] && [ "$b" = 27 ] && [ "$c" = 0 ] && [ "$d" = 5 ]; then
    ok "gcc AVX2: pixel tiles from 1 and 8 or more channels read each tap's input fresh, from 3 not"
else ko "gcc AVX2: pixel tiles from 1 and 8 or more channels read each tap's input fresh, from 3 not ($a of 27, $b of 27, $c of 0, $d of 5)"; fi

# dw_rows, dw_relu6: a depthwise conv's whole vectors of outputs (relu6's
# clamps applied to them) stored as vectors, where gcc copied the lanes of
# the store loop through the stack in 16- and 8-byte pieces: 16 and 5 vector
# stack accesses in the narrow kernel (3 and 1 of them such pieces),
# depthwise3x3 1.3x the time. dw_rows' tile (1 row x 4 vectors) leaves room
# for the rest in registers; dw_relu6's rows of 2 vectors take a tile of 2
# rows, which reads some of its 9 taps' weight vectors from the stack: there
# no pieces, and each whole vector's store one vector in the C
for n in dw_rows dw_relu6; do
    gcc -std=c11 -O3 -march=x86-64-v3 -DCNNRT_DISPATCH=0 -Iruntime -S "$out/ex_$n.O2.c" -o "$out/ex_$n.gcc.s" 2>/dev/null
    awk -v f="${n}_d__run_narrow:" '$0 == f {k = 1} /^\t\.size/ {k = 0} k' "$out/ex_$n.gcc.s" > "$out/ex_$n.narrow.s"
    k=$(grep -c -E '[xyz]mm[0-9]+.*\(%rsp\)|\(%rsp\).*[xyz]mm|vpinsr' "$out/ex_$n.narrow.s")
    p=$(grep -c -E 'vpinsr|%xmm[0-9]+.*\(%rsp\)|\(%rsp\).*%xmm' "$out/ex_$n.narrow.s")
    c=$(awk -v f="${n}_d__run_narrow(" -v h="$fhead" '$0 ~ h {k = index($0, f) > 0}
                                         k && /CNNRT_STORE16\(&y\[base\], res\[[0-9a-z]+\]\[v\]\)/ {n++} END {print n + 0}' "$out/ex_$n.O2.c")
    if ! grep -q vfmadd "$out/ex_$n.narrow.s"; then ko "$n -O2 gcc AVX2: no narrow kernel in the assembly"
    elif [ "$n" = dw_rows ] && [ "$k" -gt 2 ]; then
        ko "$n -O2 gcc AVX2: $k vector stack accesses in the narrow kernel, more than 2 (lanes through the stack)"
    elif [ "$p" -gt 0 ] || [ "$c" = 0 ]; then
        ko "$n -O2 gcc AVX2: lanes through the stack ($p 16- or 8-byte pieces, $c whole-vector stores in the C)"
    else ok "$n -O2 gcc AVX2: whole vectors of outputs stored as vectors ($k vector stack accesses, $p pieces)"; fi
done

# dw5x5_lanes: a 5x5 depthwise conv with the channels in the lanes, whose 25
# taps' weight vectors AVX2's registers cannot hold, reads each tap's weights
# and inputs through pointers fresh in the run: gcc kept a local array of the
# weights (or their hoisted loads) and the inputs the taps share in registers,
# and spilled the accumulators around every multiply-add (EfficientNet-B0
# 1.06x the time under gcc -O2): 360 vector stores to the stack in the
# narrow kernel, 68 with the inputs shared; 27 now, most of them the
# epilogue's constants
"$CNNC" tests/codegen/warn/dw5x5_lanes.cnn --random-weights=1 -o "$out/dw5x5.c" 2>/dev/null
gcc -std=c11 -O3 -march=x86-64-v3 -DCNNRT_DISPATCH=0 -Iruntime -S "$out/dw5x5.c" -o "$out/dw5x5.gcc.s" 2>/dev/null
awk '$0 == "dw5x5_lanes_dw__run_narrow:" {k = 1} /^\t\.size/ {k = 0} k' "$out/dw5x5.gcc.s" > "$out/dw5x5.narrow.s"
k=$(grep -c -E 'vmov[a-z]*[[:space:]]+%[xyz]mm[0-9]+, -?[0-9]*\(%rsp\)' "$out/dw5x5.narrow.s")
if ! grep -q vfmadd "$out/dw5x5.narrow.s"; then ko "dw5x5_lanes gcc AVX2: no narrow kernel in the assembly"
elif [ "$k" -le 40 ]; then ok "dw5x5_lanes gcc AVX2: the 5x5 depthwise tile in registers ($k vector stores to the stack)"
else ko "dw5x5_lanes gcc AVX2: $k vector stores to the stack in the narrow 5x5 depthwise kernel, more than 40"; fi

# dw_short_rows: the narrow depthwise row tile takes as many rows as its
# vectors of a short row leave room for, 4 accumulators in all (one row of one
# vector: a single chain of multiply-adds; the layer 0.69x the time under
# clang, 0.82x under gcc, with 4)
k=$(awk -v h="$fhead" '$0 ~ h {k = /dw_short_rows_d__run_narrow/}
         k && /over rows: tiles of 4 output rows x 1 x 16 columns/ {n++} END {print n + 0}' "$out/ex_dw_short_rows.O2.c")
if [ "$k" = 1 ]; then ok "dw_short_rows -O2: the narrow depthwise row tile 4 rows of one vector"
else ko "dw_short_rows -O2: the narrow depthwise row tile 4 rows of one vector ($k)"; fi

# dw_relu6, dw_short_rows: a row's last, part vector (12 and 14 of 16
# lanes) stored by plain moves under gcc, its epilogue over the whole vector
# first: gcc had masked the store (vmaskmovps, slow on AMD's cores: the
# relu6 kernel over rows of 28 columns 1.25x the time) or stored the part
# lane by lane through the hardswish (6 scalar stores; 2x the time)
gcc -std=c11 -O3 -march=x86-64-v3 -DCNNRT_DISPATCH=0 -Iruntime -S "$out/ex_dw_short_rows.O2.c" -o "$out/ex_dw_short_rows.gcc.s" 2>/dev/null
awk '$0 == "dw_short_rows_d__run_narrow:" {k = 1} /^\t\.size/ {k = 0} k' "$out/ex_dw_short_rows.gcc.s" > "$out/ex_dw_short_rows.narrow.s"
for n in dw_relu6 dw_short_rows; do
    m=$(grep -c vmaskmov "$out/ex_$n.narrow.s")
    k=$(grep -E 'vmovss[[:space:]]+%xmm[0-9]+, [^%]*\(' "$out/ex_$n.narrow.s" | grep -c -v rsp)
    if ! grep -q vfmadd "$out/ex_$n.narrow.s"; then ko "$n -O2 gcc AVX2: no narrow kernel in the assembly"
    elif [ "$m" = 0 ] && [ "$k" = 0 ]; then ok "$n -O2 gcc AVX2: a row's part vector stored by plain moves"
    else ko "$n -O2 gcc AVX2: a row's part vector stored by $m masked and $k scalar stores"; fi
done

# volume3d: the 3-D max pool as the 2-D ones, the input rows of each output
# row's windows (depth and height) reduced into a row, then its columns, in
# every variant (gcc took 1.65x the time in the reference loops)
k=$(awk -v h="$fhead" '$0 ~ h {k = /_maxpool3d_1__run/}
         k && /col\[q\] = src\[q\] > col\[q\]/ {n++} END {print n + 0}' "$out/ex_volume3d.O2.c")
if [ "$k" = 3 ]; then ok "volume3d -O2: the 3-D max pool reduces rows, then columns, in its 3 variants"
else ko "volume3d -O2: the 3-D max pool reduces rows, then columns, in its 3 variants ($k)"; fi

# pointwise_blocked: the 1x1 layer's loop over a channel-blocked input a
# block of 16 channels at a time (each channel's place in the block a
# constant of the unrolled loop), in every variant, none computing c / 16 and
# c % 16 channel by channel (clang's 6 x 16 AVX2 tile 1.25x the time so)
c=$out/ex_pointwise_blocked.O2.c
counts=$(awk -v h="$fhead" '$0 ~ h {k = /_pw__run/}
              k && /for \(int c1 = 0; c1 < 128; c1 \+= 16\)/ {b++} k && /c \/ 16|c % 16/ {d++}
              END {printf "%d %d", b, d}' "$c")
set -- $counts
if [ "$1" = 3 ] && [ "$2" = 0 ]; then ok "pointwise_blocked -O2: the 1x1 layer's channels a block at a time"
else ko "pointwise_blocked -O2: the 1x1 layer's channels a block at a time (block loops $1 of 3, per-channel divisions $2)"; fi

# register tiles kept in registers: under clang 19 (CNNRT_TILE_FENCE),
# LeNet-5's 5x5 pixel tiles and a depthwise conv's row tiles. clang 19
# hoisted the weight broadcasts of a loop body's taps (and the input vectors of
# a row tile) to its top and spilled them: 968 and 51 vector stack accesses
# where they now take 66 and 6 (1.3x and 1.2x the time). Under clang 14 the
# row tile's stores, in loops left rolled, took the tile through the stack:
# 35 accesses where the unrolled ones take none (depthwise3x3 1.25x the time).
for spec in clang-19:lenet5:150 clang-19:dw_rows:20 clang:dw_rows:10; do
    c=${spec%%:*} rest=${spec#*:}
    n=${rest%%:*} most=${rest#*:}
    if ! command -v "$c" >/dev/null 2>&1; then
        echo "SKIP register tiles under $c: not installed (scripts/install-deps.sh --tests installs it)"
        continue
    fi
    if "$c" -std=c11 -Wall -Wextra -pedantic -Werror -O3 -march=x86-64-v4 -mprefer-vector-width=512 -Iruntime \
           -S "$out/ex_$n.O2.c" -o "$out/ex_$n.$c.s" 2>"$out/ex_$n.$c.err"; then
        k=$(grep -c -E '[yz]mm[0-9]+.*\(%rsp\)|\(%rsp\).*[yz]mm' "$out/ex_$n.$c.s")
        if [ "$k" -le "$most" ]; then ok "$n -O2 $c: $k vector stack accesses (at most $most)"
        else ko "$n -O2 $c: $k vector stack accesses, more than $most (a tile spilled)"; fi
    else head -5 "$out/ex_$n.$c.err"; ko "$n -O2 $c: warnings or errors"; fi
done

# register tiles kept in registers by clang -O2 without -march, the build of
# an app shipped to users (the kernels' AVX-512 variant under a target
# attribute): clang's full unrolling at -O2 stops at a smaller loop than at
# -O3, and CNNRT_TILE_FENCE's loops over a tile of 24 accumulators, left
# rolled, took the tile through the stack: 24 multiply-adds read their
# accumulator from memory (that layer 4x slower, MobileNetV3-small 1.3x)
if clang -std=c11 -O2 -Iruntime -S "$out/ex_pointwise_tile24.O2.c" -o "$out/tile24.s" 2>"$out/tile24.err"; then
    n=$(grep -c -E 'vfmadd[0-9a-z]*[[:space:]].*\(%rsp\)' "$out/tile24.s")
    if [ "$n" = 0 ]; then ok "pointwise_tile24 clang -O2: no multiply-add on the stack"
    else ko "pointwise_tile24 clang -O2: $n multiply-adds read an accumulator from the stack"; fi
else head -5 "$out/tile24.err"; ko "pointwise_tile24 clang -O2: does not compile"; fi

# convt3d_stride2: up and up2 (even widths) pair their column phases, up3
# (odd) stores lane by lane
c=$out/ex_convt3d_stride2.O2.c
counts=$(awk -v h="$fhead" '$0 ~ h {k = /_up__run|_up2__run/ ? 1 : /_up3__run/ ? 3 : 0}
              k && /CNNRT_ZIP16/ {z[k]++} k && /CNNRT_STRIDED/ {s[k]++}
              END {printf "%d %d %d %d", z[1], s[1], z[3], s[3]}' "$c")
set -- $counts
if [ "$1" -gt 0 ] && [ "$2" = 0 ] && [ "$3" = 0 ] && [ "$4" -gt 0 ]; then
    ok "convt3d_stride2 -O2: column phases paired for even widths only"
else ko "convt3d_stride2 -O2: column phases paired for even widths only (zips, strided: up+up2 $1 $2, up3 $3 $4)"; fi

# weight_prefetch: each block's (or pass's) weights prefetched during the one
# before, every line of them once (CNNRT_PREFETCH recorded:
# tests/codegen/prefetch_probe.c), a 1x1 layer's channel by channel in turn
# over the runs of positions, a 3x3 layer's line by line (fewer lines a
# channel than runs, and more). The wide variant (AVX-512 tiles: 7 x 2 x 16,
# both layers) where the CPU runs it: the 1x1's 7 blocks after the first (7 x
# 512 lines), the 3x3's 256 x 128 x 9 weights (18432 lines) but its first
# pass's (14 channels that stay in L1: 252 lines; the last pass of a block
# has 4, and the block's second-last fetches the next block's first 10
# channels), none past the last; the narrow one's 1x1 (1 x 2 x 16) everywhere.
c=$out/ex_weight_prefetch.O2.c
counts=$(awk -v h="$fhead" '$0 ~ h {k = /_pw__run_wide/ ? 1 : /_conv__run_wide/ ? 2 : 0}
              k == 1 && /toward the cache: all in run c mod 7 / {a++} k == 2 && /toward the cache: line l in run l mod 7 / {b++}
              END {printf "%d %d", a, b}' "$c")
set -- $counts
if [ "$1" = 1 ] && [ "$2" = 1 ]; then ok "weight_prefetch -O2: a 1x1 layer's weights channel by channel over the runs, a 3x3's line by line"
else ko "weight_prefetch -O2: a 1x1 layer's weights channel by channel over the runs, a 3x3's line by line ($1 $2)"; fi
# and the 3x3 layer's narrow tile (in passes, whose runs may not overlap)
# 6 x 16 over 66 positions, the partial sums padded to them, not 3 x 16, the
# largest that divided 63 (6 accumulators for 8 multiply-adds in flight:
# ResNet-18 1.08x the time)
counts=$(awk -v h="$fhead" '$0 ~ h {k = /_conv__run_narrow/}
              k && /channel vectors: tiles of 6 positions of the padded output rows x 1 x 16/ {a++}
              END {printf "%d", a}' "$c")
if [ "$counts" = 1 ]; then ok "weight_prefetch -O2: the narrow 3x3 tile in passes 6 x 16, its last run past the 63 positions"
else ko "weight_prefetch -O2: the narrow 3x3 tile in passes 6 x 16, its last run past the 63 positions ($counts)"; fi
probe() {   # probe NET NAME EXPECTED [CFLAGS...]: prefetches, lines and ranges of one call of NET
    net=$1 name=$2 want=$3; shift 3
    up=$(echo "$net" | tr '[:lower:]' '[:upper:]')
    if gcc -std=c11 -O1 "$@" -DCNNRT_DISPATCH=0 '-DCNNRT_PREFETCH(p)=cnnrt_probe_prefetch(p)' \
           -include tests/codegen/prefetch_probe.h -Iruntime -I"$out" -DNET_H="\"ex_$net.O2.h\"" \
           -DIN_SIZE="${up}_INPUT_SIZE" -DOUT_SIZE="${up}_OUTPUT_SIZE" \
           -DSCRATCH_SIZE="${up}_SCRATCH_SIZE" -DFORWARD="${net}_forward" \
           tests/codegen/prefetch_probe.c "$out/ex_$net.O2.c" -Lbuild -lcnnrt -lm -o "$out/probe_$name" \
           2>"$out/probe_$name.err" && "$out/probe_$name" > "$out/probe_$name.txt"; then
        got=$(tr '\n' ' ' < "$out/probe_$name.txt" | sed 's/ $//')
        if [ "$got" = "$want" ]; then ok "$net $name: $got"
        else ko "$net $name: $got, not $want"; fi
    else head -5 "$out/probe_$name.err"; ko "$net $name: does not build or run"; fi
}
probe weight_prefetch narrow "prefetches 3584 lines 3584 ranges 1"
if grep -q avx512f /proc/cpuinfo 2>/dev/null; then
    probe weight_prefetch wide "prefetches 21764 lines 21764 ranges 2" -march=x86-64-v4
else ok "weight_prefetch wide: skipped, this CPU has no AVX-512"; fi
# winograd_prefetch: Winograd's weights [2][36][64][24], 442368 bytes,
# fetched from 6 KiB on to the last (6816 lines in one range): in the wide
# variant two lines of each channel's 24 weights a position (2 x 36 x 64 x
# 2 = 9216 prefetches), in the narrow one each register block's line of its
# 6 (four blocks: 18432)
probe winograd_prefetch wg_narrow "prefetches 18432 lines 6816 ranges 1"
if grep -q avx512f /proc/cpuinfo 2>/dev/null; then
    probe winograd_prefetch wg_wide "prefetches 9216 lines 6816 ranges 1" -march=x86-64-v4
else ok "winograd_prefetch wide: skipped, this CPU has no AVX-512"; fi

# pointwise_fetch_out: 1x1 layers whose C-order outputs (192 x 40 x 40)
# outgrow L2 fetch each register tile's lines at the next tile's positions:
# 2 channels x 2 vectors a narrow tile, 96 tiles a column of 32 positions, 50
# columns, two layers (38400), every one inside the output it writes (the
# last column's fetches of the last channels fall back to its first line)
"$CNNC" tests/numeric/cases/pointwise_fetch_out.cnn --random-weights=1 -o "$out/ex_pointwise_fetch_out.O2.c" 2>/dev/null
probe pointwise_fetch_out fo_narrow "prefetches 0 lines 0 ranges 0 writes 38400 outside 0" \
    '-DCNNRT_PREFETCH_W(p)=cnnrt_probe_prefetch_w(p)'

# fetch_ahead: the 1x1 layer fetches its own next blocks' weights (7 x 512
# lines, as in weight_prefetch) and, spread over its run, every line of the
# classifier's weights after it (256 x 512 floats: 8192 lines), once each;
# the second classifier's none
probe fetch_ahead fa_narrow "prefetches 11776 lines 11776 ranges 2"
if grep -q avx512f /proc/cpuinfo 2>/dev/null; then
    probe fetch_ahead fa_wide "prefetches 11776 lines 11776 ranges 2" -march=x86-64-v4
else ok "fetch_ahead wide: skipped, this CPU has no AVX-512"; fi

# every kernel a function of its own (CNNRT_KERNEL): clang -O2 inlines a
# static function called once, and a network's kernels inlined into its
# forward function took minutes to compile; each variant's kernels stay
# symbols of the object (lenet5: 7 kernels, 3 variants)
"$CNNC" bench/nets/lenet5.cnn --random-weights -o "$out/kernels.c" 2>"$out/kernels.err"
for cc in gcc clang; do
    if $cc -std=c11 -O2 -Iruntime -c "$out/kernels.c" -o "$out/kernels_$cc.o" 2>>"$out/kernels.err"; then
        n=$(nm "$out/kernels_$cc.o" | grep -c "lenet5_[a-z0-9_]*__run_\(wide\|narrow\|base\)$")
        want=$(grep -c "^CNNRT_KERNEL .*static void lenet5_" "$out/kernels.c")
        if [ "$n" -gt 0 ] && [ "$n" -eq "$want" ]; then ok "kernels out of line $cc: $n of $want"
        else ko "kernels out of line $cc: $n symbols of $want kernels"; fi
    else head -5 "$out/kernels.err"; ko "kernels out of line $cc: build"; fi
done

# cnnrt_phase_row as its definition on every path: built by gcc and clang,
# without -march (no shuffles), for AVX2 (clang's shuffles, gcc's for stride 2)
# and, where the CPU runs it, AVX-512 (gcc's shuffles too); with
# AddressSanitizer, which stops at a read past a row
for cc in gcc clang; do
    for arch in "" -march=x86-64-v3 -march=x86-64-v4; do
        [ "$arch" = -march=x86-64-v4 ] && ! grep -q avx512f /proc/cpuinfo 2>/dev/null && continue
        [ "$arch" = -march=x86-64-v3 ] && ! grep -q avx2 /proc/cpuinfo 2>/dev/null && continue
        if $cc -std=c11 -O2 $arch -fsanitize=address -Wall -Wextra -pedantic -Werror -Iruntime tests/codegen/phase_row_check.c \
               -o "$out/phase_row_$cc" -lm 2>"$out/phase_row.err" && "$out/phase_row_$cc" > "$out/phase_row.txt" 2>&1; then
            ok "cnnrt_phase_row $cc $arch: $(tail -n 1 "$out/phase_row.txt")"
        else head -5 "$out/phase_row.err" "$out/phase_row.txt"; ko "cnnrt_phase_row $cc $arch"; fi
    done
done

# every app of examples/examples.mk: from .cnn files, and from the ONNX models
# PyTorch exports (LeNet-5's, and torchvision's MobileNetV3-small trained here)
for n in lenet5 lenet5_onnx digits_mobilenet sobel resnet_block mobilenet_block mobilenet_v3_block activity1d volume3d; do
    if make -s --no-print-directory "examples-$n" >"$out/run_$n.log" 2>&1; then ok "example $n runs"
    else tail -5 "$out/run_$n.log"; ko "example $n"; fi
done

# bench/ab.sh: the same code on both sides, -O0 against -O2 (the same
# function), and other weights on one side (outputs that disagree: exit 3)
ab() { BLOCKS=2 MIN_MS=1 AB_CCS="gcc clang" OUT=$out/ab bench/ab.sh bench/nets/lenet5.cnn >"$out/ab.log" 2>&1; }
ab; rc=$?
if [ $rc = 0 ] && grep -q "same code" "$out/ab.log" && [ "$(grep -c '^[a-z]*: A [0-9.]* us, B [0-9.]* us, B/A [0-9.]* ' "$out/ab.log")" = 2 ]; then
    ok "bench/ab.sh: A against itself"
else cat "$out/ab.log"; ko "bench/ab.sh: A against itself (exit $rc)"; fi
FLAGS_B=-O0 ab; rc=$?
if [ $rc = 0 ] && ! grep -q "same code" "$out/ab.log" && [ "$(grep -c 'max |B-A| [0-9.e-]* *$' "$out/ab.log")" = 2 ]; then
    ok "bench/ab.sh: -O2 against -O0"
else cat "$out/ab.log"; ko "bench/ab.sh: -O2 against -O0 (exit $rc)"; fi
FLAGS_B=--random-weights=2 ab; rc=$?
if [ $rc = 3 ] && [ "$(grep -c 'outputs disagree: [0-9]* elements' "$out/ab.log")" = 2 ]; then
    ok "bench/ab.sh: other weights, outputs disagree"
else cat "$out/ab.log"; ko "bench/ab.sh: other weights, outputs disagree (exit $rc)"; fi
# RUNTIME_A: A's code includes that directory's cnnrt.h (one that stops the
# compiler fails the run)
mkdir -p "$out/rt_ok" "$out/rt_bad"
cp runtime/cnnrt.h "$out/rt_ok/"
printf '#error the header of RUNTIME_A\n' > "$out/rt_bad/cnnrt.h"
RUNTIME_A=$PWD/$out/rt_ok ab; rc=$?
if [ $rc = 0 ] && ! grep -q "same code" "$out/ab.log" && [ "$(grep -c '^[a-z]*: A [0-9.]* us' "$out/ab.log")" = 2 ]; then
    ok "bench/ab.sh: RUNTIME_A"
else cat "$out/ab.log"; ko "bench/ab.sh: RUNTIME_A (exit $rc)"; fi
# CC_A: A's code built by another compiler than B's, in one program
CC_A=clang AB_CCS=gcc BLOCKS=2 MIN_MS=1 OUT=$out/ab bench/ab.sh bench/nets/lenet5.cnn >"$out/ab.log" 2>&1; rc=$?
if [ $rc = 0 ] && ! grep -q "same code" "$out/ab.log" && [ "$(grep -c '^gcc (A: clang): A [0-9.]* us, B [0-9.]* us' "$out/ab.log")" = 1 ]; then
    ok "bench/ab.sh: CC_A"
else cat "$out/ab.log"; ko "bench/ab.sh: CC_A (exit $rc)"; fi
RUNTIME_A=$PWD/$out/rt_bad ab; rc=$?
if [ $rc = 1 ] && grep -q "failed on A" "$out/ab.log"; then ok "bench/ab.sh: RUNTIME_A's header is the one A includes"
else cat "$out/ab.log"; ko "bench/ab.sh: RUNTIME_A's header is the one A includes (exit $rc)"; fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
