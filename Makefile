# casereview: `make demo` runs the main job on a synthetic data set; `make test` runs every check.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DEMO   ?= demo

.PHONY: demo test lint pytest clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "casereview needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-demo: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,spark]'
	touch $@ $(VENV)/.installed-demo

## demo: build a synthetic world into a fresh store and run every stage on it
demo: $(VENV)/.installed-demo
	$(BIN)/casereview demo --out $(DEMO)

## test: lint, type-check and run the whole test suite (PostgreSQL variants when configured)
test: $(VENV)/.installed-dev
	bash scripts/test-prerequisites.sh
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy src
	$(BIN)/bandit -q -r src -ll
	$(BIN)/python scripts/sbom.py --out build/sbom.json
	$(BIN)/pytest -q

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy src

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache .mypy_cache .ruff_cache
