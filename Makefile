# Every target installs what it needs first; `make help` lists them.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: help install up down status demo test lint format bench fuzz clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  %-9s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --editable '.[test,dev,bench]'
	@touch $@

install: $(STAMP) ## create .venv with the package and its test/dev tools

up: $(STAMP) ## start Kafka (KRaft) + PostgreSQL on loopback, no Docker needed; idempotent (PROVISIONING_SCHEMA_REGISTRY=1: + a schema registry)
	$(BIN)/provisioning stack up

down: $(STAMP) ## stop what `make up` started
	$(BIN)/provisioning stack down

status: $(STAMP) ## show whether the local stack runs
	$(BIN)/provisioning stack status

DEMO_ORDERS ?= 20

demo: $(STAMP) ## the whole pipeline end to end on the local stack, then a summary (DEMO_ORDERS=20)
	$(BIN)/provisioning stack up
	eval "$$($(BIN)/provisioning stack env)" && $(BIN)/provisioning demo --orders $(DEMO_ORDERS)

lint: $(STAMP) ## ruff (lint + format check) and mypy --strict
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP) ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: lint ## lint, then pytest against a real Kafka, PostgreSQL and schema registry it starts itself
	$(BIN)/pytest

bench: $(STAMP) ## benchmarks, each reported as a ratio against a baseline measured in the same run
	$(BIN)/python -m bench

FUZZ_SECONDS ?= 120

fuzz: $(STAMP) ## coverage-guided fuzzing of decode → validate → insert (atheris, FUZZ_SECONDS=120); not in CI
	$(BIN)/pip install --quiet --editable '.[fuzz]'
	FUZZ_SECONDS=$(FUZZ_SECONDS) $(BIN)/python -m tests.fuzz_ingest

clean: ## remove the virtualenv and caches (not the Kafka download cache)
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
