# Mekomot LMS. `make run` sets up everything and serves; `make test` installs and runs every test.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: system-deps node-deps verifiers install run serve migrate reference demo test test-sqlite test-postgres test-property lint format typecheck clean messages

# System libraries WeasyPrint renders PDFs with, pdftoppm for the tests that look at a rendered page, and Debian's
# Chromium for the browser tests (Playwright drives it; `playwright install` is never run).
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 poppler-utils chromium

system-deps: ## Install the system packages PDFs and the browser tests need, where apt-get is available and any is missing.
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	else echo "install these system packages first: $$missing" >&2; exit 1; fi

# The verifiers learners' wallets use (tests/verifiers, a Node project with its lock file), which the tests run
# against freshly issued credentials: Node.js and npm from Debian where the machine has none.
VERIFIERS       := tests/verifiers
VERIFIERS_STAMP := $(VERIFIERS)/node_modules/.installed-stamp

node-deps: ## Install Node.js and npm (Debian's packages) where apt-get is available and either is missing.
	@if command -v node >/dev/null && command -v npm >/dev/null; then exit 0; fi; \
	if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm; \
	else echo "install Node.js (18 or later) and npm first" >&2; exit 1; fi

$(VERIFIERS_STAMP): $(VERIFIERS)/package.json $(VERIFIERS)/package-lock.json
	cd $(VERIFIERS) && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $@

verifiers: node-deps $(VERIFIERS_STAMP) ## Install the wallet verifiers the credential tests run (npm ci).

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: system-deps $(STAMP) ## Create .venv and install the application with its development tools.

migrate: install ## Apply the migrations to LMS_DATABASE_URL (default: the embedded SQLite under ./var/).
	$(BIN)/lms db upgrade

reference: migrate ## Load authorities and roles (idempotent).
	$(BIN)/lms load-reference

demo: reference ## Load the demo school (idempotent) and print its logins.
	$(BIN)/lms demo

run: demo ## Install, migrate, load reference and demo data, and serve on http://127.0.0.1:8000.
	@echo "Serving on http://$(HOST):$(PORT)  (API docs: http://$(HOST):$(PORT)/docs)"
	$(BIN)/lms serve --host $(HOST) --port $(PORT)

test: install verifiers lint typecheck test-sqlite ## Install and run every test, on SQLite and, when LMS_TEST_DATABASE_URL is set, on PostgreSQL.
	@if [ -n "$$LMS_TEST_DATABASE_URL" ]; then $(MAKE) --no-print-directory test-postgres; \
	else echo "LMS_TEST_DATABASE_URL not set: skipping the PostgreSQL run (.ci/run sets it)"; fi

# The tests run in parallel, one worker process per processor (pytest-xdist; TEST_WORKERS=0 runs them in this one),
# but for those that open dozens of connections at once (marked many_connections), which run alone after them.
TEST_WORKERS ?= auto

test-sqlite: install verifiers
	@echo "== tests on SQLite"
	env -u LMS_TEST_DATABASE_URL $(BIN)/pytest -q -n $(TEST_WORKERS) -m "not many_connections"
	env -u LMS_TEST_DATABASE_URL $(BIN)/pytest -q -m many_connections

# The browser tests drive the pages through Chromium once, in the SQLite run: what a page does with the database is
# tested on both databases by the page tests (tests/*/test_pages.py), without a browser.
test-postgres: install verifiers
	@echo "== tests on PostgreSQL (the browser tests ran on SQLite)"
	$(BIN)/pytest -q -n $(TEST_WORKERS) -m "not browser and not many_connections"
	$(BIN)/pytest -q -m many_connections

lint: install ## Lint, check formatting, and check the layering (import-linter's contracts in pyproject.toml).
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: install ## mypy, strict.
	$(BIN)/mypy app

PROPERTY_EXAMPLES ?= 2000

test-property: install ## The status engine against the pure rule on many more random histories (minutes).
	LMS_PROPERTY_EXAMPLES=$(PROPERTY_EXAMPLES) env -u LMS_TEST_DATABASE_URL $(BIN)/pytest -q tests/compliance/test_status_engine.py
	@if [ -n "$$LMS_TEST_DATABASE_URL" ]; then \
	LMS_PROPERTY_EXAMPLES=$(PROPERTY_EXAMPLES) $(BIN)/pytest -q tests/compliance/test_status_engine.py; fi

LOCALE := app/locale

messages: install ## Extract the pages' text (babel.cfg) into the catalogue template, update the he and en catalogues, compile them.
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output -o $(LOCALE)/messages.pot .
	@for lang in he en; do \
		if [ -f $(LOCALE)/$$lang/LC_MESSAGES/messages.po ]; then \
			$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete -l $$lang -i $(LOCALE)/messages.pot -d $(LOCALE); \
		else $(BIN)/pybabel init -l $$lang -i $(LOCALE)/messages.pot -d $(LOCALE); fi; \
	done
	$(BIN)/pybabel compile --statistics -d $(LOCALE)

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .mypy_cache $(VERIFIERS)/node_modules

# --- benchmarks (docs/benchmarks.md); the suite runs them CI-sized in tests/test_bench.py ---------------
LMS_BENCH_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/lms_bench
LMS_BENCH_SQLITE_URL   ?= sqlite:////tmp/lms_bench.sqlite3
BENCH_RUNS             ?= 7

LMS_BENCH_HTTP_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/lms_bench_http
# The HTTP benchmark's load generator, a Debian package needed by `make bench-http` only.
BENCH_HTTP_PACKAGES := wrk

LMS_BENCH_REMINDERS_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/lms_bench_reminders

.PHONY: bench bench-small bench-http bench-reminders

bench: install ## The compliance reports over a national dataset (10x today) on PostgreSQL and SQLite (minutes).
	@mkdir -p var
	$(BIN)/python -m bench.compliance --database-url $(LMS_BENCH_DATABASE_URL) --scale 1.0 --runs $(BENCH_RUNS) --json var/bench-postgresql.json
	$(BIN)/python -m bench.compliance --database-url $(LMS_BENCH_SQLITE_URL) --scale 1.0 --runs $(BENCH_RUNS) --json var/bench-sqlite.json

bench-small: install ## The same benchmark CI-sized (scale 0.01) on SQLite, in seconds.
	$(BIN)/python -m bench.compliance --database-url $(LMS_BENCH_SQLITE_URL) --scale 0.01 --runs 3

bench-certificates: install ## Certificate rendering: 1,000 files one by one, and a cohort of 40 as one PDF.
	$(BIN)/python -m bench.certificates --renders 1000 --runs 5

bench-reminders: install ## The nightly reminder run (decide and queue) over the national dataset on PostgreSQL (minutes).
	$(BIN)/python -m bench.reminders --database-url $(LMS_BENCH_REMINDERS_DATABASE_URL) --scale 1.0 --dates 5

bench-http: install ## Every endpoint's requests a second, p50 and p99 against a bare app doing the same SQL (minutes).
	@$(MAKE) --no-print-directory system-deps SYSTEM_PACKAGES="$(BENCH_HTTP_PACKAGES)"
	@mkdir -p var
	$(BIN)/python -m bench.http --database-url $(LMS_BENCH_HTTP_DATABASE_URL) --scales 0.1,1.0 --rounds 3 --json var/bench-http.json
