# Two commands matter: `make run` (local stack) and `make test` (the suite).
# Both create their own virtual environment from the pinned requirements.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

export AWS_DEFAULT_REGION ?= cn-north-1

.PHONY: run demo test bench unit integration e2e token clean venv

venv: $(STAMP)

# Last, the `smartdecl` CLI (pyproject.toml), editable; without build isolation: setuptools comes with
# the venv, so nothing is fetched.
$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) on PATH"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip<26.3"  # chalice 1.34 requires pip<26.3
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m infra.local_stack

demo: $(STAMP)
	$(BIN)/python -m infra.local_stack --demo

test: $(STAMP)
	$(BIN)/python -m pytest

# Benchmarks: scripts that print figures (bench/README.md), not tests; about 6½ minutes for all five.
bench: $(STAMP)
	for s in requests_per_declaration throughput time_to_first cold_start query_cost; do $(BIN)/python -m bench.$$s || exit 1; done

unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit

integration: $(STAMP)
	$(BIN)/python -m pytest tests/integration

token: $(STAMP)
	$(BIN)/python scripts/issue_token.py $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache
