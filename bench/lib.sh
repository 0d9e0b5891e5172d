# shellcheck shell=bash
# bench/lib.sh — what the two suites share: bench/run.sh (networks in .cnn) and
# bench/run_onnx.sh (ONNX models). Sourced after env.sh, with `set -u`; it
# gives NODE, PEER_BUDGET and CNNC_BUDGET their defaults (see run.sh); the suite calls
#   bench_setup NOTE          the peers, the builds, this core's peak
#   bench_net NET DIR SRC [CNNC ARGS...]
#                             per network, after its step 1 (weights, input,
#                             reference, ONNX model, PyTorch's time in DIR/torch.txt)
#   print_table TITLE [NOTE]  the Markdown table, to stdout and $OUT/results.md
# Names it sets for the suite: HAVE_TORCH, HAVE_ORT, BUILDS, PEAK, ROWS; it reads
# `input` and `ref` ("--input FILE", "--ref FILE" or empty) set by step 1.

ME=$(basename "$0")
NODE=${NODE:-node}
PEER_BUDGET=${PEER_BUDGET:-2}
CNNC_BUDGET=${CNNC_BUDGET:-5}
BENCH_ROUNDS=${BENCH_ROUNDS:-5}
# each contender's budget is spread over BENCH_ROUNDS rounds that take turns
# (every build, then ONNX Runtime): a slow spell of a shared machine then
# slows a round of each, not all of one contender's runs
round_budget() { awk -v b="$1" -v r="$BENCH_ROUNDS" 'BEGIN { printf "%.3g", b / (r < 1 ? 1 : r) }'; }
# the median of the numbers in file $1, or "-" if none
median() { sort -g "$1" 2>/dev/null | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
now() { date +%s.%N; }
# a number with 2 significant digits below 1, 2 decimals up to 10, else 1 decimal
SIG='function sig(x) { return x < 1 ? sprintf("%.2g", x) : x < 10 ? sprintf("%.2f", x) : sprintf("%.1f", x) }'
us() { awk -v x="$1" 'BEGIN { if (x == "-" || x == "") print "-"; else if (x < 100) printf "%.1f", x; else printf "%.0f", x }'; }
ratio() { awk -v a="$1" -v b="$2" "$SIG"' BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-"; else print sig(a / b) "x" }'; }
# against a peer of time $1: the slowest build's ratio, then the fastest's
span() { a=$(ratio "$1" "$worst"); b=$(ratio "$1" "$best"); [ "$a" = "$b" ] && echo "$a" || echo "$a – $b"; }

# bench_setup NOTE: which peers are here (NOTE: what a missing torch means for
# the suite), the load average, the builds of the generated code, this core's peak
bench_setup() {
    mkdir -p "$OUT"

    # ---- which peers are here
    HAVE_TORCH=0
    "$PYTHON" -c 'import torch' >/dev/null 2>&1 && HAVE_TORCH=1
    HAVE_ORT=0
    if command -v "$NODE" >/dev/null 2>&1 &&
       (cd "$BENCH" && "$NODE" -e "require('onnxruntime-node')") >/dev/null 2>&1; then
        HAVE_ORT=1
    fi
    TORCH_VER=-; ORT_VER=-
    [ $HAVE_TORCH = 1 ] && TORCH_VER=$("$PYTHON" -c 'import torch; print(torch.__version__)' 2>/dev/null)
    [ $HAVE_ORT = 1 ] && ORT_VER=$(cd "$BENCH" && "$NODE" -e "console.log(require('onnxruntime-node/package.json').version)" 2>/dev/null)
    [ $HAVE_TORCH = 1 ] || echo "$ME: no torch in $PYTHON: PyTorch column '-', $1" >&2
    [ $HAVE_ORT = 1 ] || echo "$ME: no node or onnxruntime-node (cd bench && npm ci --ignore-scripts): ORT column '-'" >&2

    LOADAVG=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null)
    if awk -v l="${LOADAVG:-0}" 'BEGIN { exit !(l > 1.0) }'; then
        echo "$ME: warning: load average $LOADAVG: other processes share the cores, timings will be noisy" >&2
    fi

    # ---- the builds of the generated code: "cc|flags", ';'-separated
    if [ -z "${BENCH_BUILDS:-}" ]; then
        BENCH_BUILDS=""
        for c in clang gcc; do
            command -v $c >/dev/null 2>&1 && BENCH_BUILDS="$BENCH_BUILDS${BENCH_BUILDS:+;}$c|$BENCH_CFLAGS"
        done
        for c in clang gcc; do
            command -v $c >/dev/null 2>&1 && BENCH_BUILDS="$BENCH_BUILDS;$c|-O2"
        done
    fi
    IFS=';' read -r -a BUILDS <<< "$BENCH_BUILDS"

    # ---- this core's peak
    $CC -O2 -march=native -std=c11 "$BENCH/peak.c" -o "$OUT/peak" || exit 1
    "$OUT/peak" > "$OUT/peak.txt"
    PEAK=$(val peak_gflops "$OUT/peak.txt")
    CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
    LOAD0=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null)

    # cnnc's flags, then the source tree's as a fallback (a cnnc outside the tree
    # points at an install prefix); -L$BUILD first: in the tree --libs names build/
    CFLAGS_RT="$("$CNNC" --cflags) -I$ROOT/runtime"
    LIBS_RT="-L$BUILD $("$CNNC" --libs)"
    ROWS=""
}

# bench_net NET DIR SRC [CNNC ARGS...]: steps 2 and 3 of one network, and its
# row (appended to ROWS, and to stderr) and DIR/summary.txt. cnnc compiles SRC
# with CNNC ARGS into DIR/net.c, whose symbols must start with NET.
bench_net() {
    local net=$1 d=$2 src=$3
    shift 3
    local err="" macs mflop t0 t1 t_cnnc t_cc csize upper cols e bad i b bcc bfl berr t2 rc u ei chk
    local t_us o_us gflops pct errcol ocheck o_disp tcheck t_disp row
    [ -f "$src" ] || err="no $(basename "$src")"

    # 2. cnnc (timed), then each build: $cc on the generated source (the first
    # timed), link the driver, run it
    macs=$("$CNNC" "$src" "$@" --report=json 2>/dev/null | sed -n 's/^ *"total_macs": *\([0-9]*\).*/\1/p')
    mflop=$(awk -v m="${macs:-}" 'BEGIN { if (m == "") print "-"; else printf "%.6f", 2 * m / 1e6 }')
    t0=$(now)
    if [ -z "$err" ] && ! "$CNNC" "$src" "$@" -o "$d/net.c" 2> "$d/cnnc.err"; then
        err="cnnc failed"; head -n 5 "$d/cnnc.err" >&2
    fi
    t1=$(now)
    t_cnnc=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
    t_cc=-
    csize=$(stat -c %s "$d/net.c" 2>/dev/null || echo 0)
    upper=$(echo "$net" | tr '[:lower:]' '[:upper:]')
    cols="" best=- worst=- e=- bad="" i=0
    for b in "${BUILDS[@]}"; do
        i=$((i + 1)); bcc=${b%%|*} bfl=${b#*|} berr=$err
        t2=$(now)
        if [ -z "$berr" ] && ! $bcc $bfl -std=c11 $CFLAGS_RT -c "$d/net.c" -o "$d/net$i.o" 2> "$d/cc$i.err"; then
            berr="cc failed"; head -n 5 "$d/cc$i.err" >&2
        fi
        [ $i = 1 ] && t_cc=$(awk -v a="$t2" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
        if [ -z "$berr" ] && ! $bcc $bfl -std=c11 -I"$d" -DNET_H='"net.h"' -DPREFIX="$net" \
                 -DUPREFIX="$upper" $CFLAGS_RT "$BENCH/bench_main.c" "$d/net$i.o" $LIBS_RT \
                 -o "$d/bench$i" 2>> "$d/cc$i.err"; then
            berr="link failed"; tail -n 5 "$d/cc$i.err" >&2
        fi
        : > "$d/cnnc$i.rounds"
        if [ -z "$berr" ]; then
            # round 1, with the output checked
            # shellcheck disable=SC2154  # input, ref: set by the suite's step 1
            "$d/bench$i" $input $ref --out "$d/out$i.bin" --budget "$(round_budget "$CNNC_BUDGET")" \
                > "$d/cnnc$i.txt" 2> "$d/bench$i.err"
            rc=$?
            if [ $rc != 0 ] && [ $rc != 3 ]; then berr="run failed ($rc)"; tail -n 3 "$d/bench$i.err" >&2; fi
        fi
        [ -z "$berr" ] && val cnnc_us "$d/cnnc$i.txt" | grep -E '^[0-9.]+$' >> "$d/cnnc$i.rounds"
        [ -n "$berr" ] && rm -f "$d/bench$i"   # no later rounds
        ei=$(val max_abs_err "$d/cnnc$i.txt"); chk=$(sed -n 's/^check //p' "$d/cnnc$i.txt" 2>/dev/null)
        e=$(awk -v a="$e" -v b="$ei" 'BEGIN { print (b == "-" ? a : a == "-" || b + 0 > a + 0 ? b : a) }')
        [ -n "$chk" ] && [ "$chk" != ok ] && bad="$bad **FAIL** ($i: ${chk#FAIL } bad)"
        [ -n "$berr" ] && bad="$bad **$berr** ($i)"
    done

    # 3. ONNX Runtime, round 1 (its output checked)
    local ort=0
    : > "$d/ort.rounds"
    if [ $HAVE_ORT = 1 ] && [ "$(val onnx "$d/torch.txt")" = ok ]; then
        if (cd "$BENCH" && "$NODE" ort_bench.js "$d/net.onnx" --input "$d/input.bin" --ref "$d/ref.bin" \
            --budget "$(round_budget "$PEER_BUDGET")") > "$d/ort.txt" 2> "$d/ort.err"; then ort=1; else
            rc=$?; [ $rc = 3 ] && ort=1 || { echo "$ME: $net: ort_bench.js failed" >&2; tail -n 3 "$d/ort.err" >&2; }; fi
        [ $ort = 1 ] && val ort_us "$d/ort.txt" | grep -E '^[0-9.]+$' >> "$d/ort.rounds"
    fi

    # 4. the other rounds: every build, then ONNX Runtime, in turn
    for _ in $(seq 2 "$BENCH_ROUNDS"); do
        for i in $(seq ${#BUILDS[@]}); do
            [ -x "$d/bench$i" ] || continue
            "$d/bench$i" $input --budget "$(round_budget "$CNNC_BUDGET")" 2>> "$d/bench$i.err" |
                sed -n 's/^cnnc_us //p' >> "$d/cnnc$i.rounds"
        done
        [ $ort = 1 ] && (cd "$BENCH" && "$NODE" ort_bench.js "$d/net.onnx" --input "$d/input.bin" \
            --budget "$(round_budget "$PEER_BUDGET")" 2>> "$d/ort.err") | sed -n 's/^ort_us //p' >> "$d/ort.rounds"
    done

    # each contender's time: the median of its rounds
    i=0
    for b in "${BUILDS[@]}"; do
        i=$((i + 1)); bcc=${b%%|*} bfl=${b#*|}
        u=$(median "$d/cnnc$i.rounds")
        cols="$cols | $(us "$u")"
        best=$(awk -v a="$best" -v b="$u" 'BEGIN { print (b == "-" ? a : a == "-" || b + 0 < a + 0 ? b : a) }')
        worst=$(awk -v a="$worst" -v b="$u" 'BEGIN { print (b == "-" ? a : a == "-" || b + 0 > a + 0 ? b : a) }')
        printf 'build%d %s %s\ncnnc_us%d %s\n' $i "$bcc" "$bfl" $i "$u" >> "$d/builds.txt"
    done

    # the row
    t_us=$(val torch_us "$d/torch.txt"); o_us=$(median "$d/ort.rounds")
    # MFLOP / µs = 1e12 FLOP/s; of the fastest build
    gflops=$(awk -v f="$mflop" -v u="$best" "$SIG"' BEGIN { if (f == "-" || u == "-") print "-"; else print sig(f / u * 1e3) }')
    pct=$(awk -v f="$mflop" -v u="$best" -v p="$PEAK" "$SIG"' BEGIN { if (f == "-" || u == "-" || p == "-") print "-"; else print sig(100 * f / u * 1e3 / p) "%" }')
    errcol="$e$bad"
    # a peer whose output fails the check: its time, marked
    ocheck=$(sed -n 's/^check //p' "$d/ort.txt" 2>/dev/null)
    o_disp=$(us "$o_us")
    [ -n "$ocheck" ] && [ "$ocheck" != ok ] && o_disp="$o_disp (output $ocheck)"
    tcheck=$(val torch_check "$d/torch.txt")
    t_disp=$(us "$t_us")
    [ "$tcheck" != - ] && [ "$tcheck" != ok ] && t_disp="$t_disp (output $tcheck)"
    row="| $net | $(awk -v x="$mflop" "$SIG"' BEGIN { print x == "-" ? "-" : sig(x) }') | $t_cnnc + $t_cc | $(awk -v b="$csize" 'BEGIN { printf "%.1f", b / 1e6 }')$cols | $gflops | $pct | $t_disp | $o_disp | $(span "$t_us") | $(span "$o_us") | $errcol |"
    echo "$row" >&2
    ROWS="$ROWS$row
"
    printf 'net %s\nmflop %s\ncnnc_compile_s %s\ncc_compile_s %s\nc_bytes %s\ncnnc_us %s\ncnnc_worst_us %s\ntorch_us %s\nort_us %s\nmax_abs_err %s\n' \
        "$net" "$mflop" "$t_cnnc" "$t_cc" "$csize" "$best" "$worst" "$t_us" "$o_us" "$e" > "$d/summary.txt"
    printf 'torch_mode %s\ntorch_check %s\n' "$(val torch_mode "$d/torch.txt")" "$tcheck" >> "$d/summary.txt"
}

# print_table TITLE [NOTE]: the header lines (machine, peak, peers, load, the
# builds and their compilers), the table of ROWS and its legend (then NOTE), to
# stdout and $OUT/results.md
print_table() {
    {
        echo "$1, batch 1, one thread, median µs ($(date -u +%Y-%m-%d), $CPU;"
        echo "peak: $(grep '^peak_' "$OUT/peak.txt" | tr '\n' ' ' | sed 's/ $//') GFLOP/s;" \
             "bandwidth: $(grep '^bw_' "$OUT/peak.txt" | tr '\n' ' ' | sed 's/ $//') GB/s; PyTorch $TORCH_VER, ONNX Runtime $ORT_VER;"
        echo "load average $LOAD0 at the start, $(cut -d' ' -f1 /proc/loadavg 2>/dev/null) at the end)"
        echo
        echo "builds of the generated code:"
        local i=0 b fl heads="" rule=""
        for b in "${BUILDS[@]}"; do i=$((i + 1)); echo "- build $i: ${b%%|*} ${b#*|} ($(${b%%|*} --version | head -n 1))"; done
        echo
        i=0
        for b in "${BUILDS[@]}"; do   # a column a build: its compiler, and its flags unless the tuned ones
            i=$((i + 1)); fl=${b#*|}; [ "$fl" = "$BENCH_CFLAGS" ] && fl=""
            heads="$heads | $i: ${b%%|*}${fl:+ $fl} µs"; rule="$rule|---:"
        done
        echo "| network | MFLOP | compile s (cnnc + cc 1) | net.c MB$heads | GFLOP/s | % peak | PyTorch µs | ORT µs | vs PyTorch | vs ORT | max abs err |"
        echo "|---|---:|---:|---:$rule|---:|---:|---:|---:|---:|---:|---|"
        printf '%s' "$ROWS"
        echo
        echo "GFLOP/s and % peak: the fastest build. vs X = X's time / cnnc's time (above 1: cnnc is"
        echo "faster), for the slowest build – the fastest. max abs err: cnnc's output against"
        echo "PyTorch's float64 reference, the largest of the builds'; every element must be within"
        echo "1e-4 + 1e-3 |ref|."
        if [ -n "${2:-}" ]; then echo "$2"; fi
    } | tee "$OUT/results.md"
}
