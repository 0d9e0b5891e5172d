# tests/tests.mk — the front-end test suites, included by the top-level
# Makefile (which aggregates them into `test`). Uses CC, CFLAGS, BUILD, CNNC,
# OBJS and HDRS from there.
#   make unit     CUnit suites of tests/unit/ ($(BUILD)/unit_tests, and built by
#                 the other of gcc and clang)
#   make golden   tests/golden/*.cnn reports, tests/errors/ diagnostics
#   make cli      the command line (tests/cli/run.sh)
#   make onnx     ONNX import: PyTorch exports, --emit=cnn, errors, the ONNX
#                 node tests (tests/onnx/run.sh; a few minutes)
#   make bless    rewrite the golden and error expectations (review the diff!)
# Every runner prints its PASS/FAIL lines and ends with "N passed, M failed".

TEST_OBJS  = $(filter-out $(BUILD)/compiler/main.o,$(OBJS))
UNIT_SRCS  = $(wildcard tests/unit/*.c)
UNIT_BIN   = $(BUILD)/unit_tests
UNIT_FLAGS = -std=c11 -D_GNU_SOURCE -Wall -Wextra -pedantic -Wno-unused-function $(CFLAGS) \
             -Icompiler -I$(BUILD) -Itests/unit

.PHONY: unit golden cli bless onnx

# The runtime's vector macros differ by compiler (inline asm under gcc on
# x86): the suites run built by the other of gcc and clang too, where it is
# installed.
UNIT_CC2  := $(shell c=$(if $(findstring clang,$(notdir $(CC))),gcc,clang); command -v $$c >/dev/null && echo $$c)
UNIT_BIN2 = $(if $(UNIT_CC2),$(BUILD)/unit_tests_$(UNIT_CC2))

$(UNIT_BIN): $(UNIT_SRCS) tests/unit/suites.h $(TEST_OBJS) $(HDRS) runtime/cnnrt.h
	$(CC) $(UNIT_FLAGS) $(UNIT_SRCS) $(TEST_OBJS) -o $@ $(LDFLAGS) -lcunit -lcjson -lprotobuf-c -lm

$(BUILD)/unit_tests_$(UNIT_CC2): $(UNIT_SRCS) tests/unit/suites.h $(TEST_OBJS) $(HDRS) runtime/cnnrt.h
	$(UNIT_CC2) $(UNIT_FLAGS) $(UNIT_SRCS) $(TEST_OBJS) -o $@ $(LDFLAGS) -lcunit -lcjson -lprotobuf-c -lm

unit: $(UNIT_BIN) $(UNIT_BIN2)
	@$(UNIT_BIN)$(if $(UNIT_BIN2), && echo "unit: the same suites built by $(UNIT_CC2)" && $(UNIT_BIN2))

golden: $(CNNC)
	@CNNC=$(CNNC) sh tests/golden/run.sh

cli: $(CNNC)
	@CNNC=$(CNNC) sh tests/cli/run.sh

onnx: $(CNNC) $(CNNRT)
	@CNNC=$(CNNC) sh tests/onnx/run.sh

bless: $(CNNC)
	@BLESS=1 CNNC=$(CNNC) sh tests/golden/run.sh
	@BLESS=1 CNNC=$(CNNC) sh tests/codegen/run.sh | tail -n 1
