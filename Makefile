# voc-pipeline: two commands for a new user, `make demo` and `make test`.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
# Versions tested together; regenerate with `make lock` after changing dependencies.
CONSTRAINTS := constraints.txt

.PHONY: help install install-test system-deps demo test lint lock clean db-stop airflow bench bench-smoke

help:
	@echo "make demo     set up, start the embedded PostgreSQL, run the pipeline on sample data"
	@echo "make test     install test dependencies and run the whole test suite"
	@echo "make reliability  crash, fault, concurrency, fuzzing and erasure suites at a larger size, summary table"
	@echo "make system-deps  install the system packages the tests use (Debian/Ubuntu, as root)"
	@echo "make lint     ruff over the project"
	@echo "make lock     re-pin constraints.txt from the current virtual environment"
	@echo "make db-stop  stop the embedded PostgreSQL"
	@echo "make airflow  run Airflow locally on the project's DAGs (AIRFLOW_ARGS='--help' for options)"
	@echo "make bench    throughput benchmark at 1,000,000 items (BENCH_ITEMS=N to change), JSON in .voc/bench/"
	@echo "make bench-smoke  the same harness at 20,000 items, no timing assertions (CI)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml $(CONSTRAINTS)
	$(PIP) install --quiet -c $(CONSTRAINTS) -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP) install --quiet -c $(CONSTRAINTS) -e '.[test]'
	touch $@

$(VENV)/.installed-airflow: $(VENV)/.installed
	$(PIP) install --quiet -c $(CONSTRAINTS) -e '.[airflow]'
	touch $@

$(VENV)/.installed-bench: $(VENV)/.installed
	$(PIP) install --quiet -c $(CONSTRAINTS) -e '.[bench]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# System packages the tests drive for real (Debian names; idempotent). chromium renders the CX report;
# dovecot-imapd is the IMAP server the e-mail tests start on loopback with their own config.
system-deps:
	command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)
	test -x /usr/sbin/dovecot || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y dovecot-imapd)

demo: install
	$(BIN)/voc demo

test: install-test system-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The crash, fault, concurrency, fuzzing and erasure suites at RELIABILITY_SCALE times their CI size (they also run
# in `make test`); ends with a table of cases tried, faults injected, items lost, duplicates and PII leaks.
RELIABILITY_SCALE ?= 3
.PHONY: reliability
reliability: install-test system-deps
	VOC_RELIABILITY_SCALE=$(RELIABILITY_SCALE) $(BIN)/python -m pytest tests/reliability $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check .

lock: install-test
	$(PIP) freeze --exclude-editable | grep -v '^voc-pipeline' > $(CONSTRAINTS)

# api-server, scheduler and dag-processor (LocalExecutor), metadata in the embedded PostgreSQL; Ctrl-C stops all.
airflow: $(VENV)/.installed-airflow
	$(BIN)/python scripts/airflow_local.py $(AIRFLOW_ARGS)

# One run, one process tree, a fresh database: ingest, enrichment, marts, then the ceiling, textbook and dlt.
BENCH_ITEMS ?= 1000000
bench: $(VENV)/.installed-bench
	$(BIN)/voc bench --items $(BENCH_ITEMS) --json .voc/bench/bench-$(BENCH_ITEMS).json $(BENCH_ARGS)

bench-smoke: $(VENV)/.installed-bench
	$(BIN)/voc bench --items 20000 --reference-items 20000 --textbook-items 500 --json .voc/bench/bench-smoke.json

db-stop: install
	$(BIN)/voc db stop

clean:
	rm -rf $(VENV) build dist *.egg-info
