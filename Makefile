# Two entry points for a fresh machine: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test check lint fmt bench sandbox clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(STAMP)

## run: start the console on the built-in sandbox
run: $(STAMP)
	$(BIN)/crmtui --sandbox

## check: format check, lint, types, import contracts
check: $(TEST_STAMP)
	$(BIN)/ruff format --check crmtui tests bench
	$(BIN)/ruff check crmtui tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

## test: lint + the whole suite
test: check
	$(BIN)/pytest -n auto -q

fmt: $(TEST_STAMP)
	$(BIN)/ruff format crmtui tests bench
	$(BIN)/ruff check --fix crmtui tests bench

bench: $(STAMP)
	$(BIN)/python bench/connectors.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache
