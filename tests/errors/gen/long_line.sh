#!/bin/sh
# An error at the end of a one-megabyte line of list values: the diagnostic
# stays short (the source line is cut and the caret kept on screen).
printf 'network n {\n    input x[1, 4, 4];\n    conv2d c(out=1, kernel=1, bias=false, weight=['
i=0
while [ $i -lt 1024 ]; do
    printf '%01023d,' 0
    i=$((i + 1))
done
printf '1 2]);\n}\n'
# expect: long_line.cnn:3:1048629: error: expected ']' or ',', found '2'
# expect:     3 |     conv2d c(out=1, kernel=1, bias=false, weight=[000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000...
# expect:       |                                                                                                                                                                                                         ^
# exit: 1
