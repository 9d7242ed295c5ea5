# casereview: `make demo` runs the main job on a synthetic data set; `make test` runs every check.
#
# Every install comes from uv.lock (one resolution of the base install and every extra, each
# file pinned by hash), installed by uv, itself pinned by hash in scripts/uv-requirements.txt.
# docs/deployment.md says why uv and how to refresh the lock (`make lock`).
PYTHON ?= python3
VENV   ?= .venv
LATEST ?= .venv-latest
BIN    := $(VENV)/bin
DEMO   ?= demo
PORT   ?=
UVENV  := .uv
UV     := $(UVENV)/bin/uv
# uv never downloads a Python of its own: the machine's Python 3.11+ is used.
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
# pytest workers: one per core (tests are independent; each PostgreSQL test has its own database).
WORKERS ?= auto

.PHONY: demo serve test test-latest checks lock lint clean

$(UV):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "casereview needs Python 3.11 or newer")'
	@echo "installing uv (the installer of the locked dependencies) into $(UVENV)/"
	@$(PYTHON) -m venv $(UVENV)
	@$(UVENV)/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes -r scripts/uv-requirements.txt

$(VENV)/.installed-demo: uv.lock pyproject.toml | $(UV)
	@echo "installing casereview and its locked dependencies into $(VENV)/ (about a minute on a fresh machine)"
	@$(UV) sync --locked --inexact --quiet --python $(PYTHON)
	@touch $@

$(VENV)/.installed-dev: uv.lock pyproject.toml | $(UV)
	@echo "installing casereview with its test, Spark and PDF extras from uv.lock into $(VENV)/ (1-2 minutes on a fresh machine)"
	@$(UV) sync --locked --quiet --extra dev --extra spark --extra pdf --python $(PYTHON)
	@touch $@ $(VENV)/.installed-demo

## demo: build a synthetic world into a fresh store, run every stage on it and serve the app (PORT=N to choose the port)
demo: $(VENV)/.installed-demo
	$(BIN)/casereview demo --out $(DEMO) $(if $(PORT),--port $(PORT))

## serve: serve an existing demo store again (same users and passwords as when it was built)
serve: $(VENV)/.installed-demo
	$(BIN)/casereview demo --out $(DEMO) --serve-only $(if $(PORT),--port $(PORT))

## test: lint, type-check and run the whole test suite (PostgreSQL variants when configured)
test: $(VENV)/.installed-dev
	@$(MAKE) --no-print-directory checks BIN=$(BIN)

checks:
	bash scripts/test-prerequisites.sh
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/mypy src
	$(BIN)/bandit -q -r src -ll
	$(BIN)/python scripts/sbom.py --out build/sbom.json
	$(BIN)/pytest -q -n $(WORKERS) --dist loadgroup

## test-latest: the same checks in a separate environment built from the newest versions the registry serves within pyproject's ranges
test-latest: | $(UV)
	@echo "building $(LATEST)/ from the newest versions the registry serves (not the lock)"
	@rm -rf $(LATEST)
	@$(UV) venv --quiet --python $(PYTHON) $(LATEST)
	@$(UV) pip install --quiet --python $(LATEST)/bin/python --upgrade --resolution highest -e '.[dev,spark,pdf]'
	@$(UV) pip freeze --python $(LATEST)/bin/python > build/latest-versions.txt 2>/dev/null || { mkdir -p build; $(UV) pip freeze --python $(LATEST)/bin/python > build/latest-versions.txt; }
	@echo "versions in $(LATEST)/: build/latest-versions.txt"
	@$(MAKE) --no-print-directory checks BIN=$(LATEST)/bin

## lock: refresh uv.lock to the newest versions within pyproject's ranges (review the diff, then run make test)
lock: | $(UV)
	$(UV) lock --upgrade --python $(PYTHON)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/mypy src

clean:
	rm -rf $(VENV) $(LATEST) $(UVENV) $(DEMO) .pytest_cache .mypy_cache .ruff_cache
