# Every target bootstraps .venv from the pinned requirements first; only Python 3.11+ and make are needed.
# WEBHOOKS_INSTALLER=pip forces the pip path.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: local test lint bench drill snapshots clean

# uv when it can be installed, else pip (bootstrap.py says which, and why); same pins either way.
$(STAMP): bootstrap.py requirements-bootstrap.txt requirements.txt requirements-dev.txt constraints.txt
	@$(PYTHON) bootstrap.py
	@touch $(STAMP)

# Flags for the local stack: make local ARGS="--set processor.timeoutSeconds=2 --port 8080"
local: $(STAMP)
	$(PY) -m local $(ARGS)

# The tests first (a first run is running them within seconds), then everything make lint checks.
test: $(STAMP)
	$(PY) -m pytest
	@$(MAKE) --no-print-directory lint

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	$(VENV)/bin/actionlint

bench: $(STAMP)
	$(PY) -m bench

drill: $(STAMP)
	$(PY) -m drill

snapshots: $(STAMP)
	UPDATE_SNAPSHOTS=1 $(PY) -m pytest tests/components -k snapshot

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis .local policy/venv
