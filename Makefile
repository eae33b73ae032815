# transcript-qa task runner. `make run` sets up and starts the chat UI; `make test` checks all.
SHELL := /bin/bash
VENV ?= .venv
BENCH_VENV ?= .venv-llamaindex
PY := $(VENV)/bin/python
SHARED_DATA ?= ../shared/data
# The first run ingests the seed and a sample of kremlin.ru pages (see README); override with
# `make run TRANSCRIPTS=folder`.
SAMPLE_PAGES ?= 60
TRANSCRIPTS ?=
LIBRARY ?= library
HOST ?= 127.0.0.1
PORT ?= 7860
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: help setup setup-scale run ingest-sample serve test lint typecheck pytest bench bench-env clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

setup: $(VENV)/.installed  ## create or update .venv (torch CPU first, then pinned versions)

$(VENV)/.installed: pyproject.toml constraints.txt
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $@

# The tests also run the Ray ingest (extra `scale`); `make run` does without it.
setup-scale: $(VENV)/.installed-scale  ## setup, plus Ray for `tqa ingest --ray` (extra `scale`)

$(VENV)/.installed-scale: $(VENV)/.installed
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev,scale]'
	@touch $@

run: setup ingest-sample serve  ## set up, ingest the sample transcripts, start the chat UI

ingest-sample: setup
	@if [ -n "$(TRANSCRIPTS)" ]; then \
		$(VENV)/bin/tqa --library $(LIBRARY) ingest "$(TRANSCRIPTS)"; \
	elif [ -d "$(SHARED_DATA)/seed" ]; then \
		pages=$$(ls $(SHARED_DATA)/kremlin/html/*.html | sort -V | head -n $(SAMPLE_PAGES)); \
		$(VENV)/bin/tqa --library $(LIBRARY) ingest $(SHARED_DATA)/seed $$pages; \
	else \
		echo "No ../shared/data here: starting on an empty library."; \
		echo "Add transcripts with: $(VENV)/bin/tqa --library $(LIBRARY) ingest PATH..."; \
		echo "or upload them in the UI's Library tab."; \
	fi

serve: setup  ## start the chat UI on the library
	$(VENV)/bin/tqa --library $(LIBRARY) serve --host $(HOST) --port $(PORT)

test: setup-scale lint typecheck pytest  ## ruff, mypy and pytest

lint: setup  ## ruff, and the layer rule (imports only go down the flow; see pyproject)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-logo

typecheck: setup-scale
	$(VENV)/bin/mypy

pytest: setup-scale
	$(VENV)/bin/pytest

bench: setup-scale  ## speed benchmarks, ours and LlamaIndex's if `make bench-env` ran (figures, ratios)
	$(PY) -m benchmarks.bench --llamaindex-python $(BENCH_VENV)/bin/python

bench-env: $(BENCH_VENV)/.installed  ## separate venv with LlamaIndex for `make bench` (not a dependency)

$(BENCH_VENV)/.installed: benchmarks/requirements-llamaindex.txt
	python3.11 -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install torch==2.13.0
	$(BENCH_VENV)/bin/pip install -r benchmarks/requirements-llamaindex.txt
	touch $@

clean:
	rm -rf $(VENV) $(BENCH_VENV) build *.egg-info .mypy_cache .ruff_cache .pytest_cache .import_linter_cache
