# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run test test-unit test-integration test-interop chaos clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,bench]'
	touch $(STAMP)

# NameServer on 9876 (and the Broker on 10911 once it exists) in the foreground; Ctrl-C stops both.
run: install
	$(PY) -m tools.devrun

test: install
	$(PY) -m pytest -q

test-unit: install
	$(PY) -m pytest -q tests/unit

test-integration: install
	$(PY) -m pytest -q tests/integration

test-interop: install
	$(PY) -m pytest -q tests/interop

# SYNC_MASTER master kills under a real client: 100 rounds, prints acknowledged / found / lost (20 run in `make test`)
CHAOS_ROUNDS ?= 100
chaos: install
	$(PY) -m tests.reliability.ha_chaos $(CHAOS_ROUNDS)

clean:
	rm -rf $(VENV) .cache .pytest_cache .hypothesis data logs
