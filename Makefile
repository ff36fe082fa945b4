# Two commands a newcomer needs: `make run` (demo registry on SQLite) and `make test` (the whole suite).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: install run test test-sqlite test-postgres lint bench screenshots clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/.installed

run: install  ## migrate var/registry.sqlite3, load demo data once, serve on $(HOST):$(PORT) (make run PORT=8080)
	$(BIN)/registry db upgrade
	$(BIN)/registry demo-data --if-empty
	$(BIN)/registry serve --host $(HOST) --port $(PORT)

test: install  ## lint (ruff, mypy), then the suite on SQLite and on PostgreSQL (when reachable; required in CI)
	scripts/test

test-sqlite: install
	$(BIN)/pytest -q -n 2

test-postgres: install
	REQUIRE_POSTGRES=1 scripts/test --postgres-only

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check registry tests
	$(BIN)/mypy

bench: install
	$(BIN)/python -m bench

screenshots: install  ## README's console pictures (docs/images/), taken by the browser test's Chromium
	REGISTRY_SCREENSHOTS=docs/images $(BIN)/pytest -q -p no:cacheprovider tests/console/browser/test_screenshots.py

clean:
	rm -rf $(VENV) var .pytest_cache
