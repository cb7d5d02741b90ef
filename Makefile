# Mekomot LMS. `make run` sets up everything and serves; `make test` installs and runs every test.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install run serve migrate reference demo test test-sqlite test-postgres lint format typecheck clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install the application with its development tools.

migrate: install ## Apply the migrations to LMS_DATABASE_URL (default: the embedded SQLite under ./var/).
	$(BIN)/lms db upgrade

reference: migrate ## Load authorities and roles (idempotent).
	$(BIN)/lms load-reference

demo: reference ## Load the demo school (idempotent) and print its logins.
	$(BIN)/lms demo

run: demo ## Install, migrate, load reference and demo data, and serve on http://127.0.0.1:8000.
	@echo "Serving on http://$(HOST):$(PORT)  (API docs: http://$(HOST):$(PORT)/docs)"
	$(BIN)/lms serve --host $(HOST) --port $(PORT)

test: install lint test-sqlite ## Install and run every test, on SQLite and, when LMS_TEST_DATABASE_URL is set, on PostgreSQL.
	@if [ -n "$$LMS_TEST_DATABASE_URL" ]; then $(MAKE) --no-print-directory test-postgres; \
	else echo "LMS_TEST_DATABASE_URL not set: skipping the PostgreSQL run (.ci/run sets it)"; fi

test-sqlite: install
	@echo "== tests on SQLite"
	env -u LMS_TEST_DATABASE_URL $(BIN)/pytest -q

test-postgres: install
	@echo "== tests on PostgreSQL"
	$(BIN)/pytest -q

lint: install ## Lint and check formatting.
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: install ## mypy, strict.
	$(BIN)/mypy app

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .mypy_cache
