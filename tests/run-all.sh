#!/bin/sh
# Runs every test suite (make targets), then sums their closing
# "N passed, M failed" lines into one. Exit status 1 if anything failed.
cd "$(dirname "$0")/.." || exit 2
MAKE=${MAKE:-make}
total_p=0 total_f=0 status=0
log=$(mktemp)
for suite in unit golden cli numeric codegen onnx; do
    echo "==== $suite"
    $MAKE -s --no-print-directory "$suite" 2>&1 | tee "$log"
    rc=$?
    line=$(grep -E '^([A-Za-z]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    if [ -z "$line" ]; then
        echo "$suite: no result line (the suite did not run)"
        total_f=$((total_f + 1)); status=1; continue
    fi
    p=$(echo "$line" | sed -E 's/^([A-Za-z]+: )?([0-9]+) passed, ([0-9]+) failed.*/\2/')
    f=$(echo "$line" | sed -E 's/^([A-Za-z]+: )?([0-9]+) passed, ([0-9]+) failed.*/\3/')
    total_p=$((total_p + p)); total_f=$((total_f + f))
    [ "$f" -ne 0 ] && status=1
done
rm -f "$log"
echo "===="
echo "$total_p passed, $total_f failed"
exit $status
