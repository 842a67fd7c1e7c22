# tellgraph: the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install demo test test-unit lint typecheck neo4j-start neo4j-stop bench clean

install: $(STAMP)

# Re-install only when the project's dependency list changes (idempotent).
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --progress-bar off -e '.[dev]'
	@touch $(STAMP)

demo: install
	$(BIN)/tellgraph demo

test: install
	$(BIN)/tellgraph neo4j start
	@status=0; $(BIN)/python -m pytest $(PYTEST_ARGS) || status=$$?; \
	  $(BIN)/tellgraph neo4j stop; exit $$status

test-unit: install
	$(BIN)/python -m pytest tests/unit $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check tellgraph tests bench
	$(BIN)/ruff format --check tellgraph tests bench

typecheck: install
	$(BIN)/mypy tellgraph

neo4j-start: install
	$(BIN)/tellgraph neo4j start

neo4j-stop: install
	$(BIN)/tellgraph neo4j stop

bench: install
	$(BIN)/tellgraph neo4j start
	$(BIN)/python bench/store_bench.py

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .pytest_cache .ruff_cache
