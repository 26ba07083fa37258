# The front door: `make demo` runs the app, `make test` proves it.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
export HOST PORT
# The store, its reads and the real worker run again on a throwaway PostgreSQL cluster.
POSTGRES_TESTS := tests/test_store.py tests/test_reads.py tests/test_migrations.py tests/test_integration.py \
	tests/test_concurrency.py tests/test_group_commit.py tests/test_conflicts.py tests/test_scale_out.py

.PHONY: demo test test-postgres install install-dev lint format bench clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

demo: install
	$(PY) -m showcase.stack

test: install-dev
	$(PY) -m pytest
	$(MAKE) test-postgres

test-postgres: install-dev
	$(PY) -m tests.postgres $(PY) -m pytest $(POSTGRES_TESTS)

# Every figure, printed and written to bench/report.md (FULL=1: the 30-minute memory soak),
# then the recovery times after a crash and the talk's arc, and the history checker's time per
# published history.
bench: install-dev
	$(PY) -m bench.report $(if $(FULL),--full)
	$(PY) -m bench.recovery
	$(PY) -m bench.arc
	$(PY) -m bench.faults
	$(PY) -m bench.histories

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: install-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) var .pytest_cache
