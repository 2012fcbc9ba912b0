# How SAM builds each Lambda (BuildMethod: makefile); included by functions/<name>/Makefile.
#
# It does what SAM's own pip builder does (the function's requirements, as wheels for the
# Lambda platform: python3.13 on arm64) and one thing that builder does not: it ships
# bytecode. /var/task is read-only, so without .pyc files Python compiles every module it
# imports from source on every cold start and can never cache the result (about half of the
# pre-flight import, see bench/). The .pyc files are hash-checked (PEP 552) because SAM zips
# every file with a 1980 timestamp, which would make timestamp-checked .pyc stale on arrival;
# a source that does not match its .pyc is still recompiled, so stale code never runs.
PYTHON ?= python3.13
FUNCTION_DIR := $(abspath $(dir $(firstword $(MAKEFILE_LIST))))

build-%:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 13) else "bytecode must come from the runtime version: run with PYTHON=<python3.13>")'
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --no-compile \
	  --target "$(ARTIFACTS_DIR)" --platform manylinux2014_aarch64 --implementation cp \
	  --python-version 3.13 --only-binary=:all: --requirement "$(FUNCTION_DIR)/requirements.txt"
	cp "$(FUNCTION_DIR)/app.py" "$(ARTIFACTS_DIR)/app.py"
	$(PYTHON) -m compileall -q -j 0 --invalidation-mode checked-hash \
	  -s "$(ARTIFACTS_DIR)" -p /var/task "$(ARTIFACTS_DIR)"
