# One target per everyday task. `make run` and `make test` set up what they need.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.13
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/uv/bin/uv
VENV := .venv
STAMP := $(VENV)/.synced
export SPARK_LOCAL_IP ?= 127.0.0.1
export PYSPARK_PYTHON ?= $(abspath $(VENV)/bin/python)
export SAM_CLI_TELEMETRY := 0
export AWS_DEFAULT_REGION ?= eu-west-1
export BC_SKIP_MAPPING := TRUE
ASL := statemachines/pipeline.asl.json
export UV_PYTHON := $(PYTHON)
# Every run, test worker and tool imports PySpark, DuckDB, sqlglot, boto3...: compile them to
# bytecode once, when installed. uv otherwise leaves it to the first import, and nothing is
# ever written where PYTHONDONTWRITEBYTECODE is set (as on this machine, and in many CI
# images): every process compiled them again, 2.6 s instead of 0.9 s of imports here.
export UV_COMPILE_BYTECODE := 1

.PHONY: help run test lint format glue build bench clean check-python check-java venv tools report-screenshot

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

check-python:
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 13)' 2>/dev/null || { \
	  echo "Python 3.13 is required: install it (e.g. 'pyenv install 3.13' or 'apt install python3.13') and put python3.13 on PATH, or run make PYTHON=/path/to/python3.13"; exit 1; }

check-java:
	@java -version 2>&1 | grep -qE 'version "(17|21)' || { \
	  echo "Java 17 is required by Spark: install it (e.g. 'apt install openjdk-17-jre-headless') and put java on PATH"; exit 1; }

$(UV): | check-python
	@$(PYTHON) -m venv $(TOOLS)/uv
	@$(TOOLS)/uv/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# Re-sync only when the project or the lock changed: a second `make test` starts at once.
$(STAMP): pyproject.toml uv.lock Makefile | $(UV)
	@$(UV) sync --frozen --quiet --all-groups
	@touch $@

venv: $(STAMP)

# The report is written whether the run succeeded or not (it shows the failure too).
run: check-java $(STAMP)  ## run the main job: every pending batch from landing to CUSTOMER_360
	@status=0; $(VENV)/bin/telco360 run || status=$$?; $(VENV)/bin/telco360 report; exit $$status

CHROMIUM ?= chromium
# README's picture of the report: `make run` first, then this (needs Debian's chromium).
report-screenshot: $(STAMP)  ## docs/report.png: the local report, drawn by headless Chromium
	$(VENV)/bin/telco360 report
	$(CHROMIUM) --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1100,1500 \
	  --screenshot=docs/report.png file://$(abspath .telco360/report.html) 2>/dev/null

# schemachange (the Snowflake deploy tool) in its own venv: the tests render snowflake/ with it,
# offline, to prove what a second deploy would re-apply. Not an app dependency.
SCHEMACHANGE := $(TOOLS)/schemachange/.installed

test: check-java $(STAMP) $(SCHEMACHANGE)  ## run the whole test suite
	$(VENV)/bin/pytest -n 2 --dist loadscope --no-loadscope-reorder  # two workers on 2 cores (bench/README.md, "The test suite")

bench: check-java $(STAMP) build  ## benchmarks (minutes): writes bench/results/latest.{md,json,png}
	$(VENV)/bin/python bench/run_bench.py

# AWS tools, each in its own venv under .tools/ (aws-sam-cli and checkov pin conflicting
# boto3 versions), pinned by tools/*-requirements.txt; ASL linters pinned by package-lock.json.
$(TOOLS)/%/.installed: tools/%-requirements.txt Makefile | $(UV)
	@$(UV) venv --quiet --allow-existing --python $(PYTHON) $(TOOLS)/$*
	@$(UV) pip sync --quiet --python $(TOOLS)/$*/bin/python $<
	@touch $@

node_modules/.installed: package.json package-lock.json
	@npm ci --no-audit --no-fund --silent
	@touch $@

AWS_TOOLS := $(TOOLS)/sam/.installed $(TOOLS)/cfn-lint/.installed $(TOOLS)/checkov/.installed node_modules/.installed

tools: $(AWS_TOOLS)  ## install the pinned AWS lint/build tools into .tools/ and node_modules/

lint: $(STAMP) $(AWS_TOOLS)  ## static checks: ruff, SAM, cfn-lint, two ASL linters, checkov
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(TOOLS)/sam/bin/sam validate --lint
	$(TOOLS)/cfn-lint/bin/cfn-lint template.yaml
	node_modules/.bin/asl-validator --json-path $(ASL)
	node_modules/.bin/statelint $(ASL)
	$(TOOLS)/checkov/bin/checkov --quiet --compact --framework cloudformation -f template.yaml

# The function and layer Makefiles compile bytecode, which must come from python3.13: hand them
# this interpreter by path (SAM runs them from a scratch dir, where a pyenv shim may resolve
# to another version).
build: $(TOOLS)/sam/.installed  ## sam build (no Docker needed): Lambdas for python3.13/arm64 + contract layer
	PYTHON="$$($(PYTHON) -c 'import sys; print(sys.executable)')" $(TOOLS)/sam/bin/sam build

format: $(STAMP)  ## apply ruff's formatting and safe fixes
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

glue: $(STAMP)  ## regenerate glue/*.py (the file per job Glue uploads) from src/telco360
	$(VENV)/bin/telco360 glue

clean:  ## remove the local lake, warehouse and build output
	rm -rf .telco360 .aws-sam
