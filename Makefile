# cnnc — one non-recursive Makefile.
#   make            build/cnnc and build/libcnnrt.a
#   make demo       compile LeNet-5, print its report, run it
#   make test       every test (the full tier): unit, golden, cli, codegen and
#                   the numeric suite in every configuration of
#                   tests/numeric/numeric-all.sh (about 20 minutes on 2 cores);
#                   ends with "N passed, M failed"
#   make check      the quick tier (a few minutes): unit, golden, cli, codegen, onnx,
#                   and the numeric cases at cnnc -O0 built with gcc and at
#                   cnnc -O2 built with clang, plus the examples
#   Both run their suites as parallel tasks (TEST_JOBS at once, default nproc),
#   print a line per task started and finished, and keep every task's output
#   in build/test-logs/. Also: make unit | golden | cli | codegen | numeric.
#   make test-asan  the suites again on the sanitized compiler (tests/fuzz/fuzz.mk)
#   make bless      regenerate the golden files (review the diff!)
#   make examples   compile and run the examples
#   make graphs     render the examples' layer graphs to SVG
#   make asan       build-asan/cnnc with AddressSanitizer + UBSan
#   make clean | install (PREFIX=/usr/local)

# clang by default (gcc works too: make CC=gcc)
ifeq ($(origin CC),default)
CC = clang
endif
BUILD   ?= build
PREFIX  ?= /usr/local
WARN    = -Wall -Wextra -pedantic -Wshadow -Wstrict-prototypes -Wno-unused-function
CFLAGS  ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) -Icompiler -I$(BUILD)
LDLIBS  = -lcjson -lprotobuf-c -lm
# ONNX's protobuf schema, from the system's onnx headers (libonnx-dev)
ONNX_PROTO ?= /usr/include/onnx/onnx.proto

SRCS    = $(wildcard compiler/*.c compiler/*/*.c)
OBJS    = $(SRCS:%.c=$(BUILD)/%.o) $(BUILD)/parser.o $(BUILD)/lexer.o $(BUILD)/onnx.pb-c.o
HDRS    = $(wildcard compiler/*.h compiler/*/*.h) compiler/ops.def
RT_SRCS = $(wildcard runtime/*.c)
RT_OBJS = $(RT_SRCS:%.c=$(BUILD)/%.o)

CNNC    = $(BUILD)/cnnc
CNNRT   = $(BUILD)/libcnnrt.a

.PHONY: all test check bless examples graphs asan clean install unit golden cli numeric codegen demo
all: $(CNNC) $(CNNRT)

$(BUILD)/parser.c $(BUILD)/parser.h &: grammar/parser.y
	@mkdir -p $(BUILD)
	bison -Wall -o $(BUILD)/parser.c --header=$(BUILD)/parser.h $<

$(BUILD)/lexer.c: grammar/lexer.l $(BUILD)/parser.h
	@mkdir -p $(BUILD)
	flex -o $@ $<

# the ONNX reader's protobuf code (included by compiler/onnx_model.h)
$(BUILD)/onnx.pb-c.c $(BUILD)/onnx.pb-c.h &: $(ONNX_PROTO)
	@mkdir -p $(BUILD)
	protoc-c --proto_path=$(dir $(ONNX_PROTO)) --c_out=$(BUILD) $(ONNX_PROTO)
$(BUILD)/compiler/onnx.o $(BUILD)/compiler/onnx_model.o $(BUILD)/compiler/onnx_ops.o: $(BUILD)/onnx.pb-c.h

# generated code is not ours to lint
$(BUILD)/parser.o $(BUILD)/lexer.o $(BUILD)/onnx.pb-c.o: $(BUILD)/%.o: $(BUILD)/%.c $(HDRS)
	$(CC) -std=c11 -D_GNU_SOURCE $(CFLAGS) -Icompiler -I$(BUILD) -Wno-unused-function -c $< -o $@

$(BUILD)/compiler/%.o: compiler/%.c $(HDRS) $(BUILD)/parser.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(CNNC): $(OBJS)
	$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/runtime/%.o: runtime/%.c runtime/cnnrt.h
	@mkdir -p $(dir $@)
	$(CC) -std=c11 $(WARN) $(CFLAGS) -O2 -Iruntime -c $< -o $@

$(CNNRT): $(RT_OBJS)
	ar rcs $@ $^

# ---- tests: every runner ends with "N passed, M failed"; run-all sums them
# (tests/run-all.sh runs them side by side: see its header)
-include tests/tests.mk
-include tests/fuzz/fuzz.mk
-include examples/examples.mk
-include bench/bench.mk

test: all
	@tests/run-all.sh

check: all
	@tests/run-all.sh --check

# generated code against PyTorch: every case in every configuration of
# tests/numeric/numeric-all.sh, then the examples
numeric: all
	@tests/run-all.sh numeric

# golden C, warning-free generated code under gcc/clang, the examples run
codegen: all
	@tests/codegen/run.sh

# ---- the README's main job: compile LeNet-5, print its report, run it
demo: all $(BUILD)/examples/lenet5/lenet5.safetensors
	$(CNNC) examples/lenet5/lenet5.cnn --report --weights $(BUILD)/examples/lenet5/lenet5.safetensors \
	    -o $(BUILD)/examples/lenet5/lenet5.c
	@$(MAKE) -s --no-print-directory examples-lenet5

graphs: $(CNNC)
	@mkdir -p $(BUILD)/graphs
	@for f in examples/*/*.cnn; do \
	    n=$$(basename $$f .cnn); \
	    $(CNNC) $$f --emit=dot -o $(BUILD)/graphs/$$n.dot && \
	    dot -Tsvg $(BUILD)/graphs/$$n.dot -o $(BUILD)/graphs/$$n.svg && echo "$(BUILD)/graphs/$$n.svg"; \
	done

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib \
	    $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(CNNC) $(DESTDIR)$(PREFIX)/bin/cnnc
	install -m 644 runtime/cnnrt.h $(DESTDIR)$(PREFIX)/include/cnnrt.h
	install -m 644 $(CNNRT) $(DESTDIR)$(PREFIX)/lib/libcnnrt.a
	install -m 644 docs/cnnc.1 $(DESTDIR)$(PREFIX)/share/man/man1/cnnc.1

clean:
	rm -rf $(BUILD) build-asan build-fuzz
