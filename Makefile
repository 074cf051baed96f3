# Two commands a newcomer needs: `make dev` and `make test`. Both bootstrap .venv.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.install-stamp

.PHONY: install dev test test-fast lint bench-pacing bench-backfill bench-ingest bench-api clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when pyproject.toml changed.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Run Dagster (UI on http://127.0.0.1:3000), its daemon, the REST API (:4000) and,
## without JQUANTS_API_KEY, the J-Quants simulator. Ctrl-C stops everything.
dev: install
	$(BIN)/moo-markets dev

## Lint, then the whole test suite (PostgreSQL tests need MOO_MARKETS_TEST_POSTGRES_URL).
test: install
	$(BIN)/ruff check moo_markets tests bench
	$(BIN)/pytest

## Everything but the end-to-end tests (those marked e2e start Dagster processes).
test-fast: install
	$(BIN)/ruff check moo_markets tests bench
	$(BIN)/pytest -m "not e2e"

lint: install
	$(BIN)/ruff check moo_markets tests bench
	$(BIN)/ruff format --check moo_markets tests bench

bench-pacing: install
	$(BIN)/python bench/pacing.py

bench-backfill: install
	$(BIN)/python bench/backfill.py

bench-ingest: install
	$(BIN)/python bench/ingest.py

bench-api: install
	$(BIN)/python bench/api.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
