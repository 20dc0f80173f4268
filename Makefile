# The two commands a newcomer needs:
#   make serve   install everything into .venv and serve the bundled API on http://127.0.0.1:4010
#   make test    install everything (with test extras) into .venv and run ruff and the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: serve test install install-test browser

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'

# Bytecode written once here: an editable install run with PYTHONDONTWRITEBYTECODE set would compile every
# module at every start (a quarter of a second).
serve: install
	$(BIN)/python -m compileall -q mockserver fixtures
	$(BIN)/mockserver serve openapi --fixtures fixtures --host 127.0.0.1 --port 4010

test: install-test browser
	$(BIN)/ruff check mockserver tests benchmarks
	$(BIN)/python -m pytest -n 2 -q

# The real-browser tests (tests/browser) need Debian's chromium: installed when missing (the CI machines
# run as root); without it (no root, not Debian) those tests are skipped, saying why.
browser:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq chromium) >/dev/null 2>&1 || echo "chromium could not be installed: browser tests will be skipped"
