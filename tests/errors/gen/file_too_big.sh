#!/bin/sh
# A source one byte over the 64 MiB limit (a valid network and a comment
# line padding it): one error that names the size, no location.
printf 'network n {\n    input x[3];\n    relu;\n}\n#'
head -c $((64 * 1024 * 1024 - 41)) /dev/zero | tr '\0' 'x'
printf '\n'
# expect: file_too_big.cnn: error: the file is larger than 64 MiB, the limit
# exit: 1
