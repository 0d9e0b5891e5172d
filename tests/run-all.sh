#!/bin/bash
# Runs the test suites as independent tasks, several at a time, and sums
# their closing "N passed, M failed" lines into one. Exit status 1 if
# anything failed.
#
#   tests/run-all.sh [--check] [SUITE ...]
#
# SUITE: unit golden cli codegen numeric (default: all five). The numeric
# suite is one task per configuration of tests/numeric/numeric-all.sh (--list);
# with --check only the quick tier's (make check). Its reference outputs
# (PyTorch, ref.py gen) are made once and shared by every configuration.
#
# TEST_JOBS tasks run at once [nproc]; the numeric tasks run JOBS cases at a
# time each [nproc], so a lone task at the end still uses every core. Prints a
# line when a task starts and one when it ends (its counts and seconds, and on
# failure its FAIL lines); a line saying what still runs after a minute of
# silence. Every task's full output: build/test-logs/NAME.log.
cd "$(dirname "$0")/.." || exit 2
MAKE=${MAKE:-make}
tier=full
if [ "${1:-}" = --check ]; then tier=check; shift; fi
suites=("$@")
[ ${#suites[@]} -eq 0 ] && suites=(unit golden cli onnx codegen numeric)
ncpu=$(nproc 2>/dev/null || echo 2)
slots=${TEST_JOBS:-$ncpu}
logs=build/test-logs
rm -rf "$logs"
mkdir -p "$logs" || exit 2
ref=$(mktemp -d "$PWD/build/numeric-ref.XXXXXX") || exit 2

# ---- the tasks, in starting order: the quick suites first (early news of a
# broken build), then the longest first (numeric-all.sh lists them so)
names=() cmds=() needs=() labels=()
add() {  # add NAME NEEDS COMMAND [LABEL]
    names+=("$1"); needs+=("$2"); cmds+=("$3"); labels+=("${4:-}")
}
has() { case " ${suites[*]} " in *" $1 "*) return 0 ;; esac; return 1; }
for s in unit golden cli onnx; do
    has $s && add "$s" "" "$MAKE -s --no-print-directory $s"
done
if has numeric; then
    add numeric-ref "" "tests/numeric/numeric-all.sh --gen '$ref'"
    list=$(tests/numeric/numeric-all.sh --list $([ $tier = check ] && echo --check)) || exit 2
    codegen_done=0 k=0
    while IFS=$'\t' read -r n label; do
        # codegen (serial, a few minutes) after the two longest numeric tasks
        if has codegen && [ $codegen_done = 0 ] && [ $k -eq 2 ]; then
            add codegen "" "$MAKE -s --no-print-directory codegen"; codegen_done=1
        fi
        dep=numeric-ref
        [ "$n" = lecture ] && dep=""
        add "numeric $n" "$dep" "NUMERIC_REF='$ref' tests/numeric/numeric-all.sh --run $n" "$label"
        k=$((k + 1))
    done <<<"$list"
    has codegen && [ $codegen_done = 0 ] && add codegen "" "$MAKE -s --no-print-directory codegen"
elif has codegen; then
    add codegen "" "$MAKE -s --no-print-directory codegen"
fi
ntask=${#names[@]}

t0=$(date +%s)
now() { echo $(($(date +%s) - t0)); }
say() { printf '[%4ss] %s\n' "$(now)" "$*"; last=$(date +%s); }
logname() { printf '%s/%s.log' "$logs" "${1// /-}"; }

state=() pids=() start=()   # state: 0 waiting, 1 running, 2 done (3 failed: numeric-ref)
for ((i = 0; i < ntask; i++)); do state[i]=0; done
total_p=0 total_f=0 failed_tasks=()
running=0

cleanup() {
    for ((i = 0; i < ntask; i++)); do
        [ "${state[i]}" = 1 ] && kill -TERM -- "-${pids[i]}" 2>/dev/null
    done
    rm -rf "$ref"
}
trap 'echo; say "interrupted"; cleanup; exit 130' INT TERM
set -m   # each task in its own process group (cleanup stops it whole)

launch() {  # launch I
    local i=$1 log
    log=$(logname "${names[i]}")
    rm -f "$log.rc"
    # .rc appears (whole) when the task has ended
    (eval "${cmds[i]}" >"$log" 2>&1 </dev/null; rc=$?; times >"$log.times"
     echo $rc >"$log.rc.new"; mv "$log.rc.new" "$log.rc") &
    pids[i]=$!
    state[i]=1
    start[i]=$(date +%s)
    running=$((running + 1))
    [ "${names[i]}" = numeric-ref ] && say "start  numeric reference outputs (ref.py gen, shared)" && return
    say "start  ${names[i]}${labels[i]:+ (${labels[i]})}"
}

finish() {  # finish I: the task ended; report it
    local i=$1 log rc line p f secs cpu more
    log=$(logname "${names[i]}")
    wait "${pids[i]}" 2>/dev/null
    rc=$(cat "$log.rc" 2>/dev/null || echo 1)
    secs=$(($(date +%s) - start[i]))
    # CPU seconds of the task's processes (user + system), from `times`
    cpu=$(sed -n 2p "$log.times" 2>/dev/null | tr 'ms' '  ' |
          awk '{ printf "%d", $1 * 60 + $2 + $3 * 60 + $4 }')
    secs="$secs s${cpu:+, $cpu s CPU}"
    running=$((running - 1))
    state[i]=2
    if [ "${names[i]}" = numeric-ref ]; then
        if [ "$rc" = 0 ]; then
            say "done   numeric reference outputs ($secs)"
        else
            # each configuration then makes its own (run.sh: no $ref/CASE),
            # and says what went wrong
            state[i]=3
            say "numeric reference outputs failed ($secs; each configuration makes its own): $log"
            rm -rf "$ref"
        fi
        return
    fi
    line=$(grep -E '^([A-Za-z]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    if [ -z "$line" ]; then
        p=0 f=1
        line="no result line (exit status $rc)"
    else
        p=$(echo "$line" | sed -E 's/^([A-Za-z]+: )?([0-9]+) passed, ([0-9]+) failed.*/\2/')
        f=$(echo "$line" | sed -E 's/^([A-Za-z]+: )?([0-9]+) passed, ([0-9]+) failed.*/\3/')
        line="$p passed, $f failed"
        if [ "$rc" != 0 ] && [ "$f" -eq 0 ]; then
            f=1
            line="$line, but exit status $rc"
        fi
    fi
    total_p=$((total_p + p)) total_f=$((total_f + f))
    say "${names[i]}: $line ($secs)"
    grep -E '^SKIP' "$log" | sed 's/^/         /'
    if [ "$f" -ne 0 ]; then
        failed_tasks+=("${names[i]}")
        grep -v -E '^PASS|^ *Test: .*passed$|^[0-9]+ passed, [0-9]+ failed|^ *$' "$log" \
            >"$log.fail"
        head -n 25 "$log.fail" | sed 's/^/         /'
        more=$(($(wc -l <"$log.fail") - 25))
        [ "$more" -gt 0 ] && echo "         ... $more more lines"
        rm -f "$log.fail"
        echo "         full log: $log"
    fi
}

ready() {  # ready I: waiting, and what it needs has ended
    local i=$1 j
    [ "${state[i]}" = 0 ] || return 1
    [ -z "${needs[i]}" ] && return 0
    for ((j = 0; j < ntask; j++)); do
        if [ "${names[j]}" = "${needs[i]}" ]; then
            [ "${state[j]}" -ge 2 ] && return 0
            return 1
        fi
    done
    return 0
}

n=$ntask
has numeric && n=$((n - 1))   # numeric-ref tests nothing
echo "$([ $tier = check ] && echo "quick tier (make check)" || echo "full tier (make test)"):" \
     "$n tasks, $slots at a time; logs in $logs/"
# what only the tests need (debian-packages-test.txt): say so up front
miss=""
has unit && [ ! -f /usr/include/CUnit/Basic.h ] && miss="$miss CUnit (unit),"
has cli && ! command -v dot >/dev/null 2>&1 && miss="$miss graphviz (cli),"
has numeric && [ $tier = full ] && ! command -v qemu-aarch64 >/dev/null 2>&1 &&
    miss="$miss qemu-user and the aarch64 cross compiler (numeric),"
[ -n "$miss" ] && echo "note: missing${miss%,}: scripts/install-deps.sh --tests installs them"
last=$(date +%s)
while :; do
    for ((i = 0; i < ntask; i++)); do
        [ "${state[i]}" = 1 ] && [ -f "$(logname "${names[i]}").rc" ] && finish "$i"
    done
    for ((i = 0; i < ntask && running < slots; i++)); do
        ready "$i" && launch "$i"
    done
    [ "$running" -eq 0 ] && break
    if [ $(($(date +%s) - last)) -ge 60 ]; then
        msg=""
        for ((i = 0; i < ntask; i++)); do
            [ "${state[i]}" = 1 ] && msg="$msg, ${names[i]} ($(($(date +%s) - start[i])) s)"
        done
        say "running: ${msg#, }"
    fi
    sleep 0.5
done
rm -rf "$ref"
echo "===="
[ ${#failed_tasks[@]} -gt 0 ] && echo "failed: ${failed_tasks[*]} (logs in $logs/)"
echo "$(now) s in all"
echo "$total_p passed, $total_f failed"
[ "$total_f" -eq 0 ]
