# gpt-google-auth: `make install && make dev` runs it locally, `make install && make test` tests it.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Python 3.13 from PATH, else from pyenv (Lambda's runtime is python3.13).
ifndef PYTHON313
PYTHON313 := $(shell for p in python3.13 $$(ls -d "$$(pyenv root 2>/dev/null)"/versions/3.13*/bin/python3.13 2>/dev/null); do \
	"$$p" -c 'import sys; assert sys.version_info[:2] == (3, 13)' 2>/dev/null && { command -v "$$p"; break; }; done)
endif
VENV := .venv
PY := $(VENV)/bin/python
SAM_VENV := .venv-sam
SAM := $(SAM_VENV)/bin/sam
# sam build looks up python3.13 on PATH.
SAM_PATH := $(dir $(PYTHON313)):$(PATH)
export SAM_CLI_TELEMETRY := 0
# sam's advice that does not apply here, dropped from what it prints: "CDK apps are not officially
# supported" (sam takes manifest.json, the GPT's action schema, for a CDK file), "requirements.txt
# file not found" (the functions' dependencies ship in layers, layers/Makefile) and sam build's
# "Commands you can use next" (deploy with make deploy, which also builds).
SAM_QUIET := awk '/CDK apps are not officially supported|alternative command: cdk doctor|requirements\.txt file not found/ {next} \
	/^Commands you can use next/ {skip = 1} !skip {print; fflush()}'

.PHONY: help install install-browser dev test lint format typecheck validate pytest build bench loadtest manifest deploy doctor outputs invoke revoke clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements-dev.txt layers/base-requirements.txt layers/google-requirements.txt pyproject.toml
	@test -n "$(PYTHON313)" || { echo "python3.13 not found: install it (e.g. 'pyenv install 3.13.0') or set PYTHON313=/path/to/python3.13"; exit 1; }
	test -x $(PY) || $(PYTHON313) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	# The project itself, editable: gpt_auth, functions, localdev, benchmarks and tests import from here.
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

$(SAM_VENV)/.installed: requirements-sam.txt
	test -x $(SAM_VENV)/bin/python || $(PYTHON313) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-sam.txt
	touch $@

# tests/node: Node 22, the MCP conformance suite and the TypeScript SDK, for the MCP client tests.
MCP_NODE := tests/node
$(MCP_NODE)/node_modules/.package-lock.json: $(MCP_NODE)/package-lock.json $(MCP_NODE)/package.json
	@command -v npm >/dev/null || { echo "npm not found: install Node.js 18 or newer with npm (tests/node brings its own Node 22)"; exit 1; }
	cd $(MCP_NODE) && npm ci --no-audit --no-fund --loglevel=error

install: $(VENV)/.installed $(SAM_VENV)/.installed $(MCP_NODE)/node_modules/.package-lock.json ## Create .venv (dev deps), .venv-sam (SAM CLI) and tests/node (npm ci), pinned; idempotent

# Debian's chromium package (the browser tests drive it through playwright; never `playwright install`).
install-browser: ## Install Chromium for the browser tests (apt-get; root or sudo), if missing
	@if command -v chromium >/dev/null 2>&1; then echo "chromium is installed: $$(command -v chromium)"; \
	elif command -v apt-get >/dev/null 2>&1; then \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; \
	else echo "Install Chromium with your package manager, or set CHROMIUM=/path/to/chromium (see docs/testing.md, 'Browser test')."; exit 1; fi

dev: $(VENV)/.installed ## Run the whole system locally on 127.0.0.1:3000 (PORT=... to change): no AWS or Google needed
	$(PY) -m localdev.dev

test: lint typecheck validate pytest ## Lint, type-check, validate the template, run the test suite

lint: $(VENV)/.installed ## ruff check and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed ## Reformat the code
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

typecheck: $(VENV)/.installed ## mypy over shared/, functions/ and localdev/
	$(VENV)/bin/mypy

validate: $(SAM_VENV)/.installed ## sam validate --lint (offline)
	@set -o pipefail; $(SAM) validate --lint 2>&1 | $(SAM_QUIET)

pytest: $(VENV)/.installed ## The test suite only (exit 5, no tests collected, is a failure)
	@$(VENV)/bin/pytest $(PYTEST_ARGS); status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests: the set-up is broken" >&2; exit 1; fi; exit $$status

build: $(SAM_VENV)/.installed ## sam build (needs python3.13, found through pyenv when not on PATH)
	@set -o pipefail; PATH="$(SAM_PATH)" $(SAM) build 2>&1 | $(SAM_QUIET)

loadtest: $(VENV)/.installed ## Bounded load on make dev's server, loopback only: p50/p99, errors, lost sessions (LOADTEST_ARGS="--users 20 --duration 60")
	@$(PY) -m localdev.loadtest $(LOADTEST_ARGS)

NODE_REFS := benchmarks/node
$(NODE_REFS)/node_modules/.package-lock.json: $(NODE_REFS)/package-lock.json
	cd $(NODE_REFS) && npm ci --no-audit --no-fund

bench: build $(NODE_REFS)/node_modules/.package-lock.json ## Cold start, RSS, warm latency, zip sizes vs the Node references (BENCH_ARGS="--runs 15"; BASELINE=<commit> measures it too)
	$(PY) -m benchmarks.run --python "$(PYTHON313)" $(if $(BASELINE),--baseline '$(BASELINE)') $(BENCH_ARGS)

# Guided while samconfig.toml saves no parameter_overrides (the first deploy from a clone);
# GUIDED=1 or GUIDED=0 decides instead. PARAMS='Key=Value ...' passes parameter overrides.
GUIDED ?= $(if $(shell grep -qs '^parameter_overrides' samconfig.toml && echo saved),0,1)

deploy: build $(VENV)/.installed ## sam build, sam deploy (guided the first time; GUIDED=0|1, PARAMS='Key=Value ...'), then what to paste
	PATH="$(SAM_PATH)" $(SAM) deploy $(if $(filter 1,$(GUIDED)),--guided) \
		$(if $(PARAMS),--parameter-overrides '$(PARAMS)') 2> >($(SAM_QUIET) >&2)
	@echo; $(PY) -m localdev.after_deploy

# `make doctor [STACK=] [REGION=] [CALLBACK=<the GPT's callback>] [GPT_CLIENT_ID=] [MANIFEST=]`, or
# LOCAL=http://127.0.0.1:3000 for make dev. GPT_CLIENT_ID counts only from make's command line.
DOCTOR_CLIENT := $(if $(filter command line,$(origin GPT_CLIENT_ID)),$(GPT_CLIENT_ID))

doctor: $(VENV)/.installed ## Check the deployed stack from outside, as the GPT and Google see it; each problem with its fix
	@$(PY) -m localdev.doctor $(if $(STACK),--stack '$(STACK)') $(if $(REGION),--region '$(REGION)') \
		$(if $(LOCAL),--local '$(LOCAL)') $(if $(CALLBACK),--callback '$(CALLBACK)') \
		$(if $(DOCTOR_CLIENT),--gpt-client-id '$(DOCTOR_CLIENT)') $(if $(MANIFEST),--manifest '$(MANIFEST)')

outputs: $(VENV)/.installed ## Print the deployed stack's outputs (STACK=, REGION= override samconfig.toml)
	@$(PY) -m localdev.stack_outputs $(if $(STACK),--stack '$(STACK)') $(if $(REGION),--region '$(REGION)')

invoke: $(VENV)/.installed ## Run a handler in-process on EVENT=events/<file>.json (FN= optional); no EVENT: check all
	@$(PY) -m localdev.invoke $(if $(EVENT),--event '$(EVENT)') $(if $(FN),--function '$(FN)')

# USER is also the login name in every shell: only a USER given on make's command line counts.
REVOKE_USER := $(if $(filter command line,$(origin USER)),$(USER))

revoke: $(VENV)/.installed ## Revoke every session of USER=<email or sub> and/or CLIENT=<GPT client id>
	@$(PY) -m localdev.revoke $(if $(REVOKE_USER),--user '$(REVOKE_USER)') $(if $(CLIENT),--client '$(CLIENT)')

# `make manifest [STACK=<stack>] [REGION=<region>]` (default: samconfig.toml's), `make manifest
# PLACEHOLDER=1` (the committed placeholder manifest, no stack), or with
# AUTHORIZATION_URL, TOKEN_URL and ACTION_URL instead of a stack.
manifest: $(VENV)/.installed ## Write manifest.json and gpt-instructions.md from the declared actions and the stack's outputs (or three URLs, or PLACEHOLDER=1)
	@$(PY) -m localdev.manifest write $(if $(PLACEHOLDER),--placeholder) \
		$(if $(STACK),--stack "$(STACK)") $(if $(REGION),--region "$(REGION)") \
		$(if $(AUTHORIZATION_URL),--authorization-url "$(AUTHORIZATION_URL)") \
		$(if $(TOKEN_URL),--token-url "$(TOKEN_URL)") $(if $(ACTION_URL),--action-url "$(ACTION_URL)")

clean: ## Remove build output and caches (keeps the virtualenvs)
	rm -rf .aws-sam .pytest_cache .mypy_cache .ruff_cache test-output
