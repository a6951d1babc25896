# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test lint bench docs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/peakend demo

# scripts/services.sh installs (if missing) and starts PostgreSQL and Chromium for the tests.
test: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	eval "$$(scripts/services.sh)" && $(BIN)/python -m pytest -q -n auto --dist loadgroup

# The guides (docs/zh, docs/en) served at http://127.0.0.1:8001; `make test` builds them strictly.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve --dev-addr 127.0.0.1:8001

# The benchmark suite: engines side by side (1M, 10M touches; BENCH_FLAGS=--huge adds 100M), then the rest.
bench: $(STAMP)
	$(BIN)/python bench/bench_engines.py $(BENCH_FLAGS)
	$(BIN)/python bench/bench_scoring.py
	$(BIN)/python bench/bench_file_ingest.py
	$(BIN)/python bench/bench_http_ingest.py
	$(BIN)/python bench/bench_live.py
	$(BIN)/python bench/bench_simulate.py
	$(BIN)/python bench/bench_cli.py

clean:
	rm -rf $(VENV) peakend-demo .pytest_cache site
