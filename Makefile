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
# The assistant: Rasa 3.6 needs Python 3.10, in its own environment (bot/.venv).
BOT_PYTHON ?= $(firstword $(wildcard /root/.pyenv/versions/3.10*/bin/python3.10) $(shell command -v python3.10))
BOT_VENV := bot/.venv
BOT_MODEL := bot/models/assistant.tar.gz
BOT_LOOKUPS := bot/data/nlu/lookups/place.yml
BOT_SOURCES := bot/config.yml $(wildcard bot/domain/*.yml bot/data/nlu/*.yml bot/data/rules/*.yml bot/data/stories/*.yml)
RASA := cd bot && RASA_TELEMETRY_ENABLED=false .venv/bin/rasa

export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
export RASA_TELEMETRY_ENABLED := false

.PHONY: help venv web-assets tools run test test-directory test-bot bot-model index import refresh schema bench bench-engines bench-bot eval-bot audit clean

help:
	@echo "make run    — installe, construit l'index et sert l'API sur http://$(HOST):$(PORT)"
	@echo "make test   — lance toute la suite de tests (annuaire puis assistant)"
	@echo "make import — réimporte les jeux de données (../shared/datasets, ou var/fetch/datasets après make refresh)"
	@echo "make refresh — télécharge chaque source chez son éditeur, importe, réindexe"
	@echo "make bench  — mesure la recherche embarquée (docs/benchmarks.md)"

# OSV-Scanner for the offline dependency audit (security/README.md), built from the Go module proxy;
# v2.6 needs Go 1.27, which the go command takes from the proxy as a toolchain.
GO ?= $(shell command -v go || echo /usr/local/go/bin/go)
OSV_SCANNER_VERSION := v2.6.0
OSV_SCANNER := $(TOOLS)/bin/osv-scanner
$(OSV_SCANNER):
	GOTOOLCHAIN=go1.27.3 GOBIN=$(abspath $(TOOLS))/bin $(GO) install github.com/google/osv-scanner/v2/cmd/osv-scanner@$(OSV_SCANNER_VERSION)

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

# Front-end libraries from npm, copied into the served static files (never a CDN, never committed).
WEB_VENDOR := directory_api/web/static/vendor
$(WEB_VENDOR)/.built: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	rm -rf $(WEB_VENDOR) && mkdir -p $(WEB_VENDOR)/leaflet
	cp -r web/node_modules/leaflet/dist/leaflet.js web/node_modules/leaflet/dist/leaflet.css web/node_modules/leaflet/dist/images web/node_modules/leaflet/LICENSE $(WEB_VENDOR)/leaflet/
	mkdir -p $(WEB_VENDOR)/swagger-ui  # /docs, only with API_DOCS=true
	cp web/node_modules/swagger-ui-dist/swagger-ui-bundle.js web/node_modules/swagger-ui-dist/swagger-ui.css web/node_modules/swagger-ui-dist/LICENSE $(WEB_VENDOR)/swagger-ui/
	@touch $@

web-assets: $(WEB_VENDOR)/.built

venv: $(VENV)/.synced web-assets

# The index is (re)built when its data fingerprint differs from the data's, never judged by file dates.
index: venv
	$(VENV)/bin/directory build-index --path $(INDEX)

$(BOT_VENV)/.synced: bot/requirements.lock | $(UV)
	$(UV) venv --quiet --allow-existing --python $(BOT_PYTHON) $(BOT_VENV)
	VIRTUAL_ENV=$(BOT_VENV) $(UV) pip install --quiet -r bot/requirements.lock
	@touch $@

$(BOT_LOOKUPS): $(BOT_VENV)/.synced bot/scripts/build_lookups.py data/taxonomy.yml $(wildcard data/places/*.jsonl)
	$(BOT_VENV)/bin/python bot/scripts/build_lookups.py

# Trained only when its data changed; the model is built, never committed.
$(BOT_MODEL): $(BOT_VENV)/.synced $(BOT_LOOKUPS) $(BOT_SOURCES)
	$(RASA) train --domain domain --fixed-model-name assistant --out models

bot-model: $(BOT_MODEL)

# The API (embedded engine), the action server and the Rasa server (REST channel), stopped together.
run: venv bot-model
	HOST=$(HOST) PORT=$(PORT) WORKERS=$(WORKERS) bash scripts/serve.sh

# System tools the tests use (Debian packages): docker-compose v1 to validate the compose file, Chromium
# for the browser tests (driven by Playwright, which never downloads a browser of its own), redis-server
# for the assistant's scale-out tests (bot/tests/test_scale_out.py starts its own, without persistence).
tools:
	@command -v docker-compose >/dev/null && command -v chromium >/dev/null && command -v redis-server >/dev/null || { apt-get update -qq && apt-get install -y -qq docker-compose chromium redis-server >/dev/null; }

test: test-directory test-bot

test-directory: venv tools audit
	$(VENV)/bin/ruff check directory_api tests bench bot scripts
	$(VENV)/bin/pytest -m "not assistant"

# Data validation (warnings for responses that only actions use are expected), NLU figures on the held-out set (bars in bot/scripts/check_nlu.py), test stories,
# then the actions and a conversation with the real servers, and the chat page in Chromium against them.
test-bot: venv tools bot-model
	$(RASA) data validate --domain domain
	$(RASA) test nlu --domain domain --nlu tests/nlu_test_set.yml --model models/assistant.tar.gz --out results/nlu --no-plot
	$(BOT_VENV)/bin/python bot/scripts/check_nlu.py bot/results/nlu
	$(RASA) test core --stories tests/test_stories.yml --model models/assistant.tar.gz --out results/core --fail-on-prediction-errors
	cd bot && .venv/bin/pytest
	$(VENV)/bin/pytest -m assistant tests/web

import: venv
	$(VENV)/bin/directory import

# The current version of every source from its publisher (needs the network; DATA_INCLUSION_TOKEN for
# data·inclusion), the import, then the index. A source whose publisher fails keeps its previous data
# (exit code 3, said per source); the index is rebuilt from what was kept.
refresh: venv
	$(VENV)/bin/directory fetch || [ $$? -eq 3 ]
	$(VENV)/bin/directory build-index --path $(INDEX)

schema: venv
	$(VENV)/bin/directory schema
	$(VENV)/bin/directory openapi

bench: venv
	$(PY) bench/search_bench.py

bench-engines: venv
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
	$(PY) bench/engines_bench.py

bench-bot: venv bot-model
	$(BOT_VENV)/bin/python bench/bot_bench.py

# End-to-end scores on the independent evaluation set (bot/tests/eval/, frozen): docs/benchmarks.md.
eval-bot: venv bot-model index
	cd bot && .venv/bin/python scripts/evaluate.py --start

# Known vulnerabilities in both lockfiles, offline, against the snapshot in security/ (or the OSV
# all.zip named by AUDIT_OSV_DB); fails on one with a published fix.
audit: venv $(OSV_SCANNER)
	$(PY) scripts/audit_dependencies.py

clean:
	rm -rf $(VENV) $(TOOLS) var web/node_modules $(WEB_VENDOR) $(BOT_VENV) bot/models bot/results bot/data/nlu/lookups
