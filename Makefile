# The two commands: `make lab` and `make test`. Each creates .venv when missing.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: lab test lint typecheck unit bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade "pip>=25.1"
	$(BIN)/python -m pip install --quiet -e . --group dev
	touch $(INSTALLED)

lab: $(INSTALLED)
	$(BIN)/jupyter lab notebooks/01-quickstart.ipynb

test: lint typecheck unit

lint: $(INSTALLED)
	$(BIN)/ruff check jobsnb tests benchmarks scripts
	$(BIN)/ruff format --check jobsnb tests benchmarks scripts

typecheck: $(INSTALLED)
	$(BIN)/mypy

unit: $(INSTALLED)
	$(BIN)/pytest

bench: $(INSTALLED)
	$(BIN)/python benchmarks/service_throughput.py
	$(BIN)/python benchmarks/fanout.py
	$(BIN)/python benchmarks/frames.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
