# Every target bootstraps .venv from a fresh clone; nothing is installed by hand.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: help test lint typecheck pytest demo bench soak docs clean

help:
	@echo "make test   - ruff, ruff format --check, mypy --strict, pytest (hypothesis profile ci)"
	@echo "make demo   - run the sample portfolio on the embedded SQLite default"
	@echo "make bench  - performance figures (ratios against baselines of the same run)"
	@echo "make docs   - build the documentation (warnings fail the build)"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

$(VENV)/.docs: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[docs]'
	@touch $(VENV)/.docs

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/ruff format --check src tests benchmarks examples

typecheck: $(STAMP)
	$(BIN)/mypy --strict src

pytest: $(STAMP)
	HYPOTHESIS_PROFILE=ci $(BIN)/python -m pytest -q

test: lint typecheck pytest

demo: $(STAMP)
	$(BIN)/python -m examples.demo

bench: $(STAMP)
	@for f in benchmarks/bench_*.py; do \
		echo "== $$f"; $(BIN)/python $$f || exit 1; \
	done

soak: $(STAMP)
	HYPOTHESIS_PROFILE=soak $(BIN)/python -m pytest -q tests

docs: $(VENV)/.docs
	$(BIN)/sphinx-build -W --keep-going -b html docs docs/_build/html

clean:
	rm -rf $(VENV) docs/_build .pytest_cache .mypy_cache .ruff_cache .hypothesis
