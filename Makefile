# The two commands of the README: `make run` and `make test` (and `make test-fast`
# for the edit-run loop).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

# `make test` runs every database test on every database, whatever the shell
# exports; `make test-fast` names SQLite itself.
unexport CHATAPP_TEST_DATABASES

.PHONY: run test test-fast lint format clean screenshots

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

## Set up and start the server on its embedded defaults (SQLite, one process).
run: $(VENV)/.runtime-installed
	$(BIN)/python cli.py serve

## Set up and run the whole test suite (starts local services that are down).
test: $(VENV)/.dev-installed
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
	rm -rf $(VENV) .pytest_cache .ruff_cache
