# Makefile fragment for the examples; the top-level Makefile includes it (after it
# sets CNNC, BUILD and CC). `make examples` compiles every example network with
# cnnc, builds its app against the generated code and runs it. `make examples-NAME`
# does one. Everything goes to $(BUILD)/examples/NAME/.
#
# Uses: CNNC (the compiler), BUILD (build directory), CC. Variables of its own
# start with EX_; EX_PYTHON (a python3 with torch and numpy) and EX_CFLAGS may be
# set on the command line.

BUILD ?= build
CNNC  ?= $(BUILD)/cnnc

EX_SRC   := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
EX_OUT   := $(BUILD)/examples
EX_NAMES := lenet5 sobel resnet_block mobilenet_block mobilenet_v3_block activity1d volume3d
# built from a model file rather than a .cnn (rules below)
EX_ONNX_NAMES := lenet5_onnx digits_mobilenet

EX_CFLAGS ?= -O2 -std=c11 -Wall -Wextra -pedantic -Werror
EX_PYTHON ?=
# What the generated code needs before it can be built.
EX_DEPS   ?= $(CNNC) $(BUILD)/libcnnrt.a

# Extra cnnc options, extra prerequisites of the generated C, and how to run each app
# ($< is the app).
EX_CNNC_lenet5          = --weights $(EX_OUT)/lenet5/lenet5.safetensors
EX_PREREQ_lenet5        = $(EX_OUT)/lenet5/lenet5.safetensors
EX_CNNC_resnet_block    = --random-weights=1
EX_CNNC_mobilenet_block = --random-weights=1
EX_CNNC_mobilenet_v3_block = --random-weights=1
EX_CNNC_activity1d      = --random-weights=1
EX_CNNC_volume3d        = --random-weights=1

EX_RUN_lenet5          = for d in 2 3 9; do $< $(EX_SRC)/lenet5/digit$$d.pgm $$d || exit 1; done
EX_RUN_sobel           = $< $(EX_SRC)/sobel/shapes.pgm $(EX_OUT)/sobel/edges.pgm
EX_RUN_resnet_block    = $<
EX_RUN_mobilenet_block = $<
EX_RUN_mobilenet_v3_block = $<
EX_RUN_activity1d      = $<
EX_RUN_volume3d        = $<

# One example's app: $(EX_OUT)/NAME/NAME from $(3)/main.c and the generated
# $(2).c (NAME $(1)), and make examples-NAME, which builds and runs it
# (EX_RUN_NAME; EX_TITLE_NAME after its name).
define EX_APP
$(EX_OUT)/$(1)/$(1): $(EX_SRC)/$(3)/main.c $(EX_OUT)/$(1)/$(2).c
	$$(CC) $$(EX_CFLAGS) -I$(EX_OUT)/$(1) $$^ $$(shell $$(CNNC) --cflags) \
		-o $$@ $$(shell $$(CNNC) --libs) -lm

.PHONY: examples-$(1)
examples-$(1): $(EX_OUT)/$(1)/$(1)
	@echo "== $(1)$$(if $$(EX_TITLE_$(1)), $$(EX_TITLE_$(1)))"
	$$(EX_RUN_$(1))
endef

# One example from its .cnn file: generate NAME.c/NAME.h, and its app.
define EX_RULES
$(EX_OUT)/$(1)/$(1).c: $(EX_SRC)/$(1)/$(1).cnn $$(EX_DEPS) $$(EX_PREREQ_$(1))
	@mkdir -p $$(@D)
	$$(CNNC) $$< -o $$@ $$(EX_CNNC_$(1))
$(call EX_APP,$(1),$(1),$(1))
endef
$(foreach n,$(EX_NAMES),$(eval $(call EX_RULES,$(n))))

# Shell code that sets py to a python3 that imports the modules $(1) (written
# "torch numpy"): EX_PYTHON, else the first of python3, /usr/bin/python3 that
# has them; else it fails naming the example $(2) and the Debian packages $(3).
EX_FIND_PYTHON = py="$(EX_PYTHON)"; \
	if [ -z "$$py" ]; then \
		for p in python3 /usr/bin/python3; do \
			if $$p -c 'import $(subst $(EX_SPACE),$(EX_COMMA),$(1))' >/dev/null 2>&1; then py=$$p; break; fi; \
		done; \
	fi; \
	if [ -z "$$py" ]; then \
		echo "examples: $(2) needs a python3 with $(1)" \
		     "(apt-get install $(3), or set EX_PYTHON)" >&2; \
		exit 1; \
	fi
EX_COMMA := ,
EX_SPACE := $(subst ,, )

# LeNet-5's weights: trained on synthetic digits by a script (deterministic seed,
# ~20 s on one core). Needs a python3 with torch and numpy.
$(EX_OUT)/lenet5/lenet5.safetensors: $(EX_SRC)/lenet5/export_weights.py
	@mkdir -p $(@D)
	@$(call EX_FIND_PYTHON,torch numpy,lenet5,python3-torch python3-numpy); \
	echo "$$py $< -o $@ --onnx $(EX_OUT)/lenet5/lenet5.onnx"; \
	$$py $< -o $@ --onnx $(EX_OUT)/lenet5/lenet5.onnx

# The same trained LeNet-5 as an ONNX model, as PyTorch exports it (written with
# the weights above), compiled by cnnc with the prefix lenet5: the same API, so
# the same app classifies the same digits.
$(EX_OUT)/lenet5/lenet5.onnx: $(EX_OUT)/lenet5/lenet5.safetensors

$(EX_OUT)/lenet5_onnx/lenet5.c: $(EX_OUT)/lenet5/lenet5.onnx $(EX_DEPS)
	@mkdir -p $(@D)
	$(CNNC) $< --prefix lenet5 -o $@

EX_TITLE_lenet5_onnx = (the ONNX model PyTorch exported)
EX_RUN_lenet5_onnx   = $(EX_RUN_lenet5)
$(eval $(call EX_APP,lenet5_onnx,lenet5,lenet5))

# torchvision's MobileNetV3-small, trained on the same synthetic digits and
# exported to ONNX by a script (deterministic seed, about a minute on one core),
# compiled from the .onnx file as it is: the prefix digits, from the file name.
$(EX_OUT)/digits_mobilenet/digits.onnx: $(EX_SRC)/digits_mobilenet/train_export.py $(EX_SRC)/lenet5/export_weights.py
	@mkdir -p $(@D)
	@$(call EX_FIND_PYTHON,torch torchvision numpy,digits_mobilenet,python3-torch python3-torchvision python3-numpy); \
	echo "$$py $< -o $@"; \
	$$py $< -o $@

$(EX_OUT)/digits_mobilenet/digits.c: $(EX_OUT)/digits_mobilenet/digits.onnx $(EX_DEPS)
	$(CNNC) $< -o $@

EX_TITLE_digits_mobilenet = (torchvision's MobileNetV3-small from ONNX)
EX_RUN_digits_mobilenet   = $(EX_RUN_lenet5)
$(eval $(call EX_APP,digits_mobilenet,digits,digits_mobilenet))

.PHONY: examples examples-clean
examples: $(addprefix examples-,$(EX_NAMES) $(EX_ONNX_NAMES))

examples-clean:
	rm -rf $(EX_OUT)
