#!/bin/sh
# tests/fuzz/run-fuzz.sh BIN SECONDS JOBS SEEDS [LIBFUZZER FLAGS...] — one
# bounded libFuzzer session (`make fuzz`) of BIN on the seed directory SEEDS.
# New inputs go to build-fuzz/corpus-NAME/ (the committed seeds are never
# changed), crashes, timeouts and OOMs to build-fuzz/crashes/. Exit status 1
# when the session found anything: each find is listed with the command that
# reproduces it. JOBS > 1 runs libFuzzer's -fork mode. Ends with
# "N passed, M failed".
cd "$(dirname "$0")/../.." || exit 2
bin=$1 secs=$2 jobs=$3 seeds=$4
shift 4
name=$(basename "$bin")
work=build-fuzz
mkdir -p "$work/corpus-$name" "$work/crashes"
before=$(ls "$work/crashes" | wc -l)
fork=
[ "$jobs" -gt 1 ] && fork="-fork=$jobs -ignore_crashes=0"
echo "fuzz: $name for ${secs}s on $seeds ($(ls "$seeds" | wc -l) seeds) + $work/corpus-$name"
# shellcheck disable=SC2086 # flags are words
"$bin" -max_total_time="$secs" -artifact_prefix="$work/crashes/" $fork "$@" \
    "$work/corpus-$name" "$seeds" >"$work/$name.log" 2>&1
rc=$?
grep -E '^Done [0-9]+ runs|stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' \
    "$work/$name.log"
after=$(ls "$work/crashes" | wc -l)
if [ $rc -ne 0 ] || [ "$after" -gt "$before" ]; then
    echo "fuzz: $name: libFuzzer exit status $rc; the report:"
    grep -E -A 30 '^==[0-9]+==ERROR|runtime error|deadly signal' "$work/$name.log" | head -n 60
    for c in $(ls -t "$work/crashes" | head -n $((after - before))); do
        echo "fuzz: found $work/crashes/$c; reproduce: $bin $work/crashes/$c"
    done
    echo "fuzz: keep each as a regression case in tests/fuzz/regress/ (.cnn or .safetensors)"
    echo "$name: 0 passed, 1 failed"
    exit 1
fi
echo "$name: 1 passed, 0 failed"
