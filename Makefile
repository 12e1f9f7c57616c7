# Shekara. `make demo` runs the demo on the embedded SQLite; `make test` runs the whole suite.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3
PYTEST_ARGS ?= --durations=15

.PHONY: install demo test test-sqlite test-postgres lint typecheck check bench assets clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -U pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

assets: install
	@if [ -f package.json ]; then $(PY) -m shekara.web.assets; fi

demo: install assets
	$(VENV)/bin/shekara demo --no-serve
	@echo "starting a small tracking simulation in the background (log: var/simulate.log)"
	@($(VENV)/bin/shekara simulate --trucks 6 --seals 3 --patrols 2 --uavs 1 --duration 600 --agency KZ-PS-KNB \
		> var/simulate.log 2>&1 &)
	$(VENV)/bin/shekara serve

test: install assets
	sh scripts/install_browser.sh
	$(MAKE) lint
	$(MAKE) typecheck
	$(MAKE) test-sqlite
	@$(PY) scripts/pg_available.py; rc=$$?; \
	if [ $$rc -eq 0 ]; then $(MAKE) test-postgres; \
	elif [ $$rc -eq 2 ]; then exit 1; fi
	SHEKARA_DATABASE_URL=sqlite:///$$(mktemp -d)/check.db sh -c '$(VENV)/bin/shekara db upgrade >/dev/null && $(VENV)/bin/shekara db check'

test-sqlite: install
	SHEKARA_TEST_DB=sqlite $(PY) -m pytest -q $(PYTEST_ARGS)

test-postgres: install
	SHEKARA_TEST_DB=postgres $(PY) -m pytest -q -m "not browser" $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check src tests bench scripts

typecheck: install
	$(VENV)/bin/mypy

check: lint typecheck test

bench: install
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
