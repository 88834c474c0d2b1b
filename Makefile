# Partnerdesk: every target is listed by `make help`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CHROMIUM ?= /usr/bin/chromium
# The tests' local OpenID Connect provider (single sign-on, ADR 0011): the npm package oidc-provider.
OIDC_PROVIDER := tools/oidc-provider
OIDC_STAMP := $(OIDC_PROVIDER)/node_modules/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.DEFAULT_GOAL := help
.PHONY: help install run worker test test-provider test-fast lint typecheck check-migrations messages lock clean bench-small

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  %-18s %s\n", $$1, $$2}'

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP) ## Create the virtualenv and install the locked dependencies

run: install ## Migrate the SQLite database, load the demo data once, serve on http://127.0.0.1:8000
	$(BIN)/partnerdesk migrate --no-input
	$(BIN)/partnerdesk seed_demo
	@echo "Serving on http://$(HOST):$(PORT)/ (Ctrl-C to stop)"
	DEBUG=$${DEBUG:-1} $(BIN)/partnerdesk runserver $(HOST):$(PORT)

worker: install ## Run the background worker (outbox delivery, scheduled jobs)
	$(BIN)/partnerdesk worker

$(CHROMIUM):
	@echo "Installing Debian's chromium for the browser tests"
	@if [ "$$(id -u)" = "0" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; fi

$(OIDC_STAMP): $(OIDC_PROVIDER)/package.json $(OIDC_PROVIDER)/package-lock.json
	@command -v npm >/dev/null || { echo "Installing Debian's Node.js for the single sign-on tests"; \
	if [ "$$(id -u)" = "0" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; \
	else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; fi; }
	cd $(OIDC_PROVIDER) && npm ci --no-audit --no-fund --loglevel=error
	touch $(OIDC_STAMP)

test-provider: $(OIDC_STAMP) ## Install the tests' local OpenID Connect provider (npm ci in tools/oidc-provider)

test: install $(CHROMIUM) $(OIDC_STAMP) ## Run the whole suite (browser tests included)
	$(BIN)/pytest -q

test-fast: install $(OIDC_STAMP) ## Run the suite without the browser tests
	$(BIN)/pytest -q -m "not browser"

lint: install ## ruff check and format check, and the layers (import-linter, ADR 0008)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: install ## mypy
	$(BIN)/mypy partnerdesk

check-migrations: install ## Fail when models changed without a migration
	$(BIN)/partnerdesk makemigrations --check --dry-run

messages: install ## Refresh the translation catalogs and compile them
	cd partnerdesk && ../$(BIN)/partnerdesk makemessages -l zh_Hans -l es --no-obsolete --ignore 'tests/*' --ignore 'testing.py' --ignore '*/testing.py'
	cd partnerdesk && ../$(BIN)/partnerdesk compilemessages

bench-small: install ## Benchmarks at small scale on local PostgreSQL: generate, set up django-helpdesk, run (bench/RESULTS.md)
	bench/generate --scale small
	bench/helpdesk --scale small
	bench/run --scale small

lock: ## Re-pin requirements.lock from pyproject.toml
	$(BIN)/pip-compile --quiet --no-emit-index-url --no-emit-find-links --strip-extras --extra dev --output-file requirements.lock pyproject.toml

clean: ## Remove the virtualenv and caches (keeps ./data)
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache $(OIDC_PROVIDER)/node_modules
