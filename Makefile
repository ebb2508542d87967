# AutoWatch: `make run` starts a server and a local agent; `make test` runs the whole suite.
SHELL := /bin/bash
HOST ?= 127.0.0.1
PORT ?= 8080
DATA_DIR ?= ./data

.PHONY: install build run test bench clean

# npm ci only when the lock file changed since the last install.
node_modules/.installed: package-lock.json
	npm ci --no-audit --no-fund
	touch $@

install: node_modules/.installed

build: install
	npx tsc -p .
	npm run build:dashboard

run: build
	@HOST=$(HOST) PORT=$(PORT) DATA_DIR=$(DATA_DIR) bash scripts/run.sh

test: install
	npx tsc -p . --noEmit
	npm run build:dashboard
	npx vitest run

bench: build
	npm run bench:micro

clean:
	rm -rf dist dashboard/dist
