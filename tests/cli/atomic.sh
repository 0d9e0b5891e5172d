#!/bin/sh
# tests/cli/atomic.sh — atomic outputs and determinism (docs/language.md,
# section 8: "After any error no output file is created or changed", "The
# same source, weights and options give byte-identical output").
# tests/cli/run.sh runs it and counts its checks; it
# also runs alone. CNNC overrides the compiler (default build/cnnc). Prints
# PASS/FAIL per check, then "N passed, M failed".
set -u
LC_ALL=C
export LC_ALL
NO_COLOR=1
export NO_COLOR

root=$(cd "$(dirname "$0")/../.." && pwd)
cnnc=${CNNC:-build/cnnc}
case $cnnc in /*) ;; *) cnnc=$root/$cnnc ;; esac
if [ ! -x "$cnnc" ]; then
    echo "atomic.sh: no compiler at $cnnc (run make first)" >&2
    echo "0 passed, 1 failed"
    exit 1
fi
weights=$root/tests/errors/weights/good.safetensors
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cnnc-atomic.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
cd "$tmp" || exit 1
pass=0
fail=0

check() {
    name=$1
    shift
    if "$@"; then
        pass=$((pass + 1))
        echo "PASS $name"
    else
        fail=$((fail + 1))
        echo "FAIL $name"
        [ -s err ] && { echo "  --- err:"; head -n 10 err | sed 's/^/  /'; }
    fi
}

run() {
    "$cnnc" "$@" >out 2>err
    rc=$?
}

status() { [ "$rc" -eq "$1" ]; }
has() { grep -q -e "$2" "$1"; }
# no cnnc temporary (.NAME.XXXXXX) in directory $1
no_temps() { [ -z "$(find "$1" -name '.*.??????' -print)" ]; }
# the entries of directory $1, one line, sorted
listing() { (cd "$1" && ls -A | sort | tr '\n' ' '); }

# the network of tests/errors/weights/ (its good.safetensors fits it)
cat >net.cnn <<'CNN'
network n {
    input x[3, 8, 8];
    conv2d c(out=2, kernel=3);
    batchnorm bn;
    relu;
    flatten;
    dense fc(out=4);
}
CNN
# errors in each stage: syntax, names, shapes, weights
printf 'network n {\n    input x[3, 8, 8];\n    conv2d c(out=2 kernel=3);\n}\n' >syntax.cnn
printf 'network n {\n    input x[3, 8, 8];\n    relu(y);\n}\n' >names.cnn
printf 'network n {\n    input x[3, 8, 8];\n    dense fc(out=4);\n}\n' >shapes.cnn
cp net.cnn noweights.cnn   # no weights anywhere: the weights stage fails

# ---- an input in error leaves existing outputs byte for byte
mkdir -p keep
printf '/* an old net.c */\n' >keep/net.c
printf '/* an old net.h */\n' >keep/net.h
cp keep/net.c old.c
cp keep/net.h old.h
for bad in syntax names shapes noweights; do
    run $bad.cnn -o keep/net.c
    check "$bad error: exit 1" status 1
    check "$bad error: net.c unchanged" cmp -s keep/net.c old.c
    check "$bad error: net.h unchanged" cmp -s keep/net.h old.h
    check "$bad error: no temporary file left" no_temps keep
    check "$bad error: nothing else in the directory" [ "$(listing keep)" = "net.c net.h " ]
done
run net.cnn --weights "$root/tests/errors/weights/wrong_shape.safetensors" -o keep/net.c
check "weights error: exit 1" status 1
check "weights error: outputs unchanged" sh -c 'cmp -s keep/net.c old.c && cmp -s keep/net.h old.h'
check "weights error: no temporary file left" no_temps keep
run net.cnn --weights "$root/tests/errors/weights/truncated.safetensors" -o keep/net.c
check "bad weights file: exit 1" status 1
check "bad weights file: outputs unchanged" sh -c 'cmp -s keep/net.c old.c && cmp -s keep/net.h old.h'
check "bad weights file: no temporary file left" no_temps keep
# files that are not regular ones are refused before they are opened: a
# device never ends, a FIFO's open waits for a writer
run net.cnn --weights /dev/zero -o keep/net.c
check "--weights /dev/zero: exit 1" status 1
check "--weights /dev/zero: 'not a regular file'" has err "not a regular file"
check "--weights /dev/zero: outputs unchanged" sh -c 'cmp -s keep/net.c old.c && cmp -s keep/net.h old.h'
run /dev/zero --input=onnx -o keep/net.c
check "an ONNX model from /dev/zero: exit 1, 'not a regular file'" sh -c '[ $0 = 1 ] && grep -q "not a regular file" err' "$rc"
rm -f fifo && mkfifo fifo
"$cnnc" fifo -o keep/net.c >out 2>err &
pid=$!
i=0
while kill -0 $pid 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
if kill -0 $pid 2>/dev/null; then kill $pid; rc=124; else wait $pid; rc=$?; fi
check "a FIFO as the source: exit 1 at once, 'not a regular file'" sh -c '[ $0 = 1 ] && grep -q "not a regular file" err' "$rc"
check "a FIFO as the source: outputs unchanged" sh -c 'cmp -s keep/net.c old.c && cmp -s keep/net.h old.h'

# the default output (NAME.c in the current directory) too
(cd keep && "$cnnc" ../syntax.cnn >../out 2>../err)
check "an error without -o writes no syntax.c" [ "$(listing keep)" = "net.c net.h " ]

# ---- success replaces the outputs, leaves no temporary file
run net.cnn --random-weights -o keep/net.c
check "success: exit 0" status 0
check "success: net.c replaced" sh -c '! cmp -s keep/net.c old.c && grep -q n_forward keep/net.c'
check "success: net.h replaced" sh -c '! cmp -s keep/net.h old.h && grep -q n_forward keep/net.h'
check "success: no temporary file left" no_temps keep
check "success: only net.c and net.h" [ "$(listing keep)" = "net.c net.h " ]
mkdir -p dflt
(cd dflt && "$cnnc" ../net.cnn --random-weights >../out 2>../err)
check "success without -o: net.c and net.h here, nothing else" [ "$(listing dflt)" = "net.c net.h " ]

# ---- the same input gives byte-identical outputs
same() {   # LABEL ARGS...: compile twice into a/ and b/, compare
    label=$1
    shift
    rm -rf a b
    mkdir a b
    "$cnnc" net.cnn "$@" -o a/net.c >out 2>err
    rc1=$?
    "$cnnc" net.cnn "$@" -o b/net.c >>out 2>>err
    rc2=$?
    check "$label: both runs succeed" [ $((rc1 + rc2)) -eq 0 ]
    check "$label: identical net.c" cmp -s a/net.c b/net.c
    check "$label: identical net.h" cmp -s a/net.h b/net.h
}
same "--random-weights" --random-weights
same "--random-weights=7" --random-weights=7
same "--random-weights=7 -O0" --random-weights=7 -O0
same "--weights FILE" --weights "$weights"
run net.cnn --random-weights=7 -o a/net.c
run net.cnn --random-weights=8 -o b/net.c
check "another seed gives other weights" sh -c '! cmp -s a/net.c b/net.c'
run net.cnn --random-weights=7 -o -
cp out stdout1.c
run net.cnn --random-weights=7 -o -
check "-o -: identical output" cmp -s out stdout1.c
run net.cnn --report=json
cp out r1.json
run net.cnn --report=json
check "--report=json: identical" cmp -s out r1.json
# the output does not depend on the current directory or the path of the source
mkdir -p sub
cp net.cnn sub/net.cnn
(cd sub && "$cnnc" net.cnn --random-weights=7 -o ../a/net.c >../out 2>&1)
(cd "$tmp" && "$cnnc" net.cnn --random-weights=7 -o b/net.c >out 2>&1)
check "same output from another directory" cmp -s a/net.c b/net.c

# ---- -o into a directory that does not exist
run net.cnn --random-weights -o no/such/dir/net.c
check "-o into a missing directory: exit 1" status 1
check "-o into a missing directory: the message names the file" has err "cannot write 'no/such/dir/net.c': No such file or directory"
check "-o into a missing directory: nothing created" [ ! -e no ]
run net.cnn --emit=dot -o no/such/dir/net.dot
check "--emit=dot -o into a missing directory: exit 1" status 1
check "--emit=dot -o into a missing directory: the message" has err "cannot write 'no/such/dir/net.dot'"
# a directory where the file should be
mkdir -p isdir.c
run net.cnn --random-weights -o isdir.c
check "-o onto a directory: exit 1" status 1
check "-o onto a directory: the message names it" has err "isdir.c"
check "-o onto a directory: no temporary file left" no_temps .
check "-o onto a directory: no header written either" [ ! -e isdir.h ]
# a directory where the header should be
rm -rf hdir
mkdir -p hdir/net.h
run net.cnn --random-weights -o hdir/net.c
check "a directory named like the header: exit 1" status 1
check "a directory named like the header: the message names it" has err "hdir/net.h"
check "a directory named like the header: no temporary file left" no_temps hdir
check "a directory named like the header: no source written" [ ! -e hdir/net.c ]

# ---- the output must not replace the input (gcc: "input file is the same as output file")
cp net.cnn self.cnn
run self.cnn --random-weights -o self.cnn
check "-o onto the input file: exit 1" status 1
check "-o onto the input file: the source kept" cmp -s self.cnn net.cnn

# ---- -c: a failed compile leaves everything as it was
mkdir -p cfail
CC=false run net.cnn --random-weights -c -o cfail/net.c
check "-c, the compiler fails: exit 1" status 1
check "-c, the compiler fails: nothing written" [ "$(listing cfail)" = "" ]
cp old.c cfail/net.c && cp old.h cfail/net.h && cp old.c cfail/net.o
CC=false run net.cnn --random-weights -c -o cfail/net.c
check "-c, the compiler fails: exit 1 again" status 1
check "-c, the compiler fails: net.c, net.h and net.o unchanged" \
    sh -c 'cmp -s cfail/net.c old.c && cmp -s cfail/net.h old.h && cmp -s cfail/net.o old.c'
check "-c, the compiler fails: no temporary file left" [ "$(listing cfail)" = "net.c net.h net.o " ]
CC=true run net.cnn --random-weights -c -o cfail/net.c
check "-c, the compiler writes no object: exit 1" status 1
check "-c, the compiler writes no object: said so" has err "wrote no object file"
check "-c, the compiler writes no object: all unchanged" \
    sh -c 'cmp -s cfail/net.c old.c && cmp -s cfail/net.h old.h && cmp -s cfail/net.o old.c'
CC=gcc run net.cnn --random-weights -c -o cfail/net.c
check "-c succeeds: exit 0" status 0
check "-c succeeds: all three replaced" \
    sh -c 'grep -q n_forward cfail/net.c && grep -q n_forward cfail/net.h && nm cfail/net.o | grep -q "T n_forward"'
check "-c succeeds: no temporary file left" [ "$(listing cfail)" = "net.c net.h net.o " ]
# a source named without .c is C to the compiler too (-x c); a dangling link
# in the way of a failed compile stays
mkdir -p cplain && ln -s nowhere.c cplain/dangling.c
CC=gcc run net.cnn --random-weights -c -o cplain/net
check "-c -o net (no .c): net.o" sh -c '[ $0 = 0 ] && nm cplain/net.o | grep -q "T n_forward"' "$rc"
CC=false run net.cnn --random-weights -c -o cplain/dangling.c
check "-c fails over a dangling link: the link stays" sh -c '[ $0 = 1 ] && [ "$(readlink cplain/dangling.c)" = nowhere.c ]' "$rc"
check "-c fails over a dangling link: nothing else" [ "$(listing cplain)" = "dangling.c net net.h net.o " ]

# ---- -c runs $CC on the output's name: a quote in it must not reach a shell
mkdir -p quote
cp net.cnn "quote/q'; touch INJECTED; '.cnn"
(cd quote && CC=true "$cnnc" "q'; touch INJECTED; '.cnn" --random-weights -c >../out 2>../err)
check "-c: a file name with a quote runs no shell command" [ ! -e quote/INJECTED ]

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
