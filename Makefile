# The two commands of the README: `make run` and `make test` (and `make test-fast`
# for the edit-run loop).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

# `make test` runs every database test on every database, whatever the shell
# exports; `make test-fast` names SQLite itself.
unexport CHATAPP_TEST_DATABASES

.PHONY: run test test-fast lint format clean web web-bundle screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# One stamp per requirements file, so `make run` installs only what running
# needs and `make test` adds the test and lint tools; each reinstalls only
# when its pinned requirements change.
$(VENV)/.runtime-installed: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements-dev.txt $(VENV)/.runtime-installed
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

# The web client: sources in web/, built into chatapp/static/app/ (not committed).
# `make run` and `make test` build it when Node.js 20 or newer is installed and
# the bundle is missing or older than any of its sources; without Node.js the
# server runs anyway and `/` says how to get the web client.
NODE ?= node
NPM ?= npm
WEB_BUNDLE := chatapp/static/app/app.js
WEB_SOURCES := $(shell find web/src -type f 2>/dev/null) \
	web/package.json web/package-lock.json web/build.mjs web/tsconfig.json
NODE_OK := $(shell $(NODE) -e 'process.exit(+process.versions.node.split(".")[0] < 20 ? 1 : 0)' \
	>/dev/null 2>&1 && echo yes)
WEB_BUILD := cd web && $(NPM) ci --no-audit --no-fund --prefer-offline && $(NPM) run build

## Build the web client (npm ci, then type-check and bundle; prints the sizes).
web:
	$(WEB_BUILD)

$(WEB_BUNDLE): $(WEB_SOURCES)
	$(WEB_BUILD)
	touch $@

ifeq ($(NODE_OK),yes)
web-bundle: $(WEB_BUNDLE)
else
web-bundle:
	@echo "Node.js 20 or newer is not installed: the web client is not built (see README)."
endif

## Set up and start the server on its embedded defaults (SQLite, one process).
run: $(VENV)/.runtime-installed web-bundle
	$(BIN)/python cli.py serve

## Set up and run the whole test suite (starts local services that are down).
test: $(VENV)/.dev-installed web-bundle
	scripts/ensure-services
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

## The edit-run loop: the tests that start no process, on SQLite only.
test-fast: $(VENV)/.dev-installed
	CHATAPP_TEST_DATABASES=sqlite $(BIN)/python -m pytest -m "not slow"

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(VENV)/.dev-installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## Regenerate docs/screenshots/*.png: a seeded server photographed in headless Chromium.
screenshots: $(VENV)/.dev-installed
	$(BIN)/python -m scripts.screenshots

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache web/node_modules chatapp/static/app
