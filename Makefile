# The two commands a fresh machine needs: `make run` and `make test`. Everything else is set up here.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 2
INDEX := var/directory.sqlite

export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: help venv tools run test index import schema bench bench-engines clean

help:
	@echo "make run    — installe, construit l'index et sert l'API sur http://$(HOST):$(PORT)"
	@echo "make test   — lance toute la suite de tests"
	@echo "make import — réimporte ../shared/datasets dans data/structures/"
	@echo "make bench  — mesure la recherche embarquée (docs/benchmarks.md)"

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

venv: $(VENV)/.synced

# The index is (re)built when its data fingerprint differs from the data's, never judged by file dates.
index: venv
	$(VENV)/bin/directory build-index --path $(INDEX)

run: venv
	$(VENV)/bin/directory serve --ensure-index --host $(HOST) --port $(PORT) --workers $(WORKERS)

# System tools the tests use (Debian packages): docker-compose v1 to validate the compose file.
tools:
	@command -v docker-compose >/dev/null || { apt-get update -qq && apt-get install -y -qq docker-compose >/dev/null; }

test: venv tools
	$(VENV)/bin/ruff check directory_api tests bench
	$(VENV)/bin/pytest

import: venv
	$(VENV)/bin/directory import

schema: venv
	$(VENV)/bin/directory schema
	$(VENV)/bin/directory openapi

bench: venv
	$(PY) bench/search_bench.py

bench-engines: venv
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
	$(PY) bench/engines_bench.py

clean:
	rm -rf $(VENV) $(TOOLS) var
