# The VS Code extension (vscode-extension/). Included from the Makefile; also usable alone,
# from the repository root, as `make -f make/vscode.mk vsix`.
#   make vsix         npm ci, type-check, lint, unit-test, bundle, package vscode-extension/argus-<version>.vsix
#   make vscode-test  the extension's unit tests only
#   make vscode-e2e   the bundled extension against the real server (needs Argus in $(VSCODE_PYTHON))
VSCODE_DIR := vscode-extension
VSCODE_BIN := node_modules/.bin
VSCODE_VERSION := $(shell node -p "require('./$(VSCODE_DIR)/package.json').version" 2>/dev/null)
VSIX := $(VSCODE_DIR)/argus-$(VSCODE_VERSION).vsix
VSCODE_MODULES := $(VSCODE_DIR)/node_modules/.package-lock.json
VSCODE_PYTHON ?= $(CURDIR)/.venv/bin/python

.PHONY: vsix vscode-test vscode-lint vscode-e2e vscode-wheel

# The .vsix carries the Argus wheel of its own version, which the extension installs into a
# private environment when no interpreter with Argus is configured (src/install.ts).
VSCODE_WHEEL_DIR := $(VSCODE_DIR)/server
vscode-wheel:
	rm -rf $(VSCODE_WHEEL_DIR)
	$(VSCODE_PYTHON) -m build --wheel --outdir $(VSCODE_WHEEL_DIR) .
	@test -f $(VSCODE_WHEEL_DIR)/argus_pr-$(VSCODE_VERSION)-py3-none-any.whl || \
		{ echo "the wheel's version differs from the extension's $(VSCODE_VERSION)"; exit 1; }

# npm ci runs again only when the lock file changes. The skipped install scripts are not
# needed: esbuild's binary comes as a package, vsce-sign only signs.
$(VSCODE_MODULES): $(VSCODE_DIR)/package-lock.json $(VSCODE_DIR)/package.json
	cd $(VSCODE_DIR) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

vscode-lint: $(VSCODE_MODULES)
	cd $(VSCODE_DIR) && $(VSCODE_BIN)/tsc --noEmit
	cd $(VSCODE_DIR) && $(VSCODE_BIN)/eslint .

vscode-test: $(VSCODE_MODULES)
	cd $(VSCODE_DIR) && $(VSCODE_BIN)/vitest run

vsix: vscode-lint vscode-test vscode-wheel
	cd $(VSCODE_DIR) && node scripts/build.mjs --production
	cd $(VSCODE_DIR) && $(VSCODE_BIN)/vsce package --no-dependencies --allow-missing-repository \
		--out argus-$(VSCODE_VERSION).vsix
	@ls -l $(VSIX)

# Loads the bundle with a stand-in editor API and drives the real `python -m argus.lsp_server`.
vscode-e2e: $(VSCODE_MODULES) vscode-wheel
	cd $(VSCODE_DIR) && node scripts/build.mjs --production
	cd $(VSCODE_DIR) && node test/e2e/lifecycle.cjs $(VSCODE_PYTHON)
