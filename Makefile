# The two commands: `make lab` and `make test`. Each creates .venv when missing.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

CHROMIUM := /usr/bin/chromium

.PHONY: lab test lint typecheck unit bench clean browser-deps

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade "pip>=25.1"
	$(BIN)/python -m pip install --quiet -e . --group dev
	touch $(INSTALLED)

lab: $(INSTALLED)
	$(BIN)/jupyter lab notebooks/01-quickstart.ipynb $$([ "$$(id -u)" = 0 ] && echo --allow-root)

test: lint typecheck unit

lint: $(INSTALLED)
	$(BIN)/ruff check jobsnb tests benchmarks scripts
	$(BIN)/ruff format --check jobsnb tests benchmarks scripts

typecheck: $(INSTALLED)
	$(BIN)/mypy

# The browser tests drive Debian's chromium (Playwright's own download does not work here).
browser-deps:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "note: $(CHROMIUM) is missing and this is not root: install Debian's chromium," \
	         "or the browser tests skip (and fail under CI=true)"; \
	  fi; \
	fi

unit: $(INSTALLED) browser-deps
	$(BIN)/pytest

bench: $(INSTALLED)
	$(BIN)/python benchmarks/service_throughput.py
	$(BIN)/python benchmarks/fanout.py
	$(BIN)/python benchmarks/frames.py
	$(BIN)/python benchmarks/sandbox.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
