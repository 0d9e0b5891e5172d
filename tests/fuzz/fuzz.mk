# tests/fuzz/fuzz.mk — sanitizers and fuzzing; the top-level Makefile includes
# it (`-include tests/fuzz/fuzz.mk`) after it sets CC, CFLAGS, BUILD, CNNC,
# SRCS and HDRS.
#
#   make asan        build-asan/cnnc: AddressSanitizer + UBSan, any error aborts
#   make test-asan   golden, errors, cli and numeric suites on build-asan/cnnc
#                    (the numeric suite's generated C built with the sanitizers too;
#                    its reference outputs made once for every level)
#   make fuzz        bounded libFuzzer sessions (FUZZ_TIME seconds each, default
#                    60) of fuzz_compile on tests/fuzz/corpus, of fuzz_weights
#                    on tests/errors/weights and of fuzz_onnx on
#                    tests/fuzz/onnx-corpus; fails when one finds a crash
#   make fuzz-regress  every input of tests/fuzz/regress/ and the ONNX seeds
#                    through the fuzz targets (test-asan: through build-asan/cnnc)
#   make fuzz-afl    the same entry point built with afl-clang-fast (AFL++);
#                    installs nothing: says what is missing
# See tests/fuzz/README.md.

ASAN_BUILD  = build-asan
FUZZ_BUILD  = build-fuzz
AFL_BUILD   = build-fuzz/afl
ASAN_CC    ?= $(CC)
SAN_FLAGS   = -fsanitize=address,undefined -fno-sanitize-recover=all
ASAN_CFLAGS = $(SAN_FLAGS) -g -O1 -fno-omit-frame-pointer
ASAN_HDRS   = compiler/cnnc.h compiler/ops.def
ASAN_OBJS   = $(SRCS:%.c=$(ASAN_BUILD)/%.o) $(ASAN_BUILD)/parser.o $(ASAN_BUILD)/lexer.o $(ASAN_BUILD)/onnx.pb-c.o
ASAN_CNNC   = $(ASAN_BUILD)/cnnc

.PHONY: asan test-asan fuzz fuzz-build fuzz-regress fuzz-afl

asan: $(ASAN_CNNC)

$(ASAN_BUILD)/parser.c $(ASAN_BUILD)/parser.h &: grammar/parser.y
	@mkdir -p $(ASAN_BUILD)
	bison -Wall -o $(ASAN_BUILD)/parser.c --header=$(ASAN_BUILD)/parser.h $<

$(ASAN_BUILD)/lexer.c: grammar/lexer.l $(ASAN_BUILD)/parser.h
	@mkdir -p $(ASAN_BUILD)
	flex -o $@ $<

# the ONNX reader's protobuf code, as in the main build (one rule for every build directory)
$(ASAN_BUILD)/onnx.pb-c.c $(ASAN_BUILD)/onnx.pb-c.h &: $(ONNX_PROTO)
	@mkdir -p $(ASAN_BUILD)
	protoc-c --proto_path=$(dir $(ONNX_PROTO)) --c_out=$(ASAN_BUILD) $(ONNX_PROTO)
$(FUZZ_BUILD)/onnx.pb-c.c $(FUZZ_BUILD)/onnx.pb-c.h &: $(ONNX_PROTO)
	@mkdir -p $(FUZZ_BUILD)
	protoc-c --proto_path=$(dir $(ONNX_PROTO)) --c_out=$(FUZZ_BUILD) $(ONNX_PROTO)
$(ASAN_BUILD)/compiler/onnx.o: $(ASAN_BUILD)/onnx.pb-c.h
$(FUZZ_BUILD)/compiler/onnx.o: $(FUZZ_BUILD)/onnx.pb-c.h

$(ASAN_BUILD)/parser.o $(ASAN_BUILD)/lexer.o $(ASAN_BUILD)/onnx.pb-c.o: $(ASAN_BUILD)/%.o: $(ASAN_BUILD)/%.c $(ASAN_HDRS)
	$(ASAN_CC) -std=c11 -D_GNU_SOURCE $(ASAN_CFLAGS) -Icompiler -I$(ASAN_BUILD) -Wno-unused-function -c $< -o $@

$(ASAN_BUILD)/compiler/%.o: compiler/%.c $(ASAN_HDRS) $(ASAN_BUILD)/parser.h
	@mkdir -p $(dir $@)
	$(ASAN_CC) -std=c11 -D_GNU_SOURCE $(ASAN_CFLAGS) -Icompiler -I$(ASAN_BUILD) -c $< -o $@

$(ASAN_BUILD)/asan_options.o: tests/fuzz/asan_options.c
	@mkdir -p $(ASAN_BUILD)
	$(ASAN_CC) -std=c11 $(ASAN_CFLAGS) -c $< -o $@

$(ASAN_CNNC): $(ASAN_OBJS) $(ASAN_BUILD)/asan_options.o
	$(ASAN_CC) $(ASAN_CFLAGS) $^ -o $@ -lcjson -lprotobuf-c -lm

# The numeric suite builds the generated C with $CC (a list of compiler
# names); these wrappers add the sanitizers to every compile and link. Under
# the sanitizers clang cannot vectorize a loop a pragma asks it to, and says
# so (-Wpass-failed), which -Werror builds cannot have. gcc's AddressSanitizer
# checks inline and poisons each block scope's variables on its way out: over
# the generated kernels' unrolled tiles (thousands of scopes, a few macro
# blocks each) a build took 30-100 s a case; with the checks as calls and
# no use-after-scope poisoning, half of that or less (every access is still
# checked: out of bounds, heap, stack and globals). clang's -O0 level keeps
# use-after-scope.
SAN_EXTRA_clang = -Wno-pass-failed
SAN_EXTRA_gcc = -fno-sanitize-address-use-after-scope --param=asan-instrumentation-with-call-threshold=0
$(ASAN_BUILD)/cc/%-asan: tests/fuzz/fuzz.mk
	@mkdir -p $(dir $@)
	@printf '#!/bin/sh\nexec %s %s "$$@"\n' '$*' '$(SAN_FLAGS) $(SAN_EXTRA_$*)' >$@
	@chmod +x $@

# build/libcnnrt.a links into the numeric harness. The numeric levels share one
# set of reference outputs (PyTorch, made once here: NUMERIC_REF); should
# making it fail, each level makes its own and reports why.
test-asan: $(ASAN_CNNC) $(BUILD)/libcnnrt.a $(ASAN_BUILD)/cc/clang-asan $(ASAN_BUILD)/cc/gcc-asan
	@ref=$$(mktemp -d "$(CURDIR)/$(BUILD)/numeric-ref.XXXXXX") || exit 2; \
	trap 'rm -rf "$$ref" "$$ref.log"' EXIT; trap 'exit 130' INT TERM; \
	echo "== numeric reference outputs (ref.py gen, shared by the numeric levels)"; \
	if tests/numeric/numeric-all.sh --gen "$$ref" >"$$ref.log" 2>&1; then \
	    NUMERIC_REF=$$ref; export NUMERIC_REF; \
	else echo "   failed (each numeric level makes its own): $$(tail -n 1 "$$ref.log")"; fi; \
	ASAN_CNNC=$(ASAN_CNNC) ASAN_BUILD=$(ASAN_BUILD) sh tests/fuzz/test-asan.sh

# ---------------------------------------------------------------- libFuzzer
FUZZ_CC    ?= clang
FUZZ_TIME  ?= 60
FUZZ_LEN   ?= 4096
FUZZ_JOBS  ?= 1
FUZZ_FLAGS  = -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -g -O1 -fno-omit-frame-pointer
FUZZ_OBJS   = $(filter-out $(FUZZ_BUILD)/compiler/main.o,$(SRCS:%.c=$(FUZZ_BUILD)/%.o)) \
              $(FUZZ_BUILD)/parser.o $(FUZZ_BUILD)/lexer.o $(FUZZ_BUILD)/onnx.pb-c.o
FUZZ_BIN    = $(FUZZ_BUILD)/fuzz_compile
FUZZ_WBIN   = $(FUZZ_BUILD)/fuzz_weights
FUZZ_OBIN   = $(FUZZ_BUILD)/fuzz_onnx
# every run: no leak checks (the compiler never frees; the targets free for it
# between inputs); run-fuzz.sh keeps finds in build-fuzz/crashes/
FUZZ_RUNFLAGS = -timeout=10 -rss_limit_mb=4096 -detect_leaks=0 -print_final_stats=1

$(FUZZ_BUILD)/parser.c $(FUZZ_BUILD)/parser.h &: grammar/parser.y
	@mkdir -p $(FUZZ_BUILD)
	bison -Wall -o $(FUZZ_BUILD)/parser.c --header=$(FUZZ_BUILD)/parser.h $<

$(FUZZ_BUILD)/lexer.c: grammar/lexer.l $(FUZZ_BUILD)/parser.h
	@mkdir -p $(FUZZ_BUILD)
	flex -o $@ $<

$(FUZZ_BUILD)/parser.o $(FUZZ_BUILD)/lexer.o $(FUZZ_BUILD)/onnx.pb-c.o: $(FUZZ_BUILD)/%.o: $(FUZZ_BUILD)/%.c $(ASAN_HDRS)
	$(FUZZ_CC) -std=c11 -D_GNU_SOURCE $(FUZZ_FLAGS) -Icompiler -I$(FUZZ_BUILD) -Wno-unused-function -c $< -o $@

$(FUZZ_BUILD)/compiler/%.o: compiler/%.c $(ASAN_HDRS) $(FUZZ_BUILD)/parser.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=c11 -D_GNU_SOURCE $(FUZZ_FLAGS) $(FUZZ_DEFS) -Icompiler -I$(FUZZ_BUILD) -c $< -o $@

# util.c's calloc/realloc become the target's, which free each input's memory
# (the compiler itself frees little: those few free() calls go to fuzz_free,
# which knows the target's blocks from libc's)
FUZZ_DEFS = -Dfree=fuzz_free
$(FUZZ_BUILD)/compiler/util.o $(AFL_BUILD)/compiler/util.o: FUZZ_DEFS = -Dcalloc=fuzz_calloc -Drealloc=fuzz_realloc -Dfree=fuzz_free

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_alloc.h $(FUZZ_OBJS) $(ASAN_HDRS)
	$(FUZZ_CC) -std=c11 -D_GNU_SOURCE $(FUZZ_FLAGS) -fsanitize=fuzzer -Icompiler \
	    $< $(FUZZ_OBJS) -o $@ -lcjson -lprotobuf-c -lm

fuzz-build: $(FUZZ_BIN) $(FUZZ_WBIN) $(FUZZ_OBIN)

# FUZZ_TIME seconds for each target: sources, safetensors files, ONNX models
fuzz: $(FUZZ_BIN) $(FUZZ_WBIN) $(FUZZ_OBIN)
	@st=0; \
	sh tests/fuzz/run-fuzz.sh $(FUZZ_BIN) $(FUZZ_TIME) $(FUZZ_JOBS) tests/fuzz/corpus \
	    $(FUZZ_RUNFLAGS) -max_len=$(FUZZ_LEN) -dict=tests/fuzz/cnn.dict || st=1; \
	sh tests/fuzz/run-fuzz.sh $(FUZZ_WBIN) $(FUZZ_TIME) $(FUZZ_JOBS) tests/errors/weights \
	    $(FUZZ_RUNFLAGS) -max_len=8192 -dict=tests/fuzz/safetensors.dict || st=1; \
	sh tests/fuzz/run-fuzz.sh $(FUZZ_OBIN) $(FUZZ_TIME) $(FUZZ_JOBS) tests/fuzz/onnx-corpus \
	    $(FUZZ_RUNFLAGS) -max_len=16384 || st=1; \
	exit $$st

fuzz-regress: $(FUZZ_BIN) $(FUZZ_WBIN) $(FUZZ_OBIN)
	@sh tests/fuzz/regress.sh $(FUZZ_BIN) $(FUZZ_WBIN) $(FUZZ_OBIN)

# ---------------------------------------------------------------- AFL++
AFL_CC   ?= afl-clang-fast
AFL_BIN   = $(AFL_BUILD)/fuzz_compile

fuzz-afl:
	@if ! command -v $(AFL_CC) >/dev/null 2>&1 || ! command -v afl-fuzz >/dev/null 2>&1; then \
	    echo "fuzz-afl: AFL++ is not installed ($(AFL_CC) and afl-fuzz are missing);"; \
	    echo "          on Debian: apt-get install afl++   (nothing was installed)"; \
	    exit 1; \
	fi
	@$(MAKE) --no-print-directory -f $(firstword $(MAKEFILE_LIST)) $(AFL_BIN)
	@echo "built $(AFL_BIN); the one-hour session is in tests/fuzz/README.md"

$(AFL_BUILD)/parser.c $(AFL_BUILD)/parser.h &: grammar/parser.y
	@mkdir -p $(AFL_BUILD)
	bison -Wall -o $(AFL_BUILD)/parser.c --header=$(AFL_BUILD)/parser.h $<

$(AFL_BUILD)/lexer.c: grammar/lexer.l $(AFL_BUILD)/parser.h
	@mkdir -p $(AFL_BUILD)
	flex -o $@ $<

AFL_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all -g -O1
AFL_OBJS  = $(filter-out $(AFL_BUILD)/compiler/main.o,$(SRCS:%.c=$(AFL_BUILD)/%.o)) \
            $(AFL_BUILD)/parser.o $(AFL_BUILD)/lexer.o

$(AFL_BUILD)/parser.o $(AFL_BUILD)/lexer.o: $(AFL_BUILD)/%.o: $(AFL_BUILD)/%.c $(ASAN_HDRS)
	$(AFL_CC) -std=c11 -D_GNU_SOURCE $(AFL_FLAGS) -Icompiler -I$(AFL_BUILD) -Wno-unused-function -c $< -o $@

$(AFL_BUILD)/compiler/%.o: compiler/%.c $(ASAN_HDRS) $(AFL_BUILD)/parser.h
	@mkdir -p $(dir $@)
	$(AFL_CC) -std=c11 -D_GNU_SOURCE $(AFL_FLAGS) $(FUZZ_DEFS) -Icompiler -I$(AFL_BUILD) -c $< -o $@

# afl++ links the libFuzzer entry point with its own driver under -fsanitize=fuzzer
$(AFL_BIN): tests/fuzz/fuzz_compile.c tests/fuzz/fuzz_alloc.h $(AFL_OBJS) $(ASAN_HDRS)
	$(AFL_CC) -std=c11 -D_GNU_SOURCE $(AFL_FLAGS) -fsanitize=fuzzer -Icompiler \
	    tests/fuzz/fuzz_compile.c $(AFL_OBJS) -o $@ -lcjson -lm
