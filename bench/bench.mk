# bench/bench.mk — the benchmark suite; the top-level Makefile includes it (after it
# sets CNNC, BUILD and CC).
#   make bench                    every network of bench/nets/ (a few minutes)
#   make bench BENCH_NETS="lenet5 conv3x3"
#   make bench-onnx               torchvision's networks as ONNX: cnnc compiles the
#                                 .onnx, ONNX Runtime runs it (bench/run_onnx.sh)
#   make bench-onnx BENCH_ONNX_NETS="mobilenet_v3_small resnet50"
#   make bench-accuracy           Winograd against direct, both against PyTorch float64
#   make bench-profile NET=N      one network kernel by kernel (perf)
#   make bench-ab NET=N FLAGS_B=F two builds of one network in one process, turn
#                                 about (bench/ab.sh; CNNC_A, CNNC_B, FLAGS_A too)
#   make bench-nn512 NN512_SRC=D  cnnc and NN-512 side by side (bench/nn512.sh; D: a
#                                 checkout of NN-512's source, built with Go)
# Results: a Markdown table on stdout and in $(BUILD)/bench/results.md
# ($(BUILD)/bench-onnx/results.md for bench-onnx).
# Peers: PyTorch from /usr/bin/python3 (BENCH_PYTHON), ONNX Runtime from
# bench/node_modules (cd bench && npm ci --ignore-scripts).
# A missing peer shows as "-".

BUILD ?= build
CNNC  ?= $(BUILD)/cnnc
BENCH_NETS   ?=
BENCH_ONNX_NETS ?=
BENCH_PYTHON ?= /usr/bin/python3

.PHONY: bench
bench: $(CNNC) $(BUILD)/libcnnrt.a
	CNNC=$(CNNC) BUILD=$(BUILD) CC=$(CC) PYTHON=$(BENCH_PYTHON) bench/run.sh $(BENCH_NETS)

# torchvision's networks exported to ONNX: cnnc on the .onnx file, ONNX Runtime on
# the same file, PyTorch on the module (needs torch and torchvision)
.PHONY: bench-onnx
bench-onnx: $(CNNC) $(BUILD)/libcnnrt.a
	CNNC=$(CNNC) BUILD=$(BUILD) CC=$(CC) PYTHON=$(BENCH_PYTHON) bench/run_onnx.sh $(BENCH_ONNX_NETS)

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

# cnnc and NN-512 on the networks both express (bench/nn512.sh): make bench-nn512 NN512_SRC=...
NN512_SRC ?=
.PHONY: bench-nn512
bench-nn512: $(CNNC) $(BUILD)/libcnnrt.a
	CNNC=$(CNNC) BUILD=$(BUILD) CC=$(CC) NN512_SRC=$(NN512_SRC) bench/nn512.sh

# whether a change makes the generated code faster: two builds of one network
# timed in one process, turn about (bench/ab.sh), e.g.
#   make bench-ab NET=efficientnet_b0 CNNC_A=../before/build/cnnc
#   make bench-ab NET=resnet18 FLAGS_B=--winograd=off
CNNC_A ?=
CNNC_B ?=
FLAGS_A ?=
FLAGS_B ?=
.PHONY: bench-ab
bench-ab: $(CNNC) $(BUILD)/libcnnrt.a
	CNNC=$(CNNC) BUILD=$(BUILD) CNNC_A="$(CNNC_A)" CNNC_B="$(CNNC_B)" FLAGS_A="$(FLAGS_A)" FLAGS_B="$(FLAGS_B)" \
	    bench/ab.sh $(NET)
