# AutoWatch: `make run` starts a server and a local agent; `make test` runs the whole suite.
SHELL := /bin/bash
HOST ?= 127.0.0.1
PORT ?= 8080
DATA_DIR ?= ./data

.PHONY: install build run test bench clean

# npm ci only when the lock file changed since the last install. No dependency's install script is needed:
# the native parts ship prebuilt (README, "Dependencies and why"), so none runs and npm has nothing to warn of.
node_modules/.installed: package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts
	touch $@

install: node_modules/.installed

# Built only when a source changed (file targets), so a second `make run` starts at once.
TS_SOURCES := tsconfig.json $(shell find server agent protocol bench test scripts docs/examples -name '*.ts' 2>/dev/null)
# The agent bundle needs only the agent's own code and the wire contract (and package.json's version).
AGENT_SOURCES := package.json scripts/build-agent.ts $(shell find agent protocol -name '*.ts' ! -name '*.test.ts' 2>/dev/null)
DASHBOARD_SOURCES := dashboard/index.html dashboard/tsconfig.json dashboard/vite.config.ts $(shell find dashboard/src -type f)

dist/.built: node_modules/.installed $(TS_SOURCES)
	npx tsc -p . --incremental --tsBuildInfoFile dist/.tsbuildinfo
	touch $@

# The one file hosts install (docs/agent.md); the server serves it at /downloads/autowatch-agent.mjs.
dist/autowatch-agent.mjs: node_modules/.installed $(AGENT_SOURCES)
	npm run build:agent

dashboard/dist/index.html: node_modules/.installed $(DASHBOARD_SOURCES)
	npm run build:dashboard
	touch $@

build: dist/.built dist/autowatch-agent.mjs dashboard/dist/index.html

run: build
	@HOST=$(HOST) PORT=$(PORT) DATA_DIR=$(DATA_DIR) bash scripts/run.sh

# scripts/test-deps.sh brings what the tests need from outside npm (or says how), starts QuestDB for the run;
# a suite whose part is absent is skipped, and the run ends with the list of skips and why.
# The build (dist/) type-checks the code, and the suites that start server processes run it.
test: install dist/.built
	npm run lint
	npm run build:dashboard
	bash scripts/test-deps.sh npx vitest run

bench: build
	npm run bench:micro

clean:
	rm -rf dist dashboard/dist
