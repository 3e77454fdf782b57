# Two commands set everything up from nothing: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON     ?= $(shell command -v python3.11 || command -v python3)
VENV       := .venv
PY         := $(VENV)/bin/python
LAKEHOUSE  := $(VENV)/bin/lakehouse
INSTALLED  := $(VENV)/.installed
LAKE_ROOT  ?= .lake
SEED       ?= 42
SCALE      ?= 1
# One date for the whole `make run`, so a run across midnight stays consistent.
BATCH_DATE ?= $(shell date -u +%F)
# A DQ-failure scenario to land with the batch: bronze-dq-fail or gold-dq-fail (see README).
SCENARIO   ?=
PYTEST_ARGS ?=

export LAKE_ROOT
export PYSPARK_PYTHON := $(abspath $(PY))
export SPARK_LOCAL_IP := 127.0.0.1

.PHONY: help install run data workflow test lint contracts-lint format unit e2e package glue-docker sql clean bench-dq bench-ingest bench \
        suite cfn-tools validate validate-cfn-lint validate-checkov validate-sam render deploy deploy-plan

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(INSTALLED): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is required (found " + sys.version.split()[0] + "); set PYTHON=/path/to/python3.11")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	$(PY) -m lakehouse.java --install
	@touch $@

install: $(INSTALLED) ## create .venv with pinned packages and a Java 17

data: $(INSTALLED) ## generate the sample data into the landing zone (SCALE, SEED, BATCH_DATE, SCENARIO)
	$(LAKEHOUSE) generate --lake-root $(LAKE_ROOT) --scale $(SCALE) --seed $(SEED) --date $(BATCH_DATE) \
	  $(if $(SCENARIO),--scenario $(SCENARIO))

# With a SCENARIO the gate is meant to stop the run: say so and succeed; otherwise pass the exit code on.
workflow: $(INSTALLED) ## run the daily workflow locally for BATCH_DATE
	@$(LAKEHOUSE) workflow run daily_batch --lake-root $(LAKE_ROOT) --batch-date $(BATCH_DATE); code=$$?; \
	if [ -n "$(SCENARIO)" ] && [ $$code -eq 1 ]; then \
	  echo "scenario $(SCENARIO): the DQ gate stopped the run as intended (workflow exit code 1)"; exit 0; fi; \
	exit $$code

run: data workflow ## set up, generate sample data and run the daily workflow locally

lint: $(INSTALLED) ## ruff lint and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(INSTALLED) ## apply ruff formatting and safe fixes
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# datacontract-cli lives in its own venv: its pinned dependencies would clash with the project's.
DC_VENV    := .tools/datacontract-venv
DC_STAMP   := $(DC_VENV)/.installed

$(DC_STAMP): tools/requirements-datacontract.txt
	@test -x $(DC_VENV)/bin/python || $(PYTHON) -m venv $(DC_VENV)
	$(DC_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r tools/requirements-datacontract.txt
	@touch $@

contracts-lint: $(DC_STAMP) ## `datacontract lint` every contract: ODCS v3 schema, 0 errors and 0 warnings
	@for f in contracts/*.yaml; do \
	  out=$$($(DC_VENV)/bin/datacontract lint "$$f" 2>&1); code=$$?; \
	  if [ $$code -ne 0 ] || ! grep -q "Data contract is valid" <<<"$$out" || grep -qi "warning" <<<"$$out"; then \
	    echo "$$out"; echo "datacontract lint failed: $$f"; exit 1; fi; \
	  echo "datacontract lint: $$f ok"; \
	done

# From nothing the venvs install side by side; then validate (whose first run installs
# cfn-lint, checkov and the SAM CLI, a few minutes) runs beside the pytest suite.
test: ## the whole suite: lint, contracts-lint, validate, pytest
	@$(MAKE) --no-print-directory -j3 $(INSTALLED) $(DC_STAMP)
	@$(MAKE) --no-print-directory lint contracts-lint
	@$(MAKE) --no-print-directory -j2 validate suite

suite: $(INSTALLED) ## the pytest suite alone (two workers)
	$(VENV)/bin/pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

unit: $(INSTALLED) ## fast tests only
	$(VENV)/bin/pytest tests/unit $(PYTEST_ARGS)

package: $(INSTALLED) ## build dist/lakehouse.zip (--extra-py-files) and dist/glue_jobs/*.py
	$(PY) -m lakehouse.package --out dist

# ---------------------------------------------------------------- AWS (docs/deploy.md)
ENV         ?= dev
ALERT_EMAIL ?=
# The CloudFormation templates: every cloudformation/*.yaml except the two data files tests read.
TEMPLATES   := $(filter-out cloudformation/access-matrix.yaml cloudformation/iam-wildcard-allowlist.yaml,\
                 $(wildcard cloudformation/*.yaml))
# cfn-lint, checkov and the SAM CLI each live in a venv of their own (.tools/<tool>-venv, from the
# pinned tools/requirements-<tool>.txt), like datacontract-cli: their dependencies clash.
CFN_TOOLS   := cfn-lint checkov sam
CFN_STAMPS  := $(foreach t,$(CFN_TOOLS),.tools/$(t)-venv/.installed)
SAM_STAMP   := .tools/sam-venv/.installed
CFN_LINT    := .tools/cfn-lint-venv/bin/cfn-lint
CHECKOV     := .tools/checkov-venv/bin/checkov
SAM         := .tools/sam-venv/bin/sam
export SAM_CLI_TELEMETRY := 0
# Sub-makes run their targets in parallel: with -j3 of their own, or in the caller's job slots
# when it was started with -j (a second -j would only warn and reset the job server).
SUBMAKE      = $(MAKE) --no-print-directory $(if $(findstring jobserver,$(MAKEFLAGS)),,-j3)

.tools/%-venv/.installed: tools/requirements-%.txt
	@echo "installing $* into .tools/$*-venv ($<)"
	@test -x .tools/$*-venv/bin/python || $(PYTHON) -m venv .tools/$*-venv
	@.tools/$*-venv/bin/python -m pip install --quiet --disable-pip-version-check --no-compile -r $<
	@touch $@

# The three installs take a while from nothing (CI): the missing ones run in parallel.
cfn-tools: ## install cfn-lint, checkov and the SAM CLI into .tools/ (once)
	+@$(MAKE) --no-print-directory -q $(CFN_STAMPS) || $(SUBMAKE) -s $(CFN_STAMPS)

validate: cfn-tools ## every template: cfn-lint 0 errors/0 warnings, checkov 0 failed, sam validate --lint
	@test -n "$(TEMPLATES)" || { echo "validate: no templates in cloudformation/"; exit 1; }
	+@$(SUBMAKE) --output-sync=target validate-cfn-lint validate-checkov validate-sam

# cfn-lint's exit code is a bit set (2 errors, 4 warnings, 8 informational): warnings fail too.
validate-cfn-lint:
	@$(CFN_LINT) --non-zero-exit-code warning -- $(TEMPLATES) \
	  && echo "cfn-lint: $(words $(TEMPLATES)) templates, 0 errors, 0 warnings"

# --skip-download: no call to the Prisma Cloud API (offline it prints a long traceback).
validate-checkov:
	@$(CHECKOV) --framework cloudformation --quiet --compact --skip-download \
	  $(addprefix -f ,$(TEMPLATES))

# sam validate --lint needs no AWS credentials (it translates SAM locally and runs cfn-lint) and
# takes one template per call: they run side by side.
validate-sam:
	@printf '%s\n' $(TEMPLATES) | xargs -P 0 -I{} $(SAM) validate --lint --region us-east-1 -t {}

render: $(INSTALLED) ## re-render the generated templates (cloudformation/jobs.yaml, catalog.yaml)
	$(PY) -m lakehouse.deploy.render

# Both need AWS credentials; without them they stop at once with one line (docs/deploy.md).
# Both check the credentials before installing the SAM CLI, so without them they stop at once.
deploy: $(INSTALLED) ## deploy ENV=dev|prod to the account of your AWS credentials (ALERT_EMAIL=you@...)
	@$(PY) -m lakehouse.deploy.release credentials --env $(ENV) --for deploy
	@$(MAKE) --no-print-directory -s $(SAM_STAMP)
	@$(PY) -m lakehouse.deploy.release deploy --env $(ENV) $(if $(ALERT_EMAIL),--alert-email $(ALERT_EMAIL))

deploy-plan: $(INSTALLED) ## show what `make deploy ENV=...` would change (CloudFormation change sets)
	@$(PY) -m lakehouse.deploy.release credentials --env $(ENV) --for plan
	@$(MAKE) --no-print-directory -s $(SAM_STAMP)
	@$(PY) -m lakehouse.deploy.release plan --env $(ENV) $(if $(ALERT_EMAIL),--alert-email $(ALERT_EMAIL))

sql: $(INSTALLED) ## run a query on the local catalog: make sql Q="select ..."
	$(LAKEHOUSE) sql --lake-root $(LAKE_ROOT) "$(Q)"

glue-docker: $(INSTALLED) ## run one job in the public.ecr.aws/glue/aws-glue-libs:5 image: make glue-docker JOB=<name>
	@test -n "$(JOB)" || { echo "usage: make glue-docker JOB=<job name> [ARGS='--batch_date 2026-01-01']"; exit 2; }
	$(LAKEHOUSE) glue-docker $(JOB) $(if $(DRY_RUN),--dry-run) -- $(ARGS)

clean: ## remove the local lake and build outputs (keeps .venv)
	rm -rf $(LAKE_ROOT) dist build

# ---------------------------------------------------------------- benchmarks (see bench/README.md)
GX_VENV    := .tools/gx-venv
GX_PY      := $(GX_VENV)/bin/python
GX_STAMP   := $(GX_VENV)/.installed
BENCH_ARGS ?=

# Great Expectations lives in its own venv so its dependencies never touch the project's.
$(GX_STAMP): bench/requirements-gx.txt
	@test -x $(GX_PY) || $(PYTHON) -m venv $(GX_VENV)
	$(GX_PY) -m pip install --quiet --disable-pip-version-check -r bench/requirements-gx.txt
	@touch $@

bench-dq: $(INSTALLED) $(GX_STAMP) ## DQ benchmark, 1M rows: DQDL engine vs hand-written agg vs GX (BENCH_ARGS=--smoke)
	$(PY) bench/dq_bench.py --rows 1000000 --gx-python $(GX_PY) $(BENCH_ARGS)

bench-ingest: $(INSTALLED) ## ingest benchmark, SF 1: contract enforcement vs plain Spark read + write (BENCH_ARGS=--smoke)
	$(PY) bench/ingest_bench.py $(BENCH_ARGS)

bench: bench-dq bench-ingest ## every benchmark
