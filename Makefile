# Samråd: `make run` serves the demo on SQLite; `make test` installs everything and runs the checks.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/test

.PHONY: run test test-sqlite test-postgres check-migrations install system-deps lint messages bench bench-deps clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

# Debian's Chromium drives the browser tests (Playwright cannot download browsers here).
system-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-dejavu-core; }

run: install
	$(PY) -m samrad run

lint: install
	$(PY) -m ruff check .

# Everything CI runs: ruff, the suite on SQLite (with the browser tests) and, at the same time on the other
# core, the suite again on PostgreSQL (without them), then the migrations check on PostgreSQL. Each pytest run
# has its own data folder and its own scratch database, so the two never meet.
test: install system-deps lint
	$(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite test-postgres
	$(MAKE) --no-print-directory check-migrations

test-sqlite: install system-deps
	$(PY) -m pytest

# The browser tests run once, on SQLite; everything else runs again on PostgreSQL.
test-postgres: install
	TEST_DATABASE_URL=$(PG_TEST_URL) $(PY) -m pytest -m "not browser"

check-migrations: install
	$(PY) -m samrad.checks migrations --database-url $(PG_TEST_URL)

messages: install
	$(PY) -m samrad.checks extract-messages

# wrk (C, Debian's package) loads the server: a Python client cannot reach the targets on two shared cores.
bench-deps:
	@command -v wrk >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq wrk; }

bench: install bench-deps
	$(PY) -m samrad.bench --record
	$(PY) -m samrad.bench --record --database-url $(PG_TEST_URL)

clean:
	rm -rf $(VENV) data
