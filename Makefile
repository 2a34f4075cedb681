# Serepok: two commands on a fresh Debian machine.
#   make run    install, create demo data for both sites, serve http://127.0.0.1:6543
#   make test   install what the tests need, start their services, run the whole suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
INI    ?= development.ini
PGDIR  := var/test-pg
SOLRDIR := var/test-solr

.PHONY: run test install install-test assets demo serve clean buildout-smoke bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade "pip>=24"

$(VENV)/.run-installed: $(BIN)/python requirements/base.txt setup.py
	$(BIN)/pip install -q -r requirements/base.txt
	$(BIN)/pip install -q --no-deps -e .
	touch $@

$(VENV)/.test-installed: $(VENV)/.run-installed requirements/test.txt
	$(BIN)/pip install -q -r requirements/test.txt
	touch $@

install:
	@scripts/debian-packages run
	@$(MAKE) --no-print-directory $(VENV)/.run-installed

install-test:
	@scripts/debian-packages test
	@$(MAKE) --no-print-directory $(VENV)/.test-installed

# Mirador 4 (npm, pinned by portal/assets/package-lock.json) built into portal/static/build/;
# rebuilt only when the lock file changes.
ASSETS := portal/static/build/mirador/mirador.min.js

$(ASSETS): portal/assets/package.json portal/assets/package-lock.json portal/assets/build
	@portal/assets/build

assets: $(ASSETS)

demo: install assets
	@$(BIN)/serepok demo $(INI)

run: demo
	@echo ""
	@echo "Cổng thông tin / portal: http://127.0.0.1:6543"
	@echo "Tài khoản mẫu ở / demo logins in: var/demo-logins.txt"
	@echo "Bộ xử lý nền / background worker: serepok worker (Ctrl-C dừng cả hai / stops both)"
	@echo ""
	@exec scripts/run-portal $(BIN) $(INI)

# The zc.buildout build as a smoke step, then the whole suite on SQLite and a throwaway
# PostgreSQL, with a throwaway SolrCloud for the Solr backend's tests (scripts/solr-test)
# (last, so the suite's summary is the last thing printed).
test: install-test assets
	@status=0; \
	if [ -z "$(SKIP_BUILDOUT)" ]; then scripts/buildout-smoke || status=$$?; fi; \
	scripts/pg-test start $(PGDIR) > /dev/null || status=$$?; \
	scripts/solr-test start $(SOLRDIR) > /dev/null || status=$$?; \
	scripts/fetch-pymarc-testdata $(BIN)/python; \
	SEREPOK_TEST_PG_URL=$$(scripts/pg-test url $(PGDIR)) SEREPOK_TEST_SOLR_DIR=$(SOLRDIR) $(BIN)/pytest -p no:cacheprovider $(PYTEST_ARGS) || status=$$?; \
	scripts/pg-test stop $(PGDIR) || true; \
	scripts/solr-test stop $(SOLRDIR) || true; \
	exit $$status

buildout-smoke:
	@scripts/buildout-smoke

# Benchmarks (never part of the test suite); results go into docs/benchmarks.md by hand.
bench: install
	@scripts/debian-packages bench
	@PYTHON=$(BIN)/python bench/run-all

clean:
	rm -rf $(VENV) bin parts eggs develop-eggs .installed.cfg test-artifacts portal/static/build var/assets
