# Two commands on a fresh machine: `make demo` and `make test`. Each builds what it needs: the Python
# virtualenv (requirements*.txt, and the package itself, editable, for the operator CLI .venv/bin/dpgov)
# and Azurite, the Azure Storage emulator, from npm (package-lock.json).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

.PHONY: demo test lint typecheck infra unit bench bench-estate clean

$(STAMP): requirements.txt requirements-cli.txt requirements-dev.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "dpgov needs Python 3.11+")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt -e .
	@touch $@

# npm ci installs exactly the locked Azurite; the stamp makes it run once, and again when the lock changes.
$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "dpgov needs Node.js and npm for Azurite (the Azure Storage emulator)"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Debian's headless Chromium, for the compliance page's browser tests and the demo's screenshot (Playwright
# drives it; its own browser download needs the internet). Installed with apt only when it is missing.
CHROMIUM := /usr/bin/chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
$(CHROMIUM):
	@command -v apt-get >/dev/null || { echo "dpgov's browser tests need Chromium at $(CHROMIUM) (Debian: chromium, chromium-driver)"; exit 1; }
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-driver

demo: $(STAMP) $(NODE_STAMP) $(CHROMIUM)
	$(BIN)/python -m emulator.demo

test: $(NODE_STAMP) $(CHROMIUM) lint typecheck infra unit

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# The deployment's Bicep, statically and offline (checkov cannot run the Bicep CLI here): the checks and
# the reasons for each skipped one are in infra/.checkov.yaml; tests/infra (in `unit`) asserts the rest.
infra: $(STAMP)
	$(BIN)/checkov --config-file infra/.checkov.yaml

unit: $(STAMP) $(NODE_STAMP) $(CHROMIUM)
	$(BIN)/pytest

bench: $(STAMP) $(NODE_STAMP)
	$(BIN)/python -m bench

# Reconcile-all of 50 landing zones x 1,000 product groups, three ways (bench/estate.py).
bench-estate: $(STAMP) $(NODE_STAMP)
	$(BIN)/python -m bench estate

clean:
	rm -rf $(VENV) node_modules .mypy_cache .ruff_cache .pytest_cache .hypothesis dpgov.egg-info build
