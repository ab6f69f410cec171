# Heartline: `make run` and `make test` do all the set-up on a fresh machine.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000
HOST ?= 127.0.0.1
export HEARTLINE_DATA_DIR ?= var

.PHONY: run test lint format bench bench-emotion bench-ingest venv browser mailserver train-env demo clean help

help:
	@echo "make run          create .venv, migrate the SQLite db, serve on $(HOST):$(PORT) (the demo builds in the background)"
	@echo "make test         create .venv and run the whole suite (set HEARTLINE_TEST_POSTGRES_URL for PostgreSQL)"
	@echo "make lint         ruff + mypy --strict + the architecture check (boundaries, cycles, sizes)"
	@echo "make bench        benchmarks, each figure against its limit (start-up, ingest, pipeline, scale-out, mail, help-desk, memory, dashboards, playbooks, web)"
	@echo "make bench-emotion  emotion engines side by side"
	@echo "make train-env    separate .venv-train with torch==2.13.0 for model training"

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade uv
	$(BIN)/uv pip install -q --compile-bytecode -p $(BIN)/python -c requirements.lock -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(BIN)/heartline serve --demo --host $(HOST) --port $(PORT)

demo: $(STAMP)
	$(BIN)/heartline demo

# Browser tests drive Debian's Chromium (never a downloaded browser build).
browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
		(apt-get install -y -q chromium chromium-driver >/dev/null 2>&1 || \
		 (apt-get update -q >/dev/null && apt-get install -y -q chromium chromium-driver >/dev/null)) \
		&& echo "installed Debian chromium"; \
	elif command -v sudo >/dev/null && command -v apt-get >/dev/null; then \
		sudo apt-get update -q && sudo apt-get install -y -q chromium chromium-driver; \
	else echo "warning: /usr/bin/chromium missing and cannot be installed; browser tests will be skipped"; fi

# Inbound-mail tests read a real IMAP server on loopback: Debian's Dovecot (never started as
# a system service; each test run starts its own with a throwaway config).
mailserver:
	@if [ -x /usr/sbin/dovecot ]; then :; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
		(DEBIAN_FRONTEND=noninteractive apt-get install -y -q dovecot-imapd >/dev/null 2>&1 || \
		 (apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q dovecot-imapd >/dev/null)) \
		&& echo "installed Debian dovecot-imapd"; \
	elif command -v sudo >/dev/null && command -v apt-get >/dev/null; then \
		sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q dovecot-imapd; \
	else echo "warning: /usr/sbin/dovecot missing and cannot be installed; IMAP tests will be skipped"; fi

test: $(STAMP) browser mailserver
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src/heartline
	$(BIN)/pytest -q -p no:randomly -p no:cacheprovider tests/test_architecture.py

format: $(STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: $(STAMP) mailserver
	@for b in bench/bench_startup.py bench/bench_ingest.py bench/bench_pipeline.py bench/bench_scaleout.py bench/bench_mailbox.py bench/bench_helpdesk.py bench/bench_memory.py bench/bench_metrics.py bench/bench_playbooks.py bench/bench_web.py; do \
		if [ -f $$b ]; then echo "== $$b"; $(BIN)/python $$b || exit 1; fi; done

bench-ingest: $(STAMP)
	$(BIN)/python bench/bench_ingest.py

bench-emotion: $(STAMP)
	$(BIN)/python bench/bench_emotion.py

# Training needs torch; it lives in its own environment, pinned to the CPU build.
train-env:
	test -x .venv-train/bin/python || $(PY) -m venv .venv-train
	.venv-train/bin/python -m pip install -q torch==2.13.0
	.venv-train/bin/python -m pip install -q -e '.[train]'

clean:
	rm -rf $(VENV) .venv-train .pytest_cache .ruff_cache .mypy_cache
