# bench/bench.mk — the benchmark suite; the top-level Makefile includes it (after it
# sets CNNC, BUILD and CC).
#   make bench                    every network of bench/nets/ (a few minutes)
#   make bench BENCH_NETS="lenet5 conv3x3"
#   make bench-accuracy           Winograd against direct, both against PyTorch float64
#   make bench-profile NET=N      one network kernel by kernel (perf)
# Results: a Markdown table on stdout and in $(BUILD)/bench/results.md.
# Peers: PyTorch from /usr/bin/python3 (BENCH_PYTHON), ONNX Runtime from
# bench/node_modules (cd bench && npm install --ignore-scripts onnxruntime-node).
# A missing peer shows as "-".

BUILD ?= build
CNNC  ?= $(BUILD)/cnnc
BENCH_NETS   ?=
BENCH_PYTHON ?= /usr/bin/python3

.PHONY: bench
bench: $(CNNC) $(BUILD)/libcnnrt.a
	CNNC=$(CNNC) BUILD=$(BUILD) CC=$(CC) PYTHON=$(BENCH_PYTHON) bench/run.sh $(BENCH_NETS)

# the accuracy cost of Winograd F(4x4,3x3): each net with --winograd=off and =on
# against PyTorch's float64 output (bench/winograd_accuracy.sh)
.PHONY: bench-accuracy
bench-accuracy: $(CNNC) $(BUILD)/libcnnrt.a
	CNNC=$(CNNC) BUILD=$(BUILD) CC=$(CC) PYTHON=$(BENCH_PYTHON) bench/winograd_accuracy.sh $(BENCH_NETS)

# where one network's time goes, kernel by kernel (perf): make bench-profile NET=mobilenet_v1
NET ?= mobilenet_v1
.PHONY: bench-profile
bench-profile: $(CNNC) $(BUILD)/libcnnrt.a
	CNNC=$(CNNC) BUILD=$(BUILD) CC=$(CC) PYTHON=$(BENCH_PYTHON) bench/profile.sh $(NET)
