#!/bin/sh
# Every numeric case at -O0, -O1 and -O2 (each under clang and gcc), then the
# lecture's worked examples; one closing "N passed, M failed" line.
cd "$(dirname "$0")/../.." || exit 2
p=0 f=0
tally() {   # sums the last "N passed, M failed" line of the output in $1
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1)
    if [ -z "$line" ]; then f=$((f + 1)); return; fi
    p=$((p + $(echo "$line" | cut -d' ' -f1)))
    f=$((f + $(echo "$line" | cut -d' ' -f3)))
}
log=$(mktemp)
for level in -O0 -O1 -O2; do
    echo "== numeric cases, cnnc $level"
    CNNC_FLAGS=$level tests/numeric/run.sh >"$log" 2>&1
    grep -v '^PASS' "$log"
    tally "$log"
done
echo "== lecture examples"
/usr/bin/python3 tests/numeric/lecture_test.py >"$log" 2>&1
grep -v '^PASS' "$log"
tally "$log"
rm -f "$log"
echo "$p passed, $f failed"
[ "$f" -eq 0 ]
