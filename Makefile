# Two commands matter: `make run` (local stack) and `make test` (the suite).
# Both create their own virtual environment from the pinned requirements.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

export AWS_DEFAULT_REGION ?= cn-north-1

# The generated clients of the contract test (tests/security/test_generated_clients.py): generators
# and the generated packages' dependencies, apart (openapi-python-client pins another typer).
CLIENTS_VENV  := .venv-clients
CLIENTS_STAMP := $(CLIENTS_VENV)/.installed

SAM_VENV  := .venv-sam
SAM       := $(SAM_VENV)/bin/sam
SAM_STAMP := $(SAM_VENV)/.installed
export SAM_CLI_TELEMETRY = 0

.PHONY: model soak run demo test bench unit integration e2e token clean venv package validate-template lint fmt docs docs-serve wheel

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

# Parallel workers (pytest-xdist), each with its own moto server; the modules that start the whole
# stack share one worker (tests/conftest.py). TEST_WORKERS=0 runs in this process.
TEST_WORKERS ?= 3
test: $(STAMP) $(CLIENTS_STAMP) lint validate-template docs
	$(BIN)/python -m pytest -n $(TEST_WORKERS)

$(CLIENTS_STAMP): requirements-clients.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) on PATH"; exit 1; }
	$(PYTHON) -m venv $(CLIENTS_VENV)
	$(CLIENTS_VENV)/bin/python -m pip install --quiet -r requirements-clients.txt
	@touch $(CLIENTS_STAMP)

# ---- Gates (issue #13): lint, format, types; settings in pyproject.toml ----------------------------
# FORMAT_CHECK=1 also refuses unformatted code (ruff format --check) and long lines (E501, which the
# formatter owns). On: the tree is formatted (`make fmt` formats it); FORMAT_CHECK=0 skips both.
FORMAT_CHECK ?= 1
RUFF_CHECK_FLAGS := $(if $(filter 1,$(FORMAT_CHECK)),,--extend-ignore E501)

# The stack under a generated workload and seeded faults, then the invariants and the figures
# (bench/soak.py; bench/README.md): 20 enterprises on each channel, each with its webhook receiver and,
# on the exchange channel, its agent process. SOAK_FLAGS for larger or longer runs: --declarations,
# --minutes, --enterprises, --seed …
SOAK_FLAGS ?=
soak: $(STAMP)
	$(BIN)/python -m bench.soak $(SOAK_FLAGS)

# The customs channel's protocol, model-checked with spin (model/channel.pml; docs/model.md): every
# configuration's safety and progress runs, and the liveness claim under weak fairness for each.
# make test runs the same searches (tests/model), the costliest fairness runs left out.
model: $(STAMP)
	$(BIN)/python -m tests.model.spin

lint: $(STAMP)
	$(BIN)/ruff check $(RUFF_CHECK_FLAGS) .
ifeq ($(FORMAT_CHECK),1)
	$(BIN)/ruff format --check .
endif
	$(BIN)/mypy

fmt: $(STAMP)
	$(BIN)/ruff check --fix --extend-ignore E501 .
	$(BIN)/ruff format .

# Benchmarks: scripts that print figures (bench/README.md), not tests; about 6½ minutes for all five.
bench: $(STAMP)
	for s in requests_per_declaration throughput time_to_first cold_start query_cost; do $(BIN)/python -m bench.$$s || exit 1; done

# The docs site (mkdocs.yml, docs/): --strict turns a broken link, a missing page or a stale nav into
# a failure; a few seconds. The generated parts come from scripts/generate_docs.py (a test holds them
# current: `.venv/bin/python scripts/generate_docs.py` rewrites them).
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir .local/site

docs-serve: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve --strict --dev-addr 127.0.0.1:8008

# The `smartdecl` wheel (the CLI and the broker-side agent) for a broker's PC: dist/smartdecl-*.whl,
# built from a copy of its packages alone (the service's code is not in it; docs/agent.md installs it).
wheel: $(STAMP)
	rm -rf .local/wheel-src && mkdir -p .local/wheel-src dist
	cp -R pyproject.toml smartdecl_cli smartdecl_client smartdecl_agent .local/wheel-src/
	$(BIN)/python -m pip wheel --quiet --no-deps --no-build-isolation -w dist .local/wheel-src

unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit

integration: $(STAMP)
	$(BIN)/python -m pytest tests/integration

token: $(STAMP)
	$(BIN)/python scripts/issue_token.py $(ARGS)

clean:
	rm -rf $(VENV) $(SAM_VENV) $(CLIENTS_VENV) .pytest_cache .aws-sam .mypy_cache .ruff_cache

# ---- SAM: validate, build, check what ships (issue #15) ------------------------------------
# The SAM CLI lives in its own venv: its pins (boto3, pydantic, aws-sam-translator) conflict with ours.
$(SAM_STAMP): requirements-sam.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) on PATH"; exit 1; }
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet -r requirements-sam.txt
	@touch $(SAM_STAMP)

# Both partitions: a commercial region and China (about 7 s each).
validate-template: $(SAM_STAMP)
	$(SAM) validate --lint --region us-east-1 --template template.yaml
	$(SAM) validate --lint --region cn-north-1 --template template.yaml

# Builds every function and the layer into .aws-sam/build (no Docker: the layer takes the
# manylinux wheels of python3.11), then prints and checks the sizes (scripts/check_package.py).
package: $(STAMP) $(SAM_STAMP)
	rm -rf .aws-sam/build
	$(SAM) build --template template.yaml
	$(BIN)/python scripts/check_package.py .aws-sam/build

# `sam build` calls these (BuildMethod makefile, samconfig.toml: build_in_source): each function
# gets only the code it runs; its dependencies come from DependenciesLayer (layers/dependencies).
# The API also serves the console's static files when console/ exists, and the API page's (api_docs/).
API_CODE    := app.py chalicelib $(wildcard console) $(wildcard api_docs)
WORKER_CODE := functions chalicelib

# Our own code ships compiled (checked-hash .pyc, valid whatever the zip does to timestamps):
# /var/task is read-only, so Lambda could never cache the byte code itself.
define copy-code
	mkdir -p "$(ARTIFACTS_DIR)"
	cp -R $(1) "$(ARTIFACTS_DIR)/"
	find "$(ARTIFACTS_DIR)" -name __pycache__ -prune -exec rm -rf {} +
	$(PYTHON) -m compileall -q --invalidation-mode checked-hash "$(ARTIFACTS_DIR)"
endef

.PHONY: build-ApiFunction
build-ApiFunction:
	$(call copy-code,$(API_CODE))

# Every other function is an SQS or schedule handler in functions/ (Handler functions.<name>.handler).
build-%Function:
	$(call copy-code,$(WORKER_CODE))
