# Two entry points (see README): `make run` serves the bundled KB, `make test` runs every test.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
DATA   ?= var

.PHONY: run test test-fast init bench bench-quick system-deps clean

$(BIN)/kapkb: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

init: $(BIN)/kapkb
	$(BIN)/kapkb --data $(DATA) init

run: init
	$(BIN)/kapkb --data $(DATA) serve --host 127.0.0.1 --port 8000

system-deps:
	sh scripts/install-system-deps.sh

test: $(BIN)/kapkb system-deps
	$(BIN)/pytest -q

test-fast: $(BIN)/kapkb
	$(BIN)/pytest -q -m "not browser and not remote"

bench: $(BIN)/kapkb
	$(BIN)/python bench/run_all.py

bench-quick: $(BIN)/kapkb
	$(BIN)/python bench/run_all.py --quick

clean:
	rm -rf $(VENV) $(DATA) .pytest_cache tests/artifacts
