# tellgraph: the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install demo test test-unit lint typecheck neo4j-start neo4j-stop bench clean web web-deps chromium

install: $(STAMP) web-deps

# Re-install only when the project's dependency list changes (idempotent).
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --progress-bar off -e '.[dev]'
	@touch $(STAMP)

# The web page's node packages (esbuild, Cytoscape.js, playwright-core for the browser tests).
# The built page ships in tellgraph/api/static/, so without node everything but `make web` works.
WEB_STAMP := web/node_modules/.installed
web-deps:
	@if command -v npm >/dev/null 2>&1; then $(MAKE) -s --no-print-directory $(WEB_STAMP); \
	  else echo "node/npm not found: skipping web/ packages (browser tests will be skipped)"; fi

$(WEB_STAMP): web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	@touch $(WEB_STAMP)

# Rebuild the page into tellgraph/api/static/ and copy the Neo4j Browser files to docs/.
web: web-deps
	@command -v node >/dev/null 2>&1 || { echo "make web needs node 20+"; exit 1; }
	cd web && node build.mjs --check-size
	cp tellgraph/api/browser/tellgraph.grass tellgraph/api/browser/queries.cypher docs/neo4j-browser/

# Debian's Chromium for the browser tests (as root with apt-get, as in CI); else they skip.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "could not install chromium: browser tests will be skipped"; \
	  else echo "chromium not found: browser tests will be skipped"; fi; }

demo: install
	$(BIN)/tellgraph demo

test: install chromium
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
