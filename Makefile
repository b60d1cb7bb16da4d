# The single entry point. `make demo` sets up and runs the desk; `make test` runs the whole suite.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The deploy's checking tools (cfn-lint, the SAM translator) live apart: their pins never meet the app's.
INFRA_VENV := .venv-infra
INFRA_STAMP := $(INFRA_VENV)/.installed
# Python 3.13 is required (the Lambda runtime is taken from the packaging interpreter).
PYTHON313 := $(shell PYENV_VERSION=3.13.0 command -v python3.13 2>/dev/null || command -v python3.13 2>/dev/null)

.PHONY: help setup infra-tools lock-infra browser test lint deploy format local demo bench train language-model cost lock clean

help:
	@echo "make local   set up and run the whole desk on this machine (moto, SMTP, API, console)"
	@echo "make demo    a story on the local stack: mail in, answers, a survey a day later"
	@echo "make test    run the whole test suite (sets up first when needed)"
	@echo "make lint    ruff format --check, ruff check, mypy"
	@echo "make bench   run the benchmarks, numbers into bench/results/"
	@echo "make train   retrain the category model from the corpora"
	@echo "make setup   create .venv (Python 3.13) and install pinned dependencies"

setup: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt constraints.txt pyproject.toml
	@if [ -z "$(PYTHON313)" ]; then \
	  echo "Python 3.13 was not found. Install it (for example 'pyenv install 3.13.0' or your"; \
	  echo "distribution's python3.13 package) and run make again."; exit 1; fi
	@test -x $(PY) || PYENV_VERSION=3.13.0 $(PYTHON313) -m venv $(VENV)
	@$(PY) -c 'import sys; assert sys.version_info[:2] == (3, 13), sys.version' || \
	  { echo ".venv is not Python 3.13: remove it (make clean) and run make again."; exit 1; }
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

infra-tools: $(INFRA_STAMP)

$(INFRA_STAMP): infra/requirements.txt infra/constraints.txt
	@test -x $(INFRA_VENV)/bin/python || PYENV_VERSION=3.13.0 $(PYTHON313) -m venv $(INFRA_VENV)
	$(INFRA_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r infra/requirements.txt -c infra/constraints.txt
	@touch $(INFRA_STAMP)

# Three workers on two cores: many tests wait on a moto server, a stack's processes or a browser more
# than on CPU, and a third worker keeps both cores busy meanwhile (four made the whole run slower).
# Work stealing: the slow end-to-end tests sit together in the collection order, and plain load
# scheduling handed them all to one worker while the other two sat idle for minutes (6 min 0 s vs
# 4 min 38 s for the same tests here).
test: setup browser infra-tools
	$(PY) -m pytest -n 3 --dist worksteal

# The console tests drive Debian's Chromium through Playwright (which never downloads a browser).
# Installed here when the machine allows it; otherwise those tests are skipped and say why.
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian's chromium for the console tests"; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 || \
	      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }; \
	  else \
	    echo "chromium is not installed and cannot be installed here: the console tests will be skipped"; \
	  fi; \
	fi

lint: setup
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	# The Chalice app lives outside the package; check it on its own (it imports the package).
	MYPYPATH=shared $(VENV)/bin/mypy --strict functions/app.py

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# The whole desk on this machine, in the foreground until Ctrl-C.
local: setup
	$(VENV)/bin/postdesk local

demo: setup
	$(VENV)/bin/postdesk demo

# Only the dry run exists so far: build the package and the final template, validate, print the
# plan and the DNS records (no AWS credentials needed).
# make deploy STAGE=prod DOMAIN=support.example.com [REGION=eu-west-1] [DRY_RUN=1] [DEPLOY_ARGS="--team-address ..."]
STAGE ?= dev
DOMAIN ?=
REGION ?= eu-west-1
deploy: setup infra-tools
	@if [ -z "$(DOMAIN)" ]; then echo "make deploy STAGE=dev DOMAIN=support.example.com [DRY_RUN=1]"; exit 2; fi
	$(PY) -m postdesk_tools.deploy --stage $(STAGE) --domain $(DOMAIN) --region $(REGION) $(if $(DRY_RUN),--dry-run,) $(DEPLOY_ARGS)

# The peers and tools that benchmarks compare against are installed for benchmarks only.
bench: setup
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-bench.txt -c constraints.txt
	$(PY) -m bench

# Retrain the category model from the labelled corpora (../shared/corpora or POSTDESK_CORPORA).
train: setup
	$(PY) -m postdesk_tools.train_category

# Rebuild the shipped language model from py3langid's (byte for byte the same file each time).
language-model: setup
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-bench.txt -c constraints.txt
	$(PY) -m postdesk_tools.build_language_model

# What the stack costs per 1,000 mails, from the API calls the tests count (docs/cost/api-calls.json).
cost: setup
	$(PY) -m postdesk_tools.cost

# Rewrite constraints.txt from what is installed now (after a deliberate upgrade).
lock: setup
	@{ echo "# Every package version, transitive ones included, that setup may install (pip -c): the lock."; \
	   echo "# Regenerate on purpose after changing a requirements file: make lock"; \
	   $(PY) -m pip freeze --exclude-editable | grep -v '^-e'; } > constraints.txt

lock-infra: infra-tools
	@{ echo "# Every version the infra tools' virtualenv may install (pip -c); regenerate with make lock-infra."; \
	   $(INFRA_VENV)/bin/python -m pip freeze; } > infra/constraints.txt

clean:
	rm -rf $(VENV) $(INFRA_VENV) .mypy_cache .ruff_cache .pytest_cache
