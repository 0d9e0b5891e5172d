#!/bin/sh
# tests/fuzz/make-corpus.sh — (re)writes the seed corpus tests/fuzz/corpus/
# from every .cnn the tests and examples hold: tests/golden, tests/errors
# (without the '# expect:' block), tests/numeric/cases and examples/*/.
# Files over 64 KiB are skipped (the fuzz target skips them too).
cd "$(dirname "$0")/../.." || exit 2
out=tests/fuzz/corpus
mkdir -p "$out"
rm -f "$out"/*.cnn
n=0
add() {   # PREFIX FILE
    dst="$out/$1_$(basename "$2")"
    awk '{ line[NR] = $0 } /^# (expect|exit|args|todo):/ { next } { last = NR }
         END { for (i = 1; i <= last; i++) print line[i] }' "$2" >"$dst"
    if [ "$(wc -c <"$dst")" -gt 65536 ]; then rm -f "$dst"; else n=$((n + 1)); fi
}
for f in tests/golden/*.cnn; do add golden "$f"; done
for f in tests/errors/*.cnn; do add errors "$f"; done
for f in tests/numeric/cases/*.cnn tests/numeric/lecture/*.cnn; do [ -f "$f" ] && add numeric "$f"; done
for f in examples/*/*.cnn; do add example "$f"; done
echo "$n seeds in $out"
