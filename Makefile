# The two commands: `make lab` and `make test`. Each creates .venv when missing.
# `make lab` installs jobsnb (which brings JupyterLab) and nothing else; `make test` adds the
# dev group (pytest, ruff, mypy, playwright, the AWS CLI, kaleido).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
LAB_INSTALLED := $(VENV)/.installed-lab
INSTALLED := $(VENV)/.installed-dev

CHROMIUM := /usr/bin/chromium

.PHONY: lab test test-fast lint typecheck unit bench clean browser-deps js-deps mqtt-deps

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(LAB_INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade "pip>=25.1"
	$(BIN)/python -m pip install --quiet -e .
	touch $(LAB_INSTALLED)

$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade "pip>=25.1"
	$(BIN)/python -m pip install --quiet -e . --group dev
	touch $(LAB_INSTALLED) $(INSTALLED)

# The repo root is Lab's root (README.md and docs/ browsable beside the notebooks); the printed
# URL opens the quick-start notebook.
lab: $(LAB_INSTALLED)
	$(BIN)/jupyter lab --ServerApp.root_dir=. \
	  --LabApp.default_url=/lab/tree/notebooks/01-quickstart.ipynb \
	  $$([ "$$(id -u)" = 0 ] && echo --allow-root)

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

# Mosquitto, for the tests of the service attached to a broker a team runs (tests/service/
# test_mqtt_attached.py); the embedded broker needs nothing but pip.
MOSQUITTO := /usr/sbin/mosquitto
mqtt-deps:
	@if [ ! -x $(MOSQUITTO) ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian's mosquitto for the attached-broker tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mosquitto >/dev/null; \
	  else \
	    echo "note: $(MOSQUITTO) is missing and this is not root: install Debian's mosquitto," \
	         "or the attached-broker tests skip (and fail under CI=true)"; \
	  fi; \
	fi

# The AWS SDK for JavaScript v3 of tests/service/test_js_sdk.py, from the committed lock file.
js-deps:
	@if command -v node >/dev/null && command -v npm >/dev/null; then \
	  [ tests/js/node_modules/.package-lock.json -nt tests/js/package-lock.json ] \
	    || npm ci --prefix tests/js --no-audit --no-fund; \
	else \
	  echo "note: node/npm are missing: install Node 18+ and run npm ci --prefix tests/js," \
	       "or the JS SDK test skips (and fails under CI=true)"; \
	fi

unit: $(INSTALLED) browser-deps js-deps mqtt-deps
	$(BIN)/pytest

# The edit loop: everything but the tests marked slow (notebooks, browsers, Binder, big fleets).
test-fast: $(INSTALLED)
	$(BIN)/ruff check jobsnb tests benchmarks scripts
	$(BIN)/pytest -m "not slow" -q

bench: $(INSTALLED)
	$(BIN)/python benchmarks/service_throughput.py
	$(BIN)/python benchmarks/mqtt_throughput.py
	$(BIN)/python benchmarks/fanout.py
	$(BIN)/python benchmarks/frames.py
	$(BIN)/python benchmarks/charts_scale.py
	$(BIN)/python benchmarks/history.py
	$(BIN)/python benchmarks/sandbox.py
	$(BIN)/python benchmarks/notebooks.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
