# Every target bootstraps .venv from the pinned requirements first; only Python 3.11+ and make are needed.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: local test lint bench drill snapshots clean

$(STAMP): requirements.txt requirements-dev.txt constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11+ is required")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

local: $(STAMP)
	$(PY) -m local

test: lint
	$(PY) -m pytest

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

bench: $(STAMP)
	$(PY) -m bench

drill: $(STAMP)
	$(PY) -m drill

snapshots: $(STAMP)
	UPDATE_SNAPSHOTS=1 $(PY) -m pytest tests/infra -k snapshot

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis .local
