# The README's two commands: `make demo` and `make test`. Everything installs into .venv.
# Installs are pinned by uv.lock (uv sync --frozen); uv itself comes from PyPI at a pinned version, installed
# with pip into .venv, so nothing but python3 is needed. `make demo` installs the runtime dependencies only;
# `make test` adds the dev extra (pytest, ruff, playwright, third-party instrumentations) and the clickhouse extra
# (clickhouse-connect, chdb-core: the ClickHouse store, tested on embedded chdb).
PYTHON ?= python3
UV_VERSION := 0.13.9
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
# --inexact keeps what is already in .venv (uv itself; the dev extra after `make test`).
SYNC := UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --frozen --inexact --python $(BIN)/python

.PHONY: install install-dev focus-validator demo test test-fast test-reliability bench bench-quick lint lock clean

$(UV):
	@echo "Creating $(VENV) and installing uv $(UV_VERSION) from PyPI..."
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.runtime: $(UV) pyproject.toml uv.lock
	@echo "Installing runtime dependencies from uv.lock..."
	$(SYNC)
	touch $@

$(VENV)/.dev: $(VENV)/.runtime
	@echo "Installing the dev extra from uv.lock..."
	$(SYNC) --extra dev --extra clickhouse
	touch $@

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

# The FinOps Foundation's focus-validator checks the FOCUS export in tests/test_collector_focus.py. Version 2.x needs
# Python 3.12+ (the project runs on 3.11), so it gets its own venv, pinned by tests/focus/requirements.txt.
# FOCUS_PYTHON: a python3.12 on PATH that runs, else pyenv's 3.12; set it to use another.
FOCUS_VENV := .venv-focus
FOCUS_PYTHON ?= $(firstword $(shell python3.12 -c 'import sys; print(sys.executable)' 2>/dev/null) \
	$(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3.12))

$(FOCUS_VENV)/.installed: tests/focus/requirements.txt
	@test -n "$(FOCUS_PYTHON)" || { echo "focus-validator needs Python 3.12: set FOCUS_PYTHON=/path/to/python3.12"; exit 1; }
	@echo "Installing focus-validator into $(FOCUS_VENV) with $(FOCUS_PYTHON)..."
	rm -rf $(FOCUS_VENV)
	$(FOCUS_PYTHON) -m venv $(FOCUS_VENV)
	$(FOCUS_VENV)/bin/pip install --quiet --disable-pip-version-check -r tests/focus/requirements.txt
	touch $@

focus-validator: $(FOCUS_VENV)/.installed

# Extra flags for the demo, e.g. `make demo DEMO_ARGS="--days 7 --rate 2"`.
DEMO_ARGS ?=

demo: $(VENV)/.runtime
	$(BIN)/tokenledger demo $(DEMO_ARGS)

test: $(VENV)/.dev $(FOCUS_VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

# Everything but the end-to-end tests (marker e2e: real processes, the demo, Chromium). The expression also names
# the reliability suite's marker: a -m on the command line replaces the one in addopts.
test-fast: $(VENV)/.dev $(FOCUS_VENV)/.installed
	$(BIN)/python -m pytest -m "not e2e and not reliability"

# The whole reliability suite (tests/reliability: kill -9 rounds, overload and memory, fuzzing, auth, soak); see
# docs/reliability.md. The soak lasts TOKENLEDGER_SOAK_S seconds (60 unless set; 600 for the full 10 minutes).
# -s: each slow test prints the figures it measured (inputs tried, kill rounds, spans acknowledged and stored, RSS).
test-reliability: $(VENV)/.dev
	$(BIN)/python -m pytest tests/reliability -m "reliability or not reliability" -s

# Issue 12's figures: ingest (ours and Arize Phoenix's, installed into .bench/phoenix-venv once), client overhead,
# read latency over 1M and 10M calls, printed as the BENCHMARKS.md table; then the same load on DuckDB and on
# embedded ClickHouse (chdb) side by side (bench/stores.py). `make bench-quick`: smaller, 1M rows only, no chdb.
bench: $(VENV)/.dev
	$(BIN)/python bench/run.py
	$(BIN)/python bench/stores.py

bench-quick: $(VENV)/.runtime
	$(BIN)/python bench/run.py --quick

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Re-resolve uv.lock after a change to pyproject.toml's dependencies.
lock: $(UV)
	$(UV) lock --python $(PYTHON)

clean:
	rm -rf $(VENV) $(FOCUS_VENV) .pytest_cache
