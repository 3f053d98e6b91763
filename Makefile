# Thin aliases over what README.md says. Every target sets up .venv first (idempotent).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
TEST_WORKERS ?= 2
STAMP  := $(VENV)/.installed-$(shell cksum < requirements.txt | cut -d' ' -f1)
NPM_STAMP := node_modules/.installed-$(shell cksum < package-lock.json | cut -d' ' -f1)

.PHONY: install run run-https run-ha test lint bench matrix screenshots vendor clean

install: $(STAMP) $(NPM_STAMP)

$(STAMP): requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@rm -f $(VENV)/.installed-* && touch $@

# Pinned in package-lock.json: axe-core, which the accessibility test injects into the pages, and Biome, the
# JavaScript linter of `make lint` (no npm: only noted; the pages themselves load plain files, no build step).
$(NPM_STAMP): package-lock.json
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: tests/browser/test_accessibility.py needs it (Debian: apt install nodejs npm)"; fi

run: install
	$(PY) -m commands.run

run-https: install
	$(PY) -m commands.run --https

run-ha: install  ## ARGS=--cluster: a Redis Cluster instead of Sentinel; needs haproxy
	$(PY) -m commands.run_ha $(ARGS)

test: install  ## two workers: the browser tests on one, the rest spread over both (TEST_WORKERS=0: serial)
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

lint: install  ## ruff (the rules pyproject.toml selects) and Biome (biome.json) on the pages' JavaScript and CSS
	$(PY) -m ruff check .
	node_modules/.bin/biome lint --error-on-warnings

bench: install  ## ARGS=--quick: the one-minute run; ARGS=--publish: also update docs/bench/; see `python -m bench --help`
	$(PY) -m bench $(ARGS)

matrix: install
	$(PY) -m commands.matrix

screenshots: install
	AUTHLAB_SCREENSHOTS=docs/screenshots $(PY) -m pytest -q tests/browser/test_screenshots.py

# The pages' browser OAuth client, vendored as one file (no build step). Upgrade: npm install --save-exact
# oauth4webapi@X && make vendor; tests/test_vendored.py fails while the copy and the pin disagree.
vendor: $(NPM_STAMP)
	mkdir -p frontend_shared/vendor
	{ echo "// oauth4webapi $$(node -p 'require("./node_modules/oauth4webapi/package.json").version') (npm, MIT: oauth4webapi.LICENSE.md), vendored unchanged below this line by make vendor"; \
	  cat node_modules/oauth4webapi/build/index.js; } > frontend_shared/vendor/oauth4webapi.js
	cp node_modules/oauth4webapi/LICENSE.md frontend_shared/vendor/oauth4webapi.LICENSE.md

clean:
	rm -rf $(VENV) node_modules var reports .pytest_cache .hypothesis
