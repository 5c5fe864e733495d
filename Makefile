# newsqa: `make run` (install, then the chat UI on the bundled seeds) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INDEX_DIR ?= .newsqa

.PHONY: install run test lint bench clean

install: $(VENV)/.installed

# torch is installed first, pinned to the CPU wheel on disk: resolved as a dependency of
# sentence-transformers it would pull gigabytes of CUDA packages.
$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt torch==2.13.0
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	touch $@

run: install
	$(BIN)/newsqa index seeds/ --index-dir $(INDEX_DIR)
	$(BIN)/newsqa search "Which ministers travelled with Putin to North Korea?" --index-dir $(INDEX_DIR)

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) $(INDEX_DIR) .pytest_cache .mypy_cache .ruff_cache
