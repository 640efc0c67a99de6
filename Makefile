# Two commands for a fresh machine: `make run` and `make test`. Everything else here
# is what those two need. Targets are idempotent: stamps skip work already done.

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
export FLASK_APP := webapp:create_app

PY_STAMP    := $(VENV)/.installed
NODE_STAMP  := node_modules/.installed
ASSETS      := static/dist/manifest.json
ASSET_SRC   := $(shell find static/src -type f 2>/dev/null) static/build.mjs

.PHONY: run test lint bench install assets db content translations chromium java wrk services clean

# The site always starts: a response file with problems is listed (file:line: message)
# and skipped, and what was published before is served.
run: install assets db
	@$(BIN)/flask foi import || echo "make run: the problems above were not published; serving what was published before" >&2
	$(BIN)/flask run --host $(HOST) --port $(PORT)

test: java install assets chromium services wrk lint
	$(BIN)/pytest

# Linters, before the tests: ruff for the Python (rules in pyproject.toml's [tool.ruff]),
# ESLint for the JavaScript (eslint.config.mjs). Both run, then the target fails if
# either found something. Lint only: nothing is rewritten (`ruff check --fix` does that).
RUFF_PATHS   ?= .
ESLINT_PATHS ?= static/src/js static/build.mjs tests/quality/lighthouse.mjs eslint.config.mjs

lint: install
	@status=0; \
	$(BIN)/ruff check --output-format concise $(RUFF_PATHS) || status=1; \
	node_modules/.bin/eslint $(ESLINT_PATHS) || status=1; \
	exit $$status

bench: install assets wrk services
	$(BIN)/python -m bench

install: $(PY_STAMP) $(NODE_STAMP)

$(PY_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip==25.3
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

assets: $(ASSETS)

$(ASSETS): $(NODE_STAMP) $(ASSET_SRC)
	npm run build

db: $(PY_STAMP)
	$(BIN)/flask db upgrade

# Publish the responses in FOI_CONTENT_DIR, by default the shipped content/foi (idempotent: unchanged files change nothing). Fails
# (exit 1) when a file has problems; `make run` serves anyway.
content: db
	$(BIN)/flask foi import

# The catalogue template translators start from: every string marked with _(), gettext,
# lazy_gettext or {% trans %} in webapp/ and templates/ (see docs/translation.md). Run
# after marking a string, and commit the result; tests/test_translation.py checks it.
POT ?= webapp/translations/messages.pot
translations: $(PY_STAMP)
	$(BIN)/pybabel extract --mapping-file babel.cfg --keywords lazy_gettext \
	  --add-comments Translators: --sort-by-file --no-wrap \
	  --project foi-publication-site --version 0.1.0 --output-file $(POT) webapp templates

# Debian's Chromium for the browser tests (Playwright never downloads a browser here).
chromium:
	@test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

# Java runs the Nu Html Checker (npm's vnu-jar) in the HTML validity gate. It comes before
# `install` so that vnu-jar's postinstall, where npm runs it, finds it and downloads nothing.
java:
	@command -v java >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless; }

# wrk drives the throughput benchmarks.
wrk:
	@command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }

# The cluster test and soak start their own PostgreSQL (initdb + pg_ctl), Redis and HAProxy
# (deploy/haproxy.cfg): Debian's packages, installed when the programs are missing.
services:
	@{ command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; } || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; }
	@command -v redis-server >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server; }
	@{ command -v haproxy >/dev/null || test -x /usr/sbin/haproxy; } || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy; }

clean:
	rm -rf $(VENV) node_modules static/dist instance .pytest_cache
