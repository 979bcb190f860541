# Samråd: `make run` serves the demo on SQLite; `make test` installs everything and runs the checks.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/test

.PHONY: run test test-postgres check-migrations install system-deps lint messages bench clean

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

test: install system-deps lint
	$(PY) -m pytest

test-postgres: install system-deps
	TEST_DATABASE_URL=$(PG_TEST_URL) $(PY) -m pytest

check-migrations: install
	$(PY) -m samrad.checks migrations --database-url $(PG_TEST_URL)

messages: install
	$(PY) -m samrad.checks extract-messages

bench: install
	$(PY) -m samrad.bench
	$(PY) -m samrad.bench --database-url $(PG_TEST_URL)

clean:
	rm -rf $(VENV) data
