# Two commands a newcomer needs: `make dev` and `make test`. Both bootstrap .venv.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.install-stamp

.PHONY: install dev test test-fast lint bench-pacing bench-backfill bench-ingest bench-api bench-api-health bench-cron-apply bench-datasets bench-read bench-history bench-bulk-month clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when pyproject.toml changed.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Ports of `make dev`; override on the command line or in the environment,
# e.g. `make dev UI_PORT=3100 API_PORT=4100 SIM_PORT=8766`.
UI_PORT  ?= 3000
API_PORT ?= 4000
SIM_PORT ?= 8765

## Run Dagster (UI on http://127.0.0.1:$(UI_PORT)), its daemon, the REST API ($(API_PORT)) and,
## without JQUANTS_API_KEY, the J-Quants simulator ($(SIM_PORT)). Ctrl-C stops everything.
dev: install
	$(BIN)/moo-markets dev --port $(UI_PORT) --api-port $(API_PORT) --sim-port $(SIM_PORT)

# Test processes for `make test` (pytest-xdist); `make test PYTEST_WORKERS=0` runs in one.
PYTEST_WORKERS ?= 2

## Lint, then the whole test suite (PostgreSQL tests need MOO_MARKETS_TEST_POSTGRES_URL).
test: install
	$(BIN)/ruff check moo_markets tests bench
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup

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

bench-cron-apply: install
	$(BIN)/python bench/cron_apply.py

bench-api-health: install
	$(BIN)/python bench/api_health.py

bench-datasets: install
	$(BIN)/python bench/datasets.py

## One year of daily bars from PostgreSQL into pandas: the read API vs pandas.read_sql, and
## the Parquet export (needs MOO_MARKETS_TEST_POSTGRES_URL or a local server).
bench-read: install
	$(BIN)/python bench/read.py

## Five years of daily bars from bulk files into PostgreSQL at the Light plan (heavy, minutes).
bench-history: install
	$(BIN)/python bench/history.py

## One month of a declared dataset from its bulk file into PostgreSQL: COPY against INSERT.
bench-bulk-month: install
	MOO_MARKETS_BENCH_POSTGRES_URL=$${MOO_MARKETS_BENCH_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/postgres} \
	  $(BIN)/python bench/bulk_month.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
