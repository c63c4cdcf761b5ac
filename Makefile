# Argus — every target sets itself up in .venv from pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR ?= .demo/orders-service
JIT_DATA ?= ../shared/data/jit

.PHONY: demo test lint typecheck train bench clean help octokit-openapi

help:
	@echo "make demo   - build the example repository and review its risky change"
	@echo "make vsix   - build the VS Code extension into vscode-extension/argus-<version>.vsix"
	@echo "make test   - lint, type-check and run the test suite"
	@echo "make dist   - build the sdist and wheel into dist/"
	@echo "make train  - retrain the shipped risk model from benchmarks/history_corpus"
	@echo "make bench  - run the benchmarks (needs $(JIT_DATA))"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@# The distribution was called "argus" before 0.1.0 shipped as argus-pr; an old editable
	@# install left in .venv would shadow this checkout's code.
	@$(BIN)/python -m pip uninstall --quiet --yes argus > /dev/null 2>&1 || true
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@# Byte-compile once: start-up matters for a CLI, even where PYTHONDONTWRITEBYTECODE is set.
	$(BIN)/python -m compileall -q argus > /dev/null
	@touch $(STAMP)

demo: system-deps $(STAMP)
	$(BIN)/python scripts/make_demo_repo.py --out $(DEMO_DIR) --force
	@# The demo's team opts in to the rules its planted defects need (kept out of the change).
	cp examples/demo-argus.yml $(DEMO_DIR)/.argus.yml
	echo .argus.yml >> $(DEMO_DIR)/.git/info/exclude
	cd $(DEMO_DIR) && $(CURDIR)/$(BIN)/argus review --base main

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@# One run: argus.core is strict ([[tool.mypy.overrides]] in pyproject.toml), the rest is not.
	$(BIN)/mypy argus
	$(BIN)/lint-imports

# The official SARIF validator (a self-contained binary from npm) checks our SARIF in the tests.
SARIF_TOOL := tools/sarif/node_modules/@microsoft/sarif-multitool/package.json
$(SARIF_TOOL):
	npm install --prefix tools/sarif --no-audit --no-fund --loglevel=error @microsoft/sarif-multitool@5.7.0

# GitHub's OpenAPI descriptions (REST and webhooks): the local GitHub stand-ins check every
# request, response and webhook payload of the tests against them (tests/servers/github_contract.py).
OCTOKIT_OPENAPI := tools/octokit/node_modules/@octokit/openapi-webhooks/package.json
$(OCTOKIT_OPENAPI):
	npm install --prefix tools/octokit --no-audit --no-fund --loglevel=error @octokit/openapi@23.0.2 @octokit/openapi-webhooks@12.1.0
octokit-openapi: $(OCTOKIT_OPENAPI)

# The VS Code extension: vsix (type-check, lint, unit tests, bundle, package), vscode-e2e.
include make/vscode.mk
include make/system.mk
vscode-e2e: $(STAMP)
vscode-wheel: $(STAMP)

test: system-deps lint $(STAMP) $(SARIF_TOOL) $(OCTOKIT_OPENAPI) vsix vscode-e2e
	$(BIN)/python -m pytest -n 2 tests

train: $(STAMP)
	$(BIN)/python scripts/train_model.py --corpus benchmarks/history_corpus --out argus/core/predict/model/risk-v2.json

bench: $(STAMP)
	$(BIN)/python benchmarks/jit_eval.py --data-dir $(JIT_DATA)
	$(BIN)/python benchmarks/review_speed.py

clean:
	rm -rf $(VENV) .demo .bench .mypy_cache .ruff_cache .pytest_cache

# The sdist and wheel people install (`pip install dist/argus_pr-*.whl`, `pipx install ...`).
.PHONY: dist
dist: $(STAMP)
	rm -rf dist
	$(BIN)/python -m build --outdir dist .
	@ls -l dist
