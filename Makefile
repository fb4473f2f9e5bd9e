# HelixForge — set-up, demo, tests, lint, benchmarks.
# `make demo` and `make test` work on a fresh clone: they create .venv and install first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PIP := $(BIN)/python -m pip
# The CPU build of torch is pinned so pip never pulls a multi-GB CUDA build.
CONSTRAINTS := -c constraints-cpu.txt
JOBS ?= 2
# pytest-xdist workers for `make test` (CI has 2 cores); TEST_JOBS=0 runs in one process.
TEST_JOBS ?= 2
# Test files holding `ray`-marked tests: run alone after the parallel run (collecting only
# these saves collecting the whole suite a second time).
RAY_TESTS = $(shell grep -rlE "mark\.ray\b" tests)

.PHONY: venv install demo test lint format bench bench-chem bench-lm bench-dna bench-crispr clean

venv: $(BIN)/python

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(PIP) install -q --upgrade pip wheel setuptools

$(STAMP): $(BIN)/python pyproject.toml constraints-cpu.txt
	$(PIP) install -q $(CONSTRAINTS) torch==2.13.0
	$(PIP) install -q $(CONSTRAINTS) -e ".[dev,demo,pretrained,scale,generate]"
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/helix demo -o demo_run --overwrite

# Bytecode caches are written even where the environment turns them off: the suite starts
# many Python processes (CLI runs, kill-and-resume), each compiling the package again without them.
test: install
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -q -p no:cacheprovider -n $(TEST_JOBS) --dist worksteal --durations=20 -m "not ray" tests
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -q -p no:cacheprovider -m ray $(or $(RAY_TESTS),tests)

lint: install
	$(BIN)/ruff check src tests benchmarks tools
	$(BIN)/ruff format --check src tests benchmarks tools

format: install
	$(BIN)/ruff check --fix src tests benchmarks tools
	$(BIN)/ruff format src tests benchmarks tools

bench: bench-chem bench-lm bench-dna bench-crispr

# The peers (Chemprop v2, ADMET-AI, Rule Set 3) run in their own venvs under .bench/; see docs/benchmarks.md.
bench-chem: install
	$(BIN)/python benchmarks/chem_dmpnn.py
	$(BIN)/python benchmarks/chem_property.py --models gbm gbm-fast
	$(BIN)/python benchmarks/chem_gbm_ablation.py

bench-lm: install
	$(BIN)/python benchmarks/lm.py

bench-dna: install
	$(BIN)/python benchmarks/dna_analysis.py
	$(BIN)/python benchmarks/dna.py

bench-crispr: install
	$(BIN)/python benchmarks/crispr_ontarget.py
	$(BIN)/python benchmarks/crispr.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build dist src/*.egg-info
