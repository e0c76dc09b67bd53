# FlexLedger: `make demo` and `make test` do all set-up on a fresh machine.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
NODE_MODULES := contracts/node_modules/.installed
FORGE  := contracts/node_modules/@foundry-rs/forge-linux-amd64/bin/forge

.PHONY: all setup demo test forge-test build-contracts check-contracts bench clean

all: test

# Python packages into a venv, pinned in pyproject.toml (installed editable).
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

# npm packages from the lockfile: solc, OpenZeppelin, anvil, forge.
$(NODE_MODULES): contracts/package.json contracts/package-lock.json
	cd contracts && npm ci --no-audit --no-fund --loglevel=error
	touch $@

setup: $(VENV)/.installed $(NODE_MODULES)

demo: setup
	$(VENV)/bin/flexledger demo

test: setup forge-test
	$(PY) -m pytest -q -p no:cacheprovider

# Fuzz and invariant tests (contracts/test) with the native forge, offline: foundry.toml
# compiles through contracts/tools/solc (the pinned solc-js); see docs/foundry.md.
forge-test: $(NODE_MODULES)
	$(FORGE) test

build-contracts: setup
	$(PY) -m ledger.build

check-contracts: setup
	$(PY) -m ledger.build --check

# Each script prints its figures and the ratio to the target or baseline it names.
bench: setup
	$(PY) benchmarks/ingest.py
	$(PY) benchmarks/clearing.py
	$(PY) benchmarks/settlement_gas.py
	$(PY) benchmarks/clearing_gas.py
	$(PY) benchmarks/gateway.py

clean:
	rm -rf $(VENV) contracts/node_modules
