#!/bin/sh
# A layer name one megabyte long (generated: too big to commit). The name is
# one error; the source line is shown cut at 200 characters.
printf 'network n {\n    input x[3, 8, 8];\n    relu '
head -c 1048576 /dev/zero | tr '\0' 'a'
printf ';\n    sigmoid;\n}\n'
# expect: long_name.cnn:3:10: error: name is 1048576 characters long; the limit is 256
# expect:     3 |     relu aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...
# expect:       |          ^
# exit: 1
