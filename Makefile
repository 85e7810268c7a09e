# Every target builds .venv from uv.lock first (bootstrap.py: `uv sync --locked`, as `pulumi`
# runs `uv sync` for `toolchain: uv`); only Python 3.11+ and make are needed.
# WEBHOOKS_INSTALLER=pip installs the same pins with pip (constraints.txt).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/.uv/bin/uv
STAMP := $(VENV)/.installed

.PHONY: local test fmt lint typecheck lock reference bench drill snapshots clean

$(STAMP): bootstrap.py pyproject.toml uv.lock
	@$(PYTHON) bootstrap.py
	@touch $(STAMP)

# Flags for the local stack: make local ARGS="--set processor.timeoutSeconds=2 --port 8080"
local: $(STAMP)
	$(PY) -m local $(ARGS)

# Every test (CI then runs make lint typecheck: .ci/run), one file per worker on every core
# (at most 4): most of the suite waits on local stacks, so two cores nearly halve its time.
test: $(STAMP)
	$(PY) -m pytest -n auto --maxprocesses 4 --dist loadfile

# The configuration reference (docs/configuration.md) and Pulumi.yaml's config declarations,
# from the settings' declarations (a test fails when they drift).
reference: $(STAMP)
	$(PY) -m hookgate.components.config_reference --write

fmt: $(STAMP)
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/actionlint

typecheck: $(STAMP)
	$(PY) -m mypy

# After editing pyproject.toml's dependencies: the lock and what is generated from it.
lock: $(STAMP)
	$(UV) lock
	$(UV) export --frozen --all-groups --no-emit-project --no-hashes --output-file constraints.txt
	$(PY) -m hookgate.components.packages uv.lock

bench: $(STAMP)
	$(PY) -m bench

drill: $(STAMP)
	$(PY) -m drill

snapshots: $(STAMP)
	UPDATE_SNAPSHOTS=1 $(PY) -m pytest tests/components -k snapshot

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .hypothesis .local .build policy/venv
