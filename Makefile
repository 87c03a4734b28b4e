# cobrowse: `make demo` and `make test` are all a newcomer needs; both install what is missing.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
APT_PACKAGES := chromium fonts-dejavu-core fonts-noto-core postgresql nginx-light redis-server
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PYTEST_ARGS ?=

.PHONY: help install apt python node build demo test test-py test-js lint bench fuzz clean

help:
	@echo "make demo    install what is missing, build, start the demo (server :8000, portal :8001)"
	@echo "make test    install what is missing, run every test (lint, types, JS, Python, browser)"
	@echo "make bench   run the benchmarks (figures beside a same-run baseline)"
	@echo "make install the idempotent set-up step the others use"
	@echo "make fuzz    atheris on the wire decoder, the frame reader and the rewriters (FUZZ_SECONDS each, optional)"

install: apt python node build

apt:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

python: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@

node: web/node_modules/.installed

web/node_modules/.installed: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

build: node
	cd web && npm run --silent build

demo: install
	$(BIN)/cobrowse demo

test: install lint test-js test-py

FUZZ_SECONDS ?= 60
# Optional coverage-guided fuzzing (atheris ships wheels, no compiler needed); the
# hypothesis fuzz tests in tests/ run in `make test` either way.
fuzz: python
	$(BIN)/pip install -q -e '.[fuzz]'
	PYTHONPATH=. $(BIN)/python fuzz/fuzz_messages.py -max_total_time=$(FUZZ_SECONDS)
	PYTHONPATH=. $(BIN)/python fuzz/fuzz_rewrite.py -max_total_time=$(FUZZ_SECONDS)
	PYTHONPATH=. $(BIN)/python fuzz/fuzz_wsframes.py -max_total_time=$(FUZZ_SECONDS)

lint:
	$(BIN)/ruff check src tests bench fuzz
	$(BIN)/mypy

test-js:
	cd web && npm run --silent typecheck && npm test --silent

test-py:
	$(BIN)/pytest -q -p no:cacheprovider $(PYTEST_ARGS)

bench: install
	PYTHONPATH=. $(BIN)/python bench/latency.py
	PYTHONPATH=. $(BIN)/python bench/rewrite.py
	PYTHONPATH=. $(BIN)/python bench/jsparse.py --rounds 1
	PYTHONPATH=. $(BIN)/python bench/pageload.py
	PYTHONPATH=. $(BIN)/python bench/handoff.py
	PYTHONPATH=. $(BIN)/python bench/control_latency.py
	PYTHONPATH=. $(BIN)/python bench/masking.py
	PYTHONPATH=. $(BIN)/python bench/canvas.py
	PYTHONPATH=. $(BIN)/python bench/audit.py
	PYTHONPATH=. $(BIN)/python bench/load.py --quick --stack direct --apps bare,ours,bare@picows,bare@uvicorn-websockets
	PYTHONPATH=. $(BIN)/python bench/load.py --nodes --quick --stack direct
	PYTHONPATH=. $(BIN)/python bench/load.py --soak 600 --sessions 300 --stack direct

clean:
	rm -rf src/cobrowse/server/static/dist src/cobrowse/demo/static/dist web/node_modules $(VENV)
