#!/bin/sh
# tests/onnx/run.sh — ONNX import (tests/onnx/run.py): PyTorch exports at
# several opsets against PyTorch, the --emit=cnn round trip, error cases, and
# the ONNX backend node tests. Ends with "N passed, M failed".
# Needs /usr/bin/python3 with torch, onnx and numpy (debian-packages.txt).
cd "$(dirname "$0")/../.." || exit 2
CNNC=${CNNC:-build/cnnc}
exec /usr/bin/python3 tests/onnx/run.py "$CNNC" "${ONNX_WORK:-build/onnx-tests}"
