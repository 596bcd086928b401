# `make run` and `make test` set everything up on a fresh machine (Python 3.11+ required).
# `make run PORT=8080` serves on another port.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt | cksum | cut -d' ' -f1)
PORT ?= 5000
HOST ?= 127.0.0.1
export FLASK_APP := tracker

.PHONY: install db run test bench screenshots clean

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing requirements.txt into $(VENV) (the first time takes a minute or two)"
	$(BIN)/pip install --disable-pip-version-check --progress-bar on -r requirements.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

# The OpenID Connect provider that tests/test_oidc.py starts (npm's oidc-provider, pinned in tests/oidc),
# installed where Node.js and npm are; without them those tests are skipped.
OIDC_PROVIDER := tests/oidc/node_modules/.package-lock.json
$(OIDC_PROVIDER): tests/oidc/package.json tests/oidc/package-lock.json
	cd tests/oidc && npm ci --no-audit --no-fund
	touch $@

install: $(STAMP) $(if $(shell command -v npm 2>/dev/null),$(OIDC_PROVIDER))

db: install
	$(BIN)/flask db upgrade

run: db
	$(BIN)/flask seed-demo --if-empty
	$(BIN)/flask run --host $(HOST) --port $(PORT)

test: install
	$(BIN)/python -m pytest

# Pages and API under gunicorn + wrk at 1,000 and 100,000 tasks (SQLite, or the PostgreSQL DATABASE_URL
# names); seeded databases are cached in bench/.data/. See bench/RESULTS.md.
bench: install
	$(BIN)/python bench/run.py --json bench/.data/last-run.json

# The README's pictures: the demo team in a scratch database, shot by the browser suite (needs Chromium).
screenshots: install
	TRACKER_SCREENSHOTS=docs/screenshots TRACKER_REQUIRE_ALL=1 $(BIN)/python -m pytest -q -p no:randomly tests/browser/test_screenshots.py

clean:
	rm -rf $(VENV) .pytest_cache
