# The two commands a newcomer needs:
#   make serve   install into .venv (the first time, and when pyproject.toml changes), then serve the
#                bundled API on http://127.0.0.1:4010 (about 40 s the first time, 2 s after that)
#   make test    install with the test extras, plus Debian's chromium and redis-server when missing, then
#                ruff, mypy and the whole test suite (about 4 minutes on 2 cores)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: serve test install install-test browser redis

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamps: pip runs again only when pyproject.toml is newer than the last install.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

# Bytecode written once here: an editable install run with PYTHONDONTWRITEBYTECODE set would compile every
# module at every start (a quarter of a second).
serve: install
	@$(BIN)/python -m compileall -q mockserver fixtures
	$(BIN)/mockserver serve openapi --fixtures fixtures --host 127.0.0.1 --port 4010

test: install-test browser redis
	@echo "make test: ruff, mypy, then pytest on 2 workers (about 4 minutes on 2 cores)"
	$(BIN)/ruff check mockserver tests benchmarks
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2 -q -rfEs --durations=15

# The real-browser tests (tests/browser) need Debian's chromium: installed when missing (the CI machines
# run as root); without it (no root, not Debian) those tests are skipped, saying why.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "make test: installing Debian's chromium for the browser tests (tests/browser), once"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1 \
		|| echo "make test: chromium could not be installed: the browser tests will be skipped"; }

# The shared-state tests (tests/test_state_redis.py) start their own redis-server: Debian's, installed when
# missing; without it (no root, not Debian) those tests are skipped, saying why.
redis:
	@command -v redis-server >/dev/null 2>&1 || { \
		echo "make test: installing Debian's redis-server for the shared-state tests (tests/test_state_redis.py), once"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server) >/dev/null 2>&1 \
		|| echo "make test: redis-server could not be installed: the shared-state tests will be skipped"; }
