# make demo   -- set up .venv if needed, clear datasets/us5.geojson in both modes,
#                print the summary, write maps/us5.html and tables in out/us5/
# make test   -- set up .venv with the test extras and run the whole test suite (as CI does)
# make test-fast -- the same without the tests marked slow (over 5 s each)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test test-fast reproduce bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/netprice clear datasets/us5.geojson --mode both --map maps/us5.html --out out/us5

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest

test-fast: $(VENV)/.installed-test
	$(BIN)/python -m pytest -m "not slow"

reproduce: $(VENV)/.installed
	$(BIN)/netprice reproduce --out out/reproduce

bench: $(VENV)/.installed-test
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf out .pytest_cache
