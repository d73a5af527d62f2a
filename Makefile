# Lotsen: `make run` serves the demo on SQLite; `make test` runs the whole suite.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CATALOGUES := lotsen/translations
HOST ?= 127.0.0.1
PORT ?= 5000
export LOTSEN_TEST_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/test

DAYS_AHEAD ?= 400 1500

.PHONY: install run test test-dates test-fast translations i18n-extract i18n-update chromium postgres axe clean

$(PY):
	python3 -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(BIN)/pip install --upgrade --quiet pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

## Compile the .po catalogues into .mo files (fuzzy entries are left out).
translations: $(STAMP)
	$(BIN)/pybabel compile -d $(CATALOGUES) -D messages --statistics

## Extract marked strings into the template catalogue, then merge into de and en.
i18n-extract: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
		--project Lotsen --copyright-holder "Lotsen contributors" -o $(CATALOGUES)/messages.pot .
i18n-update: i18n-extract
	$(BIN)/pybabel update -i $(CATALOGUES)/messages.pot -d $(CATALOGUES) --no-fuzzy-matching --ignore-obsolete
	$(PY) tools/fill_en_catalogue.py

run: translations
	$(BIN)/lotsen db upgrade
	$(BIN)/lotsen seed-demo
	@echo "Lotsen serves http://$(HOST):$(PORT)/ with its worker beside it (stop both with Ctrl+C)"
	$(BIN)/lotsen worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT; $(BIN)/lotsen run --host $(HOST) --port $(PORT)

## Debian's Chromium for the browser tests (never a downloaded browser build).
chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

## Start the local PostgreSQL if it is down; the suite fails loudly under CI=true if it stays down.
postgres:
	@pg_isready -q -h 127.0.0.1 -p 5432 || { pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start 2>/dev/null; sleep 2; } || true

## axe-core (npm) for the browser tests' accessibility audit.
AXE := node_modules/axe-core/axe.min.js
$(AXE): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(AXE)
axe: $(AXE)

test: translations chromium postgres $(AXE)
	$(BIN)/pytest -n auto
	@$(MAKE) --no-print-directory test-dates

## The non-browser suite as if today were 400 and 1,500 days later, on SQLite and PostgreSQL: every Python
## process of the run (pytest and the workers it starts) imports tests/timeshift/sitecustomize.py at start-up.
## (time-machine is then imported before pytest could rewrite its asserts, which pytest would warn about.)
test-dates: translations postgres
	@for days in $(DAYS_AHEAD); do \
		echo "== make test-dates: $$days days ahead"; \
		LOTSEN_TEST_DAYS_AHEAD=$$days PYTHONPATH=$(CURDIR)/tests/timeshift $(BIN)/pytest -n auto -m "not e2e" -q \
			-p no:cacheprovider -W "ignore::pytest.PytestAssertRewriteWarning" || exit 1; \
	done

test-fast: translations
	$(BIN)/pytest -m "not e2e" -x -q

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis node_modules
