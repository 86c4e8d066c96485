# faceptor.cpp: every command a user or CI needs. `make demo` and `make test` work on a fresh
# Debian machine as the first command (they install missing packages first).
BUILD ?= build
ASAN_BUILD ?= build-asan
JOBS ?= $(shell nproc)
PACKAGES = g++ cmake make libomp-dev libeigen3-dev libxsimd-dev libstb-dev doctest-dev nlohmann-json3-dev libopenmpi-dev openmpi-bin

.PHONY: deps build test asan bench demo demo-model fixtures check-full clean

deps:
	@missing=""; for p in $(PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

$(BUILD)/Makefile:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release

build: deps $(BUILD)/Makefile
	cmake --build $(BUILD) -j $(JOBS)

test: build
	scripts/run_tests.sh $(BUILD)/fc_tests

asan: deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Asan -DCMAKE_CXX_FLAGS_ASAN="-O1 -g1" -DFC_SANITIZE=ON
	cmake --build $(ASAN_BUILD) -j $(JOBS) --target fc_tests
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 FC_TEST_SMALL=1 scripts/run_tests.sh $(ASAN_BUILD)/fc_tests

bench: build
	@for b in $(BUILD)/bench_*; do echo "== $$b"; $$b; done

# The demo analyses the example photos and a synthetic face with the bundled demo model
# (weights/faceptor_demo.safetensors: small, trained on synthetic faces only by `make
# demo-model`; for trying the tool, see README "The demo model"), then shows what
# `faceptor explain` draws, with the tiny random-weight test checkpoints for the stage-2 decoder.
DEMO_DIR ?= $(BUILD)/demo
DEMO_MODEL ?= weights/faceptor_demo.safetensors
demo: build
	@mkdir -p $(DEMO_DIR)
	$(BUILD)/faceptor info $(DEMO_MODEL)
	$(BUILD)/faceptor analyze examples/astronaut.png examples/grace_hopper_512x512.jpg examples/synth_face_128.png \
	    --weights $(DEMO_MODEL) --json $(DEMO_DIR)/ --overlay $(DEMO_DIR)/
	$(BUILD)/faceptor explain examples/synth_face_128.png --weights $(DEMO_MODEL) --task all --out $(DEMO_DIR)/explain
	$(BUILD)/faceptor convert tests/fixtures/model/stage2.pth.tar $(DEMO_DIR)/tiny_random_stage2.safetensors \
	    --encoder-heads 3 --decoder-heads 2 --new-levels 0,1
	$(BUILD)/faceptor explain examples/astronaut.png --weights $(DEMO_DIR)/tiny_random_stage2.safetensors --task all \
	    --out $(DEMO_DIR)/explain_stage2
	@echo "demo: JSON and overlay PNGs in $(DEMO_DIR)/ (demo model trained on synthetic faces: try the tool, do not trust the numbers on real photos)"
	@echo "demo: faceptor explain pictures in $(DEMO_DIR)/explain/ (demo model) and $(DEMO_DIR)/explain_stage2/ (random-weight Layer-Attention test model)"

# Retrains the demo model from scratch (about 30-45 minutes on 2 busy cores): 1,200 synthetic
# faces (seed 1) in the six tasks' dataset formats, scripts/demo_model/train.json (its dataset and
# checkpoint paths are build/demo-model/...), then the last checkpoint without its optimizer state
# and CosFace matrix -> weights/faceptor_demo.safetensors (must stay under 25 MB).
DEMO_MODEL_DIR = build/demo-model
demo-model: build
	rm -rf $(DEMO_MODEL_DIR)/data $(DEMO_MODEL_DIR)/run
	$(BUILD)/faceptor synth --out $(DEMO_MODEL_DIR)/data --count 1200 --size 128 --seed 1
	$(BUILD)/faceptor train scripts/demo_model/train.json --threads $(JOBS)
	$(BUILD)/faceptor convert $$(ls $(DEMO_MODEL_DIR)/run/step_*.safetensors | tail -n 1) $(DEMO_MODEL)
	@size=$$(stat -c %s $(DEMO_MODEL)); echo "$(DEMO_MODEL): $$size bytes"; \
	  [ $$size -le 26214400 ] || { echo "demo-model: over 25 MB: shrink the model in scripts/demo_model/train.json"; exit 1; }

# Regenerates tests/fixtures/*.fxt from PyTorch (needs Debian's python3-torch; tests never do).
fixtures:
	@for script in tests/reference/make_*.py; do echo "== $$script"; /usr/bin/python3 $$script || exit 1; done

# The whole model at full Faceptor-Base size vs the PyTorch reference (a few minutes; needs
# python3-torch; not part of `make test`): the script writes a ViT-B size random checkpoint, inputs
# and float64 reference outputs into CHECK_FULL_DIR; check_full converts the checkpoint with our
# converter, runs it and prints max|diff| / max|ref| per tensor (must be <= 1e-4).
# CHECK_FULL_VARIANT=stage2 or all_levels checks the other decoders.
CHECK_FULL_DIR ?= $(BUILD)/check-full
CHECK_FULL_VARIANT ?= stage1
check-full: build
	/usr/bin/python3 tests/reference/make_model_fixtures.py --full $(CHECK_FULL_DIR) --variant $(CHECK_FULL_VARIANT)
	$(BUILD)/check_full $(CHECK_FULL_DIR) $(CHECK_FULL_VARIANT)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
